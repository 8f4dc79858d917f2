import type { Logger } from '@tend/core';
import type { SchemaDatabase } from '@tend/db';
import { sql } from 'kysely';
import type { HealthTables } from '../db/tables.js';
import type { FieldCipher } from './field-cipher.js';
import { sealedColumns } from './sealed-columns.js';

/**
 * Binds every value sealed before values were bound to their place (finding 12 of the security
 * review): each one is opened with its old additional data (the key id) and sealed again for its
 * table, column, row and owner. Runs at start-up after the migrations, in batches; idempotent
 * (bound values start with `~` and are never selected), so every replica may run it. Returns
 * how many values it re-sealed.
 */
export async function resealLegacyValues(
  db: SchemaDatabase<HealthTables>,
  cipher: FieldCipher,
  logger?: Logger,
  batchSize = 500,
): Promise<number> {
  let total = 0;
  let unreadable = 0;
  for (const place of sealedColumns) {
    const table = sql.table(`${db.schema}.${place.table}`);
    const column = sql.ref(place.column);
    const idColumn = sql.ref(place.idColumn);
    // Walked in id order, so a value that cannot be opened is passed, not read again forever.
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const { rows } = await sql<{ id: string; owner: string; value: string }>`
        SELECT ${idColumn}::text AS id, ${sql.ref(place.ownerColumn)}::text AS owner, ${column} AS value
        FROM ${table} WHERE ${column} IS NOT NULL AND left(${column}, 1) <> '~' AND ${idColumn} > ${after}::uuid
        ORDER BY ${idColumn} LIMIT ${batchSize}`.execute(db.primary);
      if (rows.length === 0) break;
      for (const row of rows) {
        const at = { table: place.table, column: place.column, rowId: row.id, ownerId: row.owner };
        let bound: string | undefined;
        try {
          bound = cipher.reseal(row.value, at);
        } catch {
          // Sealed under a key this deployment no longer has, or damaged: it stays unreadable
          // either way, and one such value must not keep every other one (and the service) down.
          unreadable++;
          continue;
        }
        if (bound === undefined) continue;
        // Only if the row still holds the value read: a concurrent write (already bound) wins.
        await sql`UPDATE ${table} SET ${column} = ${bound}
          WHERE ${idColumn} = ${row.id}::uuid AND ${column} = ${row.value}`.execute(db.primary);
        total++;
      }
      after = rows[rows.length - 1]!.id;
    }
  }
  if (total > 0) logger?.info({ values: total }, 'sealed values bound to their table, column, row and owner');
  if (unreadable > 0)
    logger?.warn({ values: unreadable }, 'sealed values no configured key opens were left as they are');
  return total;
}
