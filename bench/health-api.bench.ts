// The health service's main calls over real gRPC, against the real binary.
//   npm run bench:health -- embedded            # tend serve --target=health on embedded PostgreSQL
//   npm run bench:health -- real                # on TEST_DATABASE_URL (+ replica) and TEST_REDIS_URL
// Options after the mode: [seconds=5] [concurrency=16]. Servers run on loopback only; every load
// is bounded in time.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { ScheduleSchema } from '@tend/proto/tend/health/v1/medications';
import { VitalInputSchema, VitalKind } from '@tend/proto/tend/health/v1/vitals';
import { formatResult, runLoad, type LoadResult } from './load.js';

const [mode = 'embedded', secondsArg = '5', concurrencyArg = '16'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const port = 18553;
const adminPort = 18554;

const env: Record<string, string> = { HEALTH_PORT: String(port), ADMIN_PORT: String(adminPort), LOG_LEVEL: 'warn' };
const dataDir = await mkdtemp(join(tmpdir(), 'tend-bench-'));
env.TEND_DATA_DIR = dataDir;
if (mode === 'real') {
  const { TEST_DATABASE_URL, TEST_DATABASE_REPLICA_URLS, TEST_REDIS_URL } = process.env;
  if (!TEST_DATABASE_URL) throw new Error('run `eval "$(bash scripts/infra.sh env)"` first');
  Object.assign(env, {
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_REPLICA_URLS: TEST_DATABASE_REPLICA_URLS ?? '',
    REDIS_URL: TEST_REDIS_URL ?? '',
    TEND_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    TEND_BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
  });
}
const server = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts', 'serve', '--target=health'], {
  env: { ...process.env, ...env },
  stdio: ['ignore', 'inherit', 'inherit'],
});
try {
  await waitForReady(`http://127.0.0.1:${adminPort}/readyz`);
  const client = createClient(HealthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  const gateway = create(CallerSchema, { role: Role.SERVICE, service: 'bench' });

  // People to read and write for: each has a medication and a reading.
  const people: string[] = [];
  for (let i = 0; i < 200; i++) {
    const { user } = await client.createUser({
      caller: gateway,
      email: `bench-${i}-${randomBytes(3).toString('hex')}@example.test`,
      password: 'correct horse battery staple',
      displayName: `Bench ${i}`,
      timeZone: 'Europe/Berlin',
      locale: 'en',
    });
    const id = user!.id;
    people.push(id);
    await client.createMedication({
      caller: create(CallerSchema, { userId: id, role: Role.USER }),
      name: 'Metformin',
      dose: 500,
      doseUnit: 'mg',
      schedule: create(ScheduleSchema, { times: ['08:00', '20:00'] }),
    });
  }
  const callerOf = (i: number) => create(CallerSchema, { userId: people[i % people.length]!, role: Role.USER });
  const load = (name: string, call: (i: number) => Promise<unknown>, maxCalls?: number) =>
    runLoad(name, call, { concurrency, seconds, maxCalls });

  const results: LoadResult[] = [];
  // First reads of each profile miss the cache; repeated reads hit it.
  results.push(
    await load('GetUser, cache miss (first read)', (i) => client.getUser({ caller: callerOf(i) }), people.length),
  );
  results.push(await load('GetUser, cached', (i) => client.getUser({ caller: callerOf(i) })));
  results.push(await load('ListMedications, cached', (i) => client.listMedications({ caller: callerOf(i) })));
  results.push(
    await load('RecordVital (heart rate)', (i) =>
      client.recordVital({
        caller: callerOf(i),
        vital: create(VitalInputSchema, {
          kind: VitalKind.HEART_RATE,
          value: 60 + (i % 40),
          unit: '/min',
          measuredAt: timestampFromDate(new Date(Date.now() - i * 1000)),
        }),
      }),
    ),
  );
  results.push(
    await load('ListVitals (latest 20)', (i) => client.listVitals({ caller: callerOf(i), page: { limit: 20 } })),
  );
  console.log(`\nhealth over gRPC, ${mode} PostgreSQL, ${concurrency} in flight, ${seconds} s each`);
  for (const result of results) console.log(formatResult(result));
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}

async function waitForReady(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not become ready`);
}
