import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { Role } from '@tend/proto/tend/common/v1/common';
import { CaregiverInvitationStatus, CaregiverScope } from '@tend/proto/tend/health/v1/caregivers';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorOf } from '../access/access-control.js';
import {
  linkCaregiver,
  personCaller,
  serviceCaller,
  startHealthHarness,
  type HealthHarness,
} from '../testing/health-harness.js';
import {
  admin,
  breakGlassAdmin,
  expectInvalid,
  failure,
  peopleTestCases,
  registerPerson,
} from './people-test-support.js';

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
    it('links a caregiver who accepted an invitation, lets them in within the scope only, and audits it', async () => {
      const patient = await register('Pat');
      const carer = await register('Cara');
      await h.client.verifyEmail({ caller: admin, userId: carer.id });
      const { invitation } = await h.client.inviteCaregiver({
        caller: personCaller(patient.id),
        caregiverEmail: carer.email.toUpperCase(),
        scopes: [CaregiverScope.READ_VITALS],
      });
      expect(invitation).toMatchObject({
        patientUserId: patient.id,
        email: carer.email.toLowerCase(),
        status: CaregiverInvitationStatus.PENDING,
        linkId: '',
      });
      expect(await h.context.access.hasScope(patient.id, carer.id, 'read_vitals')).toBe(false);
      const { link } = await h.client.acceptCaregiverInvitation({
        caller: personCaller(carer.id),
        invitationId: invitation!.id,
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

      // A second accepted invitation to the same person gives the existing link its scopes.
      const again = await h.client.inviteCaregiver({
        caller: personCaller(patient.id),
        caregiverEmail: carer.email,
        scopes: [CaregiverScope.READ_MEDICATIONS, CaregiverScope.READ_VITALS, CaregiverScope.READ_VITALS],
      });
      const regrant = await h.client.acceptCaregiverInvitation({
        caller: personCaller(carer.id),
        invitationId: again.invitation!.id,
      });
      expect(regrant.link!.id).toBe(link!.id);
      expect(regrant.link!.scopes).toEqual([CaregiverScope.READ_VITALS, CaregiverScope.READ_MEDICATIONS]);
      const sent = await h.client.listCaregiverInvitations({ caller: personCaller(patient.id), includeAnswered: true });
      expect(sent.invitations.map((i) => [i.status, i.linkId])).toEqual([
        [CaregiverInvitationStatus.ACCEPTED, link!.id],
        [CaregiverInvitationStatus.ACCEPTED, link!.id],
      ]);
      const { links: patients } = await h.client.listPatients({ caller: personCaller(carer.id, Role.CAREGIVER) });
      expect(patients.map((l) => l.patientUserId)).toEqual([patient.id]);
      const { links: caregivers } = await h.client.listCaregivers({ caller: personCaller(patient.id) });
      expect(caregivers.map((l) => l.id)).toEqual([link!.id]);
    });

    it('refuses inviting yourself, without scopes, or for someone else', async () => {
      const patient = await register();
      const stranger = await register();
      const me = personCaller(patient.id);
      await expectInvalid(
        h.client.inviteCaregiver({ caller: me, caregiverEmail: patient.email, scopes: [CaregiverScope.READ_VITALS] }),
        'caregiver_email',
      );
      await expectInvalid(
        h.client.inviteCaregiver({ caller: me, caregiverEmail: stranger.email, scopes: [] }),
        'scopes',
      );
      await expectInvalid(
        h.client.inviteCaregiver({ caller: me, caregiverEmail: 'not-an-address', scopes: [1] }),
        'caregiver_email',
      );
      const forSomeoneElse = await failure(
        h.client.inviteCaregiver({
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

    it('answers an invitation the same whether the address has an account or not', async () => {
      const patient = await register();
      const known = await register();
      const me = personCaller(patient.id);
      const unknownEmail = `nobody-${patient.id}@example.test`;
      const toKnown = await h.client.inviteCaregiver({
        caller: me,
        caregiverEmail: known.email,
        scopes: [CaregiverScope.READ_VITALS],
      });
      const toUnknown = await h.client.inviteCaregiver({
        caller: me,
        caregiverEmail: unknownEmail,
        scopes: [CaregiverScope.READ_VITALS],
      });
      // Everything but the id, the address and the times is the same, field by field.
      const shape = (invitation: typeof toKnown.invitation) => {
        const { id: _id, email: _email, createdAt: _c, expiresAt: _e, ...rest } = invitation!;
        return rest;
      };
      expect(shape(toKnown.invitation)).toEqual(shape(toUnknown.invitation));
      expect(Object.keys(toKnown.invitation!)).toEqual(Object.keys(toUnknown.invitation!));
      const { invitations } = await h.client.listCaregiverInvitations({ caller: me });
      expect(invitations.map((i) => [i.email, i.status])).toEqual([
        [unknownEmail, CaregiverInvitationStatus.PENDING],
        [known.email.toLowerCase(), CaregiverInvitationStatus.PENDING],
      ]);
    });

    it('refuses the old direct grant, which told the patient whether the address had an account', async () => {
      const patient = await register();
      const carer = await register();
      const refused = await failure(
        h.client.grantCaregiver({
          caller: personCaller(patient.id),
          caregiverEmail: carer.email,
          scopes: [CaregiverScope.READ_VITALS],
        }),
      );
      expect(refused.code).toBe(Code.FailedPrecondition);
      expect(await h.context.access.hasScope(patient.id, carer.id, 'read_vitals')).toBe(false);
    });

    it('shows an invitation only to a verified account with the address, which may decline it', async () => {
      const patient = await register('Pia');
      const invitee = await register();
      const other = await register();
      const { invitation } = await h.client.inviteCaregiver({
        caller: personCaller(patient.id),
        caregiverEmail: invitee.email,
        scopes: [CaregiverScope.READ_MEDICATIONS],
      });
      // Someone who registered the address without proving it learns nothing, and cannot accept.
      const unproven = await failure(h.client.listReceivedInvitations({ caller: personCaller(invitee.id) }));
      expect(unproven.code).toBe(Code.FailedPrecondition);
      const early = await failure(
        h.client.acceptCaregiverInvitation({ caller: personCaller(invitee.id), invitationId: invitation!.id }),
      );
      expect(early.code).toBe(Code.FailedPrecondition);
      // Another verified person cannot take it: it is not addressed to them.
      await h.client.verifyEmail({ caller: admin, userId: other.id });
      expect((await h.client.listReceivedInvitations({ caller: personCaller(other.id) })).invitations).toEqual([]);
      const stolen = await failure(
        h.client.acceptCaregiverInvitation({ caller: personCaller(other.id), invitationId: invitation!.id }),
      );
      expect(stolen.code).toBe(Code.NotFound);

      await h.client.verifyEmail({ caller: admin, userId: invitee.id });
      const received = await h.client.listReceivedInvitations({ caller: personCaller(invitee.id) });
      expect(received.invitations.map((i) => [i.id, i.patientDisplayName, i.scopes])).toEqual([
        [invitation!.id, 'Pia', [CaregiverScope.READ_MEDICATIONS]],
      ]);
      const declined = await h.client.declineCaregiverInvitation({
        caller: personCaller(invitee.id),
        invitationId: invitation!.id,
      });
      expect(declined.invitation!.status).toBe(CaregiverInvitationStatus.DECLINED);
      expect(await h.context.access.hasScope(patient.id, invitee.id, 'read_medications')).toBe(false);
      const late = await failure(
        h.client.acceptCaregiverInvitation({ caller: personCaller(invitee.id), invitationId: invitation!.id }),
      );
      expect(late.code).toBe(Code.NotFound);
      expect((await h.client.listReceivedInvitations({ caller: personCaller(invitee.id) })).invitations).toEqual([]);
    });

    it('lets the patient withdraw a pending invitation, after which it cannot be accepted', async () => {
      const patient = await register();
      const invitee = await register();
      const stranger = await register();
      await h.client.verifyEmail({ caller: admin, userId: invitee.id });
      const { invitation } = await h.client.inviteCaregiver({
        caller: personCaller(patient.id),
        caregiverEmail: invitee.email,
        scopes: [CaregiverScope.READ_VITALS],
      });
      const hidden = await failure(
        h.client.withdrawCaregiverInvitation({ caller: personCaller(stranger.id), invitationId: invitation!.id }),
      );
      expect(hidden.code).toBe(Code.NotFound);
      const withdrawn = await h.client.withdrawCaregiverInvitation({
        caller: personCaller(patient.id),
        invitationId: invitation!.id,
      });
      expect(withdrawn.invitation!.status).toBe(CaregiverInvitationStatus.WITHDRAWN);
      const refused = await failure(
        h.client.acceptCaregiverInvitation({ caller: personCaller(invitee.id), invitationId: invitation!.id }),
      );
      expect(refused.code).toBe(Code.NotFound);
      expect((await h.client.listCaregiverInvitations({ caller: personCaller(patient.id) })).invitations).toEqual([]);
      await expectInvalid(
        h.client.withdrawCaregiverInvitation({ caller: personCaller(patient.id), invitationId: 'x' }),
        'invitation_id',
      );
    });

    it('revokes at once, only by a party to the link or an admin, and keeps the revoked link on request', async () => {
      const patient = await register();
      const carer = await register();
      const stranger = await register();
      const link = await linkCaregiver(h.client, patient.id, carer.id, [CaregiverScope.READ_VITALS]);
      const hidden = await failure(h.client.revokeCaregiver({ caller: personCaller(stranger.id), linkId: link.id }));
      expect(hidden.code).toBe(Code.NotFound);
      const revoked = await h.client.revokeCaregiver({ caller: personCaller(patient.id), linkId: link.id });
      expect(revoked.link!.revokedAt).toBeDefined();
      expect(await h.context.access.hasScope(patient.id, carer.id, 'read_vitals')).toBe(false);
      const again = await h.client.revokeCaregiver({ caller: personCaller(patient.id), linkId: link.id });
      expect(timestampDate(again.link!.revokedAt!)).toEqual(timestampDate(revoked.link!.revokedAt!));
      expect((await h.client.listCaregivers({ caller: personCaller(patient.id) })).links).toEqual([]);
      const all = await h.client.listCaregivers({ caller: personCaller(patient.id), includeRevoked: true });
      expect(all.links.map((l) => l.id)).toEqual([link.id]);
      await expectInvalid(h.client.revokeCaregiver({ caller: personCaller(patient.id), linkId: 'x' }), 'link_id');
    });

    it('pages caregivers newest first with an opaque cursor, and refuses more than 100 per page', async () => {
      const patient = await register();
      const granted: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const carer = await register(`Carer ${i}`);
        const link = await linkCaregiver(h.client, patient.id, carer.id, [CaregiverScope.READ_MEDICATIONS]);
        granted.push(link.id);
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
      await linkCaregiver(h.client, patient.id, carer.id, [CaregiverScope.READ_VITALS]);
      await h.client.getUser({ caller: breakGlassAdmin, userId: patient.id }); // audited, and cached
      await h.client.deleteUser({ caller: personCaller(patient.id) });
      const gone = await failure(h.client.getUser({ caller: breakGlassAdmin, userId: patient.id }));
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
