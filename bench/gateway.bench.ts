// The gateway under load, all-in-one, as a client sees it: authenticated GET /api/v1/medications
// served from the health service's cache, through auth, the access table, the rate limiter and the
// in-process call. The load generator (autocannon) runs in this process, on the same two cores.
//   npm run bench:gateway                  # [seconds=10] [connections=32] [fixed rate=3000]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { waitForReady } from './load.js';

const [secondsArg = '10', connectionsArg = '32', rateArg = '3000'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const fixedRate = Number(rateArg);
const port = 18780;
const base = `http://127.0.0.1:${port}`;

const dataDir = await mkdtemp(join(tmpdir(), 'tend-bench-gw-'));
const server = spawn(
  process.execPath,
  [
    ...(process.env.TEND_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.TEND_BENCH_PROFILE}`] : []),
    '--import',
    'tsx',
    'apps/server/src/main.ts',
    'serve',
    '--target=all',
  ],
  {
    env: {
      ...process.env,
      TEND_DATA_DIR: dataDir,
      GATEWAY_PORT: String(port),
      ...Object.fromEntries(
        ['VOICE', 'CONVERSATION', 'HEALTH', 'NOTIFICATION', 'EXTERNAL'].map((s, i) => [`${s}_PORT`, String(18751 + i)]),
      ),
      LOG_LEVEL: 'warn',
      // One person sends all the load here; the limiter still counts every request.
      RATE_LIMIT_PER_MINUTE: '100000000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
try {
  await waitForReady(`${base}/readyz`);
  const registered = await post('/api/v1/auth/register', {
    email: `bench-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
    displayName: 'Bench',
    timezone: 'Europe/Berlin',
  });
  const token = registered.accessToken as string;
  for (const name of ['Metformin', 'Lisinopril', 'Atorvastatin']) {
    await post('/api/v1/medications', { name, dose: 10, unit: 'mg', schedule: { times: ['08:00', '20:00'] } }, token);
  }
  const target = {
    url: `${base}/api/v1/medications`,
    headers: { authorization: `Bearer ${token}` },
    connections,
  };
  await run({ ...target, duration: 2 }); // warm-up: JIT, caches
  const max = await run({ ...target, duration: seconds });
  const paced = await run({ ...target, duration: seconds, overallRate: fixedRate });
  console.log(`\ngateway, all-in-one, GET /api/v1/medications (cache hit), ${connections} connections, ${seconds} s`);
  console.log(line('as fast as it goes', max));
  console.log(line(`fixed ${fixedRate} req/s`, paced));
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error: unknown, result) =>
      error
        ? reject(error instanceof Error ? error : new Error('autocannon failed', { cause: error }))
        : resolve(result),
    );
  });
}

function line(name: string, r: autocannon.Result): string {
  const l = r.latency;
  return `${name.padEnd(22)} ${Math.round(r.requests.average).toString().padStart(6)} req/s  p50 ${l.p50} ms  p97.5 ${l.p97_5} ms  p99 ${l.p99} ms  (${r.requests.total} requests, ${r.errors} errors, ${r.non2xx} non-2xx)`;
}

async function post(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}
