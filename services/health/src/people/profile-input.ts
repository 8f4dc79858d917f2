import { ValidationError } from '@tend/core';
import { Sex, type EmergencyContact, type ProfileUpdate } from '@tend/proto/tend/health/v1/people';
import type { UsersTable } from '../db/tables.js';
import type { FieldCipher } from '../crypto/field-cipher.js';
import { sealedAt } from '../crypto/sealed-columns.js';
import { checkBirthDate, checkHealthList, normaliseEmail } from './account-rules.js';
import { sexNameOf } from './person-records.js';

/** The profile columns a ProfileUpdate sets; absent keys stay as they are. */
export type ProfileColumns = Partial<
  Pick<UsersTable, 'sex' | 'conditions_encrypted' | 'allergies_encrypted' | 'emergency_contact_encrypted'> & {
    birth_date: string | null;
  }
>;

const e164 = /^\+[1-9]\d{6,14}$/;

function checkText(field: string, value: string, max: number): string {
  const trimmed = value.trim();
  if ([...trimmed].length > max) throw ValidationError.field(field, `must be at most ${max} characters`);
  return trimmed;
}

/**
 * The emergency contact as stored, or null when the update clears it (every field empty). A
 * contact needs a name and a way to reach them: an E.164 phone number or an e-mail.
 */
export function checkEmergencyContact(field: string, contact: EmergencyContact): EmergencyContact | null {
  const name = checkText(`${field}.name`, contact.name, 100);
  const relationship = checkText(`${field}.relationship`, contact.relationship, 100);
  const phone = contact.phone.replace(/[\s().-]/g, '');
  if (!name && !relationship && !phone && !contact.email.trim()) return null;
  if (!name) throw ValidationError.field(`${field}.name`, 'is required');
  if (phone && !e164.test(phone))
    throw ValidationError.field(`${field}.phone`, 'must be an E.164 number, e.g. "+33612345678"');
  const email = contact.email.trim() ? normaliseEmail(`${field}.email`, contact.email) : '';
  if (!phone && !email) throw ValidationError.field(`${field}.phone`, 'a phone number or an e-mail is required');
  return { ...contact, name, relationship, phone, email };
}

/**
 * Checks a ProfileUpdate and turns it into the columns to write, sealing conditions, allergies
 * and the contact with the field cipher. Throws a ValidationError naming the first bad field
 * (as `profile.<field>`) before anything is written.
 */
export function profileColumnsOf(
  update: ProfileUpdate,
  cipher: FieldCipher,
  now: Date,
  userId: string,
): ProfileColumns {
  const columns: ProfileColumns = {};
  if (update.birthDate !== undefined)
    columns.birth_date = update.birthDate === '' ? null : checkBirthDate('profile.birth_date', update.birthDate, now);
  if (update.sex !== undefined) {
    const name = sexNameOf(update.sex);
    if (!name && update.sex !== Sex.UNSPECIFIED) throw ValidationError.field('profile.sex', 'is not a known value');
    columns.sex = name ?? null;
  }
  if (update.conditions) {
    const list = checkHealthList('profile.conditions', update.conditions.values);
    columns.conditions_encrypted = list.length
      ? cipher.encrypt(JSON.stringify(list), sealedAt.userConditions(userId))
      : null;
  }
  if (update.allergies) {
    const list = checkHealthList('profile.allergies', update.allergies.values);
    columns.allergies_encrypted = list.length
      ? cipher.encrypt(JSON.stringify(list), sealedAt.userAllergies(userId))
      : null;
  }
  if (update.emergencyContact) {
    const contact = checkEmergencyContact('profile.emergency_contact', update.emergencyContact);
    columns.emergency_contact_encrypted = contact
      ? cipher.encrypt(
          JSON.stringify({
            name: contact.name,
            relationship: contact.relationship,
            phone: contact.phone,
            email: contact.email,
          }),
          sealedAt.userEmergencyContact(userId),
        )
      : null;
  }
  return columns;
}
