import { ValidationError } from '@tend/core';
import { decodeCursor, encodeCursor, pageLimitOf } from '@tend/rpc';
import { sql } from 'kysely';
import type { PageRequest } from '@tend/proto/tend/common/v1/common';

/** Where a newest-first list stopped: the last item's time (epoch ms) and id, the tie-breaker. */
export interface PagePosition {
  at: number;
  id: string;
}

/** The cursor kind of this service's newest-first lists (conversations, messages). */
const newestFirst = 'newest-first';

/** The position a cursor stands for; a cursor this service did not make is refused by name. */
function decodePosition(page: PageRequest | undefined): PagePosition | undefined {
  const position = decodeCursor<Partial<PagePosition>>(page, newestFirst);
  if (position === undefined) return undefined;
  if (typeof position.at === 'number' && typeof position.id === 'string') return { at: position.at, id: position.id };
  throw ValidationError.field('page.cursor', 'is not a cursor from this list');
}

/** Rows after `position` in a list ordered newest first by (`timeColumn`, id). */
export function olderThan(timeColumn: string, position: PagePosition) {
  return sql<boolean>`(${sql.ref(timeColumn)}, id) < (${new Date(position.at)}, ${position.id}::uuid)`;
}

/**
 * One page of a newest-first list: `fetch` gets where to continue (if anywhere) and how many rows
 * to take — one more than the page, to know whether another page follows. Page sizes and cursors
 * are the platform's, as in every other list.
 */
export async function newestFirstPage<Row extends { id: string }>(
  page: PageRequest | undefined,
  fetch: (after: PagePosition | undefined, take: number) => Promise<Row[]>,
  timeOf: (row: Row) => Date,
): Promise<{ items: Row[]; nextCursor: string }> {
  const limit = pageLimitOf(page);
  const rows = await fetch(decodePosition(page), limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const position = rows.length > limit && last ? { at: timeOf(last).getTime(), id: last.id } : undefined;
  return { items, nextCursor: encodeCursor(newestFirst, position) };
}
