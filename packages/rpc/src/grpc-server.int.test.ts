import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type ConnectRouter, type Transport } from '@connectrpc/connect';
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from '@connectrpc/connect-node';
import { Health } from '@tend/proto/grpc/health/v1/health';
import { UserSchema } from '@tend/proto/tend/health/v1/people';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError, fieldViolationsOf } from '@tend/core';
import { createLogger } from '@tend/core';
import { Metrics } from '@tend/core';
import { GrpcServer } from './grpc-server.js';
import { ServingStatus } from './health-checks.js';
import { neverSent } from './balancer/balanced-transport.js';
import { createGrpcClientTransport } from './grpc-unary-client.js';
import { createInProcessTransport } from './in-process-transport.js';
import { serverInterceptor } from './interceptors.js';

// One service, reached through every protocol its server speaks (plain unary gRPC takes the lean
// path; compressed gRPC, gRPC-Web and Connect go through Connect-ES) and in-process. Callers must
// not see a difference.
const metrics = new Metrics();
const logger = createLogger({ level: 'silent' });
const routes = (router: ConnectRouter): void => {
  router.service(HealthService, {
    async getUser(request, context) {
      const userId = request.caller?.userId ?? '';
      if (userId === 'invalid') throw new ValidationError([{ field: 'caller.user_id', message: 'must be a UUID' }]);
      if (userId === 'slow') await sleep(2_000, undefined, { signal: context.signal }).catch(() => undefined);
      context.responseHeader.set('x-served-for', userId);
      const seen = context.requestHeader.get('x-client') ?? '';
      return { user: create(UserSchema, { id: userId, displayName: `seen ${seen}` }) };
    },
  });
};
const server = new GrpcServer({
  name: 'health',
  host: '127.0.0.1',
  port: 0,
  serviceNames: [HealthService.typeName],
  logger,
  metrics,
  routes,
});

beforeAll(() => server.start());
afterAll(() => server.stop());

const baseUrl = (): string => `http://127.0.0.1:${server.port}`;
const transports: Record<string, () => Transport> = {
  'gRPC (lean unary path)': () => createGrpcTransport({ baseUrl: baseUrl() }),
  "gRPC, Tend's lean client on the lean unary path": () => createGrpcClientTransport({ baseUrl: baseUrl() }),
  'gRPC, gzip-compressed': () =>
    createGrpcTransport({ baseUrl: baseUrl(), sendCompression: compressionGzip, compressMinBytes: 0 }),
  'gRPC-Web': () => createGrpcWebTransport({ baseUrl: baseUrl(), httpVersion: '2' }),
  Connect: () => createConnectTransport({ baseUrl: baseUrl(), httpVersion: '2' }),
  'the in-process transport': () =>
    createInProcessTransport({
      routes,
      serverInterceptors: [serverInterceptor({ service: 'health', metrics, logger })],
    }),
};

