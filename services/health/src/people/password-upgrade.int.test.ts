import { Code, ConnectError } from '@connectrpc/connect';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestUser, serviceCaller, startHealthHarness, type HealthHarness } from '../testing/health-harness.js';
import { PasswordHasher } from './password-hashing.js';

// The harness hashes at 2^11 here, standing in for production's 2^17; rows made at 2^10 stand in
// for hashes stored before the cost was raised. The upgrade logic is the same at any cost.
const current = { N: 2 ** 11, r: 8, p: 1 };
const older = new PasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

describe.each(databaseTargets())('password hashes on $kind PostgreSQL', (target) => {
  let h: HealthHarness;
  beforeAll(async () => {
    h = await startHealthHarness(target, { passwordCost: current });
  });
  afterAll(async () => h?.stop());

  const storedHash = async (id: string) =>
    (await h.context.db.primary.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst())
      ?.password_hash;
  const personWithOldHash = async (email: string, password: string) => {
    const id = await insertTestUser(h.context, { email });
    const hash = await older.hash(password);
    await h.context.db.primary.updateTable('users').set({ password_hash: hash }).where('id', '=', id).execute();
    return { id, hash };
  };

  it('re-hashes a password stored at a lower cost on the next successful login', async () => {
    const { id, hash } = await personWithOldHash('upgrade-ok@example.test', 'correct horse battery');
    await h.client.verifyCredentials({
      caller: serviceCaller('gateway'),
      email: 'upgrade-ok@example.test',
      password: 'correct horse battery',
    });
    const upgraded = await storedHash(id);
    expect(upgraded).not.toBe(hash);
    expect(upgraded?.split('$').slice(0, 4)).toEqual(['scrypt', '2048', '8', '1']);
    // The new hash is the same password: the next login still works, and changes nothing more.
    await h.client.verifyCredentials({
      caller: serviceCaller('gateway'),
      email: 'upgrade-ok@example.test',
      password: 'correct horse battery',
    });
    expect(await storedHash(id)).toBe(upgraded);
  });

  it('leaves the stored hash alone after a wrong password', async () => {
    const { id, hash } = await personWithOldHash('upgrade-wrong@example.test', 'correct horse battery');
    const refused = await h.client
      .verifyCredentials({
        caller: serviceCaller('gateway'),
        email: 'upgrade-wrong@example.test',
        password: 'wrong horse',
      })
      .catch((error: unknown) => ConnectError.from(error));
    expect(refused).toMatchObject({ code: Code.Unauthenticated });
    expect(await storedHash(id)).toBe(hash);
  });
});
