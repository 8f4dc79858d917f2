import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { $ZodTypes } from 'zod/v4/core';
import { apiObject, listResponse } from '../routes/route-kit.js';
import { jsonWriterOf, responseSerializerCompiler } from './response-serializer.js';

type Route = Parameters<typeof responseSerializerCompiler>[0];
const routeOf = (schema: z.ZodType): Route => ({ schema, method: 'GET', url: '/api/v1/test', httpStatus: '200' });
const compiled = (schema: z.ZodType) => responseSerializerCompiler(routeOf(schema));
const zodOnly = (schema: z.ZodType) =>
  zodSerializerCompiler(routeOf(schema) as Parameters<typeof zodSerializerCompiler>[0]);

const tokens = z.object({ accessToken: z.string(), expiresIn: z.number(), refreshToken: z.string().nullable() });
const withOptional = z.object({ ticket: z.string(), note: z.string().optional(), flags: z.array(z.boolean()) });

describe('responseSerializerCompiler', () => {
  it.each([
    [
      'a list of API objects',
      listResponse,
      { items: [{ id: 'a', dose: 10, tags: ['x'], at: null }], nextCursor: null },
    ],
    ['a list with a cursor', listResponse, { nextCursor: 'c1', items: [] }],
    ['an API object with nested values', apiObject, { id: 'a', schedule: { times: ['08:00'] }, empty: undefined }],
    [
      'keys in the schema’s order, unknown ones dropped',
      tokens,
      { refreshToken: 'r', extra: 1, expiresIn: 900, accessToken: 't' },
    ],
    ['an optional key left out', withOptional, { ticket: 't', flags: [true, false] }],
    ['an optional key set', withOptional, { ticket: 't', note: 'n', flags: [] }],
    ['a string with characters JSON escapes', z.object({ text: z.string() }), { text: 'a "b"\n\u2028' }],
  ])('writes %s as zod’s encode and JSON.stringify do', (_name, schema, value) => {
    expect(compiled(schema)(value)).toBe(zodOnly(schema)(value));
    expect(jsonWriterOf(schema as unknown as $ZodTypes)?.(value)).toBeDefined();
  });

  it.each([
    ['a missing required key', tokens, { accessToken: 't', refreshToken: null }],
    ['a number that is not finite', tokens, { accessToken: 't', expiresIn: Number.NaN, refreshToken: null }],
    ['an item that is not an object', listResponse, { items: ['a'], nextCursor: null }],
    ['an instance where a record is due', apiObject, new Date(0)],
    ['a symbol key in a record', apiObject, { [Symbol('s')]: 1, id: 'a' }],
  ])('leaves %s to zod, which refuses it with the same error', (_name, schema, value) => {
    expect(jsonWriterOf(schema as unknown as $ZodTypes)?.(value)).toBeUndefined();
    expect(() => compiled(schema)(value)).toThrow(/Response doesn't match the schema/);
  });

  it('leaves schemas with checks, defaults or transforms wholly to zod', () => {
    for (const schema of [
      z.object({ name: z.string().min(1) }),
      z.object({ n: z.number().default(1) }),
      z.strictObject({ a: z.string() }),
      z.object({ at: z.string().transform((s) => s.length) }),
      z.void(),
    ]) {
      expect(jsonWriterOf(schema as unknown as $ZodTypes)).toBeUndefined();
    }
    const checked = z.object({ name: z.string().min(2) });
    expect(compiled(checked)({ name: 'Ada' })).toBe('{"name":"Ada"}');
    expect(() => compiled(checked)({ name: 'A' })).toThrow(/Response doesn't match the schema/);
  });
});
