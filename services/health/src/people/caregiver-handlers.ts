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
import { AuditLog, type AuditPosition } from '../access/audit-log.js';
import { CaregiverLinkRepository } from './caregiver-link-repository.js';
import { linkOfRow, pageOf, type PagePosition } from './caregiver-links.js';
import { checkUserId, roleOf, type RoleName } from './person-records.js';

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
  const { cipher, access } = context;
  const links = new CaregiverLinkRepository(context);
  const auditLog = new AuditLog(context);
  const linkOf = (row: Parameters<typeof linkOfRow>[1]) => linkOfRow(cipher, row);

  /** One newest-first page of the links on `side` of `userId`, as the contract shows it. */
  async function linkPage(
    side: 'patient' | 'caregiver',
    userId: string,
    includeRevoked: boolean,
    page: ReturnType<typeof pageOf<PagePosition>>,
  ) {
    const { rows, more } = await links.page(side, userId, { includeRevoked, limit: page.limit, after: page.after });
    const last = rows.at(-1);
    return {
      links: rows.map(linkOf),
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
      return create(ListCaregiversResponseSchema, await linkPage('patient', patientId, req.includeRevoked, page));
    },

    async revokeCaregiver(req) {
      const actor = actorOf(req.caller);
      const linkId = checkUserId('link_id', req.linkId);
      const link = await links.parties(linkId);
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
      const row = await links.revoke(linkId, link.patient_id);
      if (!row) throw new NotFoundError('caregiver link', linkId);
      return create(RevokeCaregiverResponseSchema, { link: linkOf(row) });
    },

    async listPatients(req) {
      const actor = actorOf(req.caller);
      const caregiverId = subjectOf(actor, req.caregiverUserId, 'caregiver_user_id');
      const page = pageOf(req.page, 'patients');
      await access.authorize(actor, { ownerId: caregiverId, action: 'read', resource: 'caregiver_links' });
      return create(ListPatientsResponseSchema, await linkPage('caregiver', caregiverId, req.includeRevoked, page));
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
      const { rows: items, more } = await auditLog.page({
        subjectId,
        actorUserId,
        from,
        to,
        after: page.after,
        limit: page.limit,
      });
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
        page: pageResponse(page.list, more && last ? { at: new Date(last.at).getTime(), seq: last.seq } : undefined),
      });
    },
  };
}
