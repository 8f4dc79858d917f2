import { sql } from 'kysely';
import { UnauthenticatedError, type Clock } from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import { verifyTwilioSignature } from '../channels/twilio-api.js';
import type { NotificationTables } from '../db/tables.js';
import { isStatusCallback, recordSmsStatus } from '../delivery/sms-status.js';
import type { DeviceStore } from '../devices/device-store.js';
import type { ReminderAction } from './action-tokens.js';
import type { ReminderActions } from './reminder-actions.js';

/** What a reply says, in either language. */
export function replyAction(body: string): ReminderAction | undefined {
  const word = body
    .trim()
    .toLowerCase()
    .replace(/[.!。！]+$/, '');
  if (['1', 'taken', 'took it', 'yes', '已服用', '吃了', '是'].includes(word)) return 'taken';
  if (['2', 'skip', 'skipped', '跳过'].includes(word)) return 'skip';
  if (['3', 'snooze', 'later', '稍后', '稍后提醒'].includes(word)) return 'snooze';
  return undefined;
}

const answers = {
  taken: { en: 'Thanks, logged as taken.', zh: '好的，已记录为已服用。' },
  skip: { en: 'Noted, logged as skipped.', zh: '好的，已记录为跳过。' },
  snooze: { en: 'I will remind you again in 10 minutes.', zh: '好的，10 分钟后再提醒您。' },
  unknown: { en: 'Reply 1 (taken), 2 (skip) or 3 (snooze).', zh: '请回复 1（已服用）、2（跳过）或 3（稍后提醒）。' },
  none: { en: 'There is no reminder to answer right now.', zh: '现在没有需要回复的提醒。' },
};

/**
 * Inbound SMS from the provider's webhook ("1" or "TAKEN" to a reminder), and its status
 * callbacks for the texts it sent (delivered, undelivered). The signature is checked first, with
 * each configured account's auth token; a bad one changes nothing. A reply is matched to the
 * sender's most recent dose reminder of the last two hours not yet answered.
 */
export class SmsReplies {
  constructor(
    private readonly deps: {
      authTokens: string[];
      db: SchemaDatabase<NotificationTables>;
      devices: DeviceStore;
      actions: ReminderActions;
      clock: Clock;
    },
  ) {}

  async handle(url: string, params: Record<string, string>, signature: string): Promise<string> {
    if (!signature || !this.deps.authTokens.some((token) => verifyTwilioSignature(token, url, params, signature))) {
      throw new UnauthenticatedError('the SMS webhook signature does not match');
    }
    if (isStatusCallback(params)) {
      await recordSmsStatus(this.deps.db, params, this.deps.clock.now());
      return '';
    }
    const from = params.From ?? '';
    const userId = await this.deps.devices.personOfPhone(from);
    const language = /[\u4e00-\u9fff]/.test(params.Body ?? '') ? 'zh' : 'en';
    if (!userId) return answers.none[language];
    const action = replyAction(params.Body ?? '');
    if (!action) return answers.unknown[language];
    const since = new Date(this.deps.clock.now().getTime() - 2 * 60 * 60 * 1000);
    const candidates = await this.deps.db.primary
      .selectFrom('notifications')
      .leftJoin('used_action_tokens', (join) =>
        join.on(sql<boolean>`used_action_tokens.token_id = 'n:' || notifications.id::text`),
      )
      .select(['notifications.id', 'notifications.data'])
      .where('notifications.user_id', '=', userId)
      .where('notifications.created_at', '>=', since)
      // Not one written ahead for later.
      .where('notifications.created_at', '<=', this.deps.clock.now())
      .where('notifications.kind', '=', 'dose_reminder')
      .where('used_action_tokens.token_id', 'is', null)
      .orderBy('notifications.created_at', 'desc')
      .limit(1)
      .execute();
    const target = candidates[0];
    if (!target) return answers.none[language];
    await this.deps.actions.perform(
      userId,
      target.id,
      action,
      params.MessageSid ? `sms:${params.MessageSid}` : undefined,
    );
    return answers[action][language];
  }
}
