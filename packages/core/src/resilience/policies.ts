import {
  BrokenCircuitError,
  CircuitState,
  IsolatedCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { TimeoutError, UnavailableError } from '../errors/errors.js';

/** How calls to one dependency are protected. Defaults are the seed's numbers. */
export interface ResilienceOptions {
  /** Names the dependency in logs, metrics and errors, e.g. `health-grpc` or `weather-api`. */
  name: string;
  /** Each attempt is abandoned after this long. @default 5000 */
  timeoutMs?: number;
  /** Retries after the first attempt; only for idempotent work. @default 3 */
  retries?: number;
  /** First backoff delay; doubles each retry, with jitter. @default 100 */
  initialBackoffMs?: number;
  /** @default 2000 */
  maxBackoffMs?: number;
  /** Consecutive failures that open the breaker. @default 5 */
  breakerThreshold?: number;
  /** How long the breaker stays open before one trial call. @default 30000 */
  breakerHalfOpenAfterMs?: number;
  logger?: Logger;
  metrics?: Metrics;
}

/** A dependency's policy: timeout per attempt, retries with backoff, and a circuit breaker. */
export interface ResiliencePolicy {
  readonly name: string;
  readonly breaker: CircuitBreakerPolicy;
  /** Runs work that may be retried (reads, idempotent writes). */
  execute<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Runs work once, with the timeout and the breaker but no retry (non-idempotent writes). */
  executeOnce<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** `closed`, `open`, `half-open` or `isolated`, for status pages. */
  breakerState(): 'closed' | 'open' | 'half-open' | 'isolated';
}

const stateNames: Record<CircuitState, 'closed' | 'open' | 'half-open' | 'isolated'> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** `tend_circuit_breaker_state`'s values, ordered by how bad the state is (as dashboards colour them). */
const stateValues = { closed: 0, 'half-open': 1, open: 2, isolated: 3 } as const;

/**
 * Builds the policy every outbound call goes through. The breaker sits inside the retry, so a
 * call rejected by an open breaker is not retried against it in a loop: it fails at once with
 * `UnavailableError`.
 */
export function createResiliencePolicy(options: ResilienceOptions): ResiliencePolicy {
  const timeoutMs = options.timeoutMs ?? 5000;
  // abortOnReturn off: aborting a controller on every successful return costs ~70 µs per call.
  const attemptTimeout = timeout(timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: options.breakerHalfOpenAfterMs ?? 30_000,
    breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
  });
  options.metrics?.breakerCurrentState.set({ breaker: options.name }, stateValues.closed);
  breaker.onStateChange((state) => {
    options.metrics?.breakerState.inc({ breaker: options.name, state: stateNames[state] });
    options.metrics?.breakerCurrentState.set({ breaker: options.name }, stateValues[stateNames[state]]);
    options.logger?.warn({ breaker: options.name, state: stateNames[state] }, 'circuit breaker changed state');
  });
  const retries = retry(handleAll, {
    maxAttempts: options.retries ?? 3,
    backoff: new ExponentialBackoff({
      initialDelay: options.initialBackoffMs ?? 100,
      maxDelay: options.maxBackoffMs ?? 2000,
    }),
  });
  const once = wrap(breaker, attemptTimeout);
  const retried = wrap(retries, breaker, attemptTimeout);

  const run = async <T>(policy: IPolicy, work: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await policy.execute(({ signal }) => work(signal));
    } catch (error) {
      throw translate(options.name, timeoutMs, error);
    }
  };
  return {
    name: options.name,
    breaker,
    execute: (work) => run(retried, work),
    executeOnce: (work) => run(once, work),
    breakerState: () => stateNames[breaker.state],
  };
}

function translate(name: string, timeoutMs: number, error: unknown): unknown {
  if (error instanceof TaskCancelledError) return new TimeoutError(name, timeoutMs, { cause: error });
  if (error instanceof BrokenCircuitError) {
    return new UnavailableError(name, `${name} is unavailable (circuit open)`, { cause: error });
  }
  if (error instanceof IsolatedCircuitError) {
    return new UnavailableError(name, `${name} is isolated`, { cause: error });
  }
  return error;
}
