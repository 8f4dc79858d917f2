import type { QueryExecutorProvider } from 'kysely';
import { describe, expect, it } from 'vitest';
import { randomIds, systemClock } from '@tend/core';
import { InvalidEventError } from './cloud-event.js';
import { enqueueEvent, outboxChannel, type OutboxEventInput } from './outbox.js';

// Validation happens before any SQL: a transaction that is never touched proves it.
const untouched = new Proxy(
  {},
  {
    get: () => {
      throw new Error('the transaction must not be used');
    },
  },
) as QueryExecutorProvider;
const context = { schema: 'health', ids: randomIds, clock: systemClock };
const valid: OutboxEventInput = {
  topic: 'analytics_events',
  type: 'tend.health.vital.recorded',
  source: '/tend/health',
  partitionKey: 'person-1',
  data: { kind: 'heart-rate' },
};

describe('enqueueEvent', () => {
  it.each([
    ['topic', { topic: '' }],
    ['type', { type: '  ' }],
    ['partitionKey', { partitionKey: '' }],
    ['source', { source: '' }],
    ['traceparent', { traceparent: 'not-a-traceparent' }],
    ['data', { data: undefined }],
  ])('rejects an event with a bad %s, naming it', async (field, change) => {
    const error = await enqueueEvent(untouched, { ...valid, ...change }, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toContain(field);
  });

  it('names every problem at once', async () => {
    const error = (await enqueueEvent(untouched, { ...valid, topic: '', type: '', partitionKey: '' }, context).catch(
      (e: unknown) => e,
    )) as InvalidEventError;
    expect(error.problems).toHaveLength(3);
  });

  it('rejects a payload the broker would refuse', async () => {
    const error = await enqueueEvent(untouched, { ...valid, data: 'x'.repeat(1_100_000) }, context).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidEventError);
  });

  it('rejects a schema that cannot name a table and a channel', async () => {
    await expect(enqueueEvent(untouched, valid, { ...context, schema: 'Health; drop' })).rejects.toThrow(/schema/);
  });
});

describe('outboxChannel', () => {
  it('is one channel per schema', () => {
    expect(outboxChannel('health')).toBe('tend_outbox_health');
    expect(outboxChannel('notification')).not.toBe(outboxChannel('health'));
  });
});
