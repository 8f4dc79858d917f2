import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '@tend/core';

/**
 * The external service's own series, on the process registry: provider calls by outcome and
 * latency, and answers by freshness (fresh, cached, stale, unavailable). Cache hits are
 * `tend_cache_requests_total{cache="weather"}`; each provider breaker's state and transitions are
 * the platform's `tend_circuit_breaker_state` and `tend_circuit_breaker_transitions_total`, which
 * every resilience policy given the metrics keeps.
 */
export class ExternalMetrics {
  static readonly #byRegistry = new WeakMap<Metrics, ExternalMetrics>();
  readonly providerCalls: Counter<'provider' | 'api' | 'outcome'>;
  readonly providerDuration: Histogram<'provider' | 'api'>;
  readonly answers: Counter<'api' | 'freshness'>;

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

  observeCall(provider: string, api: string, outcome: string, ms: number): void {
    this.providerCalls.inc({ provider, api, outcome });
    this.providerDuration.observe({ provider, api }, ms / 1000);
  }
}
