import { Gauge } from 'prom-client';
import type { Database, DatabaseStatus, ReplicaStatus } from './database.js';
import type { Metrics } from '@tend/core';

/** Status reads closer together than this (the gauges of one scrape) share one read. */
const sharedReadMs = 1000;

/**
 * Exports what the process knows about its PostgreSQL servers, read from the database's own status
 * when Prometheus scrapes: whether the primary answers, and each read replica's health, replay lag
 * and place in the rotation. The replica monitor already checks every replica several times a
 * second; these gauges only show it, so lag (target < 100 ms) can be alerted on and graphed.
 */
export function watchDatabase(metrics: Metrics, database: Pick<Database, 'status'>): void {
  let last: { at: number; status: Promise<DatabaseStatus | undefined> } | undefined;
  // The registry collects its metrics concurrently: the four gauges of a scrape share one read.
  const current = (): Promise<DatabaseStatus | undefined> => {
    const now = performance.now();
    if (!last || now - last.at > sharedReadMs) {
      last = { at: now, status: database.status().catch(() => undefined) };
    }
    return last.status;
  };
  new Gauge({
    name: 'tend_db_primary_up',
    help: 'Whether the PostgreSQL primary answered a ping at the last scrape (1) or not (0).',
    registers: [metrics.registry],
    async collect() {
      this.set((await current())?.primary.up ? 1 : 0);
    },
  });
  const perReplica = (name: string, help: string, value: (replica: ReplicaStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['replica'] as const,
      registers: [metrics.registry],
      async collect() {
        this.reset();
        for (const replica of (await current())?.replicas ?? []) {
          const reading = value(replica);
          if (reading !== undefined) this.set({ replica: replica.url }, reading);
        }
      },
    });
  perReplica(
    'tend_db_replica_up',
    'Whether a read replica answers its checks and is a hot standby (1) or not (0).',
    (r) => (r.up ? 1 : 0),
  );
  perReplica(
    'tend_db_replica_lag_seconds',
    'How far a read replica has replayed behind the primary, in seconds.',
    (r) => (r.lagMs === undefined ? undefined : r.lagMs / 1000),
  );
  perReplica(
    'tend_db_replica_in_rotation',
    'Whether a read replica takes reads now (1: up and within the lag bound) or not (0).',
    (r) => (r.inRotation ? 1 : 0),
  );
}
