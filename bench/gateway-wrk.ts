// The gateway's authenticated cached read under wrk, beside a bare Node `http` server answering
// the same size of JSON in the same run: GET /api/v1/medications for one person with three
// medications, through request id, security headers, the token check, the access table, the rate
// limiter (lifted high, still counting), metrics, trace context and the in-process call to the
// health service (a cache hit). wrk -t1 -c32, after a warm-up.
import { startAllInOne } from './all-in-one.js';
import type { BenchRow, BenchSection } from './report.js';
import type { BenchContext, BenchEntry } from './run.js';
import { cpuSecondsOf } from './baselines.js';
import { runWrk, type WrkResult } from './wrk.js';

const connections = 32;

/** A wrk run and the server CPU it cost: µs of CPU per request, whatever else the machine runs. */
interface Measured extends WrkResult {
  cpuUsPerRequest: number;
}

async function measured(pids: number[], load: () => Promise<WrkResult>): Promise<Measured> {
  const cpu = async () => (await Promise.all(pids.map(cpuSecondsOf))).reduce((a, b) => a + b, 0);
  const before = await cpu();
  const result = await load();
  const used = (await cpu()) - before;
  return { ...result, cpuUsPerRequest: Math.round((used * 1e6) / Math.max(1, result.requests)) };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** The round with the median rate of `rounds`. */
function medianRound(rounds: Measured[]): Measured {
  const rate = median(rounds.map((r) => r.requestsPerSecond));
  return rounds.find((r) => r.requestsPerSecond === rate) ?? rounds[0]!;
}

/** The person the load reads as, with three medications, and their bearer token. */
export async function seedPerson(base: string, label: string): Promise<{ token: string; bodyBytes: number }> {
  const registered = await postJson(base, '/api/v1/auth/register', {
    email: `bench-${label}-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
    displayName: 'Bench',
    timezone: 'Europe/Berlin',
  });
  const token = registered.accessToken as string;
  for (const name of ['Metformin', 'Lisinopril', 'Atorvastatin'])
    await postJson(
      base,
      '/api/v1/medications',
      { name, dose: 10, unit: 'mg', schedule: { times: ['08:00', '20:00'] } },
      token,
    );
  const response = await fetch(`${base}/api/v1/medications`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET /api/v1/medications: ${response.status}`);
  return { token, bodyBytes: (await response.arrayBuffer()).byteLength };
}

/** POSTs JSON and returns the JSON answer; any non-2xx throws with the body. */
export async function postJson(
  base: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/**
 * wrk on Tend's URL and on the bare server's in alternating rounds (three, so a burst of other
 * work on the shared machine hits both alike), with the rows they give: the median round of each,
 * the rate ratio, and the server CPU per request of each, which does not depend on how much of the
 * machine the run was given. `pids` are Tend's server processes.
 */
export async function measureAgainstBare(
  context: BenchContext,
  options: {
    url: string;
    token: string;
    bodyBytes: number;
    label: string;
    pids: number[];
    minRatio?: number;
    maxP99Ms: number;
    minRps?: number;
  },
): Promise<{ rows: BenchRow[]; tend: Measured; bare: Measured }> {
  const bare = await context.bareHttp(options.bodyBytes);
  try {
    const headers = { authorization: `Bearer ${options.token}` };
    await runWrk({ url: options.url, seconds: 3, connections, headers }); // warm-up: JIT, caches
    await runWrk({ url: bare.url, seconds: 2, connections });
    const seconds = Math.max(2, Math.round(context.seconds / 2));
    const tendRounds: Measured[] = [];
    const bareRounds: Measured[] = [];
    for (let round = 0; round < 3; round++) {
      tendRounds.push(await measured(options.pids, () => runWrk({ url: options.url, seconds, connections, headers })));
      bareRounds.push(await measured([bare.pid], () => runWrk({ url: bare.url, seconds, connections })));
    }
    const tend = medianRound(tendRounds);
    const bareResult = medianRound(bareRounds);
    const errors = tendRounds.reduce((sum, r) => sum + r.errors, 0);
    const requests = tendRounds.reduce((sum, r) => sum + r.requests, 0);
    const bareText = `bare Node http, ${options.bodyBytes} B JSON: ${bareResult.requestsPerSecond.toLocaleString('en')} req/s, p99 ${bareResult.p99Ms} ms, ${bareResult.cpuUsPerRequest} µs CPU/request`;
    context.baseline({ what: `bare Node http (${options.label} run)`, result: bareText });
    const ratio = tend.requestsPerSecond / bareResult.requestsPerSecond;
    const cpuRatio = bareResult.cpuUsPerRequest / tend.cpuUsPerRequest;
    const rounds = (rs: Measured[]) => rs.map((r) => r.requestsPerSecond.toLocaleString('en')).join(' / ');
    const rows: BenchRow[] = [
      {
        what: `${options.label}: req/s (wrk -t1 -c${connections}, median of 3 rounds of ${seconds} s)`,
        result: `${tend.requestsPerSecond.toLocaleString('en')} req/s = ${ratio.toFixed(3)}× bare (rounds ${rounds(tendRounds)})`,
        baseline: `${bareText} (rounds ${rounds(bareRounds)})`,
        ...(options.minRatio !== undefined && {
          target: `≥ ${options.minRatio}× bare`,
          pass: ratio >= options.minRatio,
        }),
        ...(options.minRps !== undefined && {
          target: `≥ ${options.minRps.toLocaleString('en')} req/s`,
          pass: tend.requestsPerSecond >= options.minRps,
        }),
      },
      {
        what: `${options.label}: server CPU per request`,
        result: `${tend.cpuUsPerRequest} µs = ${cpuRatio.toFixed(3)}× bare's throughput per core`,
        baseline: `bare ${bareResult.cpuUsPerRequest} µs`,
      },
      {
        what: `${options.label}: latency (median round)`,
        result: `p50 ${tend.p50Ms} ms, p99 ${tend.p99Ms} ms`,
        baseline: `bare p50 ${bareResult.p50Ms} ms, p99 ${bareResult.p99Ms} ms`,
        target: `p99 ≤ ${options.maxP99Ms} ms`,
        pass: tend.p99Ms <= options.maxP99Ms,
      },
      {
        what: `${options.label}: errors (all rounds)`,
        result: `${errors} of ${requests.toLocaleString('en')} requests`,
        target: '0',
        pass: errors === 0,
      },
    ];
    return { rows, tend, bare: bareResult };
  } finally {
    await bare.stop();
  }
}

/** The all-in-one gateway against bare Node: issue 15's first target. */
export const gatewayAllInOne: BenchEntry = {
  name: 'gateway-all-in-one',
  async run(context): Promise<BenchSection> {
    const tend = await startAllInOne({ gatewayPort: context.port(0), firstServicePort: context.port(1) });
    try {
      const { token, bodyBytes } = await seedPerson(tend.base, 'aio');
      const { rows } = await measureAgainstBare(context, {
        url: `${tend.base}/api/v1/medications`,
        token,
        bodyBytes,
        pids: [tend.pid],
        label: 'all-in-one, GET /api/v1/medications (cached)',
        minRatio: 0.15,
        maxP99Ms: 15,
      });
      return {
        name: 'Gateway, all-in-one: authenticated cached read',
        command: 'npm run bench -- --only gateway-all-in-one',
        rows,
        notes: [
          '`tend serve --target=all` on embedded parts in its own process; wrk and the bare server share the same two cores.',
          'Everything stays on: auth, the access table, rate-limit counting (limit lifted to 100M/min), metrics, trace context.',
        ],
      };
    } finally {
      await tend.stop();
    }
  },
};
