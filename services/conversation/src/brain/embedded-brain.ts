import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import type { Caller } from '@tend/proto/tend/common/v1/common';
import { DoseSource, DoseStatus } from '@tend/proto/tend/health/v1/doses';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import type { Medication } from '@tend/proto/tend/health/v1/medications';
import { BloodPressureCategory, VitalSource } from '@tend/proto/tend/health/v1/vitals';
import type { ParaphraseMatcher } from '../understanding/paraphrase-matcher.js';
import { understand, type Understanding } from '../understanding/understand.js';
import type { ContextWindow } from './context-window.js';
import { rangeOf } from './local-periods.js';
import { replies, spokenUnit } from './replies.js';
import { vitalKindValues } from './vital-kind-values.js';

/** Who a turn is for, as the health service knows them. */
export interface Person {
  id: string;
  displayName: string;
  locale: 'en' | 'zh';
  timeZone: string;
}

/** A tool the brain called, and whether it worked. */
export interface ToolAction {
  tool: string;
  ok: boolean;
}

/** One answer: what to say, what was done, and which intent was understood. */
export interface BrainReply {
  text: string;
  intent: string;
  actions: ToolAction[];
  locale: 'en' | 'zh';
}

export interface TurnInput {
  text: string;
  caller: Caller;
  person: Person;
  medications: readonly Medication[];
  now: Date;
  /** The language asked for; empty uses the person's. */
  locale?: 'en' | 'zh';
  /** The conversation so far, for a brain that can use it. */
  context?: ContextWindow;
}

/**
 * The brain that always works: rules understand the sentence, the health service's contract
 * does the work — always as the caller of the turn, so nothing said can reach another person's
 * record — and templates answer in the person's language. A write happens only when the
 * sentence clearly asks for it; an unclear medication gets a question instead.
 */
export class EmbeddedBrain {
  constructor(
    private readonly health: Client<typeof HealthService>,
    private readonly paraphrases?: ParaphraseMatcher,
  ) {}

