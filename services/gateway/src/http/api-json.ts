import type { DescEnum, DescField, DescMessage } from '@bufbuild/protobuf';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';

/**
 * The public API's JSON for a service message, read off the message's descriptor: camelCase
 * field names; enums as lower-case names without their prefix (`VITAL_KIND_BLOOD_PRESSURE` →
 * `blood_pressure`), unspecified ones left out; timestamps as ISO 8601; unset optional fields
 * and empty strings left out; the `caller` of a request never shown. One mapping for every
 * route, so the API cannot drift from the contract it fronts.
 */
export function toApiJson(schema: DescMessage, message: object): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  const values = message as Record<string, unknown>;
  for (const field of schema.fields) {
    if (field.localName === 'caller') continue;
    const value = field.oneof ? oneofValue(values[field.oneof.localName], field) : values[field.localName];
    const mapped = fieldJson(field, value);
    if (mapped !== undefined) json[field.localName] = mapped;
  }
  return json;
}

/** The API names of an enum's values, unspecified excluded: the allowed values of a JSON field. */
export function apiEnumNames(schema: DescEnum): [string, ...string[]] {
  const names = schema.values.filter((v) => v.number !== 0).map((v) => v.localName.toLowerCase());
  return names as [string, ...string[]];
}

/** The enum number of an API name (one of `apiEnumNames`). */
export function enumFromApi(schema: DescEnum, name: string): number {
  const value = schema.values.find((v) => v.number !== 0 && v.localName.toLowerCase() === name);
  if (!value) throw new RangeError(`${name} is not a value of ${schema.typeName}`);
  return value.number;
}

/** The API name of an enum number, or undefined for unspecified. */
export function enumToApi(schema: DescEnum, value: number): string | undefined {
  if (value === 0) return undefined;
  return schema.value[value]?.localName.toLowerCase() ?? String(value);
}

function oneofValue(selected: unknown, field: DescField): unknown {
  const chosen = selected as { case?: string; value?: unknown } | undefined;
  return chosen?.case === field.localName ? chosen.value : undefined;
}

function fieldJson(field: DescField, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  switch (field.fieldKind) {
    case 'scalar':
      return scalarJson(value, true);
    case 'enum':
      return enumToApi(field.enum, value as number);
    case 'message':
      return messageJson(field.message, value);
    case 'list': {
      const items = value as unknown[];
      switch (field.listKind) {
        case 'scalar':
          return items.map((item) => scalarJson(item, false));
        case 'enum':
          return items.map((item) => enumToApi(field.enum, item as number));
        case 'message':
          return items.map((item) => messageJson(field.message, item as object));
      }
      return undefined;
    }
    case 'map': {
      const entries = Object.entries(value as Record<string, unknown>);
      return Object.fromEntries(
        entries.map(([key, item]) => {
          switch (field.mapKind) {
            case 'scalar':
              return [key, scalarJson(item, false)];
            case 'enum':
              return [key, enumToApi(field.enum, item as number)];
            case 'message':
              return [key, messageJson(field.message, item as object)];
          }
          return [key, item];
        }),
      );
    }
  }
}

function messageJson(schema: DescMessage, value: object): unknown {
  if (schema.typeName === 'google.protobuf.Timestamp') return timestampDate(value as Timestamp).toISOString();
  return toApiJson(schema, value);
}

function scalarJson(value: unknown, omitEmptyString: boolean): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (omitEmptyString && value === '') return undefined;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}
