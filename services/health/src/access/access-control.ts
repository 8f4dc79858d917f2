import { trace } from '@opentelemetry/api';
import { ForbiddenError, UnauthenticatedError, type Clock, type Ids, type SchemaDatabase } from '@tend/platform';
import { Role, type Caller } from '@tend/proto/tend/common/v1/common';
import type { HealthTables } from '../db/tables.js';

/** What a caregiver link can allow, as stored in `caregiver_links.scopes`. */
export type CaregiverScopeName =
  'read_vitals' | 'read_medications' | 'receive_missed_dose_alerts' | 'log_doses' | 'record_vitals';

/** Who is calling, checked. Internal services act with the `service` role. */
export type Actor =
  | { kind: 'person'; userId: string; role: 'user' | 'caregiver' }
  | { kind: 'admin'; userId: string }
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
    case Role.ADMIN:
      if (!caller.userId) throw new UnauthenticatedError('caller.user_id is required');
      return { kind: 'admin', userId: caller.userId };
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
  ) {}

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
    await this.db.primary
      .insertInto('audit_events')
      .values({
        id: this.ids.uuid(),
        subject_user_id: request.ownerId,
        actor_user_id: actor.kind === 'service' ? null : actor.userId,
        actor_role: actor.kind === 'service' ? 'service' : actor.kind === 'admin' ? 'admin' : actor.role,
        actor_service: actor.kind === 'service' ? actor.service : null,
        action: request.action,
        resource: request.resource,
        resource_id: request.resourceId ?? null,
        trace_id: trace.getActiveSpan()?.spanContext().traceId ?? null,
        allowed,
        at: this.clock.now(),
      })
      .execute();
  }
}
