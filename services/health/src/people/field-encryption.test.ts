import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { ProfileUpdateSchema, StringListSchema } from '@tend/proto/tend/health/v1/people';
import { describe, expect, it } from 'vitest';
import { AesGcmCipher } from '../crypto/aes-gcm-cipher.js';
import { sealedAt } from '../crypto/sealed-columns.js';
import { openList } from './person-records.js';
import { profileColumnsOf } from './profile-input.js';

describe('profile fields at rest', () => {
  const oldKey = { id: 'k2025', key: randomBytes(32) };
  const newKey = { id: 'k2026', key: randomBytes(32) };
  const blindIndexKey = randomBytes(32);
  const ann = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
  const update = create(ProfileUpdateSchema, {
    conditions: create(StringListSchema, { values: ['type 2 diabetes'] }),
    allergies: create(StringListSchema, { values: ['penicillin'] }),
    emergencyContact: { name: 'Li Na', relationship: 'daughter', phone: '+33 6 12 34 56 78' },
  });

  it('seals conditions, allergies and the contact: no plaintext in the columns', () => {
    const columns = profileColumnsOf(update, new AesGcmCipher([oldKey], blindIndexKey), new Date(), ann);
    const stored = JSON.stringify(columns);
    for (const secret of ['diabetes', 'penicillin', 'Li Na', '+33612345678']) expect(stored).not.toContain(secret);
    expect(columns.conditions_encrypted?.startsWith('~k2025:')).toBe(true);
  });

  it('still opens values sealed with an old key after a new key is put first', () => {
    const sealed = profileColumnsOf(update, new AesGcmCipher([oldKey], blindIndexKey), new Date(), ann);
    const rotated = new AesGcmCipher([newKey, oldKey], blindIndexKey);
    expect(openList(rotated, sealed.conditions_encrypted ?? null, sealedAt.userConditions(ann))).toEqual([
      'type 2 diabetes',
    ]);
    expect(rotated.encrypt('x', sealedAt.userConditions(ann)).startsWith('~k2026:')).toBe(true);
    // The blind index does not rotate, so e-mail look-ups keep working.
    expect(rotated.blindIndex('a@b.org')).toEqual(new AesGcmCipher([oldKey], blindIndexKey).blindIndex('a@b.org'));
  });

  it('an empty emergency contact clears it and a contact without a way to reach them is refused', () => {
    const cipher = new AesGcmCipher([oldKey], blindIndexKey);
    const cleared = create(ProfileUpdateSchema, { emergencyContact: {} });
    expect(profileColumnsOf(cleared, cipher, new Date(), ann).emergency_contact_encrypted).toBeNull();
    const unreachable = create(ProfileUpdateSchema, { emergencyContact: { name: 'Li Na' } });
    expect(() => profileColumnsOf(unreachable, cipher, new Date(), ann)).toThrow(/profile\.emergency_contact\.phone/);
  });
});
