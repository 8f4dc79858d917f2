import type { FieldViolation } from '@tend/core';
import type { FastifyInstance, FastifySchema } from 'fastify';

/**
 * How a route's REST request is named in the service request it becomes, where the two differ:
 * keys are service field paths in their JSON (camelCase) names, values the REST field the client
 * sent (`{ doseUnit: 'unit' }`); an empty value flattens a wrapper (`{ vital: '' }` for a body
 * that is the `vital` message itself).
 */
export type UpstreamFieldNames = Readonly<Record<string, string>>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's service fields that the client knows by another name (see `UpstreamFieldNames`). */
    upstreamFields?: UpstreamFieldNames;
  }
}

/**
 * Names every route shares: a list's `page` is the `limit` and `cursor` of the query string, an
 * idempotency key and an admin's break-glass reason come as headers.
 */
const everyRoute: UpstreamFieldNames = {
  'page.cursor': 'cursor',
  'page.limit': 'limit',
  idempotencyKey: 'idempotency-key',
  'caller.breakGlassReason': 'tend-break-glass',
};

/**
 * The field a client sent, for a field path a service named in its error (`dose_unit`,
 * `page.cursor`, `schedule.times[2]`, `vital.measured_at`): segments in their JSON names, list
 * indexes as path segments, then the longest prefix the route (or every route) renames. Proto
 * names never reach a client, so a form can put each error beside the field it came from.
 */
export function restFieldOf(upstream: string, routeNames: UpstreamFieldNames = {}): string {
  const segments = upstream
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((segment) => segment !== '')
    .map(jsonName);
  const names = { ...everyRoute, ...routeNames };
  for (let length = segments.length; length > 0; length--) {
    const renamed = names[segments.slice(0, length).join('.')];
    if (renamed !== undefined)
      return [renamed, ...segments.slice(length)].filter((s) => s !== '').join('.') || '(root)';
  }
  return segments.join('.') || '(root)';
}

/**
 * The violations of a service error, renamed to the fields of the route's REST request. A
 * message that names another field the route renames (`must be after local_start`) names it as
 * the client does too; other words stay as they are, since values such as `blood_pressure` look
 * the same as proto names.
 */
export function restViolations(violations: FieldViolation[], routeNames: UpstreamFieldNames = {}): FieldViolation[] {
  const renamed = new Map(
    Object.entries({ ...everyRoute, ...routeNames })
      .filter(([upstream, rest]) => rest !== '' && !upstream.includes('.'))
      .map(([upstream, rest]) => [protoName(upstream), rest]),
  );
  return violations.map(({ field, message }) => ({
    field: restFieldOf(field, routeNames),
    message: message.replace(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g, (word) => renamed.get(word) ?? word),
  }));
}

/** A JSON field name in its proto form (`doseUnit` → `dose_unit`). */
function protoName(jsonField: string): string {
  return jsonField.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** A proto field name in its JSON form (`dose_unit` → `doseUnit`); already-camel names are kept. */
function jsonName(segment: string): string {
  return segment.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/**
 * Refuses, at start, a route whose `upstreamFields` rename into a field its REST request does
 * not have: a typo there would quietly send clients a name they never used.
 */
export function checkUpstreamFieldNames(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const names = route.config?.upstreamFields;
    if (!names) return;
    const known = requestFieldsOf(route.schema);
    for (const [upstream, rest] of Object.entries(names)) {
      const top = rest.split('.')[0]!;
      if (rest !== '' && !known.has(top))
        throw new Error(
          `route ${String(route.method)} ${route.url} renames ${upstream} to ${rest}, not a request field`,
        );
    }
  });
}

/** The top-level field names of a route's body, query string, path and headers. */
export function requestFieldsOf(schema: FastifySchema | undefined): Set<string> {
  const fields = new Set<string>();
  for (const part of [schema?.body, schema?.querystring, schema?.params, schema?.headers]) {
    for (const key of objectKeysOf(part)) fields.add(key);
  }
  return fields;
}

/** The keys of a zod object schema, or of every option of a union of objects. */
function objectKeysOf(schema: unknown): string[] {
  const zod = schema as { shape?: Record<string, unknown>; options?: unknown[] } | undefined;
  if (zod?.shape) return Object.keys(zod.shape);
  if (Array.isArray(zod?.options)) return zod.options.flatMap(objectKeysOf);
  return [];
}
