import type { Clock } from '@tend/core';
import type { SchemaDatabase } from '@tend/db';
import type { Selectable } from 'kysely';
import type { NotificationTables, PreferencesTable } from '../db/tables.js';
import { ReminderFiredMeanwhileError, withdrawUnfired } from '../reminders/reminder-store.js';
import {
  channelNames,
  defaultPreferences,
  kindNames,
  type ChannelName,
  type KindName,
  type PersonPreferences,
} from './preference-rules.js';

type Row = Selectable<PreferencesTable>;

/** A stored row as complete preferences: kinds never set keep their defaults. */
function preferencesOf(row: Row | undefined): PersonPreferences {
  const preferences = defaultPreferences();
  if (!row) return preferences;
  for (const kind of kindNames) {
    const stored = row.channels[kind];
    if (stored) {
      preferences.channels[kind] = stored.filter((c): c is ChannelName =>
        (channelNames as readonly string[]).includes(c),
      );
    }
  }
  if (row.quiet_start && row.quiet_end) preferences.quietHours = { start: row.quiet_start, end: row.quiet_end };
  preferences.language = row.language === 'en' || row.language === 'zh' ? row.language : '';
  preferences.timeZone = row.time_zone;
  preferences.followUpMinutes = row.follow_up_minutes;
  return preferences;
}

/** Each person's delivery preferences, in the notification schema. */
export class PreferenceStore {
  constructor(
    private readonly db: SchemaDatabase<NotificationTables>,
    private readonly clock: Clock,
  ) {}

  /** One person's preferences, defaults for what they never set. */
  async get(userId: string): Promise<PersonPreferences> {
    const row = await this.db.primary
      .selectFrom('preferences')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return preferencesOf(row);
  }

  /** Many people's at once, for a batch of reminders: one query. */
  async getMany(userIds: readonly string[]): Promise<Map<string, PersonPreferences>> {
    const unique = [...new Set(userIds)];
    const rows =
      unique.length === 0
        ? []
        : await this.db.primary.selectFrom('preferences').selectAll().where('user_id', 'in', unique).execute();
    const byId = new Map(rows.map((row) => [row.user_id, row]));
    return new Map(unique.map((id) => [id, preferencesOf(byId.get(id))]));
  }

  /** Replaces a person's preferences (already validated) as a whole. */
  async put(userId: string, preferences: PersonPreferences): Promise<PersonPreferences> {
    const values = {
      channels: JSON.stringify(preferences.channels satisfies Record<KindName, ChannelName[]>),
      quiet_start: preferences.quietHours?.start ?? null,
      quiet_end: preferences.quietHours?.end ?? null,
      language: preferences.language,
      time_zone: preferences.timeZone,
      follow_up_minutes: preferences.followUpMinutes,
      updated_at: this.clock.now(),
    };
    // A reminder whose time came while this ran (its live event went out) fails the change; tried
    // again with the clock read after, the change leaves that reminder as it was.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#write(userId, values);
        return preferences;
      } catch (error) {
        if (!(error instanceof ReminderFiredMeanwhileError) || attempt >= 2) throw error;
      }
    }
  }

  async #write(userId: string, values: Omit<Row, 'user_id' | 'channels'> & { channels: string }): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx
        .insertInto('preferences')
        .values({ user_id: userId, ...values })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
        .execute();
      // Reminders written ahead with the old channels, quiet hours or language are written again.
      const now = this.clock.now();
      await trx
        .updateTable('reminders')
        .set({ prepared: null, notification_id: null })
        .where('recipient_user_id', '=', userId)
        .where('state', '=', 'pending')
        .where('prepared', 'is not', null)
        .where('fire_at', '>', now)
        .execute();
      await withdrawUnfired(trx, this.db.schema, now, [userId]);
    });
  }

  /** Forgets a person (their account was deleted). */
  async forget(userId: string): Promise<void> {
    await this.db.primary.deleteFrom('preferences').where('user_id', '=', userId).execute();
  }
}
