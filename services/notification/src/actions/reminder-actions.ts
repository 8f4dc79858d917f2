import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { ConflictError, NotFoundError, ValidationError, type Clock, type Ids } from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import { DoseSource, DoseStatus } from '@tend/proto/tend/health/v1/doses';
import type { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import { sql } from 'kysely';
import type { NotificationTables } from '../db/tables.js';
import { reminderActions, type ActionTokens, type ReminderAction } from './action-tokens.js';

/** How long "Snooze" puts a reminder off. */
export const snoozeMs = 10 * 60 * 1000;
/** How far back a reminder still counts as "the one just sent" for a spoken "snooze". */
const latestReminderWindowMs = 2 * 60 * 60 * 1000;

export interface ActionOutcome {
  action: ReminderAction;
  notificationId: string;
  snoozedUntil?: Date;
}

/** A snooze of the latest reminder, with what it was about. */
export interface LatestSnooze extends ActionOutcome {
  medicationId: string;
  medicationName: string;
}

/**
 * Taken, Skip and Snooze on a dose reminder. Each notification is acted on once, whichever way
 * (a push button, an e-mail link, the app, an SMS reply): the first action is recorded with the
 * token's id and the notification's, in the transaction that applies it, so a replayed link or a
 * second tap changes nothing and says so. Taken and Skip log the dose in the health service for
 * the person; Snooze adds a reminder ten minutes on.
 */
export class ReminderActions {
  constructor(
    private readonly deps: {
      db: SchemaDatabase<NotificationTables>;
      health: Client<typeof HealthPublicService>;
      tokens: ActionTokens;
      clock: Clock;
      ids: Ids;
    },
  ) {}

  /** Acts on a signed token from a push button or an e-mail link. */
  async byToken(token: string): Promise<ActionOutcome> {
    const claims = this.deps.tokens.verify(token, this.deps.clock.now());
    return this.perform(claims.userId, claims.notificationId, claims.action, `t:${claims.tokenId}`);
  }

  /** Acts for the signed-in person on one of their notifications. */
  async byPerson(userId: string, notificationId: string, action: string): Promise<ActionOutcome> {
    if (!(reminderActions as readonly string[]).includes(action)) {
      throw ValidationError.field('action', `must be one of ${reminderActions.join(', ')}`);
    }
    if (!/^[0-9a-f-]{36}$/i.test(notificationId)) throw ValidationError.field('notification_id', 'must be a UUID');
    return this.perform(userId, notificationId, action as ReminderAction);
  }

  /**
   * Snoozes the person's most recent dose reminder sent in the last 2 h that nobody has answered
   * yet: what "snooze" means when said to the assistant, with no notification in hand.
   */
  async snoozeLatest(userId: string, minutes: number): Promise<LatestSnooze> {
    // 0 to 240, as the contract requires; 0 is the default.
    const wanted = minutes === 0 ? snoozeMs / 60_000 : minutes;
    const { db, clock } = this.deps;
    const since = new Date(clock.now().getTime() - latestReminderWindowMs);
    const latest = await db.primary
      .selectFrom('notifications')
      .innerJoin('reminders', 'reminders.notification_id', 'notifications.id')
      .select(['notifications.id', 'reminders.subject_id', 'reminders.payload'])
      .where('notifications.user_id', '=', userId)
      .where('notifications.created_at', '>=', since)
      // Not one written ahead for later.
      .where('notifications.created_at', '<=', clock.now())
      .where('reminders.kind', 'in', ['dose_due', 'dose_follow_up'])
      .where('reminders.recipient_user_id', '=', userId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('used_action_tokens')
              .select('token_id')
              .where('token_id', '=', sql<string>`'n:' || ${sql.ref('notifications.id')}::text`),
          ),
        ),
      )
      .orderBy('notifications.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!latest) throw new NotFoundError('reminder', 'due now');
    const outcome = await this.perform(userId, latest.id, 'snooze', undefined, wanted * 60_000);
    return { ...outcome, medicationId: latest.subject_id, medicationName: latest.payload.medicationName };
  }

  async perform(
    userId: string,
    notificationId: string,
    action: ReminderAction,
    tokenKey?: string,
    snoozeForMs = snoozeMs,
  ): Promise<ActionOutcome> {
    const { db, clock, ids } = this.deps;
    return db.transaction(async (trx) => {
      const now = clock.now();
      const notification = await trx
        .selectFrom('notifications')
        .selectAll()
        .where('id', '=', notificationId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!notification) throw new NotFoundError('notification', notificationId);
      const { reminderId, medicationId, scheduledAt, reminderKind } = notification.data;
      if (!reminderId || !medicationId || !scheduledAt || reminderKind === 'missed_dose_alert') {
        // Only a dose reminder takes an action: for any other notification there is none to take.
        throw new NotFoundError('dose reminder', notificationId);
      }
      const keys = [`n:${notificationId}`, ...(tokenKey ? [tokenKey] : [])];
      const used = await trx
        .insertInto('used_action_tokens')
        .values(keys.map((token_id) => ({ token_id, used_at: now })))
        .onConflict((oc) => oc.column('token_id').doNothing())
        .executeTakeFirst();
      if (Number(used.numInsertedOrUpdatedRows ?? 0n) !== keys.length) {
        throw new ConflictError('action', 'this reminder was already answered, or the link was used');
      }
      let snoozedUntil: Date | undefined;
      if (action === 'snooze') {
        snoozedUntil = new Date(now.getTime() + snoozeForMs);
        const original = await trx.selectFrom('reminders').selectAll().where('id', '=', reminderId).executeTakeFirst();
        if (!original) throw new NotFoundError('reminder', reminderId);
        await trx
          .insertInto('reminders')
          .values({
            id: `snz_${ids.uuid()}`,
            kind: 'dose_due',
            recipient_user_id: original.recipient_user_id,
            patient_user_id: original.patient_user_id,
            subject_id: original.subject_id,
            // Lives while the dose is unlogged: logging it cancels the snoozed reminder too.
            parent_id: original.parent_id ?? original.id,
            fire_at: snoozedUntil,
            scheduled_at: original.scheduled_at,
            payload: JSON.stringify(original.payload),
            state: 'pending',
            updated_at: now,
          })
          .execute();
      } else {
        await this.deps.health.logDose({
          caller: create(CallerSchema, { userId, role: Role.USER }),
          medicationId,
          status: action === 'taken' ? DoseStatus.TAKEN : DoseStatus.SKIPPED,
          scheduledAt: timestampFromDate(new Date(scheduledAt)),
          source: DoseSource.APP,
        });
      }
      await trx
        .updateTable('notifications')
        .set({ read_at: sql`coalesce(read_at, ${now})` })
        .where('id', '=', notificationId)
        .execute();
      return { action, notificationId, snoozedUntil };
    });
  }
}
