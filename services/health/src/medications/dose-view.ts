import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  DoseLogEntrySchema,
  DoseSource,
  DoseStatus,
  ScheduledDoseSchema,
  type DoseLogEntry,
  type ScheduledDose,
} from '@tend/proto/tend/health/v1/doses';
import type { Selectable } from 'kysely';
import type { HealthContext } from '../context.js';
import type { DoseLogTable } from '../db/tables.js';
import type { DoseState, LoggedStatus } from './dose-rules.js';
import { instructionsOf, type MedicationRecord } from './medication-store.js';
import type { DoseInstant } from './schedule-expansion.js';
import { sealedAt } from '../crypto/sealed-columns.js';

/** A dose log row as read. */
export type DoseLogRow = Selectable<DoseLogTable>;

const statusByState: Record<DoseState, DoseStatus> = {
  taken: DoseStatus.TAKEN,
  skipped: DoseStatus.SKIPPED,
  missed: DoseStatus.MISSED,
  pending: DoseStatus.PENDING,
};

/** The API status of a dose state. */
export function doseStatusOf(state: DoseState): DoseStatus {
  return statusByState[state];
}

/** The stored status of an API status a log may carry, or undefined (PENDING, unspecified). */
export function loggedStatusOf(status: DoseStatus): LoggedStatus | undefined {
  switch (status) {
    case DoseStatus.TAKEN:
      return 'taken';
    case DoseStatus.SKIPPED:
      return 'skipped';
    case DoseStatus.MISSED:
      return 'missed';
    case DoseStatus.PENDING:
    case DoseStatus.UNSPECIFIED:
      return undefined;
  }
}

const sourceByName: Record<DoseLogRow['source'], DoseSource> = {
  voice: DoseSource.VOICE,
  app: DoseSource.APP,
  caregiver: DoseSource.CAREGIVER,
  system: DoseSource.SYSTEM,
};

/** The stored name of a source, or undefined for an unknown number. */
export function sourceNameOf(source: DoseSource): DoseLogRow['source'] | undefined {
  return (Object.keys(sourceByName) as DoseLogRow['source'][]).find((name) => sourceByName[name] === source);
}

/** The API view of a log entry, note decrypted. */
export function toDoseLogEntry(context: HealthContext, row: DoseLogRow, medicationName: string): DoseLogEntry {
  return create(DoseLogEntrySchema, {
    id: row.id,
    userId: row.user_id,
    medicationId: row.medication_id,
    medicationName,
    status: statusByState[row.status],
    scheduledAt: row.scheduled_at ? timestampFromDate(new Date(row.scheduled_at)) : undefined,
    occurredAt: timestampFromDate(new Date(row.occurred_at)),
    source: sourceByName[row.source],
    recordedByUserId: row.recorded_by_user_id ?? '',
    note: row.note_encrypted ? context.cipher.decrypt(row.note_encrypted, sealedAt.doseNote(row.id, row.user_id)) : '',
    createdAt: timestampFromDate(new Date(row.created_at)),
  });
}

/** The API view of a scheduled dose with its state and, when logged, the entry. */
export function toScheduledDose(
  context: HealthContext,
  medication: MedicationRecord,
  dose: DoseInstant,
  state: DoseState,
  entry: DoseLogRow | undefined,
  instructions = instructionsOf(context, medication),
): ScheduledDose {
  return create(ScheduledDoseSchema, {
    medicationId: medication.id,
    medicationName: medication.name,
    dose: medication.dose,
    doseUnit: medication.doseUnit,
    instructions,
    scheduledAt: timestampFromDate(new Date(dose.scheduledAtMs)),
    localDate: dose.localDate,
    localTime: dose.localTime,
    status: statusByState[state],
    logEntry: entry ? toDoseLogEntry(context, entry, medication.name) : undefined,
  });
}
