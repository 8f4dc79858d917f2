// Weather answers through the gateway of the all-in-one binary, as a client sees them:
// authenticated GET /api/v1/weather?location=lat,lon. "cached": one place, answered from the
// weather cache (after the first call). "uncached": every request a new place (coordinates a
// cache cell apart), so each one goes to the provider — here a loopback Open-Meteo speaking its
// real API in this process, on the same two cores, so its JSON work is part of the figure.
//   npm run bench:weather                  # [seconds=10] [connections=16]
import autocannon from 'autocannon';
import { FakeOpenMeteo } from '@tend/external/testing';
import { startAllInOne } from './all-in-one.js';

const [secondsArg = '10', connectionsArg = '16'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const gatewayPort = 8084;
const base = `http://127.0.0.1:${gatewayPort}`;

const fake = await new FakeOpenMeteo().start();
const tend = await startAllInOne({
  gatewayPort,
  firstServicePort: 40451,
  env: { WEATHER_BASE_URL: fake.url, GEOCODING_BASE_URL: fake.url, AIR_QUALITY_BASE_URL: fake.url },
});
try {
  const registered = await post('/api/v1/auth/register', {
    email: `bench-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
    displayName: 'Bench',
    timezone: 'Europe/Berlin',
  });
  const headers = { authorization: `Bearer ${registered.accessToken as string}` };
  const cached = { url: `${base}/api/v1/weather?location=52.52,13.41`, headers, connections };
  let next = 0;
  const uncached = {
    url: base,
    headers,
    connections,
    requests: [
      {
        method: 'GET' as const,
        setupRequest: (request: autocannon.Request) => {
          const i = next++;
          // 0.01° apart: a new cache cell every time.
          const latitude = (-60 + Math.floor(i / 30_000) * 0.01).toFixed(2);
          const longitude = (-150 + (i % 30_000) * 0.01).toFixed(2);
          return { ...request, path: `/api/v1/weather?location=${latitude},${longitude}` };
        },
      },
    ],
  };
  await run({ ...cached, duration: 2 }); // warm-up: JIT, the cache entry
  const hit = await run({ ...cached, duration: seconds });
  const before = fake.requests.forecast;
  const miss = await run({ ...uncached, duration: seconds });
  console.log(`\nweather, all-in-one, GET /api/v1/weather, ${connections} connections, ${seconds} s`);
  console.log(line('cached (one place)', hit));
  console.log(line('uncached (new places)', miss));
  console.log(`provider calls during the uncached run: ${fake.requests.forecast - before}`);
} finally {
  await tend.stop();
  await fake.stop();
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
  return `${name.padEnd(24)} ${Math.round(r.requests.average).toString().padStart(6)} req/s  p50 ${l.p50} ms  p97.5 ${l.p97_5} ms  p99 ${l.p99} ms  (${r.requests.total} requests, ${r.errors} errors, ${r.non2xx} non-2xx)`;
}

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}
