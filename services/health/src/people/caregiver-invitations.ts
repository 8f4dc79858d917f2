import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { NotFoundError, ValidationError } from '@tend/core';
import { pageResponse } from '@tend/rpc';
import {
  AcceptCaregiverInvitationResponseSchema,
  CaregiverInvitationSchema,
  CaregiverInvitationStatus,
  DeclineCaregiverInvitationResponseSchema,
  InviteCaregiverResponseSchema,
  ListCaregiverInvitationsResponseSchema,
  ListReceivedInvitationsResponseSchema,
  WithdrawCaregiverInvitationResponseSchema,
  type CaregiverInvitation,
} from '@tend/proto/tend/health/v1/caregivers';
import type { Kysely } from 'kysely';
import { actorOf, type Actor } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import { sealedAt } from '../crypto/sealed-columns.js';
import type { HealthTables } from '../db/tables.js';
import type { HealthHandlers } from '../handlers.js';
import { subjectOf } from './account-handlers.js';
import { normaliseEmail } from './account-rules.js';
import { linkOfRow, linksWithNames, pageOf, scopeNamesOf, scopeOf, type PagePosition } from './caregiver-links.js';
import { checkUserId } from './person-records.js';

/** The caregiver invitation methods of the health service. */
export type InvitationMethods =
  | 'inviteCaregiver'
  | 'listCaregiverInvitations'
  | 'withdrawCaregiverInvitation'
  | 'listReceivedInvitations'
  | 'acceptCaregiverInvitation'
  | 'declineCaregiverInvitation';

/** An invitation nobody answered stops being acceptable after two weeks. */
export const invitationTtlMs = 14 * 24 * 3600_000;

/** Pending invitations one patient may have at once: a cap on what one account can write. */
export const maxPendingInvitations = 50;

/** Received invitations listed at most: a patient has one pending invitation per address. */
const maxReceivedListed = 100;

const statusOf = {
  pending: CaregiverInvitationStatus.PENDING,
  accepted: CaregiverInvitationStatus.ACCEPTED,
  declined: CaregiverInvitationStatus.DECLINED,
  withdrawn: CaregiverInvitationStatus.WITHDRAWN,
} as const;

function invitationsWithNames(db: Kysely<HealthTables>) {
  return db
    .selectFrom('caregiver_invitations as i')
    .innerJoin('users as p', 'p.id', 'i.patient_id')
    .select([
      'i.id',
      'i.patient_id',
      'i.email_encrypted',
      'i.scopes',
      'i.status',
      'i.created_at',
      'i.expires_at',
      'i.answered_at',
      'i.link_id',
      'p.display_name as patient_name',
    ]);
}

type InvitationRow = Awaited<ReturnType<ReturnType<typeof invitationsWithNames>['executeTakeFirstOrThrow']>>;

/**
 * Caregiver access as an invitation the invitee accepts. Inviting names an address, never an
 * account: the handler seals the address and stores its blind index without looking any account
 * up, so the answer, and the work behind it, are the same whether the address has an account or
 * not. Only the holder of a verified account with that address sees the invitation and can
 * accept it, which is when a caregiver link starts.
 */
