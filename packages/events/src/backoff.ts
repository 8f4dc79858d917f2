/** How long to wait between attempts at something that failed and will be tried again. */
export interface RetryBackoff {
  /** Delay before the second attempt. @default 100 */
  initialDelayMs?: number;
  /** Ceiling for any one delay, so a long outage is still probed regularly. @default 30_000 */
  maxDelayMs?: number;
}

/**
 * The wait between probes of a dependency that is down (a broker, a database session): short,
 * so recovery after an outage of any length takes at most this ceiling plus one reconnect. A
 * redelivery backoff may grow to 30 s (a handler failing on bad data should not spin), but
 * probing a down broker that long made a 60 s Kafka outage take 19 s to recover from, not the
 * 10 s the service promises: the relay and the consumers were each asleep in a 15–30 s wait
 * when the broker came back. One connection attempt per process every 2 s costs the broker
 * nothing.
 */
export const outageProbeBackoff: Required<RetryBackoff> = { initialDelayMs: 100, maxDelayMs: 2_000 };

/**
 * Exponential backoff with "equal jitter" (half fixed, half random): retries from many
 * consumers or relays spread out instead of hitting a recovering broker in lock-step, and the
 * delay never drops to zero. `attempt` counts failures so far, from 1.
 */
export function backoffDelay(attempt: number, backoff: RetryBackoff = {}, random: () => number = Math.random): number {
  const initial = backoff.initialDelayMs ?? 100;
  const max = backoff.maxDelayMs ?? 30_000;
  const exp = Math.min(max, initial * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return exp / 2 + random() * (exp / 2);
}

/**
 * The rest after the `idleRounds`-th poll in a row that found nothing: `intervalMs`, doubling
 * each time, up to `maxMs`. No jitter: it paces one loop, not many clients retrying at once.
 */
export function idleBackoff(idleRounds: number, intervalMs: number, maxMs: number): number {
  return Math.min(maxMs, intervalMs * 2 ** Math.max(0, Math.min(idleRounds - 1, 30)));
}

/** Validates a backoff at boot, so a bad value fails at start rather than in the first outage. */
export function checkBackoff(owner: string, backoff: RetryBackoff | undefined): Required<RetryBackoff> {
  const initialDelayMs = backoff?.initialDelayMs ?? 100;
  const maxDelayMs = backoff?.maxDelayMs ?? 30_000;
  if (!(initialDelayMs > 0) || !(maxDelayMs >= initialDelayMs)) {
    throw new RangeError(
      `${owner}: backoff needs 0 < initialDelayMs <= maxDelayMs (got ${initialDelayMs}, ${maxDelayMs})`,
    );
  }
  return { initialDelayMs, maxDelayMs };
}

/**
 * Waits `ms`, or less if `signal` aborts. Never rejects: loops that sleep between retries check
 * their own stop flag afterwards, which keeps shutdown free of AbortError plumbing.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
