import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import type { Medication } from '@tend/proto/tend/health/v1/medications';
import { ReminderState, type NotificationService } from '@tend/proto/tend/notification/v1/notification';
import type { SpokenDose } from '../understanding/reminder-requests.js';
import type { HealthTools } from './health-tools.js';
import { localMidnight } from './local-periods.js';
import { doseSaid, reminderReplies, spokenTime } from './reminder-replies.js';
import { replies } from './replies.js';
import type { TurnInput } from './turn.js';

type Locale = 'en' | 'zh';

/** A request to be reminded of a medication, or to add one with its schedule, as understood. */
export interface ReminderAsk {
  /** The medication on the person's list the words named, if any. */
  medication?: Medication;
  /** Several of the person's medications fit the words: ask which. */
  candidates: readonly string[];
  /** The name as said, for a medication not on the list yet. */
  spokenName?: string;
  dose?: SpokenDose;
  /** Local times "HH:MM". */
  times: readonly string[];
  /** A time was read as the morning because the person did not say which half of the day. */
  timeAssumed: boolean;
  /** "add lisinopril…" rather than "remind me…": the question asked when the name is missing. */
  adding: boolean;
}

/** The dose recorded when none was said; the reply says so, so the person can correct it. */
const unstatedDose: SpokenDose = { amount: 1, unit: 'tablet' };

/**
 * Reminders through the health and notification contracts, as the turn's caller, with spoken
 * answers: the medication and its schedule live in the health service (the notification
 * service's scheduler picks a change up at once), snoozing and the list of upcoming reminders in
 * the notification service. Nothing is written until the request is complete: a missing time,
 * an unclear or missing medication gets a question back instead.
 */
export class ReminderTools {
  constructor(
    private readonly health: HealthTools,
    private readonly notification: Client<typeof NotificationService> | undefined,
    private readonly turn: TurnInput,
  ) {}

  /** "Remind me to take aspirin at 8", "add lisinopril 10 mg every morning at 7". */
  async remind(ask: ReminderAsk, l: Locale): Promise<string> {
    if (!ask.medication && ask.candidates.length > 1) return replies.whichMedication(l, ask.candidates);
    const name = ask.medication?.name ?? (ask.spokenName && nameAsWritten(ask.spokenName));
    if (!name) return ask.adding ? reminderReplies.needsMedicationToAdd(l) : reminderReplies.needsMedication(l);
    if (ask.times.length === 0) return reminderReplies.needsTime(l, name);
    const times = [...new Set(ask.times)].sort();
    const said: string[] = [];
    if (ask.medication) {
      await this.health.setReminder(ask.medication, times);
    } else {
      const dose = ask.dose ?? unstatedDose;
      await this.health.addMedication(name, dose, times);
      said.push(reminderReplies.added(l, name, doseSaid(l, dose.amount, dose.unit), ask.dose === undefined));
    }
    said.push(reminderReplies.scheduled(l, name, times, this.turn.person.timeZone));
    if (ask.timeAssumed) said.push(reminderReplies.assumedMorning(l, times));
    return said.join(l === 'zh' ? '' : ' ');
  }

  /** "Snooze", "snooze 20 minutes": the person's latest reminder comes again later. */
  async snooze(minutes: number | undefined, l: Locale): Promise<string> {
    if (!this.notification) return replies.cannotYet(l);
    const notification = this.notification;
    try {
      const snoozed = await this.health.record('snooze_reminder', () =>
        notification.snoozeLatestReminder({ caller: this.turn.caller, minutes: minutes ?? 0 }),
      );
      const until = snoozed.snoozedUntil ? timestampDate(snoozed.snoozedUntil) : this.turn.now;
      return reminderReplies.snoozed(
        l,
        snoozed.medicationName,
        spokenTime(l, this.#localTime(until)),
        minutes ?? Math.round((until.getTime() - this.turn.now.getTime()) / 60_000),
      );
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) return reminderReplies.nothingToSnooze(l);
      throw error;
    }
  }

  /** "What reminders do I have today": the day's dose reminders still to come, in time order. */
  async upcoming(day: 'today' | 'tomorrow', l: Locale): Promise<string> {
    if (!this.notification) return replies.cannotYet(l);
    const notification = this.notification;
    const { reminders } = await this.health.record('list_reminders', () =>
      notification.listUpcomingReminders({ caller: this.turn.caller }),
    );
    const { now, person } = this.turn;
    const from = day === 'today' ? now : localMidnight(now, person.timeZone, 1);
    const to = localMidnight(now, person.timeZone, day === 'today' ? 1 : 2);
    const lines = reminders
      .filter((r) => r.kind === 'dose_due' && r.state === ReminderState.PENDING && r.fireAt)
      .map((r) => ({ at: timestampDate(r.fireAt!), name: r.medicationName }))
      .filter((r) => r.at >= from && r.at < to)
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((r) => `${spokenTime(l, this.#localTime(r.at))} ${r.name}`);
    return reminderReplies.upcoming(l, day, lines);
  }

  /** "Stop reminding me about vitamin D": no more reminders, the medication and history kept. */
  async stopReminding(
    medication: Medication | undefined,
    candidates: readonly string[],
    spokenName: string | undefined,
    l: Locale,
  ): Promise<string> {
    if (!medication && candidates.length > 1) return replies.whichMedication(l, candidates);
    if (!medication) return spokenName ? reminderReplies.notOnList(l, spokenName) : reminderReplies.whichToStop(l);
    await this.health.stopReminders(medication);
    return reminderReplies.remindersStopped(l, medication.name);
  }

  #localTime(at: Date): string {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: this.turn.person.timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(at);
  }
}

/** A name as said ("vitamin d") as a list shows it ("Vitamin D"); Chinese stays as it is. */
function nameAsWritten(spoken: string): string {
  return spoken
    .trim()
    .split(/\s+/)
    .map((word) => (word.length === 1 ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1)))
    .join(' ');
}
