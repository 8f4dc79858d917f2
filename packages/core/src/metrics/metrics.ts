import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The metrics every Tend process exports at /metrics. One registry per process (not
 * prom-client's global one), so tests can create as many as they like.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Requests served, by service, method and result code (gRPC code name or HTTP status). */
  readonly requests = new Counter({
    name: 'tend_requests_total',
    help: 'Requests served, by service, method and result code.',
    labelNames: ['service', 'method', 'code'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'tend_request_duration_seconds',
    help: 'Time to serve a request, by service and method.',
    labelNames: ['service', 'method'] as const,
    // Fine steps up to 30 ms, so a target such as a conversation turn's p95 ≤ 30 ms is read
    // straight from the buckets rather than guessed between 25 and 50 ms.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly cacheRequests = new Counter({
    name: 'tend_cache_requests_total',
    help: 'Cache look-ups, by cache name and result (hit, miss, error).',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });

  readonly llmCalls = new Counter({
    name: 'tend_llm_calls_total',
    help: 'Calls to a language model, by provider and outcome.',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  /** One model call (a step of a turn), so a slow or failing model shows apart from Tend's own time. */
  readonly llmCallDuration = new Histogram({
    name: 'tend_llm_call_duration_seconds',
    help: 'Time of one call to a language model, by model and outcome (ok, error, timeout).',
    labelNames: ['model', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
    registers: [this.registry],
  });

  /** Tokens are what a hosted model bills and what bounds its latency. */
  readonly llmTokens = new Counter({
    name: 'tend_llm_tokens_total',
    help: 'Tokens of model calls, by model and kind (input, output).',
    labelNames: ['model', 'kind'] as const,
    registers: [this.registry],
  });

  readonly eventsPublished = new Counter({
    name: 'tend_events_published_total',
    help: 'Events published from the outbox to the event bus, by topic.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly outboxPending = new Histogram({
    name: 'tend_outbox_relay_batch_size',
    help: 'Events taken from an outbox per relay round.',
    labelNames: ['schema'] as const,
    buckets: [0, 1, 5, 10, 50, 100, 500],
    registers: [this.registry],
  });

  /**
   * How long the oldest event not yet published has waited in an outbox (0 when it is empty), set
   * by the relay that leads the schema each round: a bus that refuses events shows as a climbing age.
   */
  readonly outboxOldestAge = new Gauge({
    name: 'tend_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest unpublished event in an outbox, by schema (0 when empty).',
    labelNames: ['schema'] as const,
    registers: [this.registry],
  });

  readonly breakerState = new Counter({
    name: 'tend_circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes, by breaker name and new state.',
    labelNames: ['breaker', 'state'] as const,
    registers: [this.registry],
  });

  /**
   * Each breaker's state now (0 closed, 1 half-open, 2 open, 3 isolated): the transition counter
   * alone cannot tell a breaker that stays open from one that opened once an hour ago.
   */
  readonly breakerCurrentState = new Gauge({
    name: 'tend_circuit_breaker_state',
    help: 'State of each circuit breaker now: 0 closed, 1 half-open, 2 open, 3 isolated.',
    labelNames: ['breaker'] as const,
    registers: [this.registry],
  });

  /**
   * Refused accesses not written to the audit log because their actor had already filled its
   * hourly share of refusal rows: a script probing records, which an alert can watch.
   */
  readonly auditRefusalsDropped = new Counter({
    name: 'tend_audit_refusals_dropped_total',
    help: 'Refused accesses left out of the audit log because the actor exceeded its hourly refusal rows.',
    registers: [this.registry],
  });

  /**
   * Accesses an admin made to a person's health data in break-glass mode. Each one is audited
   * with its reason; any increase pages someone (TendBreakGlassAccess), so an emergency access
   * is always looked at by a second person.
   */
  readonly breakGlassAccesses = new Counter({
    name: 'tend_break_glass_accesses_total',
    help: "Admin accesses to a person's health data in break-glass mode, by resource.",
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    // Node's own metrics (event loop lag, heap, GC) unless a test opts out.
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text for /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
