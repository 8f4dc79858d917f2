// The gateway under load, all-in-one, as a client sees it: authenticated GET /api/v1/medications
// served from the health service's cache, through auth, the access table, the rate limiter and the
// in-process call. The load generator (autocannon) runs in this process, on the same two cores.
//   npm run bench:gateway                  # [seconds=10] [connections=32] [fixed rate=3000]
import autocannon from 'autocannon';
import { startAllInOne } from './all-in-one.js';

const [secondsArg = '10', connectionsArg = '32', rateArg = '3000'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const fixedRate = Number(rateArg);
const base = `http://127.0.0.1:18780`;

const tend = await startAllInOne({ gatewayPort: 18780, firstServicePort: 18751 });
try {
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
  await tend.stop();
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
