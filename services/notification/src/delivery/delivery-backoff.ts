/**
 * When a failed delivery is tried again: exponential from `baseMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so a burst of failures does not come back as a burst.
 */
export function retryDelayMs(attempt: number, random: () => number, baseMs = 2_000, maxMs = 60_000): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
