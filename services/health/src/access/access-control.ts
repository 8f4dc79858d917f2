import { trace } from '@opentelemetry/api';
import {
  ForbiddenError,
  UnauthenticatedError,
  ValidationError,
  type Clock,
  type Ids,
  type Logger,
  type Metrics,
} from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import { Role, type Caller } from '@tend/proto/tend/common/v1/common';
import type { HealthTables } from '../db/tables.js';

/** What a caregiver link can allow, as stored in `caregiver_links.scopes`. */
export type CaregiverScopeName =
  'read_vitals' | 'read_medications' | 'receive_missed_dose_alerts' | 'log_doses' | 'record_vitals';

/** Who is calling, checked. Internal services act with the `service` role. */
export type Actor =
  | { kind: 'person'; userId: string; role: 'user' | 'caregiver' }
  | { kind: 'admin'; userId: string; breakGlassReason?: string }
  | { kind: 'service'; service: string };

/**
 * The actor behind a request's `caller`. A call without a caller, or a person without an id, is
 * unauthenticated: the gateway always fills it, so its absence means a misrouted call.
 */
export function actorOf(caller: Caller | undefined): Actor {
  if (!caller) throw new UnauthenticatedError('caller is required');
  switch (caller.role) {
    case Role.SERVICE:
      if (!caller.service) throw new UnauthenticatedError('caller.service is required for the service role');
      return { kind: 'service', service: caller.service };
    case Role.ADMIN: {
      if (!caller.userId) throw new UnauthenticatedError('caller.user_id is required');
      const reason = caller.breakGlassReason.trim();
      if (!reason) return { kind: 'admin', userId: caller.userId };
      if (reason.length < 10 || reason.length > 500)
        throw ValidationError.field('caller.break_glass_reason', 'must say why, in 10 to 500 characters');
      return { kind: 'admin', userId: caller.userId, breakGlassReason: reason };
    }
    case Role.USER:
    case Role.CAREGIVER:
      if (!caller.userId) throw new UnauthenticatedError('caller.user_id is required');
      return { kind: 'person', userId: caller.userId, role: caller.role === Role.USER ? 'user' : 'caregiver' };
    case Role.UNSPECIFIED:
      throw new UnauthenticatedError('caller.role is required');
  }
}

/** One access to check: whose record, what is done, and the caregiver scope that would allow it. */
export interface AccessRequest {
  /** The person whose record it is. */
  ownerId: string;
  action: 'read' | 'write';
  /** What a caregiver needs for this; undefined means only the owner, an admin or a service. */
  scope?: CaregiverScopeName;
  /** For the audit log, e.g. `vitals`, `medication`. */
  resource: string;
  resourceId?: string;
}

/** How refused attempts are kept in the audit log. */
export interface RefusalAuditOptions {
  /**
   * Distinct refusal rows (actor × subject × resource × action) one actor may add per hour;
   * past it, refusals are counted in `tend_audit_refusals_dropped_total` only. Repeats of the
   * same refusal within the hour always just raise the row's `attempts`.
   * @default 100
   */
  rowsPerActorPerHour?: number;
  metrics?: Metrics;
  logger?: Logger;
}

const hourMs = 3_600_000;

/**
 * The resources that are health data. An admin reaches another person's only in break-glass mode;
 * account administration (roles, e-mail verification, erasure, caregiver links, the audit log)
 * needs no break-glass.
 */
const healthData = new Set(['vitals', 'weekly-summary', 'medications', 'fhir-export', 'fhir-import']);

/** Whether `request` shows an admin someone else's health data: a profile read (conditions, allergies) counts. */
function isHealthData(request: AccessRequest): boolean {
  return healthData.has(request.resource) || (request.resource === 'user' && request.action === 'read');
}

/**
 * Object-level authorization for every health record: a person reaches their own data, a
 * caregiver only what a patient granted within its scopes, an admin and internal services
 * everything. Every access by someone other than the owner (caregiver, admin, internal service)
 * is written to the audit log with the trace id, so a person can see who looked at their record.
 */
export class AccessControl {
  constructor(
    private readonly db: SchemaDatabase<HealthTables>,
    private readonly ids: Ids,
    private readonly clock: Clock,
    private readonly refusals: RefusalAuditOptions = {},
  ) {
    // Each resource's break-glass count exists from the start at 0, so the alert's increase()
    // sees the first access too.
    for (const resource of [...healthData, 'user']) refusals.metrics?.breakGlassAccesses.inc({ resource }, 0);
  }

