import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { Role } from '@tend/proto/tend/common/v1/common';
import { CaregiverScope } from '@tend/proto/tend/health/v1/caregivers';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorOf } from '../access/access-control.js';
import { personCaller, serviceCaller, startHealthHarness, type HealthHarness } from '../testing/health-harness.js';
import { admin, expectInvalid, failure, peopleTestCases, registerPerson } from './people-test-support.js';

describe.each(peopleTestCases)('caregiver links, audit log and erasure on $label', ({ target, redisUrl }) => {
  let h: HealthHarness;
  const register = (name?: string, extra?: { email?: string; timeZone?: string }) => registerPerson(h, name, extra);

  beforeAll(async () => {
    h = await startHealthHarness(target, { redisUrl });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  describe('service access', () => {
    it('audits an internal service reading a person’s record under the service’s name', async () => {
      const person = await register('Audited');
      await h.client.listVitals({ caller: serviceCaller('reminders'), userId: person.id });
      const { events } = await h.client.listAuditEvents({ caller: personCaller(person.id) });
      expect(events.map((e) => [e.actor?.role, e.actor?.service, e.resource])).toContainEqual([
        Role.SERVICE,
        'reminders',
        'vitals',
      ]);
    });
  });

  describe('caregivers', () => {
    it('grants by e-mail, lets the caregiver in within the scope only, and audits it', async () => {
      const patient = await register('Pat');
      const carer = await register('Cara');
      const { link } = await h.client.grantCaregiver({
        caller: personCaller(patient.id),
        caregiverEmail: carer.email.toUpperCase(),
        scopes: [CaregiverScope.READ_VITALS],
      });
      expect(link).toMatchObject({
        patientUserId: patient.id,
        caregiverUserId: carer.id,
        caregiverDisplayName: 'Cara',
        patientDisplayName: 'Pat',
        scopes: [CaregiverScope.READ_VITALS],
      });
      const caregiverActor = actorOf(personCaller(carer.id, Role.CAREGIVER));
      await h.context.access.authorize(caregiverActor, {
        ownerId: patient.id,
        action: 'read',
        scope: 'read_vitals',
        resource: 'vitals',
      });
      await expect(
        h.context.access.authorize(caregiverActor, {
          ownerId: patient.id,
          action: 'read',
          scope: 'read_medications',
          resource: 'medications',
        }),
      ).rejects.toThrow(/no access/);
      const profile = await failure(
        h.client.getUser({ caller: personCaller(carer.id, Role.CAREGIVER), userId: patient.id }),
      );
      expect(profile.code).toBe(Code.PermissionDenied);
      const { events } = await h.client.listAuditEvents({ caller: personCaller(patient.id), actorUserId: carer.id });
      // Newest first: the refused profile read, the refused medications read, the allowed vitals read.
      expect(events.map((e) => [e.resource, e.allowed])).toEqual([
        [`user/${patient.id}`, false],
        ['medications', false],
        ['vitals', true],
      ]);
      expect(events[2]).toMatchObject({ subjectUserId: patient.id, action: 'read' });
      expect(events[2]!.actor?.role).toBe(Role.CAREGIVER);

      const regrant = await h.client.grantCaregiver({
        caller: personCaller(patient.id),
        caregiverEmail: carer.email,
        scopes: [CaregiverScope.READ_MEDICATIONS, CaregiverScope.READ_VITALS, CaregiverScope.READ_VITALS],
      });
      expect(regrant.link!.id).toBe(link!.id);
      expect(regrant.link!.scopes).toEqual([CaregiverScope.READ_VITALS, CaregiverScope.READ_MEDICATIONS]);
      const { links: patients } = await h.client.listPatients({ caller: personCaller(carer.id, Role.CAREGIVER) });
      expect(patients.map((l) => l.patientUserId)).toEqual([patient.id]);
      const { links: caregivers } = await h.client.listCaregivers({ caller: personCaller(patient.id) });
      expect(caregivers.map((l) => l.id)).toEqual([link!.id]);
    });

    it('refuses granting to yourself, to an unknown e-mail, without scopes, or for someone else', async () => {
      const patient = await register();
      const stranger = await register();
      const me = personCaller(patient.id);
      await expectInvalid(
        h.client.grantCaregiver({ caller: me, caregiverEmail: patient.email, scopes: [CaregiverScope.READ_VITALS] }),
        'caregiver_email',
      );
      await expectInvalid(
        h.client.grantCaregiver({ caller: me, caregiverEmail: stranger.email, scopes: [] }),
        'scopes',
      );
      const unknown = await failure(
        h.client.grantCaregiver({
          caller: me,
          caregiverEmail: 'nobody@example.test',
          scopes: [CaregiverScope.READ_VITALS],
        }),
      );
      expect(unknown.code).toBe(Code.NotFound);
      expect(unknown.rawMessage).not.toContain('nobody');
      const forSomeoneElse = await failure(
        h.client.grantCaregiver({
          caller: personCaller(stranger.id),
          userId: patient.id,
          caregiverEmail: stranger.email,
          scopes: [CaregiverScope.READ_VITALS],
        }),
      );
      expect(forSomeoneElse.code).toBe(Code.PermissionDenied);
      const list = await failure(h.client.listCaregivers({ caller: personCaller(stranger.id), userId: patient.id }));
      expect(list.code).toBe(Code.PermissionDenied);
    });

    it('revokes at once, only by a party to the link or an admin, and keeps the revoked link on request', async () => {
      const patient = await register();
      const carer = await register();
      const stranger = await register();
      const { link } = await h.client.grantCaregiver({
        caller: personCaller(patient.id),
        caregiverEmail: carer.email,
        scopes: [CaregiverScope.READ_VITALS],
      });
      const hidden = await failure(h.client.revokeCaregiver({ caller: personCaller(stranger.id), linkId: link!.id }));
      expect(hidden.code).toBe(Code.NotFound);
      const revoked = await h.client.revokeCaregiver({ caller: personCaller(patient.id), linkId: link!.id });
      expect(revoked.link!.revokedAt).toBeDefined();
      expect(await h.context.access.hasScope(patient.id, carer.id, 'read_vitals')).toBe(false);
      const again = await h.client.revokeCaregiver({ caller: personCaller(patient.id), linkId: link!.id });
      expect(timestampDate(again.link!.revokedAt!)).toEqual(timestampDate(revoked.link!.revokedAt!));
      expect((await h.client.listCaregivers({ caller: personCaller(patient.id) })).links).toEqual([]);
      const all = await h.client.listCaregivers({ caller: personCaller(patient.id), includeRevoked: true });
      expect(all.links.map((l) => l.id)).toEqual([link!.id]);
      await expectInvalid(h.client.revokeCaregiver({ caller: personCaller(patient.id), linkId: 'x' }), 'link_id');
    });

    it('pages caregivers newest first with an opaque cursor, and refuses more than 100 per page', async () => {
      const patient = await register();
      const granted: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const carer = await register(`Carer ${i}`);
        const { link } = await h.client.grantCaregiver({
          caller: personCaller(patient.id),
          caregiverEmail: carer.email,
          scopes: [CaregiverScope.READ_MEDICATIONS],
        });
        granted.push(link!.id);
      }
      const me = personCaller(patient.id);
      const first = await h.client.listCaregivers({ caller: me, page: { limit: 2 } });
      expect(first.links.map((l) => l.id)).toEqual([granted[2], granted[1]]);
      expect(first.page!.nextCursor).not.toBe('');
      const second = await h.client.listCaregivers({ caller: me, page: { limit: 2, cursor: first.page!.nextCursor } });
      expect(second.links.map((l) => l.id)).toEqual([granted[0]]);
      expect(second.page!.nextCursor).toBe('');
      await expectInvalid(h.client.listCaregivers({ caller: me, page: { limit: 101 } }), 'page.limit');
      await expectInvalid(h.client.listCaregivers({ caller: me, page: { cursor: 'garbage' } }), 'page.cursor');
    });
  });

  describe('erasure', () => {
    it('deletes the person with their links and identities, keeps the audit log and emits an event', async () => {
      const patient = await register();
      const carer = await register();
      await h.client.grantCaregiver({
        caller: personCaller(patient.id),
        caregiverEmail: carer.email,
        scopes: [CaregiverScope.READ_VITALS],
      });
      await h.client.getUser({ caller: admin, userId: patient.id }); // audited, and cached
      await h.client.deleteUser({ caller: personCaller(patient.id) });
      const gone = await failure(h.client.getUser({ caller: admin, userId: patient.id }));
      expect(gone.code).toBe(Code.NotFound);
      expect((await h.client.listPatients({ caller: personCaller(carer.id) })).links).toEqual([]);
      const audit = await h.context.db.primary
        .selectFrom('audit_events')
        .select('id')
        .where('subject_user_id', '=', patient.id)
        .execute();
      expect(audit.length).toBeGreaterThan(0);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${h.schema}.outbox`)}
        where partition_key = ${patient.id} and event::text like '%tend.health.user.deleted%'`.execute(
        h.context.db.primary,
      );
      expect(rows[0]?.n).toBe(1);
      const twice = await failure(h.client.deleteUser({ caller: admin, userId: patient.id }));
      expect(twice.code).toBe(Code.NotFound);
    });
  });
});
