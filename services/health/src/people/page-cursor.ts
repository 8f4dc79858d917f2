import { ValidationError } from '@tend/platform';
import type { PageRequest } from '@tend/proto/tend/common/v1/common';

/** Items per page when the caller does not say. */
export const defaultPageLimit = 50;
/** The most items one page may ask for (`tend.common.v1.PageRequest`). */
export const maxPageLimit = 100;

/** Where a newest-first list stopped: the last item's time and id (the tie-breaker). */
export interface PagePosition {
  at: Date;
  id: string;
}

/** Opaque to callers: base64url of `<epoch ms>.<id>`. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(`${position.at.getTime()}.${position.id}`, 'utf8').toString('base64url');
}

/** The position in a cursor from {@link encodeCursor}, or undefined when it is not one. */
export function decodeCursor(cursor: string): PagePosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const match = /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { at: new Date(Number(match[1])), id: match[2]! };
}

/**
 * The page a request asks for, checked: limit 0 means 50, above 100 or negative is rejected
 * naming `page.limit`, and a cursor that is not ours is rejected naming `page.cursor`.
 */
export function pageOf(page: PageRequest | undefined): { limit: number; after: PagePosition | undefined } {
  const limit = page?.limit || defaultPageLimit;
  if (limit < 0 || limit > maxPageLimit)
    throw ValidationError.field('page.limit', `must be between 1 and ${maxPageLimit}`);
  if (!page?.cursor) return { limit, after: undefined };
  const after = decodeCursor(page.cursor);
  if (!after) throw ValidationError.field('page.cursor', 'is not a cursor from this list');
  return { limit, after };
}
