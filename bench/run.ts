// `npm run bench [-- --full] [--only <name>,...]`: every benchmark of this list, one after the
// other, and bench/report.md with the machine, the baselines of the same run, each result beside
// its baseline, and the targets met or missed. Short mode (default) runs each load for a few
// seconds; `--full` runs longer loads and the benchmarks marked `full` (100,000 sockets).
// A benchmark is one entry below: a name, and a function that measures and returns its rows.
import { writeFile } from 'node:fs/promises';
import { startBareHttpServer, ghzHealthCheck, selectOneRoundTrip, type BareHttpServer } from './baselines.js';
import { formatResult, type LoadResult } from './load.js';
import { describeMachine, renderReport, type BenchRow, type BenchSection } from './report.js';
import { gatewayAllInOne } from './gateway-wrk.js';
import { gatewayDistributed } from './gateway-distributed.js';
import { scriptEntry } from './script-entry.js';
import { webSocketsAtScale } from './websockets.bench.js';
import { idleCost } from './idle-cost.bench.js';

/** `npm start` to /healthz, fresh data directory each time (bench/start-stop.bench.ts). */
const startUp = scriptEntry({
  name: 'start-up',
  title: 'Start-up: npm start to /healthz (median of 3)',
  args: ['bench/start-stop.bench.ts', '3'],
  summary: /\/healthz median/,
  target: { read: /healthz median (\d+) ms/, text: '≤ 2,500 ms', met: (ms) => ms <= 2500 },
});

/** A month's summary of vitals at 1,000, 20,000 and 100,000 readings (bench/health-summary.bench.ts). */
const vitalSummaries = scriptEntry({
  name: 'summaries',
  title: 'Vital summaries: a month in day buckets, one call at a time, none flagged',
  args: ['bench/health-summary.bench.ts', 'embedded', '5', '1', '1000,20000,100000', 'in-range'],
  summary: /^month summary/,
  target: { read: /p99 ([\d.]+) ms at 20000/, text: 'p99 ≤ 5 ms at 20,000 readings', met: (ms) => ms <= 5 },
});

/** What a benchmark gets from the runner. */
export interface BenchContext {
  full: boolean;
  /** Seconds of each measured load (after its warm-up). */
  seconds: number;
  /** A loopback port of this run's range (`BENCH_PORT_BASE`, default 18700, plus `offset`). */
  port(offset: number): number;
  /** A bare Node `http` server answering `bodyBytes` of JSON, for a same-run baseline; stop it after. */
  bareHttp(bodyBytes: number): Promise<BareHttpServer>;
  /** Adds a row to the report's baselines. */
  baseline(row: BenchRow): void;
}

/** One benchmark of the report. */
export interface BenchEntry {
  name: string;
  /** Runs only with `--full`. */
  full?: boolean;
  run(context: BenchContext): Promise<BenchSection>;
}

/** The benchmarks `npm run bench` runs, in order. Add new ones here. */
export const benchmarks: BenchEntry[] = [
  startUp,
  gatewayAllInOne,
  gatewayDistributed,
  vitalSummaries,
  webSocketsAtScale,
  idleCost,
];

const loadRow = (r: LoadResult): BenchRow => ({
  what: r.name,
  result: `${r.callsPerSecond.toLocaleString('en')} calls/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors} errors`,
});

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? (args[onlyIndex + 1] ?? '').split(',') : undefined;
  const portBase = Number(process.env.BENCH_PORT_BASE ?? 18700);
  const startedAt = new Date();
  const machine = describeMachine();
  const baselines: BenchRow[] = [];
  const sections: BenchSection[] = [];
  const failures: { name: string; error: string }[] = [];
  const context: BenchContext = {
    full,
    seconds: full ? 15 : 6,
    port: (offset) => portBase + offset,
    bareHttp: startBareHttpServer,
    baseline: (row) => baselines.push(row),
  };
  const attempt = async (name: string, work: () => Promise<void>) => {
    console.log(`\n== ${name}`);
    try {
      await work();
    } catch (error) {
      console.error(error);
      failures.push({ name, error: error instanceof Error ? error.message : String(error) });
    }
  };

  await attempt('baseline: SELECT 1', async () => {
    for (const r of await selectOneRoundTrip(context.seconds)) {
      console.log(formatResult(r));
      baselines.push(loadRow(r));
    }
  });
  await attempt('baseline: ghz grpc.health.v1', async () => {
    const r = await ghzHealthCheck(context.seconds, context.port(90));
    console.log(formatResult(r));
    baselines.push(loadRow(r));
  });
  for (const entry of benchmarks) {
    if (only && !only.includes(entry.name)) continue;
    if (entry.full && !full) {
      failures.push({ name: entry.name, error: 'runs with --full only' });
      continue;
    }
    await attempt(entry.name, async () => {
      const section = await entry.run(context);
      for (const row of section.rows)
        console.log(`${row.what}: ${row.result}${row.pass === undefined ? '' : row.pass ? '  (pass)' : '  (miss)'}`);
      sections.push(section);
    });
  }
  const report = renderReport({ startedAt, mode: full ? 'full' : 'short', machine, baselines, sections, failures });
  await writeFile(new URL('./report.md', import.meta.url), report);
  console.log('\nwrote bench/report.md');
}

await main();
