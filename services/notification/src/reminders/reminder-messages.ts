import type { ReminderPayload } from '../db/tables.js';
import type { KindName } from '../preferences/preference-rules.js';

/** The kinds of reminder the scheduler fires. */
export type ReminderKindName = 'dose_due' | 'missed_dose_alert' | 'dose_follow_up';

/** A reminder as a message: its text in the recipient's language and the preference kind it counts as. */
export interface ReminderMessage {
  kind: KindName;
  title: string;
  body: string;
}

export interface ReminderMessageInput {
  kind: ReminderKindName;
  payload: ReminderPayload;
  /** Whether the recipient is the person who takes the medication (not a caregiver). */
  toPatient: boolean;
  language: 'en' | 'zh';
  /** Sent after its time (the service was down or busy): the text says so. */
  late: boolean;
}

function doseText(payload: ReminderPayload, language: 'en' | 'zh'): string {
  if (!(payload.dose > 0)) return payload.medicationName;
  const amount = `${Number(payload.dose.toFixed(3))}${language === 'zh' ? '' : ' '}${payload.doseUnit}`.trim();
  return language === 'zh' ? `${payload.medicationName} ${amount}` : `${amount} of ${payload.medicationName}`;
}

/**
 * The words of a reminder, English or Chinese. A caregiver's alert names the person it is about;
 * the person's own never does. Instructions (e.g. "with food") follow the dose when there are any.
 */
export function reminderMessage(input: ReminderMessageInput): ReminderMessage {
  const { payload, language, late } = input;
  const med = payload.medicationName;
  const time = payload.localTime;
  const extra = payload.instructions
    ? language === 'zh'
      ? ` ${payload.instructions}`
      : ` ${payload.instructions}.`
    : '';
  if (language === 'zh') {
    switch (input.kind) {
      case 'dose_due':
        return {
          kind: 'dose_reminder',
          title: `该服用${med}了`,
          body: `${late ? '（迟到的提醒）' : ''}${time} 服用 ${doseText(payload, 'zh')}。${extra}`.trim(),
        };
      case 'dose_follow_up':
        return { kind: 'dose_reminder', title: `您服用${med}了吗？`, body: `您 ${time} 的${med}还没有记录。` };
      case 'missed_dose_alert':
        return input.toPatient
          ? { kind: 'missed_dose', title: `漏服：${med}`, body: `您 ${time} 的${med}没有记录。` }
          : {
              kind: 'caregiver_alert',
              title: `${payload.patientDisplayName}漏服了一次药`,
              body: `${payload.patientDisplayName} ${time} 的${med}没有记录。`,
            };
    }
  }
  switch (input.kind) {
    case 'dose_due':
      return {
        kind: 'dose_reminder',
        title: `Time for your ${med}`,
        body: `${late ? '(Late reminder) ' : ''}${doseText(payload, 'en')} at ${time}.${extra}`,
      };
    case 'dose_follow_up':
      return {
        kind: 'dose_reminder',
        title: `Did you take your ${med}?`,
        body: `Your ${time} dose of ${med} is not logged yet.`,
      };
    case 'missed_dose_alert':
      return input.toPatient
        ? { kind: 'missed_dose', title: `Missed dose: ${med}`, body: `Your ${time} dose of ${med} was not logged.` }
        : {
            kind: 'caregiver_alert',
            title: `${payload.patientDisplayName} missed a dose`,
            body: `${payload.patientDisplayName}'s ${time} dose of ${med} was not logged.`,
          };
  }
}
