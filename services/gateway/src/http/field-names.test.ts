import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkUpstreamFieldNames, requestFieldsOf, restFieldOf, restViolations } from './field-names.js';

describe('restFieldOf', () => {
  it('names a proto field by its JSON name', () => {
    expect(restFieldOf('measured_at')).toBe('measuredAt');
    expect(restFieldOf('schedule.as_needed')).toBe('schedule.asNeeded');
    expect(restFieldOf('displayName')).toBe('displayName');
  });

  it('names the query parameters a page came from', () => {
    expect(restFieldOf('page.cursor')).toBe('cursor');
    expect(restFieldOf('page.limit')).toBe('limit');
  });

  it('names an idempotency key by its header', () => {
    expect(restFieldOf('idempotency_key')).toBe('idempotency-key');
  });

  it('writes list indexes as path segments, as schema errors do', () => {
    expect(restFieldOf('schedule.times[2]')).toBe('schedule.times.2');
  });

  it('renames what the route declares, longest prefix first', () => {
    const names = { pushSubscription: 'subscription', 'pushSubscription.auth': 'subscription.keys.auth' };
    expect(restFieldOf('push_subscription.auth', names)).toBe('subscription.keys.auth');
    expect(restFieldOf('push_subscription.endpoint', names)).toBe('subscription.endpoint');
    expect(restFieldOf('dose_unit', { doseUnit: 'unit' })).toBe('unit');
  });

  it('flattens a wrapper the route declares empty', () => {
    expect(restFieldOf('vital.measured_at', { vital: '' })).toBe('measuredAt');
    expect(restFieldOf('vital', { vital: '' })).toBe('(root)');
  });

  it('lets a route override the shared names', () => {
    expect(restFieldOf('page.cursor', { 'page.cursor': 'after' })).toBe('after');
  });
});

describe('restViolations', () => {
  it('names a renamed field in a message as the client sent it, and leaves other words alone', () => {
    expect(
      restViolations(
        [
          { field: 'local_end', message: 'must be after local_start' },
          { field: 'value', message: 'is not used for blood_pressure' },
        ],
        { localStart: 'start', localEnd: 'end' },
      ),
    ).toEqual([
      { field: 'end', message: 'must be after start' },
      { field: 'value', message: 'is not used for blood_pressure' },
    ]);
  });

  it('keeps each message and renames each field', () => {
    expect(
      restViolations(
        [
          { field: 'dose_unit', message: 'must be one of mg, mL' },
          { field: 'end_date', message: 'must not be before start_date' },
        ],
        { doseUnit: 'unit' },
      ),
    ).toEqual([
      { field: 'unit', message: 'must be one of mg, mL' },
      { field: 'endDate', message: 'must not be before start_date' },
    ]);
  });
});

describe('checkUpstreamFieldNames', () => {
  function app() {
    const fastify = Fastify({ logger: false });
    fastify.setValidatorCompiler(validatorCompiler);
    fastify.setSerializerCompiler(serializerCompiler);
    checkUpstreamFieldNames(fastify);
    return fastify;
  }

  it('accepts renames into fields of the body, query, path or headers', async () => {
    const fastify = app();
    fastify.post(
      '/things/:id',
      {
        config: { upstreamFields: { thingId: 'id', doseUnit: 'unit', page: 'cursor', vital: '' } },
        schema: {
          params: z.object({ id: z.string() }),
          body: z.object({ unit: z.string() }),
          querystring: z.object({ cursor: z.string().optional() }),
        },
      },
      async () => ({}),
    );
    await expect(fastify.ready()).resolves.toBeDefined();
    await fastify.close();
  });

  it('refuses to start with a rename into a field the route does not have', async () => {
    const fastify = app();
    expect(() =>
      fastify.post(
        '/things',
        { config: { upstreamFields: { doseUnit: 'units' } }, schema: { body: z.object({ unit: z.string() }) } },
        async () => ({}),
      ),
    ).toThrow(/renames doseUnit to units/);
    await fastify.close();
  });
});

describe('requestFieldsOf', () => {
  it('reads every option of a union body', () => {
    const body = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('push'), subscription: z.string() }),
      z.object({ kind: z.literal('sms'), address: z.string() }),
    ]);
    expect([...requestFieldsOf({ body })].sort()).toEqual(['address', 'kind', 'subscription']);
  });
});
