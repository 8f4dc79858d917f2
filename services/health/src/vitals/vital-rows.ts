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

/** A `vitals` row as read back. */
export type VitalRow = Selectable<VitalsTable>;

/** The attention flags of one stored reading, tied to its id and time. */
export function flagsOfRow(row: VitalRow): AttentionFlag[] {
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
    note: row.note_encrypted === null ? '' : cipher.decrypt(row.note_encrypted),
    recordedByUserId: row.recorded_by_user_id ?? '',
    createdAt: timestampFromDate(new Date(row.created_at)),
    bpCategory:
      row.systolic !== null && row.diastolic !== null
        ? bloodPressureCategory(row.systolic, row.diastolic)
        : BloodPressureCategory.UNSPECIFIED,
    flags: flagsOfRow(row),
  });
}

/** Opaque list cursor: the last item's (measured_at, id), base64url JSON. */
export function encodeCursor(row: { measured_at: Date | string; id: string }): string {
  return Buffer.from(JSON.stringify({ m: new Date(row.measured_at).toISOString(), i: row.id })).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): { measuredAt: Date; id: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { m?: unknown; i?: unknown };
    if (typeof parsed.m !== 'string' || typeof parsed.i !== 'string') return undefined;
    const measuredAt = new Date(parsed.m);
    if (!Number.isFinite(measuredAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(parsed.i)) return undefined;
    return { measuredAt, id: parsed.i };
  } catch {
    return undefined;
  }
}