  /** Resolves when `actor` may do `request`, or throws ForbiddenError. */
  async authorize(actor: Actor, request: AccessRequest): Promise<void> {
    if (actor.kind === 'person' && actor.userId === request.ownerId) return;
    if (actor.kind === 'person') {
      if (!request.scope || !(await this.hasScope(request.ownerId, actor.userId, request.scope))) {
        // Denied attempts land in the person's audit log too (AuditEvent.allowed = false).
        await this.audit(actor, request, false);
        throw new ForbiddenError(`no access to ${request.resource} of this person`);
      }
    }
    if (actor.kind === 'admin' && actor.userId !== request.ownerId && isHealthData(request)) {
      if (!actor.breakGlassReason) {
        await this.audit(actor, request, false);
        throw new ForbiddenError(
          `an admin sees ${request.resource} of another person only in break-glass mode: give a reason in the Tend-Break-Glass header`,
        );
      }
      this.refusals.metrics?.breakGlassAccesses.inc({ resource: request.resource });
      this.refusals.logger?.warn(
        { actorUserId: actor.userId, subjectUserId: request.ownerId, resource: request.resource },
        'break-glass access to health data by an admin',
      );
    }
    await this.audit(actor, request);
  }

  /** Whether an active link from `patientId` grants `caregiverId` the scope. */
  async hasScope(patientId: string, caregiverId: string, scope: CaregiverScopeName): Promise<boolean> {
    // Read from the primary: a revoked link must stop working at once, not after replica lag.
    const link = await this.db.primary
      .selectFrom('caregiver_links')
      .select('scopes')
      .where('patient_id', '=', patientId)
      .where('caregiver_id', '=', caregiverId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return link?.scopes.includes(scope) ?? false;
  }

  /**
   * Records one access by someone other than the owner — a caregiver, an admin, or an internal
   * service acting on its own (its name is the one its service token proved); `allowed` is false
   * for a refused attempt.
   */
  async audit(actor: Actor, request: AccessRequest, allowed = true): Promise<void> {
    if (!allowed && actor.kind !== 'service') return this.auditRefusal(actor, request);
    await this.db.primary
      .insertInto('audit_events')
      .values({
        id: this.ids.uuid(),
        subject_user_id: request.ownerId,
        actor_user_id: actor.kind === 'service' ? null : actor.userId,
        actor_role: actor.kind === 'service' ? 'service' : actor.kind === 'admin' ? 'admin' : actor.role,
        actor_service: actor.kind === 'service' ? actor.service : null,
        break_glass_reason: actor.kind === 'admin' ? (actor.breakGlassReason ?? null) : null,
        action: request.action,
        resource: request.resource,
        resource_id: request.resourceId ?? null,
        trace_id: trace.getActiveSpan()?.spanContext().traceId ?? null,
        allowed,
        at: this.clock.now(),
      })
      .execute();
  }

  /**
   * A refused attempt, aggregated: the same actor, subject, resource (with its id) and action
   * within one hour share a row whose `attempts` counts them; a new row only while the actor has
   * added fewer than `rowsPerActorPerHour` this hour. So refused calls in a loop grow the table by
   * at most that many rows an hour per account, whatever ids they try. Two concurrent first
   * refusals may each add a row; their attempts then add up across both.
   */
  private async auditRefusal(actor: Exclude<Actor, { kind: 'service' }>, request: AccessRequest): Promise<void> {
    const now = this.clock.now();
    const windowStart = new Date(Math.floor(now.getTime() / hourMs) * hourMs);
    const db = this.db.primary;
    const counted = await db
      .updateTable('audit_events')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_at: now }))
      .where('allowed', '=', false)
      .where('window_start', '=', windowStart)
      .where('actor_user_id', '=', actor.userId)
      .where('subject_user_id', '=', request.ownerId)
      .where('resource', '=', request.resource)
      .where('resource_id', 'is not distinct from', request.resourceId ?? null)
      .where('action', '=', request.action)
      .executeTakeFirst();
    if (counted.numUpdatedRows > 0n) return;
    const limit = this.refusals.rowsPerActorPerHour ?? 100;
    const { rows } = await db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<string>().as('rows'))
      .where('allowed', '=', false)
      .where('window_start', '=', windowStart)
      .where('actor_user_id', '=', actor.userId)
      .executeTakeFirstOrThrow();
    if (Number(rows) >= limit) {
      this.refusals.metrics?.auditRefusalsDropped.inc();
      if (Number(rows) === limit)
        this.refusals.logger?.warn({ actorUserId: actor.userId }, 'refused accesses past the hourly audit share');
      return;
    }
    await db
      .insertInto('audit_events')
      .values({
        id: this.ids.uuid(),
        subject_user_id: request.ownerId,
        actor_user_id: actor.userId,
        actor_role: actor.kind === 'admin' ? 'admin' : actor.role,
        action: request.action,
        resource: request.resource,
        resource_id: request.resourceId ?? null,
        trace_id: trace.getActiveSpan()?.spanContext().traceId ?? null,
        allowed: false,
        at: now,
        last_at: now,
        window_start: windowStart,
      })
      .execute();
  }
}
