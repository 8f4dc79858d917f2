import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { $ZodType, util, type $ZodTypes } from 'zod/v4/core';

/**
 * Writes `value` as JSON when it fits the schema it was compiled from, the same text as zod's
 * encode followed by `JSON.stringify`; `undefined` when it does not fit, or might not.
 */
type JsonWriter = (value: unknown) => string | undefined;

/**
 * The gateway's response serializer: the zod type provider's, with a writer compiled once per
 * route from the response schema in front of it. The provider encodes every response with zod
 * (a full copy of the answer) and then stringifies the copy; the common response shapes — objects
 * of the API's JSON, lists of them, plain strings, numbers and booleans — are checked and written
 * in one pass instead. Whatever the writer does not vouch for (a schema with checks, defaults or
 * transforms, or an answer that does not fit) goes through the provider's path unchanged, so a
 * wrong answer is refused with the same error as before.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  const checked = zodSerializerCompiler(route as Parameters<typeof zodSerializerCompiler>[0]);
  const schema = zodSchemaOf(route.schema);
  const write = schema && jsonWriterOf(schema);
  if (!write) return checked;
  return (data: unknown) => write(data) ?? checked(data);
};

function zodSchemaOf(schema: unknown): $ZodTypes | undefined {
  if (schema instanceof $ZodType) return schema as $ZodTypes;
  const properties = (schema as { properties?: unknown } | undefined)?.properties;
  return properties instanceof $ZodType ? (properties as $ZodTypes) : undefined;
}

/** A writer for `schema`, or undefined when its encoding is more than a check (see above). */
export function jsonWriterOf(schema: $ZodTypes): JsonWriter | undefined {
  const def = schema._zod.def;
  // Checks (lengths, formats, refinements) are zod's to run.
  if ('checks' in def && def.checks && def.checks.length > 0) return undefined;
  // Every other kind (unions, defaults, transforms, literals, …) stays with zod.
  if (def.type === 'string') return (value) => (typeof value === 'string' ? JSON.stringify(value) : undefined);
  if (def.type === 'number') {
    return (value) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined);
  }
  if (def.type === 'boolean') return (value) => (typeof value === 'boolean' ? String(value) : undefined);
  if (def.type === 'nullable') {
    const inner = jsonWriterOf(def.innerType as $ZodTypes);
    return inner && ((value) => (value === null ? 'null' : inner(value)));
  }
  if (def.type === 'array') {
    const element = jsonWriterOf(def.element as $ZodTypes);
    return element && arrayWriter(element);
  }
  if (def.type === 'record') {
    return isAnyString(def.keyType as $ZodTypes) && isUnknown(def.valueType as $ZodTypes)
      ? (value) => (isPlainRecord(value) ? JSON.stringify(value) : undefined)
      : undefined;
  }
  // Only zod's default object (unknown keys dropped); strict and loose ones stay with zod.
  if (def.type === 'object' && def.catchall === undefined) return objectWriter(def.shape as Record<string, $ZodTypes>);
  return undefined;
}

function arrayWriter(element: JsonWriter): JsonWriter {
  return (value) => {
    if (!Array.isArray(value)) return undefined;
    const parts: string[] = [];
    for (const item of value) {
      const json = element(item);
      if (json === undefined) return undefined;
      parts.push(json);
    }
    return `[${parts.join(',')}]`;
  };
}

/** The declared keys in the schema's order, as zod's output has them; optional ones when set. */
function objectWriter(shape: Record<string, $ZodTypes>): JsonWriter | undefined {
  const fields: { prefix: string; key: string; optional: boolean; write: JsonWriter }[] = [];
  for (const [key, member] of Object.entries(shape)) {
    const optional = member._zod.def.type === 'optional';
    const write = jsonWriterOf(optional ? (member._zod.def as unknown as { innerType: $ZodTypes }).innerType : member);
    if (!write) return undefined;
    fields.push({ prefix: `${JSON.stringify(key)}:`, key, optional, write });
  }
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const field of fields) {
      const member = record[field.key];
      if (member === undefined && field.optional) continue;
      const json = field.write(member);
      if (json === undefined) return undefined;
      parts.push(field.prefix + json);
    }
    return `{${parts.join(',')}}`;
  };
}

function isAnyString(schema: $ZodTypes): boolean {
  const def = schema._zod.def;
  return def.type === 'string' && !(def.checks && def.checks.length > 0);
}

function isUnknown(schema: $ZodTypes): boolean {
  const type = schema._zod.def.type;
  return type === 'unknown' || type === 'any';
}

/**
 * An object zod's record of strings copies key for key, so `JSON.stringify` writes the same: a
 * plain object (zod's test), without symbol keys (zod refuses them) or an own `__proto__` (zod
 * drops it).
 */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return (
    util.isPlainObject(value) && !Object.hasOwn(value, '__proto__') && Object.getOwnPropertySymbols(value).length === 0
  );
}
