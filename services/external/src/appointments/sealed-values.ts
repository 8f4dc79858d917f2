import type { Logger } from '@tend/core';
import type { SchemaDatabase } from '@tend/db';
import { sql } from 'kysely';
import type { ExternalTables } from '../db/tables.js';
import { sealedAt, tableOnlyPlace, type NotesCipher } from './notes-cipher.js';

/** A sealed column and how to find its rows that are not bound yet. */
interface SealedColumn {
  table: 'appointments' | 'calendar_connections';
  idColumn: 'id' | 'user_id';
  column: 'notes_encrypted' | 'password_encrypted';
  flag: 'notes_bound' | 'password_bound';
  placeOf(row: { id: string; owner: string }): ReturnType<typeof sealedAt.appointmentNotes>;
}

const sealedColumns: readonly SealedColumn[] = [
  {
    table: 'appointments',
    idColumn: 'id',
    column: 'notes_encrypted',
    flag: 'notes_bound',
    placeOf: (row) => sealedAt.appointmentNotes(row.id, row.owner),
  },
  {
    table: 'calendar_connections',
    idColumn: 'user_id',
    column: 'password_encrypted',
    flag: 'password_bound',
    placeOf: (row) => sealedAt.calendarPassword(row.id),
  },
];

/**
 * Binds every appointment note and calendar password not yet sealed for its row (written before
 * migration 0008, or by an older version during a rolling upgrade): each is opened where it was
 * sealed before (one row-less place, or only the key id for the oldest values) and sealed again
 * for its table, column, row and person. Runs at start-up after the migrations, in batches;
 * idempotent (bound rows are flagged and never selected), so every replica may run it; each
 * update applies only if the row still holds the value read. Returns how many values it bound.
 */
export async function bindSealedValues(
  db: SchemaDatabase<ExternalTables>,
  cipher: NotesCipher,
  logger?: Logger,
  batchSize = 500,
): Promise<number> {
  let total = 0;
  let unreadable = 0;
  for (const place of sealedColumns) {
    const table = sql.table(`${db.schema}.${place.table}`);
    const [id, column, flag] = [sql.ref(place.idColumn), sql.ref(place.column), sql.ref(place.flag)];
    // Walked in id order, so a value that cannot be opened is passed, not read again forever.
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const { rows } = await sql<{ id: string; owner: string; value: string }>`
        SELECT ${id}::text AS id, user_id::text AS owner, ${column} AS value FROM ${table}
        WHERE ${column} IS NOT NULL AND NOT ${flag} AND ${id} > ${after}::uuid
        ORDER BY ${id} LIMIT ${batchSize}`.execute(db.primary);
      if (rows.length === 0) break;
      for (const row of rows) {
        let bound: string;
        try {
          bound = cipher.encrypt(openUnbound(cipher, row.value), place.placeOf(row));
        } catch {
          // Sealed under a key this deployment no longer has, or damaged (or moved here from
          // elsewhere): it stays unreadable, and must not keep the other values unbound.
          unreadable++;
          continue;
        }
        await sql`UPDATE ${table} SET ${column} = ${bound}, ${flag} = true
          WHERE ${id} = ${row.id}::uuid AND ${column} = ${row.value} AND NOT ${flag}`.execute(db.primary);
        total++;
      }
      after = rows[rows.length - 1]!.id;
    }
  }
  if (total > 0) logger?.info({ values: total }, 'sealed notes and passwords bound to their row and person');
  if (unreadable > 0)
    logger?.warn({ values: unreadable }, 'sealed values that could not be opened were left as they are');
  return total;
}

/** The plaintext of a value sealed before 0008: bound to the row-less place, or to its key id only. */
function openUnbound(cipher: NotesCipher, value: string): string {
  return cipher.decrypt(cipher.reseal(value, tableOnlyPlace) ?? value, tableOnlyPlace);
}
