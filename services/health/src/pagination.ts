import { create } from '@bufbuild/protobuf';
import { ValidationError } from '@tend/platform';
import { PageResponseSchema, type PageRequest, type PageResponse } from '@tend/proto/tend/common/v1/common';

/** A page's size: 0 means the default (50); above 100 is refused. */
export function pageLimitOf(page: PageRequest | undefined): number {
  const limit = page?.limit ?? 0;
  if (limit < 0 || limit > 100) throw ValidationError.field('page.limit', 'must be between 0 and 100');
  return limit === 0 ? 50 : limit;
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

/** Encodes the cursor after `last`, or an empty page response when there are no more items. */
export function pageResponse(kind: string, last: object | undefined): PageResponse {
  const nextCursor = last ? Buffer.from(JSON.stringify({ k: kind, ...last }), 'utf8').toString('base64url') : '';
  return create(PageResponseSchema, { nextCursor });
}
