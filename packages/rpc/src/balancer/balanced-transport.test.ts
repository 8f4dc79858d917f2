import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { HealthService } from '@tend/proto/tend/health/v1/health_service';
import { GetUserResponseSchema } from '@tend/proto/tend/health/v1/people';
import { RecordVitalResponseSchema } from '@tend/proto/tend/health/v1/vitals';
import { describe, expect, it } from 'vitest';
import type { BalancingPolicy, UpstreamInstance } from '@tend/core';
import { createLogger } from '@tend/core';
import { BalancedTransport } from './balanced-transport.js';

/** Fake instances: each counts its calls and answers, or fails as the test says. */
function fleet(urls: string[]) {
  const calls = new Map<string, number>(urls.map((u) => [u, 0]));
  /** Instances with nothing listening: the connection is refused, the request never sent. */
  const down = new Set<string>();
  /** Instances that answer Unavailable after taking the request: it may have been applied. */
  const failing = new Set<string>();
  /** Instances whose connection dies mid-call, as a killed process's does. */
  const dropping = new Set<string>();
  /** Instances whose socket is reset under the call: the Node transport reports Aborted. */
  const resetting = new Set<string>();
  /** Instances that answer Aborted themselves. */
  const aborting = new Set<string>();
  const transportOf = (url: string): Transport => ({
    async unary(method, signal) {
      calls.set(url, calls.get(url)! + 1);
      if (signal?.aborted) throw new ConnectError('the caller cancelled', Code.Canceled);
      if (down.has(url)) {
        // As the Node transport reports it: the socket's error as the cause.
        const refused = Object.assign(new Error(`connect ECONNREFUSED ${url}`), { code: 'ECONNREFUSED' });
        throw new ConnectError(refused.message, Code.Unavailable, undefined, undefined, refused);
      }
      if (failing.has(url)) throw new ConnectError('upstream unavailable', Code.Unavailable);
      if (dropping.has(url)) throw new ConnectError('http/2 stream closed with error code CANCEL (0x8)', Code.Canceled);
      if (resetting.has(url)) {
        const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        throw new ConnectError(reset.message, Code.Aborted, undefined, undefined, reset);
      }
      if (aborting.has(url)) throw new ConnectError('the instance gave up on the call', Code.Aborted);
      const message = method.name === 'RecordVital' ? create(RecordVitalResponseSchema) : create(GetUserResponseSchema);
      return {
        stream: false,
        service: method.parent,
        method,
        header: new Headers(),
        trailer: new Headers(),
        message,
      } as never;
    },
    stream() {
      throw new Error('not used');
    },
  });
  return { calls, down, failing, dropping, resetting, aborting, transportOf };
}

function balancer(urls: (string | UpstreamInstance)[], policy: BalancingPolicy = 'round-robin') {
  const instances = urls.map((u) => (typeof u === 'string' ? { url: u, weight: 1, backup: false } : u));
  const f = fleet(instances.map((i) => i.url));
  const transport = new BalancedTransport({
    service: 'health',
    instances,
    policy,
    transportOf: f.transportOf,
    logger: createLogger({ level: 'silent' }),
  });
  return { ...f, transport, client: createClient(HealthService, transport) };
}

const asPerson = (userId: string) => ({ caller: { userId } });

