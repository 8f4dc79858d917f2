// GetVitalSummary and GetWeeklySummary for people with thousands of readings (a glucose monitor
// reads every few minutes), over real gRPC (h2c) with the health service hosted in-process.
//   node --import tsx bench/health-summary.bench.ts [embedded|real] [seconds=5] [concurrency=16] [readings=5000,20000] [flagged|in-range]
// `real` needs `eval "$(bash scripts/infra.sh env)"`. Client and server share the process (and
// the machine's 2 cores). Loopback only; every load is bounded in time. `in-range` lifts every
// reading by 25 mg/dL so none is flagged: a summary lists every flagged reading, so with the
// default data (about one in ten flagged) its size grows with the number of readings.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { BucketSize } from '@tend/proto/tend/health/v1/analytics';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { VitalInputSchema, VitalKind } from '@tend/proto/tend/health/v1/vitals';
import type { DatabaseTarget } from '@tend/testing';
import { bench, databaseTarget, insertTestUser, startHealthInProcess } from './health-in-process.js';
import { formatResult, runLoad, type LoadResult } from './load.js';

const [mode = 'embedded', secondsArg = '5', concurrencyArg = '16', readingsArg = '5000,20000', data = 'flagged'] =
  process.argv.slice(2);
const lift = data === 'in-range' ? 25 : 0;
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const readingCounts = readingsArg.split(',').map(Number);
const dayMs = 86_400_000;
/** Readings span the 30 days before the benchmark starts (the partitions cover them). */
const spanDays = 30;
const batchSize = 1000;

const target = databaseTarget(mode);
const results = await benchTarget(target);
for (const result of results) console.log(formatResult(result));
console.log(monthSummaryLine(results));

/**
 * The line `npm run bench` reports: the month summary's p99 at 20,000 readings (issue 15's
 * target) and its p50 at each count, which shows whether the time is flat in the readings.
 */
function monthSummaryLine(results: LoadResult[]): string {
  const months = results.filter((r) => r.name.startsWith('GetVitalSummary month, day buckets'));
  const at20000 = months[readingCounts.indexOf(20000)];
  const p50s = months.map((r) => r.p50Ms).join(' / ');
  return (
    `month summary, day buckets, ${concurrency} in flight${lift ? ', none flagged' : ''}: ` +
    `${at20000 ? `p99 ${at20000.p99Ms} ms at 20000 readings; ` : ''}p50 ${p50s} ms at ${readingCounts.join(' / ')} readings`
  );
}

async function benchTarget(target: DatabaseTarget): Promise<LoadResult[]> {
  const health = await startHealthInProcess(target);
  const { context, server } = health;
  try {
    const client = createClient(HealthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }));
    const now = Date.now();
    const results: LoadResult[] = [];
    for (const count of readingCounts) {
      const userId = await insertTestUser(context, bench);
      await recordGlucose(client, userId, count, now);
      results.push(...(await loadSummaries(client, userId, count, now, target.kind)));
    }
    return results;
  } finally {
    await health.stop();
  }
}

/**
 * `count` glucose readings evenly over the last 30 days: a daily swing with some noise, about one
 * in ten low enough to be flagged (none with `in-range`), and a note on every 50th.
 */
async function recordGlucose(
  client: Client<typeof HealthService>,
  userId: string,
  count: number,
  now: number,
): Promise<void> {
  const caller = create(CallerSchema, { userId, role: Role.USER });
  const stepMs = (spanDays * dayMs) / count;
  const readingsPerDay = dayMs / stepMs;
  const reading = (i: number) =>
    create(VitalInputSchema, {
      kind: VitalKind.GLUCOSE,
      value: Math.round(115 + lift + 45 * Math.sin((2 * Math.PI * i) / readingsPerDay) + ((i * 7919) % 41) - 20),
      unit: 'mg/dL',
      measuredAt: timestampFromDate(new Date(now - spanDays * dayMs + i * stepMs)),
      ...(i % 50 === 0 && { note: 'sensor reading' }),
    });
  for (let first = 0; first < count; first += batchSize) {
    const length = Math.min(batchSize, count - first);
    await client.batchRecordVitals({ caller, vitals: Array.from({ length }, (_, j) => reading(first + j)) });
  }
}

/** The summaries a person or the assistant asks for: last week, last month, last ISO week. */
async function loadSummaries(
  client: Client<typeof HealthService>,
  userId: string,
  count: number,
  now: number,
  kind: DatabaseTarget['kind'],
): Promise<LoadResult[]> {
  const caller = create(CallerSchema, { userId, role: Role.USER });
  const period = (days: number) => ({
    from: timestampFromDate(new Date(now - days * dayMs)),
    to: timestampFromDate(new Date(now)),
  });
  const load = (name: string, call: () => Promise<unknown>) =>
    runLoad(`${name}, ${count} readings${lift ? ', none flagged' : ''} [${kind}]`, call, { concurrency, seconds });
  const week = { caller, kind: VitalKind.GLUCOSE, ...period(7) };
  const month = { caller, kind: VitalKind.GLUCOSE, ...period(spanDays), bucketSize: BucketSize.DAY };
  // Warm-up: pools, JIT, the planner's statistics.
  await runLoad('warm-up', () => client.getVitalSummary(month), { concurrency, seconds: 1 });
  return [
    await load('GetVitalSummary week', () => client.getVitalSummary(week)),
    await load('GetVitalSummary month, day buckets', () => client.getVitalSummary(month)),
    await load('GetVitalSummary month, mmol/L', () => client.getVitalSummary({ ...month, unit: 'mmol/L' })),
    await load('GetWeeklySummary', () => client.getWeeklySummary({ caller })),
  ];
}
