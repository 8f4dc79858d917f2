import { ValidationError } from '@tend/platform';
import { sql } from 'kysely';
import type { PageRequest } from '@tend/proto/tend/common/v1/common';

/** Where a newest-first list stopped: the last item's time (epoch ms) and id, the tie-breaker. */
export interface PagePosition {
  at: number;
  id: string;
}

/** The page size asked for: 50 by default, at most 100. */
export function pageLimit(page: PageRequest | undefined): number {
  const limit = page?.limit ?? 0;
  if (limit < 0 || limit > 100) throw ValidationError.field('page.limit', 'must be between 1 and 100');
  return limit === 0 ? 50 : limit;
}

/** The opaque cursor of a position. */
export function encodePage(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ at: at.getTime(), id })).toString('base64url');
}

/** The position a cursor stands for; a cursor this service did not make is refused by name. */
export function decodePage(page: PageRequest | undefined): PagePosition | undefined {
  if (!page?.cursor) return undefined;
  try {
    const position = JSON.parse(Buffer.from(page.cursor, 'base64url').toString('utf8')) as PagePosition;
    if (typeof position.at === 'number' && typeof position.id === 'string') return position;
  } catch {
    // falls through to the refusal
  }
  throw ValidationError.field('page.cursor', 'is not a cursor of this list');
}

/** Rows after `position` in a list ordered newest first by (`timeColumn`, id). */
export function olderThan(timeColumn: string, position: PagePosition) {
  return sql<boolean>`(${sql.ref(timeColumn)}, id) < (${new Date(position.at)}, ${position.id}::uuid)`;
}

/**
 * One page of a newest-first list: `fetch` gets where to continue (if anywhere) and how many rows
 * to take — one more than the page, to know whether another page follows.
 */
export async function newestFirstPage<Row extends { id: string }>(
  page: PageRequest | undefined,
  fetch: (after: PagePosition | undefined, take: number) => Promise<Row[]>,
  timeOf: (row: Row) => Date,
): Promise<{ items: Row[]; nextCursor: string }> {
  const limit = pageLimit(page);
  const rows = await fetch(decodePage(page), limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodePage(timeOf(last), last.id) : '' };
}
