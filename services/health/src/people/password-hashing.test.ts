import { describe, expect, it } from 'vitest';
import { PasswordHasher, scryptCost } from './password-hashing.js';

const cheap = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('hashes at N 2^17, r 8, p 1 by default, within scrypt memory limits', async () => {
    expect(scryptCost).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('correct horse battery');
    expect(hash.split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
    expect(await hasher.verify('correct horse battery', hash)).toBe(true);
    // Two full-cost hashes on a shared machine: slow, not timed.
  }, 120_000);

  it('stores scrypt parameters and a salt, and verifies only the right password', async () => {
    const hasher = new PasswordHasher(cheap);
    const hash = await hasher.hash('correct horse battery');
    expect(hash.split('$').slice(0, 4)).toEqual(['scrypt', '1024', '8', '1']);
    expect(hash).not.toContain('correct horse');
    expect(await hasher.verify('correct horse battery', hash)).toBe(true);
    expect(await hasher.verify('correct horse batterY', hash)).toBe(false);
  });

  it('salts: the same password hashes differently twice', async () => {
    const hasher = new PasswordHasher(cheap);
    expect(await hasher.hash('same password 1')).not.toBe(await hasher.hash('same password 1'));
  });

  it('asks to re-hash only hashes weaker than its own cost, and still verifies them', async () => {
    const old = await new PasswordHasher(cheap).hash('pw one two three');
    const stronger = new PasswordHasher({ N: 2 ** 11, r: 8, p: 1 });
    expect(stronger.needsRehash(old)).toBe(true);
    expect(await stronger.verify('pw one two three', old)).toBe(true);
    expect(new PasswordHasher(cheap).needsRehash(old)).toBe(false);
    expect(new PasswordHasher(cheap).needsRehash(await stronger.hash('x'))).toBe(false);
  });

  it('never matches a malformed or oversized hash, and the dummy hash is a real scrypt hash', async () => {
    const hasher = new PasswordHasher(cheap);
    expect(await hasher.verify('anything at all', 'sha256$abc')).toBe(false);
    expect(await hasher.verify('anything at all', 'scrypt$16384$8$1$$')).toBe(false);
    const real = (await hasher.hash('x')).split('$');
    expect(await hasher.verify('x', ['scrypt', 2 ** 20, 8, 1, real[4], real[5]].join('$'))).toBe(false);
    expect(await hasher.verify('x', ['scrypt', 1000, 8, 1, real[4], real[5]].join('$'))).toBe(false);
    expect(hasher.needsRehash('garbage')).toBe(false);
    expect((await hasher.dummyHash()).startsWith('scrypt$1024$')).toBe(true);
  });
});
