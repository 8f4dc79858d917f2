// The floor under every service call: grpc.health.v1.Health/Check against a running Tend.
//   npm start &   then   node --import tsx bench/grpc-health.bench.ts [port=50053] [concurrency=32] [seconds=5]
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Health } from '@tend/proto/grpc/health/v1/health';
import { formatResult, runLoad } from './load.js';

const [port = '50053', concurrency = '32', seconds = '5'] = process.argv.slice(2);
const client = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
await client.check({});
for (const c of [1, Number(concurrency)]) {
  const result = await runLoad(`Health/Check, ${c} in flight`, () => client.check({}), {
    concurrency: c,
    seconds: Number(seconds),
  });
  console.log(formatResult(result));
}
