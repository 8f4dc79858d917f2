// The health service's main calls over real gRPC, against the real binary.
//   npm run bench:health -- embedded            # tend serve --target=health on embedded PostgreSQL
//   npm run bench:health -- real                # on TEST_DATABASE_URL (+ replica) and TEST_REDIS_URL
// Options after the mode: [seconds=5] [concurrency=16]. The load comes from ghz (bench/ghz.ts). Servers run on loopback only; every load
// is bounded in time.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { ScheduleSchema } from '@tend/proto/tend/health/v1/medications';
import { compiledTendArgs } from '@tend/testing';
import { ghzBinary, runGhz, tendProtoset } from './ghz.js';
import { formatResult, waitForReady, type LoadResult } from './load.js';

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
const server = spawn(process.execPath, [...compiledTendArgs(), 'serve', '--target=health'], {
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
  // The load itself comes from ghz (see ghz.ts): the Connect client above would cost more CPU
  // per call than the server and share the same two cores.
  const [ghz, protoset] = await Promise.all([ghzBinary(), tendProtoset()]);
  const target = `127.0.0.1:${port}`;
  const asPerson = people.map((userId) => ({ caller: { userId, role: 'ROLE_USER' } }));
  const load = (name: string, call: string, data: unknown, total?: number) =>
    runGhz(ghz, protoset, target, {
      name,
      call: `tend.health.v1.HealthService/${call}`,
      data,
      concurrency,
      seconds,
      total,
    });

  const results: LoadResult[] = [];
  // The first read of each profile misses the cache; repeated reads hit it.
  results.push(await load('GetUser, cache miss (first read)', 'GetUser', asPerson, people.length));
  results.push(await load('GetUser, cached', 'GetUser', asPerson));
  results.push(await load('ListMedications, cached', 'ListMedications', asPerson));
  results.push(
    await load(
      'RecordVital (heart rate)',
      'RecordVital',
      asPerson.map((request, i) => ({
        ...request,
        vital: { kind: 'VITAL_KIND_HEART_RATE', value: 60 + (i % 40), unit: '/min' },
      })),
    ),
  );
  results.push(
    await load(
      'ListVitals (latest 20)',
      'ListVitals',
      asPerson.map((request) => ({ ...request, page: { limit: 20 } })),
    ),
  );
  console.log(`\nhealth over gRPC, ${mode} PostgreSQL, ${concurrency} in flight, ${seconds} s each`);
  for (const result of results) console.log(formatResult(result));
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
