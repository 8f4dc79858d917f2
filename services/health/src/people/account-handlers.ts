import { create } from '@bufbuild/protobuf';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '@tend/core';
import { Role } from '@tend/proto/tend/common/v1/common';
import {
  ChangePasswordResponseSchema,
  CreateUserResponseSchema,
  DeleteUserResponseSchema,
  GetUserByEmailResponseSchema,
  GetUserByOidcSubjectResponseSchema,
  GetUserResponseSchema,
  LinkOidcIdentityResponseSchema,
  SetUserRoleResponseSchema,
  UpdateUserResponseSchema,
  VerifyCredentialsResponseSchema,
  type OidcIdentity,
} from '@tend/proto/tend/health/v1/people';
import type { Updateable } from 'kysely';
import { actorOf, type Actor } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { UsersTable } from '../db/tables.js';
import type { HealthHandlers } from '../handlers.js';
import { checkDisplayName, checkLocale, checkPassword, checkTimeZone, normaliseEmail } from './account-rules.js';
import type { PasswordHasher } from './password-hashing.js';
import { AccountRepository } from './account-repository.js';
import { checkUserId, roleNameOf, userOf } from './person-records.js';
import { profileColumnsOf } from './profile-input.js';
import { emailVerificationHandlers } from './email-verification.js';

/** The account methods of the health service. */
export type AccountMethods =
  | 'createUser'
  | 'getUser'
  | 'getUserByEmail'
  | 'getUserByOidcSubject'
  | 'linkOidcIdentity'
  | 'verifyCredentials'
  | 'updateUser'
  | 'setUserRole'
  | 'changePassword'
  | 'deleteUser'
  | 'verifyEmail';

/**
 * A person changing how their account is reached proves they hold it: the current password when
 * the account has one. An account that signs in only through OIDC sets a password first, so a
 * stolen access token alone never moves the account to another address.
 */
async function reauthenticate(
  passwords: PasswordHasher,
  passwordHash: string | null,
  currentPassword: string,
): Promise<void> {
  if (passwordHash === null)
    throw new ForbiddenError('set a password before changing the e-mail, so the change can be confirmed with it');
  if (!currentPassword) throw ValidationError.field('current_password', 'is required to change the e-mail');
  if (!(await passwords.verify(currentPassword, passwordHash)))
    throw new UnauthenticatedError('current password is wrong');
}

/** The one answer to every failed credential check, so none of them tells more than the others. */
const badCredentials = 'invalid e-mail or password';

/**
 * The person a request is about: `user_id`, or the caller when it is empty. A service acting on
 * its own has no person, so it must name one.
 */
export function subjectOf(actor: Actor, userId: string, field = 'user_id'): string {
  if (userId) return checkUserId(field, userId);
  if (actor.kind === 'service') throw ValidationError.field(field, 'is required for a service caller');
  return actor.userId;
}

/** The person, an admin and internal services see the profile; nobody else (not a caregiver). */
export function mayReadProfile(actor: Actor, userId: string): boolean {
  return actor.kind !== 'person' || actor.userId === userId;
}

/** Account look-ups by e-mail or OIDC identity exist for the gateway and for admins only. */
function requireServiceOrAdmin(actor: Actor): void {
  if (actor.kind === 'person') throw new ForbiddenError('only internal services and admins may look accounts up');
}

function checkIdentity(field: string, identity: OidcIdentity | undefined): OidcIdentity {
  if (!identity) throw ValidationError.field(field, 'is required');
  let issuer: URL;
  try {
    issuer = new URL(identity.issuer);
  } catch {
    throw ValidationError.field(`${field}.issuer`, 'must be the issuer URL from the ID token');
  }
  if (issuer.protocol !== 'https:' && issuer.hostname !== 'localhost' && issuer.hostname !== '127.0.0.1')
    throw ValidationError.field(`${field}.issuer`, 'must be an https URL');
  if (!identity.subject || identity.subject.length > 255)
    throw ValidationError.field(`${field}.subject`, 'must be 1–255 characters');
  return identity;
}

/**
 * Accounts: registration, look-ups for the gateway, the password check, profile updates, role
 * changes and erasure. Every method resolves the caller first and checks object-level access
 * before touching anyone else's record; the storage, its profile cache and the events of each
 * change are the AccountRepository's.
 */
