import { Counter } from 'prom-client';
import type { Metrics } from '../metrics/metrics.js';

/** Why a delivery ended as it did: handled, thrown (delivered again later) or not a valid event (skipped). */
export type DeliveryOutcome = 'handled' | 'failed' | 'invalid';

/** Counts deliveries to handlers, by topic, consumer group and outcome. */
export type DeliveryCounter = (topic: string, group: string, outcome: DeliveryOutcome) => void;

const name = 'tend_events_delivered_total';

/**
 * `tend_events_delivered_total{topic,group,outcome}` on the process's registry: a failing
 * consumer shows up as a climbing `failed` count while its partition waits. Looked up before
 * being created, so several buses in one process (tests) share one counter.
 */
export function deliveryCounter(metrics: Metrics | undefined): DeliveryCounter {
  if (!metrics) return () => undefined;
  const existing = metrics.registry.getSingleMetric(name) as Counter<'topic' | 'group' | 'outcome'> | undefined;
  const counter =
    existing ??
    new Counter({
      name,
      help: 'Events delivered to consumer handlers, by topic, consumer group and outcome (handled, failed, invalid).',
      labelNames: ['topic', 'group', 'outcome'] as const,
      registers: [metrics.registry],
    });
  return (topic, group, outcome) => counter.inc({ topic, group, outcome });
}