describe('balanced transport', () => {
  it('spreads calls evenly round-robin', async () => {
    const { client, calls } = balancer(['http://a', 'http://b', 'http://c']);
    for (let i = 0; i < 30; i++) await client.getUser({});
    expect([...calls.values()]).toEqual([10, 10, 10]);
  });

  it('spreads by weight, interleaved', async () => {
    const { client, calls } = balancer(
      [
        { url: 'http://a', weight: 5, backup: false },
        { url: 'http://b', weight: 1, backup: false },
        { url: 'http://c', weight: 1, backup: false },
      ],
      'weighted',
    );
    for (let i = 0; i < 70; i++) await client.getUser({});
    expect([...calls.values()]).toEqual([50, 10, 10]);
  });

  it('keeps a person on one instance with consistent hashing, and moves only the people of one that left', async () => {
    const { client, calls, down } = balancer(['http://a', 'http://b', 'http://c'], 'consistent-hash');
    const people = Array.from({ length: 60 }, (_, i) => `person-${i}`);
    const placeOf = async (person: string) => {
      const before = new Map(calls);
      await client.getUser(asPerson(person));
      return [...calls].find(([url, n]) => n > before.get(url)! && !down.has(url))![0];
    };
    const first = new Map<string, string>();
    for (const person of people) first.set(person, await placeOf(person));
    for (const person of people) expect(await placeOf(person)).toBe(first.get(person));
    expect(new Set(first.values()).size).toBe(3);
  });

  it('retries an idempotent call on another instance when its instance failed, but never a write without a key', async () => {
    const { client, failing } = balancer(['http://a', 'http://b']);
    failing.add('http://a');
    for (let i = 0; i < 4; i++) await expect(client.getUser({})).resolves.toBeDefined();
    const { client: writer, failing: writerFailing, calls } = balancer(['http://a', 'http://b']);
    writerFailing.add('http://a');
    const outcomes = await Promise.allSettled([writer.recordVital({}), writer.recordVital({})]);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    expect(calls.get('http://a')).toBe(1);
    await expect(writer.recordVital({ idempotencyKey: 'k-1' })).resolves.toBeDefined();
  });

  it('sends any call, a write without a key too, to another instance when its connection was refused', async () => {
    const { client, down, calls } = balancer(['http://a', 'http://b']);
    down.add('http://a');
    const outcomes = await Promise.allSettled([client.recordVital({}), client.recordVital({})]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    // The refused one was tried on a first, then answered by b; b took both.
    expect(calls.get('http://a')).toBe(1);
    expect(calls.get('http://b')).toBe(2);
  });

  it('retries an idempotent call whose connection died mid-call, but not one its caller cancelled', async () => {
    const { client, dropping, calls } = balancer(['http://a', 'http://b']);
    dropping.add('http://a');
    for (let i = 0; i < 4; i++) await expect(client.getUser({})).resolves.toBeDefined();
    const callsBefore = [...calls.values()].reduce((a, b) => a + b);
    const cancelled = new AbortController();
    cancelled.abort();
    await expect(client.getUser({}, { signal: cancelled.signal })).rejects.toMatchObject({ code: Code.Canceled });
    expect([...calls.values()].reduce((a, b) => a + b)).toBe(callsBefore + 1);
  });

  it('answers a write whose connection was reset mid-call Unavailable (503, retryable), not Aborted (409)', async () => {
    const { client, resetting, aborting, calls } = balancer(['http://a']);
    resetting.add('http://a');
    // It may have been applied: not sent again, and said to be the instance's failure.
    await expect(client.recordVital({})).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls.get('http://a')).toBe(1);
    resetting.delete('http://a');
    aborting.add('http://a');
    await expect(client.recordVital({})).rejects.toMatchObject({ code: Code.Aborted });
    const { client: reader, resetting: readerResetting } = balancer(['http://a', 'http://b']);
    readerResetting.add('http://a');
    for (let i = 0; i < 4; i++) await expect(reader.getUser({})).resolves.toBeDefined();
  });

  it('takes an instance out after 3 failures in a row, then sends it nothing until its trial', async () => {
    const { client, calls, down, transport } = balancer(['http://a', 'http://b']);
    down.add('http://a');
    for (let i = 0; i < 10; i++) await client.getUser({});
    expect(calls.get('http://a')).toBe(3);
    const a = transport.status().instances.find((i) => i.url === 'http://a')!;
    expect(a).toMatchObject({ healthy: false, breaker: 'open' });
  });

  it('uses a backup only while no primary is in', async () => {
    const { client, calls, down } = balancer(['http://a', { url: 'http://spare', weight: 1, backup: true }]);
    for (let i = 0; i < 5; i++) await client.getUser({});
    expect(calls.get('http://spare')).toBe(0);
    down.add('http://a');
    for (let i = 0; i < 5; i++) await client.getUser({});
    expect(calls.get('http://spare')).toBe(5);
  });

  it('does not count a refused call against the instance', async () => {
    const refusing: Transport = {
      unary: () => Promise.reject(new ConnectError('no', Code.PermissionDenied)),
      stream: () => Promise.reject(new Error('not used')),
    };
    const only = new BalancedTransport({
      service: 'health',
      instances: [{ url: 'http://a', weight: 1, backup: false }],
      policy: 'round-robin',
      transportOf: () => refusing,
      logger: createLogger({ level: 'silent' }),
    });
    const client = createClient(HealthService, only);
    for (let i = 0; i < 5; i++) await expect(client.getUser({})).rejects.toThrow(/no/);
    expect(only.status().instances[0]).toMatchObject({ healthy: true, breaker: 'closed' });
  });
});
