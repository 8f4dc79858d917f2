import type { SchemaDatabase } from '@tend/db';
import { sql } from 'kysely';
import type { NotificationTables } from '../db/tables.js';

/** Twilio's final message states, as its status callback names them. */
const deliveredStates = new Set(['delivered']);
const failedStates = new Set(['undelivered', 'failed']);

/** Whether a webhook's parameters are a status callback for a sent text (not an inbound reply). */
export function isStatusCallback(params: Record<string, string>): boolean {
  return params.MessageStatus !== undefined && params.Body === undefined;
}

/**
 * Records what the SMS provider's status callback says about a text it accepted, matched by its
 * message SID (a delivery to several numbers is delivered when one of them is): `delivered` moves the delivery from sent to delivered; `undelivered` or `failed`
 * marks it failed, with the provider's error code, and shows it to admins as a dead letter (the
 * provider has given up; sending the same text again would not help). Intermediate states
 * (queued, sending, sent) change nothing, a state never goes back, and an unknown SID is ignored:
 * callbacks may come late, twice or out of order.
 */
export async function recordSmsStatus(
  db: SchemaDatabase<NotificationTables>,
  params: Record<string, string>,
  now: Date,
): Promise<number> {
  const sid = params.MessageSid ?? params.SmsSid ?? '';
  const status = (params.MessageStatus ?? '').toLowerCase();
  if (!/^[A-Za-z0-9]{10,64}$/.test(sid) || (!deliveredStates.has(status) && !failedStates.has(status))) return 0;
  const delivered = deliveredStates.has(status);
  const updated = await db.primary
    .updateTable('deliveries')
    .set(
      delivered
        ? { status: 'delivered', updated_at: now }
        : {
            status: 'failed',
            dead_letter: true,
            last_error: `the provider reported the text ${status}${params.ErrorCode ? ` (error ${params.ErrorCode})` : ''}`,
            updated_at: now,
          },
    )
    .where('channel', '=', 'sms')
    // The record holds "<provider>:<sid>" for each number it was sent to, space-separated.
    .where(sql<boolean>`${sid} = ANY(regexp_split_to_array(regexp_replace(provider_ref, '[^ :]+:', '', 'g'), ' '))`)
    .where('status', '=', 'sent')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows);
}
