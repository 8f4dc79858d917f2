import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dashboardQueries,
  exportedFamilies,
  queryReferences,
  ruleQueries,
  type ExportedFamily,
  type SourcedQuery,
} from './monitoring/promql-references.js';
import { TendProcess, testPorts } from './tend-process.js';

/** Series that other exporters provide, by name prefix; Tend cannot show them, so they are only listed. */
const otherExporters: Record<string, string> = {
  node_: 'node_exporter',
  probe_: 'blackbox_exporter',
  pg_: 'postgres_exporter',
  redis_: 'redis_exporter',
  kafka_: 'kafka_exporter',
};

/** Series Prometheus makes itself. */
const prometheusSeries = new Set([
  'up',
  'ALERTS',
  'ALERTS_FOR_STATE',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
]);

/** Labels Prometheus adds to every scraped series (deploy/prometheus/prometheus.yml). */
const targetLabels = new Set(['job', 'instance', 'system']);

const rulesFile = 'deploy/prometheus/alerts.yml';
const dashboardsDir = 'deploy/grafana/dashboards';

async function monitoringQueries(): Promise<{ queries: SourcedQuery[]; records: Map<string, string> }> {
  const { queries, records } = ruleQueries(rulesFile, await readFile(rulesFile, 'utf8'));
  const files = (await readdir(dashboardsDir).catch(() => [])).filter((name) => name.endsWith('.json'));
  for (const name of files.sort()) {
    const path = join(dashboardsDir, name);
    queries.push(...dashboardQueries(path, JSON.parse(await readFile(path, 'utf8')) as unknown));
  }
  return { queries, records };
}

/**
 * Everything wrong with one query against what Tend exports: a syntax error, a metric no one
 * exports, a label matcher or grouping label that none of the query's series carry.
 */
function problemsOf(
  query: SourcedQuery,
  exported: Map<string, ExportedFamily>,
  records: Map<string, string>,
): string[] {
  const problems: string[] = [];
  const references = queryReferences(query.expr);
  if (references.error) return [`${query.source}: ${references.error}`];
  // Labels each series may carry: target labels always; a recorded series those of what it aggregates.
  const labelsOf = (metric: string, depth = 0): Set<string> | 'unknown' => {
    const recorded = records.get(metric);
    if (recorded !== undefined && depth < 5) {
      const labels = new Set(targetLabels);
      for (const selector of queryReferences(recorded).selectors) {
        const inner = labelsOf(selector.metric, depth + 1);
        if (inner === 'unknown') return 'unknown';
        for (const label of inner) labels.add(label);
      }
      return labels;
    }
    const family = exported.get(metric);
    if (!family?.sampled) return 'unknown';
    const labels = new Set([...targetLabels, ...family.labels]);
    if (metric.endsWith('_bucket')) labels.add('le');
    return labels;
  };
  let allKnown = true;
  const queryLabels = new Set<string>();
  for (const { metric, labels } of references.selectors) {
    const external = Object.keys(otherExporters).some((prefix) => metric.startsWith(prefix));
    if (external || prometheusSeries.has(metric)) {
      allKnown = false;
      continue;
    }
    if (!records.has(metric) && !exported.has(metric)) {
      problems.push(`${query.source}: metric ${metric} is not exported by Tend`);
      continue;
    }
    const known = labelsOf(metric);
    if (known === 'unknown') {
      allKnown = false;
      continue;
    }
    for (const label of known) queryLabels.add(label);
    for (const label of labels) {
      if (!known.has(label)) problems.push(`${query.source}: ${metric} has no label ${label}`);
    }
  }
  if (allKnown) {
    for (const label of references.grouping) {
      if (!queryLabels.has(label)) problems.push(`${query.source}: groups by ${label}, which none of its series carry`);
    }
  }
  return problems;
}

describe('monitoring queries against what a running Tend exports', () => {
  let tend: TendProcess;
  const gateway = `http://127.0.0.1:${testPorts.gateway}`;

  beforeAll(async () => {
    tend = await TendProcess.start(['serve', '--target=all']);
    await tend.waitForHttp(`${gateway}/readyz`);
    // Some traffic, so request series carry samples (and their labels can be checked).
    for (const path of ['/', '/readyz', '/api/v1/no-such-route', '/openapi.json']) await fetch(`${gateway}${path}`);
  });

  afterAll(async () => {
    await tend?.stop();
  });

  it('exports every metric and label that an alert, a recording rule or a dashboard queries', async () => {
    const exported = exportedFamilies(await (await fetch(`${gateway}/metrics`)).text());
    const { queries, records } = await monitoringQueries();
    // Every rule file and dashboard contributes its queries (a reader that found none would pass).
    const sources = new Set(queries.map((query) => query.source.split(': ')[0]));
    expect(sources).toContain(rulesFile);
    for (const name of [
      'overview',
      'gateway',
      'health',
      'conversation',
      'voice',
      'notification',
      'external',
      'infrastructure',
    ]) {
      expect(sources).toContain(`${dashboardsDir}/tend-${name}.json`);
    }
    const problems = queries.flatMap((query) => problemsOf(query, exported, records));
    expect(problems).toEqual([]);
  });

  it('exports the series the dependency alerts watch, with values from the running process', async () => {
    const exported = exportedFamilies(await (await fetch(`${gateway}/metrics`)).text());
    // Sampled in every all-in-one process: the data volume, the primary, the outbox relays, the
    // in-process bus's consumer groups, the breakers of the outbound calls and the voice queue.
    for (const name of [
      'tend_filesystem_avail_bytes',
      'tend_filesystem_size_bytes',
      'tend_db_primary_up',
      'tend_outbox_oldest_pending_age_seconds',
      'tend_events_consumer_lag',
      'tend_circuit_breaker_state',
      'tend_voice_queue_depth',
      'tend_voice_jobs_running',
    ]) {
      expect(exported.get(name)?.sampled, name).toBe(true);
    }
    // Exported, with samples once there are replicas, reminders, a model and speech to watch.
    for (const name of [
      'tend_db_replica_lag_seconds',
      'tend_db_replica_up',
      'tend_reminder_lateness_seconds_bucket',
      'tend_llm_call_duration_seconds_bucket',
      'tend_llm_tokens_total',
      'tend_voice_recognitions_total',
      'tend_voice_syntheses_total',
      'tend_voice_recognition_seconds_bucket',
      'tend_voice_synthesis_seconds_bucket',
      'tend_voice_rejections_total',
    ]) {
      expect(exported.has(name), name).toBe(true);
    }
  });

  it('reports a query that names a metric or a label Tend does not export', async () => {
    const exported = exportedFamilies(await (await fetch(`${gateway}/metrics`)).text());
    const records = new Map<string, string>();
    const problems = [
      'rate(tend_no_such_metric_total[5m])',
      'sum by (service) (rate(tend_requests_total{route="x"}[5m]))',
      'sum by (colour) (rate(tend_requests_total[5m]))',
      'rate(tend_requests_total[5m]',
    ].flatMap((expr) => problemsOf({ source: 'test', expr }, exported, records));
    expect(problems).toEqual([
      'test: metric tend_no_such_metric_total is not exported by Tend',
      'test: tend_requests_total has no label route',
      'test: groups by colour, which none of its series carry',
      expect.stringContaining('test: syntax error'),
    ]);
  });
});
