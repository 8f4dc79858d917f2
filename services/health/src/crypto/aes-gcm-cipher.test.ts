import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesGcmCipher } from './aes-gcm-cipher.js';
import { sealedAt } from './sealed-columns.js';

const key = { id: 'k1', key: randomBytes(32) };
const cipher = new AesGcmCipher([key], randomBytes(32));
const ann = '11111111-1111-4111-8111-111111111111';
const bo = '22222222-2222-4222-8222-222222222222';
const note = '33333333-3333-4333-8333-333333333333';

/** A value as sealed before binding: the key id its only additional data. */
function legacySeal(plain: string): string {
  const iv = randomBytes(12);
  const gcm = createCipheriv('aes-256-gcm', key.key, iv);
  gcm.setAAD(Buffer.from(key.id));
  const sealed = Buffer.concat([gcm.update(plain, 'utf8'), gcm.final(), gcm.getAuthTag()]);
  return `${key.id}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
}

describe('field cipher binding', () => {
  it('opens a value only in the table, column, row and owner it was sealed for', () => {
    const sealed = cipher.encrypt('metformin with food', sealedAt.vitalNote(note, ann));
    expect(cipher.decrypt(sealed, sealedAt.vitalNote(note, ann))).toBe('metformin with food');
    expect(() => cipher.decrypt(sealed, sealedAt.vitalNote(note, bo))).toThrow();
    expect(() => cipher.decrypt(sealed, sealedAt.vitalNote(bo, ann))).toThrow();
    expect(() => cipher.decrypt(sealed, sealedAt.doseNote(note, ann))).toThrow();
    const allergies = cipher.encrypt('["penicillin"]', sealedAt.userAllergies(ann));
    expect(() => cipher.decrypt(allergies, sealedAt.userConditions(ann))).toThrow();
  });

  it('refuses a value whose tag was cut short, which GCM alone would check against fewer bytes', () => {
    const at = sealedAt.userEmail(ann);
    const [id, iv, body] = cipher.encrypt('ann@example.test', at).split(':') as [string, string, string];
    const bytes = Buffer.from(body, 'base64url');
    const cut = `${id}:${iv}:${bytes.subarray(0, bytes.length - 12).toString('base64url')}`;
    expect(() => cipher.decrypt(cut, at)).toThrow();
  });

  it('refuses an unbound value on read, and re-seals it for its place once', () => {
    const legacy = legacySeal('type 2 diabetes');
    const at = sealedAt.userConditions(ann);
    expect(() => cipher.decrypt(legacy, at)).toThrow(/not bound/);
    const bound = cipher.reseal(legacy, at)!;
    expect(bound.startsWith('~k1:')).toBe(true);
    expect(cipher.decrypt(bound, at)).toBe('type 2 diabetes');
    expect(cipher.reseal(bound, at)).toBeUndefined();
  });
});
