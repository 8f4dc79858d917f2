import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError, ValidationError, decodeCursor, pageLimitOf, pageResponse } from '@tend/platform';
import { CallerSchema, Role, type PageRequest } from '@tend/proto/tend/common/v1/common';
import {
  AuditEventSchema,
  CaregiverLinkSchema,
  CaregiverScope,
  GrantCaregiverResponseSchema,
  ListAuditEventsResponseSchema,
  ListCaregiversResponseSchema,
  ListPatientsResponseSchema,
  RevokeCaregiverResponseSchema,
  type CaregiverLink,
} from '@tend/proto/tend/health/v1/caregivers';
import type { Kysely } from 'kysely';
import { actorOf, type CaregiverScopeName } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthTables } from '../db/tables.js';
import type { HealthHandlers } from '../handlers.js';
import { subjectOf } from './account-handlers.js';
import { normaliseEmail } from './account-rules.js';

/** Where a newest-first list stopped: the last item's time (epoch ms) and id, the tie-breaker. */
interface PagePosition {
  at: number;
  id: string;
}

/** Where the audit log stopped: the last entry's time (epoch ms) and write order, the tie-breaker. */
interface AuditPosition {
  at: number;
  seq: string;
}

/** The page a request asks for: its size and, after the first page, where to continue. */
function pageOf<P extends object = PagePosition>(
  page: PageRequest | undefined,
  list: string,
): { limit: number; after: P | undefined; list: string } {
  return { limit: pageLimitOf(page), after: decodeCursor<P>(page, list), list };
}
import { checkUserId, roleOf, type RoleName } from './person-records.js';
import { sealedAt } from '../crypto/sealed-columns.js';

/** The caregiver and audit-log methods of the health service. */
export type CaregiverMethods =
  'grantCaregiver' | 'listCaregivers' | 'revokeCaregiver' | 'listPatients' | 'listAuditEvents';

const scopeNames: Record<Exclude<CaregiverScope, CaregiverScope.UNSPECIFIED>, CaregiverScopeName> = {
  [CaregiverScope.READ_VITALS]: 'read_vitals',
  [CaregiverScope.READ_MEDICATIONS]: 'read_medications',
  [CaregiverScope.RECEIVE_MISSED_DOSE_ALERTS]: 'receive_missed_dose_alerts',
  [CaregiverScope.LOG_DOSES]: 'log_doses',
  [CaregiverScope.RECORD_VITALS]: 'record_vitals',
};

/**
 * The stored scope names of a grant, de-duplicated and in enum order. At least one known scope
 * is required; an unknown or unspecified one is rejected naming `scopes`.
 */
export function scopeNamesOf(scopes: readonly CaregiverScope[]): CaregiverScopeName[] {
  if (scopes.length === 0) throw ValidationError.field('scopes', 'at least one scope is required');
  const unique = [...new Set(scopes)].sort((a, b) => a - b);
  return unique.map((scope) => {
    const name = scopeNames[scope as keyof typeof scopeNames] as CaregiverScopeName | undefined;
    if (!name) throw ValidationError.field('scopes', `${scope} is not a caregiver scope`);
    return name;
  });
}

function scopeOf(name: string): CaregiverScope {
  const entry = Object.entries(scopeNames).find(([, value]) => value === name);
  return entry ? Number(entry[0]) : CaregiverScope.UNSPECIFIED;
}

function linksWithNames(db: Kysely<HealthTables>) {
  return db
    .selectFrom('caregiver_links as l')
    .innerJoin('users as p', 'p.id', 'l.patient_id')
    .innerJoin('users as c', 'c.id', 'l.caregiver_id')
    .select([
      'l.id',
      'l.patient_id',
      'l.caregiver_id',
      'l.scopes',
      'l.created_at',
      'l.updated_at',
      'l.revoked_at',
      'p.display_name as patient_name',
      'c.display_name as caregiver_name',
      'c.email_encrypted as caregiver_email',
    ]);
}

type LinkRow = Awaited<ReturnType<ReturnType<typeof linksWithNames>['executeTakeFirstOrThrow']>>;

/**
 * Caregiver links — a patient's consent for someone to follow parts of their record — and the
 * audit log of what others did with it. A grant names the caregiver by account e-mail (found
 * through the blind index); an unknown e-mail is NOT_FOUND and says nothing more.
 */
export function caregiverHandlers(context: HealthContext): HealthHandlers<CaregiverMethods> {
  const { db, cipher, access, clock, ids } = context;

  function linkOf(row: LinkRow): CaregiverLink {
    return create(CaregiverLinkSchema, {
      id: row.id,
      patientUserId: row.patient_id,
      patientDisplayName: row.patient_name,
      caregiverUserId: row.caregiver_id,
      caregiverDisplayName: row.caregiver_name,
      caregiverEmail: cipher.decrypt(row.caregiver_email, sealedAt.userEmail(row.caregiver_id)),
      scopes: row.scopes.map(scopeOf),
      createdAt: timestampFromDate(new Date(row.created_at)),
      updatedAt: timestampFromDate(new Date(row.updated_at)),
      revokedAt: row.revoked_at ? timestampFromDate(new Date(row.revoked_at)) : undefined,
    });
  }

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
    async grantCaregiver(req) {
      const actor = actorOf(req.caller);
      const patientId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: patientId, action: 'write', resource: 'caregiver_links' });
      const scopes = scopeNamesOf(req.scopes);
      const email = normaliseEmail('caregiver_email', req.caregiverEmail);
      const caregiver = await db.primary
        .selectFrom('users')
        .select('id')
        .where('email_hash', '=', cipher.blindIndex(email))
        .executeTakeFirst();
      if (!caregiver) throw new NotFoundError('caregiver', 'with this e-mail');
      if (caregiver.id === patientId)
        throw ValidationError.field('caregiver_email', "is the patient's own; a person cannot be their own caregiver");
      const now = clock.now();
      const linkId = await db.transaction(
        async (trx) => {
          const patient = await trx.selectFrom('users').select('id').where('id', '=', patientId).executeTakeFirst();
          if (!patient) throw new NotFoundError('user', patientId);
          // A re-grant to an active caregiver replaces the scopes of the same link.
          const row = await trx
            .insertInto('caregiver_links')
            .values({
              id: ids.uuid(),
              patient_id: patientId,
              caregiver_id: caregiver.id,
              scopes,
              created_at: now,
              updated_at: now,
            })
            .onConflict((oc) =>
              oc
                .columns(['patient_id', 'caregiver_id'])
                .where('revoked_at', 'is', null)
                .doUpdateSet({ scopes, updated_at: now }),
            )
            .returning('id')
            .executeTakeFirstOrThrow();
          return row.id;
        },
        { consistencyKey: patientId },
      );
      const row = await linksWithNames(db.primary).where('l.id', '=', linkId).executeTakeFirstOrThrow();
      return create(GrantCaregiverResponseSchema, { link: linkOf(row) });
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