describe.each(Object.entries(transports))('a unary call over %s', (_protocol, transport) => {
  const client = () => createClient(HealthService, transport());

  it('reaches the implementation with its headers and returns its response headers', async () => {
    let served = '';
    const response = await client().getUser(
      { caller: { userId: 'u-1' } },
      { headers: { 'x-client': 'test' }, onHeader: (headers) => (served = headers.get('x-served-for') ?? '') },
    );
    expect(response.user?.displayName).toBe('seen test');
    expect(served).toBe('u-1');
  });

  it('answers a domain error with its code and the violated field', async () => {
    const error = await failureOf(client().getUser({ caller: { userId: 'invalid' } }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(fieldViolationsOf(error)).toEqual([{ field: 'caller.user_id', message: 'must be a UUID' }]);
  });

  it('gives up at the deadline the client set', async () => {
    const began = performance.now();
    const error = await failureOf(client().getUser({ caller: { userId: 'slow' } }, { timeoutMs: 200 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(performance.now() - began).toBeLessThan(1_500);
  });

  it('says a method without an implementation is unimplemented', async () => {
    const error = await failureOf(client().getVital({}));
    expect(error.code).toBe(Code.Unimplemented);
  });
});

describe('the lean unary path', () => {
  it('refuses a message above the size limit and keeps serving', async () => {
    const client = createClient(HealthService, createGrpcTransport({ baseUrl: baseUrl() }));
    const error = await failureOf(client.getUser({ caller: { userId: 'x'.repeat(5 * 1024 * 1024) } }));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect((await client.getUser({ caller: { userId: 'after' } })).user?.id).toBe('after');
  });

  it('counts its calls in the request metrics like any other call', async () => {
    const client = createClient(HealthService, createGrpcTransport({ baseUrl: baseUrl() }));
    await client.getUser({ caller: { userId: 'counted' } });
    const counted = (await metrics.requests.get()).values.find(
      (v) => v.labels.method === 'GetUser' && v.labels.code === 'ok',
    );
    expect(counted?.value).toBeGreaterThan(0);
  });

  it('leaves server streams to Connect-ES', async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: baseUrl() }));
    let first: ServingStatus | undefined;
    for await (const update of client.watch({ service: HealthService.typeName })) {
      first = update.status;
      break; // leaving the loop cancels the stream
    }
    expect(first).toBe(ServingStatus.SERVING);
  });
});

describe("Tend's lean gRPC client", () => {
  const client = () => createClient(HealthService, createGrpcClientTransport({ baseUrl: baseUrl() }));

  it('reports a refused connection as Unavailable with the cause the balancer reads as never sent', async () => {
    const closed = new GrpcServer({
      name: 'health',
      host: '127.0.0.1',
      port: 0,
      serviceNames: [],
      logger,
      metrics,
      routes,
    });
    await closed.start();
    const port = closed.port;
    await closed.stop();
    const transport = createGrpcClientTransport({ baseUrl: `http://127.0.0.1:${port}` });
    const error = await failureOf(createClient(HealthService, transport).getUser({ caller: { userId: 'u' } }));
    expect(error.code).toBe(Code.Unavailable);
    expect(neverSent(error)).toBe(true);
  });

  it('stops a call its caller cancels, as Canceled, and keeps serving', async () => {
    const cancel = new AbortController();
    const call = client().getUser({ caller: { userId: 'slow' } }, { signal: cancel.signal });
    setTimeout(() => cancel.abort(), 100);
    expect((await failureOf(call)).code).toBe(Code.Canceled);
    expect((await client().getUser({ caller: { userId: 'after' } })).user?.id).toBe('after');
  });

  it('runs its interceptors around each call, with the request headers they set', async () => {
    const seen: string[] = [];
    const transport = createGrpcClientTransport({
      baseUrl: baseUrl(),
      interceptors: [
        (next) => async (request) => {
          request.header.set('x-client', 'intercepted');
          const response = await next(request);
          seen.push(`${request.method.name} ${response.header.get('x-served-for')}`);
          return response;
        },
      ],
    });
    const response = await createClient(HealthService, transport).getUser({ caller: { userId: 'i-1' } });
    expect(response.user?.displayName).toBe('seen intercepted');
    expect(seen).toEqual(['GetUser i-1']);
  });

  it('refuses an answer above its message limit', async () => {
    const transport = createGrpcClientTransport({ baseUrl: baseUrl(), maxMessageBytes: 64 });
    const error = await failureOf(
      createClient(HealthService, transport).getUser({ caller: { userId: 'y'.repeat(200) } }),
    );
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it('sends server streams through Connect-ES on the same connection', async () => {
    const health = createClient(Health, createGrpcClientTransport({ baseUrl: baseUrl() }));
    expect((await health.check({ service: HealthService.typeName })).status).toBe(ServingStatus.SERVING);
    for await (const update of health.watch({ service: HealthService.typeName })) {
      expect(update.status).toBe(ServingStatus.SERVING);
      break;
    }
  });
});

async function failureOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('the call succeeded');
}

describe('gRPC health that follows readiness', () => {
  let ready = true;
  const followed = new GrpcServer({
    name: 'health',
    host: '127.0.0.1',
    port: 0,
    serviceNames: [HealthService.typeName, 'tend.voice.v1.VoiceService'],
    logger,
    metrics,
    routes,
    ready: async () => ready,
    readinessIntervalMs: 60_000,
  });
  const health = () => createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${followed.port}` }));
  const status = async (service: string) => ServingStatus[(await health().check({ service })).status];

  beforeAll(() => followed.start());
  afterAll(() => followed.stop());

  it('says SERVING only while ready, and NOT_SERVING as soon as it is not', async () => {
    ready = true;
    await followed.probe();
    expect(await status(HealthService.typeName)).toBe('SERVING');
    ready = false;
    await followed.probe();
    expect(await status(HealthService.typeName)).toBe('NOT_SERVING');
    ready = true;
    await followed.probe();
    expect(await status(HealthService.typeName)).toBe('SERVING');
  });

  it('never says SERVING for a service it has no implementation of, nor for the server as a whole then', async () => {
    ready = true;
    await followed.probe();
    expect(await status('tend.voice.v1.VoiceService')).toBe('NOT_SERVING');
    expect(await status('')).toBe('NOT_SERVING');
  });

  it('answers NOT_FOUND for a service it does not host, as the protocol says', async () => {
    const error = await failureOf(health().check({ service: 'no.such.v1.Service' }));
    expect(error.code).toBe(Code.NotFound);
  });

  it('says NOT_SERVING from the moment it starts draining, and a late probe does not undo it', async () => {
    let slowReady = true;
    const draining = new GrpcServer({
      name: 'health',
      host: '127.0.0.1',
      port: 0,
      serviceNames: [HealthService.typeName],
      logger,
      metrics,
      routes,
      ready: async () => slowReady,
    });
    await draining.start();
    expect(draining.health.get('')).toBe(ServingStatus.SERVING);
    const client = createClient(HealthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${draining.port}` }));
    const inFlight = client.getUser({ caller: { userId: 'slow' } });
    await sleep(100);
    let drained = false;
    const stopped = draining.stop().then(() => (drained = true));
    await sleep(50);
    expect(drained, 'the slow call is still being drained').toBe(false);
    expect(draining.health.get('')).toBe(ServingStatus.NOT_SERVING);
    slowReady = true;
    await draining.probe();
    expect(draining.health.get('')).toBe(ServingStatus.NOT_SERVING);
    expect((await inFlight).user?.id).toBe('slow');
    await stopped;
  });
});
