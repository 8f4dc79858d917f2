import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { DoseSource, DoseStatus, type AdherenceStats, type ScheduledDose } from '@tend/proto/tend/health/v1/doses';
import type { HealthPublicService } from '@tend/proto/tend/health/v1/health_public_service';
import type { Medication } from '@tend/proto/tend/health/v1/medications';
import { VitalSource, type Vital } from '@tend/proto/tend/health/v1/vitals';
import type { VitalSummary } from '@tend/proto/tend/health/v1/analytics';
import type { Period, SpokenVital, VitalKindName } from '../understanding/understand.js';
import type { ToolAction, TurnInput } from './turn.js';
import { rangeOf } from './local-periods.js';
import { vitalKindValues } from './vital-kind-values.js';

/**
 * The one set of tools both brains act through: the health service's contract, always as the
 * turn's caller — nothing a sentence or a model says can name another person — with periods
 * resolved in the person's time zone. Every call is recorded in `actions`, with whether it
 * worked.
 */
export class HealthTools {
  readonly actions: ToolAction[] = [];

  constructor(
    private readonly health: Client<typeof HealthPublicService>,
    private readonly turn: TurnInput,
  ) {}

  recordVital(spoken: SpokenVital): Promise<Vital | undefined> {
    return this.record('record_vital', async () => {
      const { vital } = await this.health.recordVital({
        caller: this.turn.caller,
        vital: {
          kind: vitalKindValues[spoken.kind],
          value: spoken.value,
          systolic: spoken.systolic,
          diastolic: spoken.diastolic,
          unit: spoken.unit ?? '',
          source: VitalSource.VOICE,
        },
      });
      return vital;
    });
  }

  logDose(medication: Medication, status: 'taken' | 'skipped'): Promise<void> {
    return this.record('log_dose', async () => {
      await this.health.logDose({
        caller: this.turn.caller,
        medicationId: medication.id,
        status: status === 'taken' ? DoseStatus.TAKEN : DoseStatus.SKIPPED,
        source: DoseSource.VOICE,
      });
    });
  }

  vitalSummary(kind: VitalKindName, period: Period): Promise<VitalSummary | undefined> {
    return this.record('vital_summary', async () => {
      const { summary } = await this.health.getVitalSummary({
        caller: this.turn.caller,
        kind: vitalKindValues[kind],
        ...this.#range(period),
      });
      return summary;
    });
  }

  adherence(period: Period): Promise<AdherenceStats | undefined> {
    return this.record('adherence', async () => {
      const { report } = await this.health.getAdherence({ caller: this.turn.caller, ...this.#range(period) });
      return report?.overall;
    });
  }

  /** The doses scheduled in the period that are still to be taken. */
  pendingDoses(period: Period): Promise<ScheduledDose[]> {
    return this.record('scheduled_doses', async () => {
      const { doses } = await this.health.listScheduledDoses({ caller: this.turn.caller, ...this.#range(period) });
      return doses.filter((d) => d.status === DoseStatus.PENDING);
    });
  }

  /**
   * Adds daily reminder times ("HH:MM", local) to a medication's schedule, keeping the ones it
   * has, and turns its reminders back on if they were stopped.
   */
  setReminder(medication: Medication, times: readonly string[]): Promise<void> {
    return this.record('set_reminder', async () => {
      await this.health.updateMedication({
        caller: this.turn.caller,
        medicationId: medication.id,
        schedule: {
          // An as-needed medication had no times: its reminders are the new schedule.
          times: [
            ...new Set([...(medication.schedule?.asNeeded ? [] : (medication.schedule?.times ?? [])), ...times]),
          ].sort(),
          days: medication.schedule?.days ?? [],
          asNeeded: false,
        },
        remindersEnabled: true,
      });
    });
  }

  /** Adds a medication the person named, taken daily at `times` (local "HH:MM"), reminded. */
  addMedication(name: string, dose: { amount: number; unit: string }, times: readonly string[]): Promise<Medication> {
    return this.record('add_medication', async () => {
      const { medication } = await this.health.createMedication({
        caller: this.turn.caller,
        name,
        dose: dose.amount,
        doseUnit: dose.unit,
        schedule: { times: [...times], days: [], asNeeded: false },
        remindersEnabled: true,
      });
      return medication!;
    });
  }

  /** Stops a medication's reminders; the medication, its schedule and its history stay. */
  stopReminders(medication: Medication): Promise<void> {
    return this.record('stop_reminders', async () => {
      await this.health.updateMedication({
        caller: this.turn.caller,
        medicationId: medication.id,
        remindersEnabled: false,
      });
    });
  }

  stopMedication(medication: Medication): Promise<void> {
    return this.record('stop_medication', async () => {
      await this.health.updateMedication({ caller: this.turn.caller, medicationId: medication.id, active: false });
    });
  }

  /** One of the person's medications by the name it was given, in any case. */
  medicationNamed(name: string): Medication | undefined {
    return this.turn.medications.find((m) => m.name.toLowerCase() === name.trim().toLowerCase());
  }

  #range(period: Period) {
    const { from, to } = rangeOf(period, this.turn.now, this.turn.person.timeZone);
    return { from: timestampFromDate(from), to: timestampFromDate(to) };
  }

  /** Runs one tool call, recording it in `actions` with whether it worked (other tools share it). */
  async record<T>(tool: string, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.actions.push({ tool, ok: true });
      return result;
    } catch (error) {
      this.actions.push({ tool, ok: false });
      throw error;
    }
  }
}
