import { getOption, hasOption, type DescField } from '@bufbuild/protobuf';
import {
  field as validateField,
  type FieldRules,
  type StringRules,
} from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import { boundedText, codePointLength } from '@tend/core';
import { z } from 'zod';

/**
 * A REST field's schema read off the `buf.validate` rules of the contract field it becomes, so a
 * limit is written once, on the proto field, and the gateway's check, the OpenAPI document
 * (minLength, maxLength, pattern, enum, minimum, maximum, maxItems) and the service's own check
 * (`requestValidationInterceptor`) all come from it. A field without the rules asked for fails at
 * start, naming it, rather than letting anything through.
 */
export function fieldRulesOf(field: DescField): FieldRules {
  const rules = hasOption(field, validateField) ? getOption(field, validateField) : undefined;
  if (!rules) throw new Error(`${field.parent.typeName}.${field.name} declares no buf.validate rules`);
  return rules;
}

/** The string rules of a string field, or of a repeated string field's items. */
function stringRulesOf(field: DescField): StringRules {
  const rules = fieldRulesOf(field);
  const own = rules.type.case === 'repeated' ? rules.type.value.items?.type : rules.type;
  if (own?.case !== 'string') throw new Error(`${field.parent.typeName}.${field.name} declares no string rules`);
  return own.value;
}

export interface ContractTextOptions {
  /** Trims the text before it is checked, as the service does. @default false */
  trim?: boolean;
  /** A stricter lower bound than the field's, for an API that never sends it empty. */
  min?: number;
  /** The message of a pattern that does not match. */
  patternMessage?: string;
}

/**
 * A text field by its contract: one of its `in` values, or matching its `pattern`, or within its
 * lengths (counted in code points, as protovalidate and JSON Schema count them, and never holding
 * NUL).
 */
export function contractText(field: DescField, options: ContractTextOptions = {}): z.ZodType<string> {
  const rules = stringRulesOf(field);
  if (rules.in.length > 0) return z.enum(rules.in as [string, ...string[]]);
  if (rules.pattern !== '') {
    const base = options.trim ? z.string().trim() : z.string();
    return base.regex(new RegExp(rules.pattern), options.patternMessage);
  }
  const max = Number(rules.maxLen);
  if (max === 0) throw new Error(`${field.parent.typeName}.${field.name} declares no max_len`);
  return boundedText({ min: options.min ?? Number(rules.minLen), max, trim: options.trim ?? false });
}

/**
 * The length bounds of a text field in code points, for a schema that adds a format of its own
 * (an e-mail address) and so cannot be `contractText` itself.
 */
export function textLengthOf(field: DescField): { min: number; max: number } {
  const rules = stringRulesOf(field);
  return { min: Number(rules.minLen), max: Number(rules.maxLen) };
}

/** The inclusive upper bound (`lte`) of an integer field, for a schema that coerces its input. */
export function integerMaxOf(field: DescField): number {
  const rules = fieldRulesOf(field).type;
  if ((rules.case === 'int32' || rules.case === 'uint32') && rules.value.lessThan.case === 'lte')
    return rules.value.lessThan.value;
  throw new Error(`${field.parent.typeName}.${field.name} declares no lte`);
}

/** A number field by its contract: finite, and within its `gt`/`gte`/`lt`/`lte` bounds. */
export function contractNumber(field: DescField): z.ZodNumber {
  const rules = fieldRulesOf(field).type;
  if (rules.case !== 'double' && rules.case !== 'float' && rules.case !== 'int32' && rules.case !== 'uint32')
    throw new Error(`${field.parent.typeName}.${field.name} declares no number rules`);
  let schema = rules.case === 'int32' || rules.case === 'uint32' ? z.number().int() : z.number();
  const { greaterThan, lessThan } = rules.value;
  if (greaterThan.case === 'gt') schema = schema.gt(greaterThan.value);
  if (greaterThan.case === 'gte') schema = schema.gte(greaterThan.value);
  if (lessThan.case === 'lt') schema = schema.lt(lessThan.value);
  if (lessThan.case === 'lte') schema = schema.lte(lessThan.value);
  return schema;
}

/** A list field by its contract: its items as `item` says, at most `max_items` of them. */
export function contractList<T extends z.ZodType>(field: DescField, item: T): z.ZodArray<T> {
  const rules = fieldRulesOf(field).type;
  if (rules.case !== 'repeated') throw new Error(`${field.parent.typeName}.${field.name} declares no list rules`);
  let schema = z.array(item);
  if (rules.value.minItems > 0n) schema = schema.min(Number(rules.value.minItems));
  if (rules.value.maxItems > 0n) schema = schema.max(Number(rules.value.maxItems));
  return schema;
}

/**
 * The texts of a list the gateway fills itself (not from the request it serves) that its contract
 * field takes: none empty, each within the items' `max_len`, at most `max_items` of them. For
 * hints such as the person's medication names, where leaving one out is better than refusing.
 */
export function textsWithin(field: DescField, texts: readonly string[]): string[] {
  const rules = fieldRulesOf(field).type;
  if (rules.case !== 'repeated') throw new Error(`${field.parent.typeName}.${field.name} declares no list rules`);
  const maxLength = Number(stringRulesOf(field).maxLen);
  const fitting = texts.filter((text) => text !== '' && (maxLength === 0 || codePointLength(text) <= maxLength));
  return rules.value.maxItems > 0n ? fitting.slice(0, Number(rules.value.maxItems)) : fitting;
}
