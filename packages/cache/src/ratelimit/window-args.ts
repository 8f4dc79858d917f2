/**
 * Checks the arguments of `RateLimitStore.consume` the same way for every store, so a bad limit
 * from configuration fails loudly instead of letting everything through (or nothing).
 * Returns the window as whole milliseconds.
 */
export function checkWindowArgs(limit: number, windowMs: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`rate limit window must be a positive number of milliseconds, got ${windowMs}`);
  }
  return Math.ceil(windowMs);
}
