import { createCipheriv, randomBytes } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { VitalKind, VitalSource } from '@tend/proto/tend/health/v1/vitals';
import { databaseTargets } from '@tend/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminCaller,
  testBreakGlassReason,
  insertTestUser,
  personCaller,
  startHealthHarness,
  type HealthHarness,
} from '../testing/health-harness.js';
import { profileKey } from '../people/person-records.js';
import { resealLegacyValues } from './reseal.js';

const encryptionKey = randomBytes(32);

/** A value as sealed before binding (the key id its only additional data), with the suite's key. */
function legacySeal(plain: string): string {
  const iv = randomBytes(12);
  const gcm = createCipheriv('aes-256-gcm', encryptionKey, iv);
  gcm.setAAD(Buffer.from('test'));
  const sealed = Buffer.concat([gcm.update(plain, 'utf8'), gcm.final(), gcm.getAuthTag()]);
  return `test:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => ConnectError.from(error).code,
  );

describe.each(databaseTargets())('sealed fields bound to their place on $kind PostgreSQL', (target) => {
  let h: HealthHarness;
  const admin = adminCaller('00000000-0000-4000-8000-000000000001', testBreakGlassReason);
  beforeAll(async () => {
    h = await startHealthHarness(target, { encryptionKey });
  });
  afterAll(async () => h?.stop());

  const withConditions = async (name: string, conditions: string[]) => {
    const id = await insertTestUser(h.context, { displayName: name, email: `${name}-${Date.now()}@example.test` });
    await h.client.updateUser({ caller: personCaller(id), profile: { conditions: { values: conditions } } });
    return id;
  };

  it('refuses a sealed value moved to another person or another row', async () => {
    const ann = await withConditions('ann', ['type 2 diabetes']);
    const bo = await withConditions('bo', ['asthma']);
    const users = h.context.db.primary;
    const annRow = await users
      .selectFrom('users')
      .select('conditions_encrypted')
      .where('id', '=', ann)
      .executeTakeFirstOrThrow();
    await users
      .updateTable('users')
      .set({ conditions_encrypted: annRow.conditions_encrypted })
      .where('id', '=', bo)
      .execute();
    await h.context.cache.invalidate(profileKey(bo));
    expect(await refusal(h.client.getUser({ caller: admin, userId: bo }))).toBe(Code.Internal);
    // The same value copied into another column of Ann's own row does not open either.
    await users
      .updateTable('users')
      .set({ allergies_encrypted: annRow.conditions_encrypted })
      .where('id', '=', ann)
      .execute();
    await h.context.cache.invalidate(profileKey(ann));
    expect(await refusal(h.client.getUser({ caller: admin, userId: ann }))).toBe(Code.Internal);

    const cy = await insertTestUser(h.context, { displayName: 'Cy', email: `cy-${Date.now()}@example.test` });
    const record = (note: string) =>
      h.client.recordVital({
        caller: personCaller(cy),
        vital: { kind: VitalKind.HEART_RATE, value: 70, source: VitalSource.APP, note },
      });
    const first = (await record('felt dizzy')).vital!;
    const second = (await record('after the walk')).vital!;
    const firstRow = await users
      .selectFrom('vitals')
      .select('note_encrypted')
      .where('id', '=', first.id)
      .executeTakeFirstOrThrow();
    await users
      .updateTable('vitals')
      .set({ note_encrypted: firstRow.note_encrypted })
      .where('id', '=', second.id)
      .execute();
    expect((await h.client.getVital({ caller: personCaller(cy), vitalId: first.id })).vital?.note).toBe('felt dizzy');
    expect(await refusal(h.client.getVital({ caller: personCaller(cy), vitalId: second.id }))).toBe(Code.Internal);
  });

  it('binds values sealed before binding at start-up, once, and they read as before', async () => {
    const di = await insertTestUser(h.context, { displayName: 'Di', email: `di-${Date.now()}@example.test` });
    await h.context.db.primary
      .updateTable('users')
      .set({ conditions_encrypted: legacySeal(JSON.stringify(['hypertension'])) })
      .where('id', '=', di)
      .execute();
    expect(await refusal(h.client.getUser({ caller: admin, userId: di }))).toBe(Code.Internal);
    expect(await resealLegacyValues(h.context.db, h.context.cipher)).toBeGreaterThanOrEqual(1);
    expect(await resealLegacyValues(h.context.db, h.context.cipher)).toBe(0);
    await h.context.cache.invalidate(profileKey(di));
    const { user } = await h.client.getUser({ caller: admin, userId: di });
    expect(user?.profile?.conditions).toEqual(['hypertension']);
  });
});
