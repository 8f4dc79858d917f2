import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError, type Clock, type SchemaDatabase } from '@tend/platform';
import { CalendarSyncSchema, type CalendarSync } from '@tend/proto/tend/external/v1/external';
import type { Selectable, Transaction } from 'kysely';
import { UnboundValueError, sealedAt, type NotesCipher } from '../appointments/notes-cipher.js';
import type { CalendarConnectionRow, CalendarLinkRow, ExternalTables } from '../db/tables.js';
import type { CalDavCredentials } from './caldav-calendar.js';

/** A stored connection with its password opened, for one sync. */
export interface OpenConnection {
  userId: string;
  calendarUrl: string;
  credentials: CalDavCredentials;
}

/** A link as the sync reads and writes it. */
export type CalendarLink = Pick<CalendarLinkRow, 'appointment_id' | 'href' | 'etag' | 'sequence'>;

/**
 * The people's CalDAV connections and their links. The password is sealed with the field cipher
 * before it is stored and opened only for a sync; it never leaves the service.
 */
export class CalendarConnections {
  constructor(
    private readonly db: SchemaDatabase<ExternalTables>,
    private readonly cipher: NotesCipher,
    private readonly clock: Clock,
  ) {}

  /** Stores (or replaces) a person's connection; links to another calendar are forgotten. */
  async connect(userId: string, calendarUrl: string, username: string, password: string): Promise<CalendarSync> {
    const row: Selectable<CalendarConnectionRow> = {
      user_id: userId,
      calendar_url: calendarUrl,
      username,
      password_encrypted: this.cipher.encrypt(password, sealedAt.calendarPassword(userId)),
      password_bound: true,
      connected_at: this.clock.now(),
      last_synced_at: null,
      last_error: '',
      // A sync of the calendar replaced here may still run: its lease check fails and it writes nothing.
      sync_owner: null,
      sync_lease_until: null,
    };
    await this.db.transaction(async (trx) => {
      const before = await trx
        .selectFrom('calendar_connections')
        .select('calendar_url')
        .where('user_id', '=', userId)
        .forUpdate()
        .executeTakeFirst();
      if (before && before.calendar_url !== calendarUrl) {
        await trx.deleteFrom('calendar_links').where('user_id', '=', userId).execute();
      }
      await trx
        .insertInto('calendar_connections')
        .values(row)
        .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
        .execute();
    });
    return this.status(userId);
  }

  /** Forgets the connection and its links (the appointments stay). */
  async disconnect(userId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx.deleteFrom('calendar_links').where('user_id', '=', userId).execute();
      await trx.deleteFrom('calendar_connections').where('user_id', '=', userId).execute();
    });
  }

  async open(userId: string): Promise<OpenConnection> {
    const row = await this.#row(userId);
    if (!row.password_bound) throw new UnboundValueError('calendar connection', userId);
    return {
      userId,
      calendarUrl: row.calendar_url,
      credentials: {
        url: row.calendar_url,
        username: row.username,
        password: this.cipher.decrypt(row.password_encrypted, sealedAt.calendarPassword(userId)),
      },
    };
  }

  async status(userId: string): Promise<CalendarSync> {
    const row = await this.#row(userId);
    const { linked } = await this.db.primary
      .selectFrom('calendar_links')
      .select((eb) => eb.fn.countAll<string>().as('linked'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return create(CalendarSyncSchema, {
      calendarUrl: row.calendar_url,
      username: row.username,
      connectedAt: timestampFromDate(row.connected_at),
      lastSyncedAt: row.last_synced_at ? timestampFromDate(row.last_synced_at) : undefined,
      lastError: row.last_error,
      linked: Number(linked),
    });
  }

  /** People whose last sync is older than `before` (or who never synced), oldest first. */
  async due(before: Date, limit: number): Promise<string[]> {
    const rows = await this.db.primary
      .selectFrom('calendar_connections')
      .select('user_id')
      .where((eb) => eb.or([eb('last_synced_at', 'is', null), eb('last_synced_at', '<', before)]))
      .orderBy('last_synced_at', (ob) => ob.asc().nullsFirst())
      .limit(limit)
      .execute();
    return rows.map((r) => r.user_id);
  }

  async links(userId: string): Promise<CalendarLink[]> {
    return this.db.primary
      .selectFrom('calendar_links')
      .select(['appointment_id', 'href', 'etag', 'sequence'])
      .where('user_id', '=', userId)
      .execute();
  }

  /**
   * Takes the person's sync lease for `owner` when no one holds it (or the holder's ran out), in
   * one conditional statement, so of two instances at once exactly one gets it. False: busy.
   */
  async takeLease(userId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.clock.now();
    const taken = await this.db.primary
      .updateTable('calendar_connections')
      .set({ sync_owner: owner, sync_lease_until: new Date(now.getTime() + leaseMs) })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('sync_lease_until', 'is', null), eb('sync_lease_until', '<=', now)]))
      .returning('user_id')
      .executeTakeFirst();
    return taken !== undefined;
  }

  /** Gives the lease back, if `owner` still holds it. */
  async releaseLease(userId: string, owner: string): Promise<void> {
    await this.db.primary
      .updateTable('calendar_connections')
      .set({ sync_owner: null, sync_lease_until: null })
      .where('user_id', '=', userId)
      .where('sync_owner', '=', owner)
      .execute();
  }

  /**
   * Records a sync's links and its success, in the sync's transaction — only while `owner` still
   * holds an unexpired lease (false otherwise, and the caller rolls back): a sync that outlived its
   * lease may overlap another one and must not write over it.
   */
  async saveLinks(
    trx: Transaction<ExternalTables>,
    userId: string,
    upserts: readonly CalendarLink[],
    removed: readonly string[],
    owner: string,
  ): Promise<boolean> {
    const held = await trx
      .selectFrom('calendar_connections')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('sync_owner', '=', owner)
      .where('sync_lease_until', '>', this.clock.now())
      .forUpdate()
      .executeTakeFirst();
    if (!held) return false;
    if (removed.length > 0) {
      await trx
        .deleteFrom('calendar_links')
        .where('user_id', '=', userId)
        .where('appointment_id', 'in', removed)
        .execute();
    }
    for (let i = 0; i < upserts.length; i += 1000) {
      const chunk = upserts.slice(i, i + 1000).map((link) => ({ ...link, user_id: userId }));
      await trx
        .insertInto('calendar_links')
        .values(chunk)
        .onConflict((oc) =>
          oc.columns(['user_id', 'appointment_id']).doUpdateSet((eb) => ({
            href: eb.ref('excluded.href'),
            etag: eb.ref('excluded.etag'),
            sequence: eb.ref('excluded.sequence'),
          })),
        )
        .execute();
    }
    await trx
      .updateTable('calendar_connections')
      .set({ last_synced_at: this.clock.now(), last_error: '' })
      .where('user_id', '=', userId)
      .execute();
    return true;
  }

  /** Keeps why the last sync failed, for the status. */
  async recordFailure(userId: string, message: string): Promise<void> {
    await this.db.primary
      .updateTable('calendar_connections')
      .set({ last_error: message.slice(0, 500) })
      .where('user_id', '=', userId)
      .execute();
  }

  async #row(userId: string): Promise<Selectable<CalendarConnectionRow>> {
    const row = await this.db.primary
      .selectFrom('calendar_connections')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('calendar connection', 'for this person');
    return row;
  }
}