export function accountHandlers(context: HealthContext): HealthHandlers<AccountMethods> {
  const { cipher, access, clock, ids, passwords } = context;
  const accounts = new AccountRepository(context);

  return {
    ...emailVerificationHandlers(context),

    async createUser(req) {
      const actor = actorOf(req.caller);
      const role = req.role === Role.UNSPECIFIED ? 'user' : roleNameOf(req.role);
      if (!role) throw ValidationError.field('role', 'must be ROLE_USER, ROLE_CAREGIVER or ROLE_ADMIN');
      if (role !== 'user' && actor.kind === 'person')
        throw new ForbiddenError('only an admin may create an account with another role');
      const email = normaliseEmail('email', req.email);
      const displayName = checkDisplayName('display_name', req.displayName);
      const timeZone = checkTimeZone('time_zone', req.timeZone || 'UTC');
      const locale = checkLocale('locale', req.locale || 'en');
      const identity = req.oidcIdentity ? checkIdentity('oidc_identity', req.oidcIdentity) : undefined;
      if (req.password || !identity) checkPassword('password', req.password);
      const passwordHash = req.password ? await passwords.hash(req.password) : null;
      const id = ids.uuid();
      await accounts.create({
        id,
        email,
        passwordHash,
        displayName,
        role,
        locale,
        timeZone,
        now: clock.now(),
        ...(identity && { identity: { issuer: identity.issuer, subject: identity.subject } }),
        // Only an OIDC provider's word, relayed by a service or an admin, stands for proof.
        emailVerified: identity !== undefined && req.emailVerified && actor.kind !== 'person',
      });
      if (actor.kind === 'admin') await access.audit(actor, { ownerId: id, action: 'write', resource: 'user' });
      return create(CreateUserResponseSchema, { user: userOf(await accounts.fresh(id), cipher, true) });
    },

    async getUser(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'read', resource: 'user', resourceId: userId });
      const record = await accounts.record(userId);
      return create(GetUserResponseSchema, { user: userOf(record, cipher, mayReadProfile(actor, userId)) });
    },

    async getUserByEmail(req) {
      const actor = actorOf(req.caller);
      requireServiceOrAdmin(actor);
      const email = normaliseEmail('email', req.email);
      const userId = await accounts.idByEmail(email);
      if (!userId) throw new NotFoundError('user', 'with this e-mail');
      await access.authorize(actor, { ownerId: userId, action: 'read', resource: 'user', resourceId: userId });
      return create(GetUserByEmailResponseSchema, {
        user: userOf(await accounts.record(userId), cipher, true),
      });
    },

    async getUserByOidcSubject(req) {
      const actor = actorOf(req.caller);
      requireServiceOrAdmin(actor);
      const identity = checkIdentity('identity', req.identity);
      const userId = await accounts.idByIdentity(identity);
      if (!userId) throw new NotFoundError('user', 'with this identity');
      await access.authorize(actor, { ownerId: userId, action: 'read', resource: 'user', resourceId: userId });
      return create(GetUserByOidcSubjectResponseSchema, {
        user: userOf(await accounts.record(userId), cipher, true),
      });
    },

    async linkOidcIdentity(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      const identity = checkIdentity('identity', req.identity);
      const owner = await accounts.linkIdentity(userId, identity);
      if (owner !== userId) throw new ConflictError('oidc identity', 'already belongs to another account');
      return create(LinkOidcIdentityResponseSchema, {
        user: userOf(await accounts.fresh(userId), cipher, mayReadProfile(actor, userId)),
      });
    },

    async verifyCredentials(req) {
      const actor = actorOf(req.caller);
      if (actor.kind !== 'service') throw new ForbiddenError('only the gateway may verify credentials');
      const email = req.email.trim().toLowerCase();
      const row = email && email.length <= 254 ? await accounts.credentialsByEmail(email) : undefined;
      // Same scrypt work whether or not the account exists or has a password.
      const matches = await passwords.verify(req.password, row?.password_hash ?? (await passwords.dummyHash()));
      if (!row?.password_hash || !matches) throw new UnauthenticatedError(badCredentials);
      if (passwords.needsRehash(row.password_hash))
        await accounts.upgradeHash(row.id, row.password_hash, await passwords.hash(req.password));
      return create(VerifyCredentialsResponseSchema, {
        user: userOf(await accounts.record(row.id), cipher, true),
      });
    },

    async updateUser(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      const now = clock.now();
      const changes: Updateable<UsersTable> = {};
      let newEmail: string | undefined;
      if (req.email !== undefined) {
        const email = normaliseEmail('email', req.email);
        const current = await accounts.emailChange(userId, email);
        if (current.changed) {
          if (actor.kind === 'person') await reauthenticate(passwords, current.passwordHash, req.currentPassword);
          newEmail = email;
        }
      }
      if (req.displayName !== undefined) changes.display_name = checkDisplayName('display_name', req.displayName);
      if (req.locale !== undefined) changes.locale = checkLocale('locale', req.locale);
      if (req.timeZone !== undefined) changes.time_zone = checkTimeZone('time_zone', req.timeZone);
      if (req.profile)
        Object.assign(changes, profileColumnsOf(req.profile, cipher, now, userId), { profile_updated_at: now });
      await accounts.update(userId, changes, now, newEmail);
      return create(UpdateUserResponseSchema, {
        user: userOf(await accounts.fresh(userId), cipher, mayReadProfile(actor, userId)),
      });
    },

    async setUserRole(req) {
      const actor = actorOf(req.caller);
      if (actor.kind !== 'admin') throw new ForbiddenError('only an admin may change a role');
      const userId = checkUserId('user_id', req.userId);
      const role = roleNameOf(req.role);
      if (!role) throw ValidationError.field('role', 'must be ROLE_USER, ROLE_CAREGIVER or ROLE_ADMIN');
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      await accounts.update(userId, { role }, clock.now());
      return create(SetUserRoleResponseSchema, { user: userOf(await accounts.fresh(userId), cipher, true) });
    },

    async changePassword(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      checkPassword('new_password', req.newPassword);
      const currentHash = await accounts.passwordHashOf(userId);
      // The person proves they know the current password; an OIDC-only account sets its first one.
      if (actor.kind === 'person' && currentHash !== null) {
        if (!req.currentPassword) throw ValidationError.field('current_password', 'is required');
        if (!(await passwords.verify(req.currentPassword, currentHash)))
          throw new UnauthenticatedError('current password is wrong');
      }
      await accounts.setPassword(userId, await passwords.hash(req.newPassword), currentHash === null);
      return create(ChangePasswordResponseSchema, {
        user: userOf(await accounts.fresh(userId), cipher, mayReadProfile(actor, userId)),
      });
    },

    async deleteUser(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      await accounts.delete(userId);
      return create(DeleteUserResponseSchema, {});
    },
  };
}
