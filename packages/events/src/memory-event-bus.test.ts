import { afterEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '@tend/core';
import { createLogger } from '@tend/core';
import type { CloudEvent } from './cloud-event.js';
import { MemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus.js';

const logger = createLogger({ level: 'silent' });
const buses: MemoryEventBus[] = [];

async function startBus(options: Partial<MemoryEventBusOptions> = {}): Promise<MemoryEventBus> {
  const bus = new MemoryEventBus({ logger, retry: { initialDelayMs: 5, maxDelayMs: 20 }, ...options });
  await bus.start();
  buses.push(bus);
  return bus;
}

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop()));
});

let counter = 0;
function event(key: string, data: unknown = null): CloudEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `e-${counter}`,
    source: '/tend/test',
    type: 'tend.test.happened',
    time: new Date(0).toISOString(),
    datacontenttype: 'application/json',
    data,
    partitionkey: key,
  };
}

function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('condition not met in time'));
      else setTimeout(check, 2);
    };
    check();
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MemoryEventBus', () => {
  it("delivers one person's events in publish order while other people's proceed in parallel", async () => {
    const bus = await startBus();
    const seen = new Map<string, number[]>();
    let running = 0;
    let maxRunning = 0;
    await bus.subscribe({
      topic: 't',
      group: 'g',
      handler: async (e) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await pause(Math.random() * 3);
        const list = seen.get(e.partitionkey) ?? [];
        list.push(e.data as number);
        seen.set(e.partitionkey, list);
        running -= 1;
      },
    });
    const keys = ['ann', 'bob', 'cy', 'dee', 'eve'];
    const sent = Array.from({ length: 200 }, (_, i) => ({ topic: 't', event: event(keys[i % keys.length]!, i) }));
    for (let i = 0; i < sent.length; i += 17) await bus.publish(sent.slice(i, i + 17));
    await until(() => [...seen.values()].reduce((n, list) => n + list.length, 0) === 200);
    for (const key of keys) {
      const expected = sent.filter((s) => s.event.partitionkey === key).map((s) => s.event.data);
      expect(seen.get(key)).toEqual(expected);
    }
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(keys.length);
  });

  it('delivers an event again after its handler threw, holding back only that key', async () => {
    const bus = await startBus();
    const handled: string[] = [];
    let failuresLeft = 3;
    await bus.subscribe({
      topic: 't',
      group: 'g',
      handler: async (e) => {
        if (e.data === 'flaky' && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('database hiccup');
        }
        handled.push(e.data as string);
      },
    });
    await bus.publish([
      { topic: 't', event: event('ann', 'flaky') },
      { topic: 't', event: event('ann', 'after-flaky') },
      { topic: 't', event: event('bob', 'bob-1') },
      { topic: 't', event: event('bob', 'bob-2') },
    ]);
    await until(() => handled.length === 4);
    expect(failuresLeft).toBe(0);
    // bob's events did not wait for ann's retries; ann's second event waited for her first.
    expect(handled.indexOf('bob-2')).toBeLessThan(handled.indexOf('flaky'));
    expect(handled.indexOf('flaky')).toBeLessThan(handled.indexOf('after-flaky'));
  });

  it('gives every consumer group every event, and each event to one member of a group', async () => {
    const bus = await startBus();
    const byGroup = new Map<string, string[]>();
    const record = (group: string) => async (e: CloudEvent) => {
      byGroup.set(group, [...(byGroup.get(group) ?? []), e.id]);
    };
    const memberCalls = [0, 0];
    await bus.subscribe({ topic: 't', group: 'notification', handler: record('notification') });
    for (const i of [0, 1]) {
      await bus.subscribe({
        topic: 't',
        group: 'analytics',
        handler: async (e) => {
          memberCalls[i]! += 1;
          await record('analytics')(e);
        },
      });
    }
    const sent = Array.from({ length: 50 }, (_, i) => ({ topic: 't', event: event(`p${i % 7}`) }));
    await bus.publish(sent);
    await until(
      () => (byGroup.get('notification')?.length ?? 0) === 50 && (byGroup.get('analytics')?.length ?? 0) === 50,
    );
    const ids = sent.map((s) => s.event.id).sort();
    expect([...byGroup.get('notification')!].sort()).toEqual(ids);
    expect([...byGroup.get('analytics')!].sort()).toEqual(ids);
    expect(memberCalls[0]).toBeGreaterThan(0);
    expect(memberCalls[1]).toBeGreaterThan(0);
  });

  it('hands each group its own copy of the event', async () => {
    const bus = await startBus();
    const copies: CloudEvent[] = [];
    for (const group of ['a', 'b']) {
      await bus.subscribe({
        topic: 't',
        group,
        handler: async (e) => {
          (e.data as { n: number }).n += 1;
          copies.push(e);
        },
      });
    }
    await bus.publish([{ topic: 't', event: event('ann', { n: 1 }) }]);
    await until(() => copies.length === 2);
    expect(copies.map((c) => (c.data as { n: number }).n)).toEqual([2, 2]);
  });

  it('rejects a whole batch when a group is full, so the outbox keeps it', async () => {
    const bus = await startBus({ maxPendingPerGroup: 3 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: unknown[] = [];
    await bus.subscribe({
      topic: 't',
      group: 'slow',
      handler: async (e) => {
        await gate;
        handled.push(e.data);
      },
    });
    const first = bus.publish([
      { topic: 't', event: event('ann', 1) },
      { topic: 't', event: event('ann', 2) },
    ]);
    await expect(
      bus.publish([
        { topic: 't', event: event('ann', 3) },
        { topic: 't', event: event('ann', 4) },
      ]),
    ).rejects.toBeInstanceOf(UnavailableError);
    release();
    await first;
    expect(handled).toHaveLength(2);
    await bus.publish([
      { topic: 't', event: event('ann', 3) },
      { topic: 't', event: event('ann', 4) },
    ]);
    expect(handled).toEqual([1, 2, 3, 4]);
  });

  it('replays recent events to a group that subscribes after they were published', async () => {
    const bus = await startBus({ replayPerTopic: 2 });
    await bus.publish([1, 2, 3].map((n) => ({ topic: 't', event: event('ann', n) })));
    const seen: unknown[] = [];
    await bus.subscribe({ topic: 't', group: 'late', handler: async (e) => void seen.push(e.data) });
    await until(() => seen.length === 2);
    expect(seen).toEqual([2, 3]);
  });

  it('keeps undelivered events of a group for its next member after the last one left', async () => {
    const bus = await startBus({ replayPerTopic: 0 });
    const first: unknown[] = [];
    const sub = await bus.subscribe({
      topic: 't',
      group: 'g',
      handler: async (e) => {
        if (e.data === 2) throw new Error('crash before finishing');
        first.push(e.data);
      },
    });
    const published = bus.publish([1, 2, 3].map((n) => ({ topic: 't', event: event('ann', n) })));
    // Not all handled when the group empties: the relay must keep the rows and publish them again.
    const refused = expect(published).rejects.toBeInstanceOf(UnavailableError);
    await until(() => first.length === 1);
    await sub.close();
    await refused;
    const second: unknown[] = [];
    await bus.subscribe({ topic: 't', group: 'g', handler: async (e) => void second.push(e.data) });
    await until(() => second.length === 2);
    expect([first, second]).toEqual([[1], [2, 3]]);
  });

  it('closing a subscription waits for its running handler and calls it no more', async () => {
    const bus = await startBus();
    let calls = 0;
    let finished = false;
    const sub = await bus.subscribe({
      topic: 't',
      group: 'g',
      handler: async () => {
        calls += 1;
        await pause(30);
        finished = true;
      },
    });
    const published = bus.publish([
      { topic: 't', event: event('ann') },
      { topic: 't', event: event('ann') },
    ]);
    const refused = expect(published).rejects.toBeInstanceOf(UnavailableError);
    await until(() => calls === 1);
    await sub.close();
    await refused;
    expect(finished).toBe(true);
    await pause(50);
    expect(calls).toBe(1);
  });

  it('acknowledges a publish only once every group has handled it', async () => {
    const bus = await startBus();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    await bus.subscribe({ topic: 't', group: 'fast', handler: async () => void handled.push('fast') });
    await bus.subscribe({
      topic: 't',
      group: 'slow',
      handler: async () => {
        await gate;
        handled.push('slow');
      },
    });
    let acknowledged = false;
    const published = bus.publish([{ topic: 't', event: event('ann') }]).then(() => (acknowledged = true));
    await until(() => handled.includes('fast'));
    await pause(20);
    expect(acknowledged).toBe(false);
    release();
    await published;
    expect(handled).toEqual(['fast', 'slow']);
  });

  it('fails a publish still waiting when the bus stops, so the outbox publishes it after the restart', async () => {
    const bus = await startBus({ stopTimeoutMs: 50 });
    await bus.subscribe({ topic: 't', group: 'g', handler: () => new Promise(() => undefined) });
    const refused = expect(bus.publish([{ topic: 't', event: event('ann') }])).rejects.toBeInstanceOf(UnavailableError);
    await bus.stop();
    await refused;
  });

  it("acknowledges on queueing with acknowledge: 'accepted', before the handler has finished", async () => {
    const bus = await startBus({ acknowledge: 'accepted' });
    let started = 0;
    let finished = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe({
      topic: 't',
      group: 'g',
      handler: async () => {
        started += 1;
        await gate;
        finished += 1;
      },
    });
    await bus.publish([{ topic: 't', event: event('ann') }]);
    expect(finished).toBe(0);
    // Still delivered, once, after the acknowledgement.
    await until(() => started === 1);
    release();
    await until(() => finished === 1);
    await bus.stop();
    expect([started, finished]).toEqual([1, 1]);
  });

  it('refuses to publish once stopped', async () => {
    const bus = await startBus();
    await bus.stop();
    await expect(bus.publish([{ topic: 't', event: event('ann') }])).rejects.toBeInstanceOf(UnavailableError);
  });
});
