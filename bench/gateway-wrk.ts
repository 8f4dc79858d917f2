// The gateway's authenticated cached read under wrk, beside a bare Node `http` server answering
// the same size of JSON in the same run: GET /api/v1/medications for one person with three
// medications, through request id, security headers, the token check, the access table, the rate
// limiter (lifted high, still counting), metrics, trace context and the in-process call to the
// health service (a cache hit). wrk -t1 -c32, after a warm-up.
import { startAllInOne } from './all-in-one.js';
import type { BenchRow, BenchSection } from './report.js';
import type { BenchContext, BenchEntry } from './run.js';
import { runWrk, type WrkResult } from './wrk.js';

const connections = 32;

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

/** wrk on Tend's URL and on the bare server's, one after the other, with the rows they give. */
export async function measureAgainstBare(
  context: BenchContext,
  options: {
    url: string;
    token: string;
    bodyBytes: number;
    label: string;
    minRatio?: number;
    maxP99Ms: number;
    minRps?: number;
  },
): Promise<{ rows: BenchRow[]; tend: WrkResult; bare: WrkResult }> {
  const bare = await context.bareHttp(options.bodyBytes);
  try {
    const headers = { authorization: `Bearer ${options.token}` };
    await runWrk({ url: options.url, seconds: 3, connections, headers }); // warm-up: JIT, caches
    await runWrk({ url: bare.url, seconds: 2, connections });
    const tend = await runWrk({ url: options.url, seconds: context.seconds, connections, headers });
    const bareResult = await runWrk({ url: bare.url, seconds: context.seconds, connections });
    const bareText = `bare Node http, ${options.bodyBytes} B JSON: ${bareResult.requestsPerSecond.toLocaleString('en')} req/s, p99 ${bareResult.p99Ms} ms`;
    context.baseline({ what: `bare Node http (${options.label} run)`, result: bareText });
    const ratio = tend.requestsPerSecond / bareResult.requestsPerSecond;
    const rows: BenchRow[] = [
      {
        what: `${options.label}: req/s (wrk -t1 -c${connections})`,
        result: `${tend.requestsPerSecond.toLocaleString('en')} req/s = ${ratio.toFixed(3)}× bare`,
        baseline: bareText,
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
        what: `${options.label}: latency`,
        result: `p50 ${tend.p50Ms} ms, p99 ${tend.p99Ms} ms`,
        baseline: `bare p50 ${bareResult.p50Ms} ms, p99 ${bareResult.p99Ms} ms`,
        target: `p99 ≤ ${options.maxP99Ms} ms`,
        pass: tend.p99Ms <= options.maxP99Ms,
      },
      {
        what: `${options.label}: errors`,
        result: `${tend.errors} of ${tend.requests.toLocaleString('en')} requests`,
        target: '0',
        pass: tend.errors === 0,
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
