import { describe, expect, it } from 'vitest';
import { dummyPasswordHash, hashPassword, scryptCost, verifyPassword } from './password-hashing.js';

describe('password hashing', () => {
  it('stores scrypt parameters and a salt, and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash.split('$').slice(0, 4)).toEqual(['scrypt', String(scryptCost.N), '8', '1']);
    expect(hash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('salts: the same password hashes differently twice', async () => {
    expect(await hashPassword('same password 1')).not.toBe(await hashPassword('same password 1'));
  });

  it('never matches a malformed hash, and the dummy hash is a real scrypt hash', async () => {
    expect(await verifyPassword('anything at all', 'sha256$abc')).toBe(false);
    expect(await verifyPassword('anything at all', 'scrypt$16384$8$1$$')).toBe(false);
    expect((await dummyPasswordHash()).startsWith('scrypt$')).toBe(true);
  });
});
