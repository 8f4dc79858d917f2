import { create, getOption } from '@bufbuild/protobuf';
import { field as validateField } from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import {
  PageRequestSchema,
  PageResponseSchema,
  type PageRequest,
  type PageResponse,
} from '@tend/proto/tend/common/v1/common';
import { ValidationError } from '@tend/core';

/** The largest page, as `tend.common.v1.PageRequest.limit`'s rule (`lte`) says: written once, there. */
function contractPageMax(): number {
  const rules = getOption(PageRequestSchema.field.limit, validateField).type;
  if (rules.case === 'int32' && rules.value.lessThan.case === 'lte') return rules.value.lessThan.value;
  throw new Error('tend.common.v1.PageRequest.limit declares no lte');
}

/**
 * Page sizes of every list in every contract (`tend.common.v1.PageRequest`): 0 or unset means
 * the default; above the maximum is refused. The gateway's query check uses the same numbers.
 */
export const pageSizes = { default: 50, max: contractPageMax() } as const;

/** A page's size: 0 means the default (50); below 0 or above 100 is refused, naming `page.limit`. */
export function pageLimitOf(page: Pick<PageRequest, 'limit'> | { limit?: number } | undefined): number {
  const limit = page?.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > pageSizes.max) {
    throw ValidationError.field(
      'page.limit',
      `must be between 1 and ${pageSizes.max} (0 or unset means ${pageSizes.default})`,
    );
  }
  return limit === 0 ? pageSizes.default : limit;
}

/**
 * Decodes an opaque cursor: base64url JSON of the last item's sort key, with a kind tag so a
 * cursor from one list is refused by another.
 */
export function decodeCursor<T extends object>(page: PageRequest | undefined, kind: string): T | undefined {
  const cursor = page?.cursor ?? '';
  if (cursor === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && (parsed as { k?: unknown }).k === kind) return parsed as T;
  } catch {
    // Falls through to the validation error.
  }
  throw ValidationError.field('page.cursor', 'is not a cursor from this list');
}

/** The cursor after `last` in the list `kind`, or '' when there is no more. */
export function encodeCursor(kind: string, last: object | undefined): string {
  return last ? Buffer.from(JSON.stringify({ k: kind, ...last }), 'utf8').toString('base64url') : '';
}

/** The page response after `last`, or an empty cursor when there are no more items. */
export function pageResponse(kind: string, last: object | undefined): PageResponse {
  return create(PageResponseSchema, { nextCursor: encodeCursor(kind, last) });
}
