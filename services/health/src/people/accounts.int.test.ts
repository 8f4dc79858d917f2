import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { Role } from '@tend/proto/tend/common/v1/common';
import { Sex, StringListSchema } from '@tend/proto/tend/health/v1/people';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personCaller, startHealthHarness, type HealthHarness } from '../testing/health-harness.js';
import {
  admin,
  breakGlassAdmin,
  expectInvalid,
  failure,
  gateway,
  password,
  peopleTestCases,
  registerPerson,
} from './people-test-support.js';

describe.each(peopleTestCases)('accounts and profiles on $label', ({ target, redisUrl }) => {
  let h: HealthHarness;
  const register = (name?: string, extra?: { email?: string; timeZone?: string }) => registerPerson(h, name, extra);

  beforeAll(async () => {
    h = await startHealthHarness(target, { redisUrl });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  describe('accounts', () => {
    it('registers a person with a normalised e-mail, defaults and a profile they can read back', async () => {
      const { user } = await h.client.createUser({
        caller: gateway,
        email: '  Ada.L@Example.TEST ',
        password,
        displayName: ' Ada ',
        timeZone: 'Europe/Paris',
        locale: 'zh',
      });
      expect(user).toMatchObject({ email: 'ada.l@example.test', displayName: 'Ada', role: Role.USER, locale: 'zh' });
      expect(user!.timeZone).toBe('Europe/Paris');
      expect(user!.hasPassword).toBe(true);
      const { user: me } = await h.client.getUser({ caller: personCaller(user!.id) });
      expect(me!.email).toBe('ada.l@example.test');
      expect(me!.profile).toBeDefined();
      const other = await register('Bo');
      expect(other.timeZone).toBe('UTC');
      expect(other.locale).toBe('en');
    });

    it('rejects bad registrations naming the field, and a second account for the same e-mail', async () => {
      const base = { caller: gateway, email: 'valid@example.test', password, displayName: 'Val' };
      await expectInvalid(h.client.createUser({ ...base, email: 'not-an-email' }), 'email');
      await expectInvalid(h.client.createUser({ ...base, password: 'short1' }), 'password');
      await expectInvalid(h.client.createUser({ ...base, password: 'onlyletterslong' }), 'password');
      await expectInvalid(h.client.createUser({ ...base, displayName: '  ' }), 'display_name');
      await expectInvalid(h.client.createUser({ ...base, displayName: 'x'.repeat(101) }), 'display_name');
      await expectInvalid(h.client.createUser({ ...base, timeZone: 'Europe/Atlantis' }), 'time_zone');
      await expectInvalid(h.client.createUser({ ...base, locale: 'fr' }), 'locale');
      await h.client.createUser(base);
      const duplicate = await failure(h.client.createUser({ ...base, email: 'VALID@example.test' }));
      expect(duplicate.code).toBe(Code.AlreadyExists);
    });

    it('lets only an admin or a service create accounts with another role', async () => {
      const person = await register();
      const refused = await failure(
        h.client.createUser({
          caller: personCaller(person.id),
          email: `adm${Date.now()}@example.test`,
          password,
          displayName: 'Sneaky',
          role: Role.ADMIN,
        }),
      );
      expect(refused.code).toBe(Code.PermissionDenied);
      const { user } = await h.client.createUser({
        caller: admin,
        email: `cg${Date.now()}@example.test`,
        password,
        displayName: 'Carer',
        role: Role.CAREGIVER,
      });
      expect(user!.role).toBe(Role.CAREGIVER);
      await expectInvalid(
        h.client.createUser({
          caller: admin,
          email: 'svc@example.test',
          password,
          displayName: 'S',
          role: Role.SERVICE,
        }),
        'role',
      );
    });

    it('keeps one person out of another person’s record, and lets an admin in with an audit entry', async () => {
      const a = await register('Ann');
      const b = await register('Ben');
      for (const call of [
        () => h.client.getUser({ caller: personCaller(b.id), userId: a.id }),
        () => h.client.updateUser({ caller: personCaller(b.id), userId: a.id, displayName: 'Hacked' }),
        () => h.client.changePassword({ caller: personCaller(b.id), userId: a.id, newPassword: 'new password 1' }),
        () => h.client.deleteUser({ caller: personCaller(b.id), userId: a.id }),
        () => h.client.listAuditEvents({ caller: personCaller(b.id), userId: a.id }),
      ])
        expect((await failure(call())).code).toBe(Code.PermissionDenied);
      const attempts = await h.client.listAuditEvents({ caller: personCaller(a.id), actorUserId: b.id });
      // Refusals of the same resource and action within the hour share one event (finding 18).
      expect(attempts.events.reduce((sum, e) => sum + e.attempts, 0)).toBe(5);
      expect(attempts.events.every((e) => !e.allowed)).toBe(true);
      // An admin sees no one's profile (conditions, allergies) without break-glass, and is audited.
      const plain = await failure(h.client.getUser({ caller: admin, userId: a.id }));
      expect(plain.code).toBe(Code.PermissionDenied);
      expect(plain.rawMessage).toContain('break-glass');
      const { user } = await h.client.getUser({ caller: breakGlassAdmin, userId: a.id });
      expect(user!.displayName).toBe('Ann');
      const { events } = await h.client.listAuditEvents({ caller: personCaller(a.id) });
      const byAdmin = events.filter((e) => e.actor?.userId === admin.userId);
      expect(byAdmin.map((e) => [e.actor?.role, e.action, e.allowed, e.breakGlassReason])).toEqual([
        [Role.ADMIN, 'read', true, breakGlassAdmin.breakGlassReason],
        [Role.ADMIN, 'read', false, ''],
      ]);
      await expectInvalid(
        h.client.getUser({ caller: { ...admin, breakGlassReason: 'because' }, userId: a.id }),
        'caller.break_glass_reason',
      );
      const missing = await failure(
        h.client.getUser({ caller: breakGlassAdmin, userId: '00000000-0000-4000-8000-000000000999' }),
      );
      expect(missing.code).toBe(Code.NotFound);
      await expectInvalid(h.client.getUser({ caller: admin, userId: 'nope' }), 'user_id');
    });

    it('finds accounts by e-mail and OIDC identity for services and admins only', async () => {
      const a = await register('Oidc', { email: `Find.Me.${Date.now()}@example.test` });
      const { user } = await h.client.getUserByEmail({ caller: gateway, email: a.email.toUpperCase() });
      expect(user!.id).toBe(a.id);
      expect((await failure(h.client.getUserByEmail({ caller: personCaller(a.id), email: a.email }))).code).toBe(
        Code.PermissionDenied,
      );
      expect((await failure(h.client.getUserByEmail({ caller: gateway, email: 'nobody@example.test' }))).code).toBe(
        Code.NotFound,
      );
      const identity = { issuer: 'https://accounts.example.test', subject: `sub-${a.id}` };
      const linked = await h.client.linkOidcIdentity({ caller: gateway, userId: a.id, identity });
      expect(linked.user!.oidcIdentities).toHaveLength(1);
      await h.client.linkOidcIdentity({ caller: personCaller(a.id), identity });
      const found = await h.client.getUserByOidcSubject({ caller: gateway, identity });
      expect(found.user!.id).toBe(a.id);
      expect(found.user!.oidcIdentities).toHaveLength(1);
      const other = await register();
      const taken = await failure(h.client.linkOidcIdentity({ caller: personCaller(other.id), identity }));
      expect(taken.code).toBe(Code.AlreadyExists);
      await expectInvalid(
        h.client.linkOidcIdentity({ caller: personCaller(other.id), identity: { issuer: 'nope', subject: 'x' } }),
        'identity.issuer',
      );
      const missing = await failure(
        h.client.getUserByOidcSubject({ caller: admin, identity: { ...identity, subject: 'unknown' } }),
      );
      expect(missing.code).toBe(Code.NotFound);
    });

    it('creates an OIDC-only account that password login never accepts', async () => {
      const email = `oidc${Date.now()}@example.test`;
      const identity = { issuer: 'https://idp.example.test', subject: `s${Date.now()}` };
      const { user } = await h.client.createUser({
        caller: gateway,
        email,
        displayName: 'Oli',
        oidcIdentity: identity,
      });
      expect(user!.hasPassword).toBe(false);
      const error = await failure(h.client.verifyCredentials({ caller: gateway, email, password: '' }));
      expect(error.code).toBe(Code.Unauthenticated);
    });
  });

  describe('credentials', () => {
    it('answers an unknown e-mail and a wrong password with the same error', async () => {
      const a = await register();
      const { user } = await h.client.verifyCredentials({ caller: gateway, email: a.email, password });
      expect(user!.id).toBe(a.id);
      const wrong = await failure(h.client.verifyCredentials({ caller: gateway, email: a.email, password: 'nope' }));
      const unknown = await failure(
        h.client.verifyCredentials({ caller: gateway, email: 'ghost@example.test', password }),
      );
      const malformed = await failure(h.client.verifyCredentials({ caller: gateway, email: 'ghost', password }));
      for (const error of [wrong, unknown, malformed]) {
        expect(error.code).toBe(Code.Unauthenticated);
        expect(error.rawMessage).toBe(wrong.rawMessage);
      }
      const person = await failure(
        h.client.verifyCredentials({ caller: personCaller(a.id), email: a.email, password }),
      );
      expect(person.code).toBe(Code.PermissionDenied);
    });

    it('changes a password only with the current one, unless an admin does it', async () => {
      const a = await register();
      const me = personCaller(a.id);
      await expectInvalid(h.client.changePassword({ caller: me, newPassword: 'brand new pass 1' }), 'current_password');
      const wrong = await failure(
        h.client.changePassword({ caller: me, currentPassword: 'wrong one 123', newPassword: 'brand new pass 1' }),
      );
      expect(wrong.code).toBe(Code.Unauthenticated);
      await expectInvalid(
        h.client.changePassword({ caller: me, currentPassword: password, newPassword: 'short' }),
        'new_password',
      );
      await h.client.changePassword({ caller: me, currentPassword: password, newPassword: 'brand new pass 1' });
      await h.client.verifyCredentials({ caller: gateway, email: a.email, password: 'brand new pass 1' });
      expect((await failure(h.client.verifyCredentials({ caller: gateway, email: a.email, password }))).code).toBe(
        Code.Unauthenticated,
      );
      await h.client.changePassword({ caller: admin, userId: a.id, newPassword: 'admin reset 42' });
      await h.client.verifyCredentials({ caller: gateway, email: a.email, password: 'admin reset 42' });
    });
  });

  describe('profile', () => {
    it('applies a partial update, and a read right after a write never returns the old value', async () => {
      const a = await register('Before', { timeZone: 'Asia/Shanghai' });
      const me = personCaller(a.id);
      await h.client.getUser({ caller: me }); // fills the cache
      await h.client.updateUser({
        caller: me,
        displayName: 'After',
        profile: {
          birthDate: '1948-05-17',
          sex: Sex.FEMALE,
          conditions: create(StringListSchema, { values: ['type 2 diabetes', 'hypertension'] }),
          allergies: create(StringListSchema, { values: ['penicillin'] }),
          emergencyContact: { name: 'Li Na', relationship: 'daughter', phone: '+8613800138000' },
        },
      });
      const { user } = await h.client.getUser({ caller: me });
      expect(user!.displayName).toBe('After');
      expect(user!.timeZone).toBe('Asia/Shanghai');
      expect(user!.profile).toMatchObject({
        birthDate: '1948-05-17',
        sex: Sex.FEMALE,
        conditions: ['type 2 diabetes', 'hypertension'],
        allergies: ['penicillin'],
      });
      expect(user!.profile!.emergencyContact?.phone).toBe('+8613800138000');
      await h.client.updateUser({ caller: me, locale: 'zh', profile: { allergies: create(StringListSchema, {}) } });
      const { user: again } = await h.client.getUser({ caller: me });
      expect(again!.locale).toBe('zh');
      expect(again!.profile!.allergies).toEqual([]);
      expect(again!.profile!.conditions).toHaveLength(2);
    });

    it('stores e-mail, conditions, allergies and the emergency contact without plaintext', async () => {
      const a = await register('Raw', { email: `raw.secret.${Date.now()}@example.test` });
      await h.client.updateUser({
        caller: personCaller(a.id),
        profile: {
          conditions: create(StringListSchema, { values: ['atrial fibrillation'] }),
          allergies: create(StringListSchema, { values: ['sulfonamides'] }),
          emergencyContact: { name: 'Zhang Wei', phone: '+8613911112222', email: 'zhang.wei@example.test' },
        },
      });
      const row = await h.context.db.primary
        .selectFrom('users')
        .selectAll()
        .where('id', '=', a.id)
        .executeTakeFirstOrThrow();
      const raw = JSON.stringify({ ...row, email_hash: row.email_hash.toString('hex') });
      for (const secret of ['raw.secret', 'atrial', 'sulfonamides', 'Zhang', '13911112222', 'zhang.wei', password])
        expect(raw).not.toContain(secret);
      expect(row.password_hash).toMatch(/^scrypt\$/);
    });

    it('rejects bad profile input naming the field and changes nothing', async () => {
      const a = await register('Same');
      const me = personCaller(a.id);
      await expectInvalid(
        h.client.updateUser({ caller: me, displayName: 'Changed', profile: { birthDate: '2999-01-01' } }),
        'profile.birth_date',
      );
      await expectInvalid(h.client.updateUser({ caller: me, timeZone: 'Nowhere/Land' }), 'time_zone');
      await expectInvalid(
        h.client.updateUser({ caller: me, profile: { emergencyContact: { name: 'X', phone: '12' } } }),
        'profile.emergency_contact.phone',
      );
      await expectInvalid(h.client.updateUser({ caller: me, email: 'bad' }), 'email');
      const { user } = await h.client.getUser({ caller: me });
      expect(user!.displayName).toBe('Same');
      const other = await register();
      const taken = await failure(h.client.updateUser({ caller: me, email: other.email, currentPassword: password }));
      expect(taken.code).toBe(Code.AlreadyExists);
    });

    it('changes roles only through an admin', async () => {
      const a = await register();
      const refused = await failure(
        h.client.setUserRole({ caller: personCaller(a.id), userId: a.id, role: Role.ADMIN }),
      );
      expect(refused.code).toBe(Code.PermissionDenied);
      await h.client.getUser({ caller: personCaller(a.id) });
      const { user } = await h.client.setUserRole({ caller: admin, userId: a.id, role: Role.CAREGIVER });
      expect(user!.role).toBe(Role.CAREGIVER);
      expect((await h.client.getUser({ caller: personCaller(a.id) })).user!.role).toBe(Role.CAREGIVER);
      await expectInvalid(h.client.setUserRole({ caller: admin, userId: a.id, role: Role.SERVICE }), 'role');
    });

    it('forgets a deleted person at once, cached profile and medications included', async () => {
      const a = await register();
      await h.client.createMedication({
        caller: personCaller(a.id),
        name: 'Metformin',
        dose: 500,
        doseUnit: 'mg',
        schedule: { times: ['08:00'] },
      });
      // Both reads are now cached.
      expect((await h.client.listMedications({ caller: breakGlassAdmin, userId: a.id })).medications).toHaveLength(1);
      await h.client.getUser({ caller: breakGlassAdmin, userId: a.id });
      await h.client.deleteUser({ caller: personCaller(a.id) });
      expect((await failure(h.client.getUser({ caller: breakGlassAdmin, userId: a.id }))).code).toBe(Code.NotFound);
      const medications = await h.client
        .listMedications({ caller: breakGlassAdmin, userId: a.id })
        .then((r) => r.medications.length)
        .catch(() => 0);
      expect(medications).toBe(0);
    });
  });
});
