import { occurrencesOf, type Occurrence, type SeriesStart } from '../calendar/recurrence.js';

/** Where a page of a listing ended: the last occurrence's start and its appointment's id. */
export interface OccurrenceCursor {
  startsAt: Date;
  id: string;
}

/** One entry of a listing: a stored appointment and which of its occurrences is meant. */
export interface ListedOccurrence<R extends { id: string }> {
  row: R;
  occurrence: Occurrence;
}

/**
 * A listing's entries in order — single visits as the database gave them (already past the
 * cursor and in the window), each series expanded within the window — past the cursor, by
 * (start, id), at most `limit + 1` of them, so the caller sees whether a next page exists. Each
 * series gives at most `limit + 1` occurrences, as that many are all a page can show.
 */
export function mergeOccurrences<R extends { id: string }>(
  singles: readonly ListedOccurrence<R>[],
  series: readonly { row: R; series: SeriesStart }[],
  window: { from?: Date | undefined; to?: Date | undefined },
  after: OccurrenceCursor | undefined,
  limit: number,
): ListedOccurrence<R>[] {
  const entries = [...singles];
  for (const { row, series: start } of series) {
    const occurrences = occurrencesOf(start, { ...window, startingAt: after?.startsAt }, limit + 2);
    for (const occurrence of occurrences) {
      if (after && isAtOrBefore(occurrence.startsAt, row.id, after)) continue;
      entries.push({ row, occurrence });
    }
  }
  return entries
    .sort(
      (a, b) =>
        a.occurrence.startsAt.getTime() - b.occurrence.startsAt.getTime() ||
        (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0),
    )
    .slice(0, limit + 1);
}

function isAtOrBefore(startsAt: Date, id: string, after: OccurrenceCursor): boolean {
  const t = startsAt.getTime();
  const a = after.startsAt.getTime();
  return t < a || (t === a && id <= after.id);
}

/** The cursor after an entry, opaque to clients. */
export function occurrenceCursor(id: string, occurrence: Occurrence): string {
  return Buffer.from(`${occurrence.startsAt.toISOString()}|${id}`).toString('base64url');
}
