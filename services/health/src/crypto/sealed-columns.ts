import type { SealContext } from './field-cipher.js';

/**
 * Every sealed column of the health schema: where its row's id and owner are. The places below
 * and the start-up re-seal step are both made from this list, so a new sealed column is one row.
 */
export const sealedColumns = [
  { table: 'users', column: 'email_encrypted', idColumn: 'id', ownerColumn: 'id' },
  { table: 'users', column: 'conditions_encrypted', idColumn: 'id', ownerColumn: 'id' },
  { table: 'users', column: 'allergies_encrypted', idColumn: 'id', ownerColumn: 'id' },
  { table: 'users', column: 'emergency_contact_encrypted', idColumn: 'id', ownerColumn: 'id' },
  { table: 'medications', column: 'instructions_encrypted', idColumn: 'id', ownerColumn: 'user_id' },
  { table: 'dose_log', column: 'note_encrypted', idColumn: 'id', ownerColumn: 'user_id' },
  { table: 'vitals', column: 'note_encrypted', idColumn: 'id', ownerColumn: 'user_id' },
  { table: 'email_verifications', column: 'message_encrypted', idColumn: 'id', ownerColumn: 'user_id' },
  { table: 'caregiver_invitations', column: 'email_encrypted', idColumn: 'id', ownerColumn: 'patient_id' },
] as const;

type SealedColumn = (typeof sealedColumns)[number];

function place(table: SealedColumn['table'], column: SealedColumn['column']) {
  return (rowId: string, ownerId: string): SealContext => ({ table, column, rowId, ownerId });
}

/** The place of each sealed value, from its row's id and owner (a person's own row: both the same). */
export const sealedAt = {
  userEmail: (userId: string) => place('users', 'email_encrypted')(userId, userId),
  userConditions: (userId: string) => place('users', 'conditions_encrypted')(userId, userId),
  userAllergies: (userId: string) => place('users', 'allergies_encrypted')(userId, userId),
  userEmergencyContact: (userId: string) => place('users', 'emergency_contact_encrypted')(userId, userId),
  medicationInstructions: place('medications', 'instructions_encrypted'),
  doseNote: place('dose_log', 'note_encrypted'),
  vitalNote: place('vitals', 'note_encrypted'),
  verificationMessage: place('email_verifications', 'message_encrypted'),
  invitationEmail: place('caregiver_invitations', 'email_encrypted'),
};
