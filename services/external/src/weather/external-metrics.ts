import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics, ResiliencePolicy } from '@tend/platform';

const breakerValues = { closed: 0, 'half-open': 1, open: 2, isolated: 3 } as const;

/**
 * The external service's own series, on the process registry: provider calls by outcome and
 * latency, answers by freshness (fresh, cached, stale, unavailable) and each breaker's state
 * now. Cache hits are `tend_cache_requests_total{cache="weather"}`; breaker transitions are the
 * platform's `tend_circuit_breaker_transitions_total`.
 */
export class ExternalMetrics {
  static readonly #byRegistry = new WeakMap<Metrics, ExternalMetrics>();
  readonly providerCalls: Counter<'provider' | 'api' | 'outcome'>;
  readonly providerDuration: Histogram<'provider' | 'api'>;
  readonly answers: Counter<'api' | 'freshness'>;
  readonly #breakers = new Map<string, ResiliencePolicy>();

  private constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.providerCalls = new Counter({
      name: 'tend_external_provider_calls_total',
      help: 'Calls to a third-party provider (after retries), by provider, API and outcome.',
      labelNames: ['provider', 'api', 'outcome'] as const,
      registers,
    });
    this.providerDuration = new Histogram({
      name: 'tend_external_provider_call_seconds',
      help: 'Time of a call to a third-party provider, retries included.',
      labelNames: ['provider', 'api'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    this.answers = new Counter({
      name: 'tend_external_answers_total',
      help: 'Weather and air-quality answers, by API and freshness (fresh, cached, stale, unavailable).',
      labelNames: ['api', 'freshness'] as const,
      registers,
    });
    const breakers = this.#breakers;
    new Gauge({
      name: 'tend_external_breaker_state',
      help: 'State of each provider breaker now: 0 closed, 1 half-open, 2 open, 3 isolated.',
      labelNames: ['breaker'] as const,
      registers,
      collect() {
        for (const [name, policy] of breakers) this.set({ breaker: name }, breakerValues[policy.breakerState()]);
      },
    });
  }

  /** The series of a registry, made once (several sources in one process share them). */
  static of(metrics: Metrics): ExternalMetrics {
    let found = ExternalMetrics.#byRegistry.get(metrics);
    if (!found) {
      found = new ExternalMetrics(metrics);
      ExternalMetrics.#byRegistry.set(metrics, found);
    }
    return found;
  }

  watchBreakers(policies: readonly ResiliencePolicy[]): void {
    for (const policy of policies) this.#breakers.set(policy.name, policy);
  }

  observeCall(provider: string, api: string, outcome: string, ms: number): void {
    this.providerCalls.inc({ provider, api, outcome });
    this.providerDuration.observe({ provider, api }, ms / 1000);
  }
}