export function invitationHandlers(context: HealthContext): HealthHandlers<InvitationMethods> {
  const { db, cipher, access, clock, ids } = context;

  function invitationOf(row: InvitationRow): CaregiverInvitation {
    const expired = row.status === 'pending' && new Date(row.expires_at) <= clock.now();
    return create(CaregiverInvitationSchema, {
      id: row.id,
      patientUserId: row.patient_id,
      patientDisplayName: row.patient_name,
      email: cipher.decrypt(row.email_encrypted, sealedAt.invitationEmail(row.id, row.patient_id)),
      scopes: row.scopes.map(scopeOf),
      status: expired ? CaregiverInvitationStatus.EXPIRED : statusOf[row.status],
      createdAt: timestampFromDate(new Date(row.created_at)),
      expiresAt: timestampFromDate(new Date(row.expires_at)),
      answeredAt: row.answered_at ? timestampFromDate(new Date(row.answered_at)) : undefined,
      linkId: row.link_id ?? '',
    });
  }

  async function invitationById(id: string): Promise<InvitationRow | undefined> {
    return invitationsWithNames(db.primary).where('i.id', '=', id).executeTakeFirst();
  }

  /** The invitee's verified address as a blind index; unproven addresses receive nothing. */
  async function verifiedAddressOf(actor: Actor): Promise<{ userId: string; emailHash: Buffer }> {
    if (actor.kind !== 'person') throw ValidationError.field('caller', 'must be the invited person');
    const user = await db.primary
      .selectFrom('users')
      .select(['email_hash', 'email_verified_at'])
      .where('id', '=', actor.userId)
      .executeTakeFirst();
    if (!user) throw new NotFoundError('user', actor.userId);
    if (!user.email_verified_at)
      throw new ConnectError('prove your e-mail address first to see invitations sent to it', Code.FailedPrecondition);
    return { userId: actor.userId, emailHash: user.email_hash };
  }

  /** A pending, unexpired invitation to the caller's address; anything else is NOT_FOUND. */
  async function pendingFor(
    trx: Kysely<HealthTables>,
    invitee: { emailHash: Buffer },
    invitationId: string,
  ): Promise<{ id: string; patient_id: string; scopes: string[] }> {
    const row = await trx
      .selectFrom('caregiver_invitations')
      .select(['id', 'patient_id', 'scopes'])
      .where('id', '=', invitationId)
      .where('email_hash', '=', invitee.emailHash)
      .where('status', '=', 'pending')
      .where('expires_at', '>', clock.now())
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('caregiver invitation', invitationId);
    return row;
  }

  return {
    async inviteCaregiver(req) {
      const actor = actorOf(req.caller);
      const patientId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: patientId, action: 'write', resource: 'caregiver_links' });
      const scopes = scopeNamesOf(req.scopes);
      const email = normaliseEmail('caregiver_email', req.caregiverEmail);
      const emailHash = cipher.blindIndex(email);
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + invitationTtlMs);
      const id = await db.transaction(
        async (trx) => {
          const patient = await trx
            .selectFrom('users')
            .select('email_hash')
            .where('id', '=', patientId)
            .forUpdate()
            .executeTakeFirst();
          if (!patient) throw new NotFoundError('user', patientId);
          // The patient knows their own address; refusing it reveals nothing about anyone else.
          if (patient.email_hash.equals(emailHash))
            throw ValidationError.field(
              'caregiver_email',
              "is the patient's own; a person cannot be their own caregiver",
            );
          const { pending } = await trx
            .selectFrom('caregiver_invitations')
            .select((eb) => eb.fn.countAll<string>().as('pending'))
            .where('patient_id', '=', patientId)
            .where('status', '=', 'pending')
            .where('expires_at', '>', now)
            .where('email_hash', '!=', emailHash)
            .executeTakeFirstOrThrow();
          if (Number(pending) >= maxPendingInvitations)
            throw new ConnectError(
              `at most ${maxPendingInvitations} invitations may wait for an answer; withdraw one first`,
              Code.FailedPrecondition,
            );
          const newId = ids.uuid();
          const row = await trx
            .insertInto('caregiver_invitations')
            .values({
              id: newId,
              patient_id: patientId,
              email_hash: emailHash,
              email_encrypted: cipher.encrypt(email, sealedAt.invitationEmail(newId, patientId)),
              scopes,
              created_at: now,
              updated_at: now,
              expires_at: expiresAt,
            })
            // The same address again (even after its time ran out): new scopes and 14 more days.
            .onConflict((oc) =>
              oc
                .columns(['patient_id', 'email_hash'])
                .where('status', '=', 'pending')
                .doUpdateSet({ scopes, updated_at: now, expires_at: expiresAt }),
            )
            .returning('id')
            .executeTakeFirstOrThrow();
          return row.id;
        },
        { consistencyKey: patientId },
      );
      const row = await invitationById(id);
      if (!row) throw new NotFoundError('caregiver invitation', id);
      return create(InviteCaregiverResponseSchema, { invitation: invitationOf(row) });
    },

    async listCaregiverInvitations(req) {
      const actor = actorOf(req.caller);
      const patientId = subjectOf(actor, req.userId);
      const page = pageOf(req.page, 'invitations');
      await access.authorize(actor, { ownerId: patientId, action: 'read', resource: 'caregiver_links' });
      let query = invitationsWithNames(db.primary).where('i.patient_id', '=', patientId);
      if (!req.includeAnswered) query = query.where('i.status', '=', 'pending').where('i.expires_at', '>', clock.now());
      const after: PagePosition | undefined = page.after;
      if (after)
        query = query.where((eb) =>
          eb.or([
            eb('i.created_at', '<', new Date(after.at)),
            eb.and([eb('i.created_at', '=', new Date(after.at)), eb('i.id', '<', after.id)]),
          ]),
        );
      const rows = await query
        .orderBy('i.created_at', 'desc')
        .orderBy('i.id', 'desc')
        .limit(page.limit + 1)
        .execute();
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return create(ListCaregiverInvitationsResponseSchema, {
        invitations: items.map(invitationOf),
        page: pageResponse(
          page.list,
          rows.length > page.limit && last ? { at: new Date(last.created_at).getTime(), id: last.id } : undefined,
        ),
      });
    },

    async withdrawCaregiverInvitation(req) {
      const actor = actorOf(req.caller);
      const invitationId = checkUserId('invitation_id', req.invitationId);
      const row = await invitationById(invitationId);
      // Only the patient's side (the patient, an admin, a service) may see it exists.
      if (!row || (actor.kind === 'person' && actor.userId !== row.patient_id))
        throw new NotFoundError('caregiver invitation', invitationId);
      await access.authorize(actor, {
        ownerId: row.patient_id,
        action: 'write',
        resource: 'caregiver_invitation',
        resourceId: invitationId,
      });
      await db.transaction(
        (trx) =>
          trx
            .updateTable('caregiver_invitations')
            .set({ status: 'withdrawn', answered_at: clock.now() })
            .where('id', '=', invitationId)
            .where('status', '=', 'pending')
            .execute(),
        { consistencyKey: row.patient_id },
      );
      const after = await invitationById(invitationId);
      if (!after) throw new NotFoundError('caregiver invitation', invitationId);
      return create(WithdrawCaregiverInvitationResponseSchema, { invitation: invitationOf(after) });
    },

    async listReceivedInvitations(req) {
      const invitee = await verifiedAddressOf(actorOf(req.caller));
      const rows = await invitationsWithNames(db.primary)
        .where('i.email_hash', '=', invitee.emailHash)
        .where('i.status', '=', 'pending')
        .where('i.expires_at', '>', clock.now())
        .where('i.patient_id', '!=', invitee.userId)
        .orderBy('i.created_at', 'desc')
        .orderBy('i.id', 'desc')
        .limit(maxReceivedListed)
        .execute();
      return create(ListReceivedInvitationsResponseSchema, { invitations: rows.map(invitationOf) });
    },

    async acceptCaregiverInvitation(req) {
      const invitationId = checkUserId('invitation_id', req.invitationId);
      const invitee = await verifiedAddressOf(actorOf(req.caller));
      const now = clock.now();
      // The invitation's patient is known only inside, so the link is written under no
      // consistency key of the patient's; reads of links go to the primary (AccessControl).
      const linkId = await db.transaction(async (trx) => {
        const invitation = await pendingFor(trx, invitee, invitationId);
        if (invitation.patient_id === invitee.userId) throw new NotFoundError('caregiver invitation', invitationId);
        // An active link to the same person takes the invitation's scopes instead of a second link.
        const link = await trx
          .insertInto('caregiver_links')
          .values({
            id: ids.uuid(),
            patient_id: invitation.patient_id,
            caregiver_id: invitee.userId,
            scopes: invitation.scopes,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) =>
            oc
              .columns(['patient_id', 'caregiver_id'])
              .where('revoked_at', 'is', null)
              .doUpdateSet({ scopes: invitation.scopes, updated_at: now }),
          )
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('caregiver_invitations')
          .set({ status: 'accepted', answered_at: now, link_id: link.id })
          .where('id', '=', invitation.id)
          .execute();
        return link.id;
      });
      const row = await linksWithNames(db.primary).where('l.id', '=', linkId).executeTakeFirstOrThrow();
      return create(AcceptCaregiverInvitationResponseSchema, { link: linkOfRow(cipher, row) });
    },

    async declineCaregiverInvitation(req) {
      const invitationId = checkUserId('invitation_id', req.invitationId);
      const invitee = await verifiedAddressOf(actorOf(req.caller));
      await db.transaction(async (trx) => {
        const invitation = await pendingFor(trx, invitee, invitationId);
        await trx
          .updateTable('caregiver_invitations')
          .set({ status: 'declined', answered_at: clock.now() })
          .where('id', '=', invitation.id)
          .execute();
      });
      const row = await invitationById(invitationId);
      if (!row) throw new NotFoundError('caregiver invitation', invitationId);
      return create(DeclineCaregiverInvitationResponseSchema, { invitation: invitationOf(row) });
    },
  };
}
