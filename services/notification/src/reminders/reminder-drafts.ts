import type { NotificationDraft } from '../inbox/notification-writer.js';
import { deliveryPlanFor, type ChannelName, type PersonPreferences } from '../preferences/preference-rules.js';
import { reminderMessage } from './reminder-messages.js';
import type { StoredReminder } from './reminder-store.js';

/** Sent more than this after its time, a reminder says it is late. */
export const lateAfterMs = 60 * 1000;

/** A reminder as the notification it becomes when sent at a given time. */
export interface ReminderDraft {
  draft: NotificationDraft;
  /** Sent more than `lateAfterMs` after its time: the text says so. */
  late: boolean;
  /** When to nudge about the dose if it is still not logged; undefined for no nudge. */
  followUpAt: Date | undefined;
}

/**
 * Writes a reminder as its notification for sending at `at`: the text in the recipient's
 * language (late or not), the channels their preferences give for that moment (in quiet hours
 * push and SMS held until they end), the reminder's id as the idempotency key, and the nudge a dose reminder leads to.
 * The same for a reminder fired at once and one rendered ahead of its time (then `at` is its
 * due time), so both paths send the same words on the same channels.
 */
export function reminderDraft(
  reminder: StoredReminder,
  preferences: PersonPreferences,
  at: Date,
  enabledChannels: ReadonlySet<ChannelName>,
): ReminderDraft {
  const late = at.getTime() - reminder.fireAt.getTime() > lateAfterMs;
  const language = preferences.language || (reminder.payload.locale === 'zh' ? 'zh' : 'en');
  const message = reminderMessage({
    kind: reminder.kind,
    payload: reminder.payload,
    toPatient: reminder.recipientUserId === reminder.patientUserId,
    language,
    late,
  });
  const plan = deliveryPlanFor(message.kind, preferences, at, reminder.payload.timeZone);
  const channels = plan.channels.filter((c) => enabledChannels.has(c));
  const followUpMs = reminder.scheduledAt.getTime() + preferences.followUpMinutes * 60_000;
  const followUp = reminder.kind === 'dose_due' && preferences.followUpMinutes > 0 && followUpMs > at.getTime();
  return {
    draft: {
      userId: reminder.recipientUserId,
      kind: message.kind,
      title: message.title,
      body: message.body,
      data: {
        reminderId: reminder.id,
        reminderKind: reminder.kind,
        medicationId: reminder.subjectId,
        patientUserId: reminder.patientUserId,
        scheduledAt: reminder.scheduledAt.toISOString(),
        late: String(late),
        language,
      },
      idempotencyKey: `reminder:${reminder.id}`,
      channels,
      holdUntil: plan.holdUntil,
    },
    late,
    followUpAt: followUp ? new Date(followUpMs) : undefined,
  };
}

/** The id of a dose's one nudge: a snoozed reminder's nudge is its dose's, keyed by the first reminder. */
export function followUpIdOf(reminder: { id: string; parentId: string | null }): { id: string; parentId: string } {
  const root = reminder.parentId ?? reminder.id;
  return { id: `fu_${root}`, parentId: root };
}
