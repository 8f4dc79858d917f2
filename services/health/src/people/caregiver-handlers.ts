import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { NotFoundError, ValidationError } from '@tend/core';
import { pageResponse } from '@tend/rpc';
import { CallerSchema, Role } from '@tend/proto/tend/common/v1/common';
import {
  AuditEventSchema,
  ListAuditEventsResponseSchema,
  ListCaregiversResponseSchema,
  ListPatientsResponseSchema,
  RevokeCaregiverResponseSchema,
} from '@tend/proto/tend/health/v1/caregivers';
import { actorOf } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthHandlers } from '../handlers.js';
import { subjectOf } from './account-handlers.js';
import { linkOfRow, linksWithNames, pageOf, type PagePosition } from './caregiver-links.js';
import { checkUserId, roleOf, type RoleName } from './person-records.js';

/** Where the audit log stopped: the last entry's time (epoch ms) and write order, the tie-breaker. */
interface AuditPosition {
  at: number;
  seq: string;
}

/** The caregiver and audit-log methods of the health service. */
export type CaregiverMethods =
  'grantCaregiver' | 'listCaregivers' | 'revokeCaregiver' | 'listPatients' | 'listAuditEvents';

/**
 * Caregiver links — a patient's consent for someone to follow parts of their record — and the
 * audit log of what others did with it. Links start when an invitee accepts an invitation
 * (`caregiver-invitations.ts`); the old direct grant, whose NOT_FOUND for an unknown address told
 * anyone who had an account, is refused.
 */
