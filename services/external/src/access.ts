import { ForbiddenError, UnauthenticatedError, ValidationError } from '@tend/core';
import { Role, type Caller } from '@tend/proto/tend/common/v1/common';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whose record a call touches: the caller's own (empty `userId`), or anyone's for an internal
 * service or an admin. Places and appointments are not shared with caregivers (their scopes cover
 * vitals and medications only), so a person may only reach their own.
 */
export function subjectOf(caller: Caller | undefined, userId: string): string {
  if (!caller || caller.role === Role.UNSPECIFIED) throw new UnauthenticatedError('a caller is required');
  if (userId !== '' && !uuidPattern.test(userId)) throw ValidationError.field('user_id', 'must be a UUID');
  const privileged = caller.role === Role.SERVICE || caller.role === Role.ADMIN;
  if (userId === '' || userId === caller.userId) {
    if (caller.userId === '') throw ValidationError.field('user_id', 'is required for a service caller');
    return caller.userId;
  }
  if (!privileged) throw new ForbiddenError('you may only reach your own place and appointments');
  return userId;
}

/** Whether an id is a UUID (ids in paths and requests are checked before any query). */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** Checks that a call has an authenticated caller, for look-ups that touch no one's record. */
export function requireCaller(caller: Caller | undefined): void {
  if (!caller || caller.role === Role.UNSPECIFIED) throw new UnauthenticatedError('a caller is required');
}
