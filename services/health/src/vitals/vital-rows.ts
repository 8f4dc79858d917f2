import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Selectable } from 'kysely';
import {
  AttentionFlagSchema,
  BloodPressureCategory,
  VitalKind,
  VitalSchema,
  type AttentionFlag,
  type Vital,
} from '@tend/proto/tend/health/v1/vitals';
import type { FieldCipher } from '../crypto/field-cipher.js';
import type { VitalsTable } from '../db/tables.js';
import { bloodPressureCategory, readingFlags } from './vital-attention.js';
import { kindByName, sourceByName } from './vital-kinds.js';
import { sealedAt } from '../crypto/sealed-columns.js';

/** A `vitals` row as read back. */
export type VitalRow = Selectable<VitalsTable>;

/**
 * A stored reading's id, kind, time and values in canonical units: what statistics and flags
 * read. A summary over thousands of readings leaves the note, units and provenance in the table.
 */
export type ReadingValues = Pick<VitalRow, 'id' | 'kind' | 'measured_at' | 'value' | 'systolic' | 'diastolic'>;

/** The attention flags of one stored reading, tied to its id and time. */
export function flagsOfRow(row: ReadingValues): AttentionFlag[] {
  const kind = kindByName(row.kind)?.kind ?? VitalKind.UNSPECIFIED;
  return readingFlags({ kind, value: row.value, systolic: row.systolic, diastolic: row.diastolic }).map((flag) =>
    create(AttentionFlagSchema, {
      ...flag,
      kind,
      vitalId: row.id,
      measuredAt: timestampFromDate(new Date(row.measured_at)),
    }),
  );
}

/** The API's view of a stored reading: note decrypted, category and flags derived. */
export function vitalOfRow(row: VitalRow, cipher: FieldCipher): Vital {
  const kind = kindByName(row.kind)?.kind ?? VitalKind.UNSPECIFIED;
  return create(VitalSchema, {
    id: row.id,
    userId: row.user_id,
    kind,
    ...(row.value !== null && { value: row.value }),
    ...(row.systolic !== null && { systolic: row.systolic }),
    ...(row.diastolic !== null && { diastolic: row.diastolic }),
    unit: row.unit,
    loinc: row.loinc,
    measuredAt: timestampFromDate(new Date(row.measured_at)),
    ...(row.period_start !== null && { periodStart: timestampFromDate(new Date(row.period_start)) }),
    source: sourceByName(row.source),
    note:
      row.note_encrypted === null ? '' : cipher.decrypt(row.note_encrypted, sealedAt.vitalNote(row.id, row.user_id)),
    recordedByUserId: row.recorded_by_user_id ?? '',
    createdAt: timestampFromDate(new Date(row.created_at)),
    bpCategory:
      row.systolic !== null && row.diastolic !== null
        ? bloodPressureCategory(row.systolic, row.diastolic)
        : BloodPressureCategory.UNSPECIFIED,
    flags: flagsOfRow(row),
  });
}