  async answer(turn: TurnInput): Promise<BrainReply> {
    const understood = understand(turn.text, {
      medicationNames: turn.medications.map((m) => m.name),
      locale: turn.locale ?? turn.person.locale,
      paraphrases: this.paraphrases,
    });
    const actions: ToolAction[] = [];
    const act = async <T>(tool: string, work: () => Promise<T>): Promise<T> => {
      try {
        const result = await work();
        actions.push({ tool, ok: true });
        return result;
      } catch (error) {
        actions.push({ tool, ok: false });
        throw error;
      }
    };
    let text: string;
    try {
      text = await this.#respond(understood, turn, act);
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.InvalidArgument) text = error.rawMessage;
      else text = replies.failed(understood.locale);
    }
    return { text, intent: understood.intent, actions, locale: understood.locale };
  }

  async #respond(
    u: Understanding,
    turn: TurnInput,
    act: <T>(tool: string, work: () => Promise<T>) => Promise<T>,
  ): Promise<string> {
    const l = u.locale;
    const caller = turn.caller;
    switch (u.intent) {
      case 'emergency':
        return replies.emergency(l);
      case 'log_vital': {
        const spoken = u.vital!;
        const { vital } = await act('record_vital', () =>
          this.health.recordVital({
            caller,
            vital: {
              kind: vitalKindValues[spoken.kind],
              value: spoken.value,
              systolic: spoken.systolic,
              diastolic: spoken.diastolic,
              unit: spoken.unit ?? '',
              source: VitalSource.VOICE,
            },
          }),
        );
        if (spoken.kind === 'blood_pressure') {
          const said = replies.recordedPressure(l, vital!.systolic!, vital!.diastolic!, vital!.bpCategory);
          return vital!.bpCategory === BloodPressureCategory.HYPERTENSIVE_CRISIS
            ? `${said} ${replies.crisisAdvice(l)}`
            : said;
        }
        return replies.recordedReading(l, spoken.kind, vital!.value!, vital!.unit);
      }
      case 'log_dose': {
        const medication = this.#pick(u, turn);
        if (typeof medication === 'string') return medication;
        const status = u.doseStatus === 'skipped' ? DoseStatus.SKIPPED : DoseStatus.TAKEN;
        await act('log_dose', () =>
          this.health.logDose({ caller, medicationId: medication.id, status, source: DoseSource.VOICE }),
        );
        return replies.doseLogged(l, medication.name, u.doseStatus ?? 'taken');
      }
      case 'query_vitals': {
        const kind = u.vitalKind!;
        const { from, to } = rangeOf(u.period ?? 'this_week', turn.now, turn.person.timeZone);
        const { summary } = await act('vital_summary', () =>
          this.health.getVitalSummary({
            caller,
            kind: vitalKindValues[kind],
            from: timestampFromDate(from),
            to: timestampFromDate(to),
          }),
        );
        const stats = kind === 'blood_pressure' ? undefined : summary?.value;
        const detail =
          kind === 'blood_pressure'
            ? `${l === 'zh' ? '平均' : 'average'} ${Math.round(summary?.systolic?.mean ?? 0)}/${Math.round(summary?.diastolic?.mean ?? 0)}, ${l === 'zh' ? '最高' : 'highest'} ${summary?.systolic?.max ?? 0}/${summary?.diastolic?.max ?? 0} ${spokenUnit(l, summary?.unit ?? '')}.`
            : `${l === 'zh' ? '平均' : 'average'} ${round(stats?.mean)}, ${l === 'zh' ? '范围' : 'range'} ${round(stats?.min)}–${round(stats?.max)} ${spokenUnit(l, summary?.unit ?? '')}.`;
        return replies.summary(l, kind, summary?.count ?? 0, detail);
      }
      case 'query_adherence': {
        const { from, to } = rangeOf(u.period ?? 'this_week', turn.now, turn.person.timeZone);
        const { report } = await act('adherence', () =>
          this.health.getAdherence({ caller, from: timestampFromDate(from), to: timestampFromDate(to) }),
        );
        const overall = report?.overall;
        return replies.adherence(l, overall?.taken ?? 0, overall?.scheduled ?? 0, overall?.missed ?? 0);
      }
      case 'list_doses': {
        const { from, to } = rangeOf(u.period ?? 'today', turn.now, turn.person.timeZone);
        const { doses } = await act('scheduled_doses', () =>
          this.health.listScheduledDoses({ caller, from: timestampFromDate(from), to: timestampFromDate(to) }),
        );
        return replies.dosesToTake(
          l,
          doses
            .filter((d) => d.status === DoseStatus.PENDING)
            .map((d) => `${d.localTime} ${d.medicationName} ${d.dose} ${d.doseUnit}`),
        );
      }
      case 'list_medications':
        return replies.medications(
          l,
          turn.medications.filter((m) => m.active).map((m) => m.name),
        );
      case 'add_reminder': {
        const medication = this.#pick(u, turn);
        if (typeof medication === 'string') return medication;
        if (!u.times || u.times.length === 0) return replies.reminderNeedsTime(l);
        const times = [...new Set([...(medication.schedule?.times ?? []), ...u.times])].sort();
        await act('set_reminder', () =>
          this.health.updateMedication({
            caller,
            medicationId: medication.id,
            schedule: { times, days: medication.schedule?.days ?? [], asNeeded: false },
          }),
        );
        return replies.reminderSet(l, medication.name, u.times);
      }
      case 'stop_medication': {
        const medication = this.#pick(u, turn);
        if (typeof medication === 'string') return medication;
        await act('stop_medication', () =>
          this.health.updateMedication({ caller, medicationId: medication.id, active: false }),
        );
        return replies.stopped(l, medication.name);
      }
      case 'medical_advice':
        return replies.noMedicalAdvice(l);
      case 'weather':
      case 'calendar':
        return replies.cannotYet(l);
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
