import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '@tend/core';

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

/** How far one consumer group is behind on one topic: a number, or unknown for now. */
export type LagSource = () => number | undefined | Promise<number | undefined>;

const lagName = 'tend_events_consumer_lag';
interface WatchedLag {
  topic: string;
  group: string;
  lag: LagSource;
}

const lagSources = new WeakMap<Metrics, Set<WatchedLag>>();

/**
 * `tend_events_consumer_lag{topic,group}`: events published to a topic and not yet handled by a
 * consumer group of this process, read from each subscription when Prometheus scrapes (the
 * in-process bus counts its queue; Kafka asks the broker for the latest and committed offsets of
 * the partitions this process holds, so the group's lag is the sum over its processes). A stuck
 * consumer handles nothing, so only a lag, not a delivery rate, shows it.
 * Returns a function that stops reporting the subscription.
 */
export function watchConsumerLag(
  metrics: Metrics | undefined,
  topic: string,
  group: string,
  lag: LagSource,
): () => void {
  if (!metrics) return () => undefined;
  let sources = lagSources.get(metrics);
  if (!sources) {
    const watched = new Set<WatchedLag>();
    sources = watched;
    lagSources.set(metrics, watched);
    new Gauge({
      name: lagName,
      help: "Events published and not yet handled, by topic and consumer group (this process's share).",
      labelNames: ['topic', 'group'] as const,
      registers: [metrics.registry],
      async collect() {
        this.reset();
        const totals = new Map<string, { topic: string; group: string; lag: number }>();
        const readings = await Promise.all(
          [...watched.values()].map(async (source) => ({ ...source, value: await readLag(source.lag) })),
        );
        for (const { topic: t, group: g, value } of readings) {
          if (value === undefined) continue;
          const key = `${t}\u0000${g}`;
          const total = totals.get(key) ?? { topic: t, group: g, lag: 0 };
          total.lag += value;
          totals.set(key, total);
        }
        for (const total of totals.values()) this.set({ topic: total.topic, group: total.group }, total.lag);
      },
    });
  }
  const source: WatchedLag = { topic, group, lag };
  const owned = sources;
  owned.add(source);
  return () => void owned.delete(source);
}

/** A lag source that fails (a broker gone) reports nothing rather than failing the scrape. */
async function readLag(lag: LagSource): Promise<number | undefined> {
  try {
    return await lag();
  } catch {
    return undefined;
  }
}
