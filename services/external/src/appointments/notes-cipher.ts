import { UnavailableError, type FieldCipher, type SealContext } from '@tend/core';

/**
 * Seals the external service's free text at rest: the process's field cipher (the same keys and
 * rotation as the health record's notes), which binds each value to where it is stored.
 */
export type NotesCipher = Pick<FieldCipher, 'encrypt' | 'decrypt' | 'reseal'>;

/**
 * Where each sealed value lives. The GCM additional data names the table, column, row and
 * person, so a note copied into another appointment or another person's row, or a calendar
 * password copied into a note, no longer opens.
 */
export const sealedAt = {
  appointmentNotes: (appointmentId: string, userId: string): SealContext => ({
    table: 'external.appointments',
    column: 'notes_encrypted',
    rowId: appointmentId,
    ownerId: userId,
  }),
  calendarPassword: (userId: string): SealContext => ({
    table: 'external.calendar_connections',
    column: 'password_encrypted',
    rowId: userId,
    ownerId: userId,
  }),
} as const;

/**
 * The one place notes and passwords alike were sealed for before migration 0008 (no row, no
 * owner). Only the start-up re-seal opens values with it; reads never do.
 */
export const tableOnlyPlace: SealContext = {
  table: 'external.appointments',
  column: 'notes_encrypted',
  rowId: '',
  ownerId: '',
};

/**
 * A value not sealed for its row yet (written before 0008, or by an older version during a
 * rolling upgrade): refused rather than opened with the row-less place, which would let a value
 * moved between rows open again. Unavailable, not lost: the next start binds it.
 */
export class UnboundValueError extends UnavailableError {
  override name = 'UnboundValueError';
  constructor(
    readonly table: string,
    readonly rowId: string,
  ) {
    super(
      'sealed values',
      `the sealed value of ${table} ${rowId} is not bound to its row yet; the next start binds it`,
    );
  }
}
