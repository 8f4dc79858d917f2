// RecordVital over real gRPC (h2c): the health service hosted in-process by a GrpcServer, a
// client through createGrpcTransport, embedded vs real PostgreSQL.
//   node --import tsx bench/health-vitals.bench.ts [embedded|real|both] [seconds=5] [concurrency=16]
// `real` needs `eval "$(bash scripts/infra.sh env)"`. Client and server share the process (and
// the machine's 2 cores), so the numbers are a floor for a separate server. Loopback only;
// every load is bounded in time.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { Health } from '@tend/proto/grpc/health/v1/health';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { VitalInputSchema, VitalKind } from '@tend/proto/tend/health/v1/vitals';
import type { DatabaseTarget } from '@tend/testing';
import { bench, databaseTarget, insertTestUser, startHealthInProcess } from './health-in-process.js';
import { formatResult, runLoad, type LoadResult } from './load.js';

const [mode = 'both', secondsArg = '5', concurrencyArg = '16'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const targets = mode === 'both' ? [databaseTarget('embedded'), databaseTarget('real')] : [databaseTarget(mode)];
for (const target of targets) {
  for (const result of await benchTarget(target)) console.log(formatResult(result));
}

async function benchTarget(target: DatabaseTarget): Promise<LoadResult[]> {
  const health = await startHealthInProcess(target);
  const { context, server } = health;
  try {
    const people: string[] = [];
    for (let i = 0; i < 200; i++) people.push(await insertTestUser(context, bench));
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` });
    const client = createClient(HealthService, transport);
    const probe = createClient(Health, transport);
    const callerOf = (i: number) => create(CallerSchema, { userId: people[i % people.length]!, role: Role.USER });
    const heartRate = (i: number) =>
      create(VitalInputSchema, {
        kind: VitalKind.HEART_RATE,
        value: 60 + (i % 40),
        unit: '/min',
        measuredAt: timestampFromDate(new Date(Date.now() - i * 1000)),
      });
    const load = (name: string, call: (i: number) => Promise<unknown>) =>
      runLoad(`${name} [${target.kind}]`, call, { concurrency, seconds });
    // Warm-up: partitions, pools, JIT.
    await runLoad('warm-up', (i) => client.recordVital({ caller: callerOf(i), vital: heartRate(i) }), {
      concurrency,
      seconds: 1,
    });
    return [
      // Baseline: the same server and client with no database, to tell the machine from the method.
      await load('grpc.health.v1.Health/Check (no database)', () => probe.check({ service: '' })),
      await load('RecordVital (heart rate)', (i) => client.recordVital({ caller: callerOf(i), vital: heartRate(i) })),
      await load('RecordVital (BP, note encrypted)', (i) =>
        client.recordVital({
          caller: callerOf(i),
          vital: create(VitalInputSchema, {
            kind: VitalKind.BLOOD_PRESSURE,
            systolic: 110 + (i % 30),
            diastolic: 70 + (i % 15),
            note: 'after breakfast',
          }),
        }),
      ),
      await load('BatchRecordVitals (50 readings)', (i) =>
        client.batchRecordVitals({
          caller: callerOf(i),
          vitals: Array.from({ length: 50 }, (_, j) => heartRate(i * 50 + j)),
        }),
      ),
      await load('ListVitals (latest 20)', (i) => client.listVitals({ caller: callerOf(i), page: { limit: 20 } })),
      await load('GetVitalSummary (heart rate, 7 days)', (i) =>
        client.getVitalSummary({ caller: callerOf(i), kind: VitalKind.HEART_RATE }),
      ),
    ];
  } finally {
    await health.stop();
  }
}