export function caregiverHandlers(context: HealthContext): HealthHandlers<CaregiverMethods> {
  const { db, cipher, access, clock } = context;
  const linkOf = (row: Parameters<typeof linkOfRow>[1]) => linkOfRow(cipher, row);

  /** One newest-first page of links where `column` is `userId`. */
  async function linkPage(
    column: 'l.patient_id' | 'l.caregiver_id',
    userId: string,
    includeRevoked: boolean,
    page: ReturnType<typeof pageOf<PagePosition>>,
  ) {
    // The primary, like AccessControl: a grant is written under the patient's consistency key, so
    // the caregiver's replica read could miss it, and a list must never show a revoked link active.
    let query = linksWithNames(db.primary).where(column, '=', userId);
    if (!includeRevoked) query = query.where('l.revoked_at', 'is', null);
    const after: PagePosition | undefined = page.after;
    if (after)
      query = query.where((eb) =>
        eb.or([
          eb('l.created_at', '<', new Date(after.at)),
          eb.and([eb('l.created_at', '=', new Date(after.at)), eb('l.id', '<', after.id)]),
        ]),
      );
    const rows = await query
      .orderBy('l.created_at', 'desc')
      .orderBy('l.id', 'desc')
      .limit(page.limit + 1)
      .execute();
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      links: items.map(linkOf),
      page: pageResponse(
        page.list,
        more && last ? { at: new Date(last.created_at).getTime(), id: last.id } : undefined,
      ),
    };
  }

  return {
    async grantCaregiver() {
      throw new ConnectError(
        'caregiver access is an invitation the caregiver accepts now: use InviteCaregiver',
        Code.FailedPrecondition,
      );
    },

    async listCaregivers(req) {
      const actor = actorOf(req.caller);
      const patientId = subjectOf(actor, req.userId);
      const page = pageOf(req.page, 'caregivers');
      await access.authorize(actor, { ownerId: patientId, action: 'read', resource: 'caregiver_links' });
      return create(ListCaregiversResponseSchema, await linkPage('l.patient_id', patientId, req.includeRevoked, page));
    },

    async revokeCaregiver(req) {
      const actor = actorOf(req.caller);
      const linkId = checkUserId('link_id', req.linkId);
      const link = await db.primary
        .selectFrom('caregiver_links')
        .select(['patient_id', 'caregiver_id'])
        .where('id', '=', linkId)
        .executeTakeFirst();
      // Someone who is neither side of the link learns nothing about it, not even that it exists.
      const party = actor.kind === 'person' && link && [link.patient_id, link.caregiver_id].includes(actor.userId);
      if (!link || (actor.kind === 'person' && !party)) throw new NotFoundError('caregiver link', linkId);
      if (actor.kind === 'admin')
        await access.audit(actor, {
          ownerId: link.patient_id,
          action: 'write',
          resource: 'caregiver_link',
          resourceId: linkId,
        });
      await db.transaction(
        (trx) =>
          trx
            .updateTable('caregiver_links')
            .set({ revoked_at: clock.now() })
            .where('id', '=', linkId)
            .where('revoked_at', 'is', null)
            .execute(),
        { consistencyKey: link.patient_id },
      );
      const row = await linksWithNames(db.primary).where('l.id', '=', linkId).executeTakeFirst();
      if (!row) throw new NotFoundError('caregiver link', linkId);
      return create(RevokeCaregiverResponseSchema, { link: linkOf(row) });
    },

    async listPatients(req) {
      const actor = actorOf(req.caller);
      const caregiverId = subjectOf(actor, req.caregiverUserId, 'caregiver_user_id');
      const page = pageOf(req.page, 'patients');
      await access.authorize(actor, { ownerId: caregiverId, action: 'read', resource: 'caregiver_links' });
      return create(
        ListPatientsResponseSchema,
        await linkPage('l.caregiver_id', caregiverId, req.includeRevoked, page),
      );
    },

    async listAuditEvents(req) {
      const actor = actorOf(req.caller);
      const subjectId = subjectOf(actor, req.userId);
      const page = pageOf<AuditPosition>(req.page, 'audit');
      const actorUserId = req.actorUserId ? checkUserId('actor_user_id', req.actorUserId) : undefined;
      const from = req.from ? timestampDate(req.from) : undefined;
      const to = req.to ? timestampDate(req.to) : undefined;
      if (from && to && from >= to) throw ValidationError.field('to', 'must be after from');
      await access.authorize(actor, { ownerId: subjectId, action: 'read', resource: 'audit_events' });
      // Audit entries are written straight to the primary without a consistency key; read them there
      // so an access shows up in the person's log at once.
      let query = db.primary.selectFrom('audit_events').selectAll().where('subject_user_id', '=', subjectId);
      if (actorUserId) query = query.where('actor_user_id', '=', actorUserId);
      if (from) query = query.where('at', '>=', from);
      if (to) query = query.where('at', '<', to);
      const after = page.after;
      if (after)
        query = query.where((eb) =>
          eb.or([
            eb('at', '<', new Date(after.at)),
            eb.and([eb('at', '=', new Date(after.at)), eb('seq', '<', after.seq)]),
          ]),
        );
      const rows = await query
        .orderBy('at', 'desc')
        .orderBy('seq', 'desc')
        .limit(page.limit + 1)
        .execute();
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return create(ListAuditEventsResponseSchema, {
        events: items.map((row) =>
          create(AuditEventSchema, {
            id: row.id,
            occurredAt: timestampFromDate(new Date(row.at)),
            actor:
              row.actor_role === 'service'
                ? create(CallerSchema, { role: Role.SERVICE, service: row.actor_service ?? '' })
                : create(CallerSchema, { userId: row.actor_user_id ?? '', role: roleOf(row.actor_role as RoleName) }),
            subjectUserId: row.subject_user_id,
            action: row.action,
            resource: row.resource_id ? `${row.resource}/${row.resource_id}` : row.resource,
            allowed: row.allowed,
            traceId: row.trace_id ?? '',
            attempts: row.attempts,
            breakGlassReason: row.break_glass_reason ?? '',
            ...(row.last_at && { lastOccurredAt: timestampFromDate(new Date(row.last_at)) }),
          }),
        ),
        page: pageResponse(
          page.list,
          rows.length > page.limit && last ? { at: new Date(last.at).getTime(), seq: last.seq } : undefined,
        ),
      });
    },
  };
}
