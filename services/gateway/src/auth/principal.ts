import { create } from '@bufbuild/protobuf';
import { CallerSchema, Role, type Caller } from '@tend/proto/tend/common/v1/common';

/** The roles a person can hold at the public API. Internal services never reach the gateway. */
export type PersonRole = 'user' | 'caregiver' | 'admin';

/**
 * Who an authenticated request acts for, taken only from a verified access token. Every
 * upstream call carries it as the proto `Caller`, so the services' object-level checks see the
 * same identity the gateway checked.
 */
export interface Principal {
  readonly userId: string;
  readonly role: PersonRole;
  /** The refresh-token family (login session) the access token was issued from. */
  readonly sessionId: string;
}

const protoRoles: Record<PersonRole, Role> = {
  user: Role.USER,
  caregiver: Role.CAREGIVER,
  admin: Role.ADMIN,
};

/** The header in which an admin declares break-glass mode, with the reason. */
export const breakGlassHeader = 'tend-break-glass';

/**
 * The proto caller for upstream calls made on behalf of `principal`. An admin's break-glass
 * reason (the `Tend-Break-Glass` header) goes with it; anyone else's header is ignored. The
 * health service checks the reason and audits it.
 */
export function callerOf(principal: Principal, breakGlass?: string | string[]): Caller {
  const reason = principal.role === 'admin' && typeof breakGlass === 'string' ? breakGlass : '';
  return create(CallerSchema, { userId: principal.userId, role: protoRoles[principal.role], breakGlassReason: reason });
}
