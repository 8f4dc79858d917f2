import { Code, ConnectError, type Client } from '@connectrpc/connect';
import type { ExternalService } from '@tend/proto/tend/external/v1/external';
import type { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import type { Medication } from '@tend/proto/tend/health/v1/medications';
import type { NotificationService } from '@tend/proto/tend/notification/v1/notification';
import { BloodPressureCategory } from '@tend/proto/tend/health/v1/vitals';
import type { ParaphraseMatcher } from '../understanding/paraphrase-matcher.js';
import { calendarRequestOf, weatherRequestOf } from '../understanding/external-requests.js';
import { understand, type Understanding } from '../understanding/understand.js';
import { HealthTools } from './health-tools.js';
import { ExternalTools } from './external-tools.js';
import { ReminderTools } from './reminder-tools.js';
import type { BrainReply, TurnInput } from './turn.js';
import { replies, spokenUnit } from './replies.js';

// The shapes of a turn live in turn.ts, which the tools share without importing the brain.
export type { BrainReply, Person, ToolAction, TurnInput } from './turn.js';

/**
 * The brain that always works: rules understand the sentence, the health service's contract
 * does the work — always as the caller of the turn, so nothing said can reach another person's
 * record — and templates answer in the person's language. A write happens only when the
 * sentence clearly asks for it; an unclear medication gets a question instead.
 */
export class EmbeddedBrain {
  constructor(
    private readonly health: Client<typeof HealthPublicService>,
    private readonly paraphrases?: ParaphraseMatcher,
    /** Weather, the person's place and appointments; without it those questions get "not yet". */
    private readonly external?: Client<typeof ExternalService>,
    /** Snoozing and listing reminders; without it those requests get "not yet". */
    private readonly notification?: Client<typeof NotificationService>,
  ) {}

  async answer(turn: TurnInput): Promise<BrainReply> {
    const understood = understand(turn.text, {
      medicationNames: turn.medications.map((m) => m.name),
      locale: turn.locale ?? turn.person.locale,
      paraphrases: this.paraphrases,
    });
    const tools = new HealthTools(this.health, turn);
    let text: string;
    try {
      text = await this.#respond(understood, turn, tools);
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.InvalidArgument) text = error.rawMessage;
      else text = replies.failed(understood.locale);
    }
    return { text, intent: understood.intent, actions: tools.actions, locale: understood.locale };
  }

  async #respond(u: Understanding, turn: TurnInput, tools: HealthTools): Promise<string> {
    const l = u.locale;
    switch (u.intent) {
      case 'emergency':
        return replies.emergency(l);
      case 'log_vital': {
        const spoken = u.vital!;
        const vital = (await tools.recordVital(spoken))!;
        if (spoken.kind === 'blood_pressure') {
          const said = replies.recordedPressure(l, vital.systolic!, vital.diastolic!, vital.bpCategory);
          return vital.bpCategory === BloodPressureCategory.HYPERTENSIVE_CRISIS
            ? `${said} ${replies.crisisAdvice(l)}`
            : said;
        }
        return replies.recordedReading(l, spoken.kind, vital.value!, vital.unit);
      }
      case 'log_dose': {
        const medication = this.#pick(u, turn);
        if (typeof medication === 'string') return medication;
        await tools.logDose(medication, u.doseStatus ?? 'taken');
        return replies.doseLogged(l, medication.name, u.doseStatus ?? 'taken');
      }
      case 'query_vitals': {
        const kind = u.vitalKind!;
        const summary = await tools.vitalSummary(kind, u.period ?? 'this_week');
        const unit = spokenUnit(l, summary?.unit ?? '');
        const stats = kind === 'blood_pressure' ? undefined : summary?.value;
        const detail =
          kind === 'blood_pressure'
            ? `${l === 'zh' ? '平均' : 'average'} ${Math.round(summary?.systolic?.mean ?? 0)}/${Math.round(summary?.diastolic?.mean ?? 0)}, ${l === 'zh' ? '最高' : 'highest'} ${summary?.systolic?.max ?? 0}/${summary?.diastolic?.max ?? 0} ${unit}.`
            : `${l === 'zh' ? '平均' : 'average'} ${round(stats?.mean)}, ${l === 'zh' ? '范围' : 'range'} ${round(stats?.min)}–${round(stats?.max)} ${unit}.`;
        return replies.summary(l, kind, summary?.count ?? 0, detail);
      }
      case 'query_adherence': {
        const overall = await tools.adherence(u.period ?? 'this_week');
        return replies.adherence(l, overall?.taken ?? 0, overall?.scheduled ?? 0, overall?.missed ?? 0);
      }
      case 'list_doses': {
        const doses = await tools.pendingDoses(u.period ?? 'today');
        return replies.dosesToTake(
          l,
          doses.map((d) => `${d.localTime} ${d.medicationName} ${d.dose} ${d.doseUnit}`),
        );
      }
      case 'list_medications':
        return replies.medications(
          l,
          turn.medications.filter((m) => m.active).map((m) => m.name),
        );
      case 'add_reminder':
      case 'add_medication':
      case 'snooze_reminder':
      case 'list_reminders':
      case 'stop_reminders': {
        const reminders = new ReminderTools(tools, this.notification, turn);
        const request = u.reminder;
        const named = u.medication?.name ? turn.medications.find((m) => m.name === u.medication!.name) : undefined;
        const candidates = u.medication?.candidates ?? [];
        if (u.intent === 'snooze_reminder') return reminders.snooze(request?.snoozeMinutes, l);
        if (u.intent === 'list_reminders') return reminders.upcoming(request?.day ?? 'today', l);
        if (u.intent === 'stop_reminders') return reminders.stopReminding(named, candidates, request?.spokenName, l);
        return reminders.remind(
          {
            medication: named,
            candidates,
            spokenName: request?.spokenName,
            dose: request?.dose,
            times: u.times ?? [],
            timeAssumed: request?.timeAssumed ?? false,
            adding: u.intent === 'add_medication',
          },
          l,
        );
      }
      case 'stop_medication': {
        const medication = this.#pick(u, turn);
        if (typeof medication === 'string') return medication;
        await tools.stopMedication(medication);
        return replies.stopped(l, medication.name);
      }
      case 'medical_advice':
        return replies.noMedicalAdvice(l);
      case 'weather':
      case 'calendar':
      case 'set_place': {
        if (!this.external) return replies.cannotYet(l);
        const lower = turn.text.toLowerCase();
        const external = new ExternalTools(this.external, turn, tools.actions);
        if (u.intent === 'set_place') return external.setPlace(u.place ?? '', l);
        if (u.intent === 'calendar') return external.calendarReply(u.calendar ?? calendarRequestOf(lower, l), l);
        return external.weatherReply(u.period === 'tomorrow' ? 1 : 0, u.weather ?? weatherRequestOf(lower), l);
      }
      case 'greeting':
        return replies.greeting(l, turn.person.displayName);
      case 'thanks':
        return replies.thanks(l);
      case 'help':
        return replies.help(l);
      case 'unknown':
        return replies.unknown(l);
    }
  }

  /** The one medication meant, or what to say when it is not clear which. */
  #pick(u: Understanding, turn: TurnInput): Medication | string {
    const match = u.medication;
    if (match?.name) {
      const found = turn.medications.find((m) => m.name === match.name);
      if (found) return found;
    }
    if (match && match.candidates.length > 1) return replies.whichMedication(u.locale, match.candidates);
    const active = turn.medications.filter((m) => m.active);
    // "I took my pill" with one medication on the list means that one.
    if (active.length === 1 && u.intent === 'log_dose') return active[0]!;
    return replies.unknownMedication(u.locale);
  }
}

function round(value: number | undefined): number {
  return Math.round((value ?? 0) * 10) / 10;
}
