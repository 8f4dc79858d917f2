import { create } from '@bufbuild/protobuf';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '@tend/core';
import { topics } from '@tend/events';
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
import type { Kysely, Updateable } from 'kysely';
import { actorOf, type Actor } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthTables, UsersTable } from '../db/tables.js';
import type { HealthHandlers } from '../handlers.js';
import { checkDisplayName, checkLocale, checkPassword, checkTimeZone, normaliseEmail } from './account-rules.js';
import type { PasswordHasher } from './password-hashing.js';
import {
  cachedPersonRecord,
  checkUserId,
  loadPersonRecord,
  profileKey,
  roleNameOf,
  userOf,
  type PersonRecord,
} from './person-records.js';
import { profileColumnsOf } from './profile-input.js';
import { emailVerificationHandlers, queueEmailVerification } from './email-verification.js';
import { medicationsCacheKey } from '../medications/medication-store.js';
import { sealedAt } from '../crypto/sealed-columns.js';

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

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === '23505';
}

/**
 * Accounts: registration, look-ups for the gateway, the password check, profile updates, role
 * changes and erasure. Every method resolves the caller first and checks object-level access
 * before touching anyone else's record; profile reads go through the 2 h cache and every write
 * invalidates it after commit.
 */
export function accountHandlers(context: HealthContext): HealthHandlers<AccountMethods> {
  const { db, cipher, access, cache, clock, ids, passwords } = context;

  /**
   * Re-hashes a password that just proved right but was stored at a lower cost, so raising the
   * cost reaches every account that signs in. Only if the row still holds the hash that was
   * checked: a password change racing the login wins.
   */
  async function upgradeHash(userId: string, checked: string, password: string): Promise<void> {
    const upgraded = await passwords.hash(password);
    await db.primary
      .updateTable('users')
      .set({ password_hash: upgraded })
      .where('id', '=', userId)
      .where('password_hash', '=', checked)
      .execute();
  }

  /** Reads the person after a write, from the primary, and drops the cached copy. */
  async function afterWrite(userId: string): Promise<PersonRecord> {
    await cache.invalidate(profileKey(userId));
    const record = await loadPersonRecord(db.primary, userId);
    if (!record) throw new NotFoundError('user', userId);
    return record;
  }

  async function userIdByEmail(email: string): Promise<string | undefined> {
    const row = await db.primary
      .selectFrom('users')
      .select('id')
      .where('email_hash', '=', cipher.blindIndex(email))
      .executeTakeFirst();
    return row?.id;
  }

  /** Tells the person (notification_queue) that their account gained a way to sign in. */
  function signInMethodLinked(
    trx: Kysely<HealthTables>,
    userId: string,
    data: { method: 'oidc' | 'password'; issuer?: string },
  ): Promise<unknown> {
    return context.events.emit(trx, {
      type: 'tend.health.user.sign_in_method_linked',
      personId: userId,
      subject: userId,
      topic: topics.notificationQueue.name,
      data: { userId, ...data },
    });
  }

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
      const now = clock.now();
      try {
        await db.transaction(
          async (trx) => {
            await trx
              .insertInto('users')
              .values({
                id,
                email_hash: cipher.blindIndex(email),
                email_encrypted: cipher.encrypt(email, sealedAt.userEmail(id)),
                password_hash: passwordHash,
                display_name: displayName,
                role,
                locale,
                time_zone: timeZone,
                created_at: now,
                updated_at: now,
              })
              .execute();
            if (identity)
              await trx
                .insertInto('oidc_identities')
                .values({ issuer: identity.issuer, subject: identity.subject, user_id: id, created_at: now })
                .execute();
            // Only an OIDC provider's word, relayed by a service or an admin, stands for proof.
            if (identity && req.emailVerified && actor.kind !== 'person')
              await trx.updateTable('users').set({ email_verified_at: now }).where('id', '=', id).execute();
            else await queueEmailVerification(trx, context, id, email);
          },
          { consistencyKey: id },
        );
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ConflictError('user', 'an account with this e-mail or identity already exists', { cause: error });
        throw error;
      }
      if (actor.kind === 'admin') await access.audit(actor, { ownerId: id, action: 'write', resource: 'user' });
      return create(CreateUserResponseSchema, { user: userOf(await afterWrite(id), cipher, true) });
    },

    async getUser(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'read', resource: 'user', resourceId: userId });
      const record = await cachedPersonRecord(context, userId);
      return create(GetUserResponseSchema, { user: userOf(record, cipher, mayReadProfile(actor, userId)) });
    },

    async getUserByEmail(req) {
      const actor = actorOf(req.caller);
      requireServiceOrAdmin(actor);
      const email = normaliseEmail('email', req.email);
      const userId = await userIdByEmail(email);
      if (!userId) throw new NotFoundError('user', 'with this e-mail');
      await access.authorize(actor, { ownerId: userId, action: 'read', resource: 'user', resourceId: userId });
      return create(GetUserByEmailResponseSchema, {
        user: userOf(await cachedPersonRecord(context, userId), cipher, true),
      });
    },

    async getUserByOidcSubject(req) {
      const actor = actorOf(req.caller);
      requireServiceOrAdmin(actor);
      const identity = checkIdentity('identity', req.identity);
      const row = await db.primary
        .selectFrom('oidc_identities')
        .select('user_id')
        .where('issuer', '=', identity.issuer)
        .where('subject', '=', identity.subject)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('user', 'with this identity');
      await access.authorize(actor, {
        ownerId: row.user_id,
        action: 'read',
        resource: 'user',
        resourceId: row.user_id,
      });
      return create(GetUserByOidcSubjectResponseSchema, {
        user: userOf(await cachedPersonRecord(context, row.user_id), cipher, true),
      });
    },

    async linkOidcIdentity(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      const identity = checkIdentity('identity', req.identity);
      const owner = await db.transaction(
        async (trx) => {
          const exists = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
          if (!exists) throw new NotFoundError('user', userId);
          const inserted = await trx
            .insertInto('oidc_identities')
            .values({ issuer: identity.issuer, subject: identity.subject, user_id: userId, created_at: clock.now() })
            .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
            .returning('user_id')
            .executeTakeFirst();
          // The person hears of every new way into their account, so a link they did not make shows.
          if (inserted !== undefined)
            await signInMethodLinked(trx, userId, { method: 'oidc', issuer: identity.issuer });
          const row = await trx
            .selectFrom('oidc_identities')
            .select('user_id')
            .where('issuer', '=', identity.issuer)
            .where('subject', '=', identity.subject)
            .executeTakeFirstOrThrow();
          return row.user_id;
        },
        { consistencyKey: userId },
      );
      if (owner !== userId) throw new ConflictError('oidc identity', 'already belongs to another account');
      return create(LinkOidcIdentityResponseSchema, {
        user: userOf(await afterWrite(userId), cipher, mayReadProfile(actor, userId)),
      });
    },

    async verifyCredentials(req) {
      const actor = actorOf(req.caller);
      if (actor.kind !== 'service') throw new ForbiddenError('only the gateway may verify credentials');
      const email = req.email.trim().toLowerCase();
      const row =
        email && email.length <= 254
          ? await db.primary
              .selectFrom('users')
              .select(['id', 'password_hash'])
              .where('email_hash', '=', cipher.blindIndex(email))
              .executeTakeFirst()
          : undefined;
      // Same scrypt work whether or not the account exists or has a password.
      const matches = await passwords.verify(req.password, row?.password_hash ?? (await passwords.dummyHash()));
      if (!row?.password_hash || !matches) throw new UnauthenticatedError(badCredentials);
      if (passwords.needsRehash(row.password_hash)) await upgradeHash(row.id, row.password_hash, req.password);
      return create(VerifyCredentialsResponseSchema, {
        user: userOf(await cachedPersonRecord(context, row.id), cipher, true),
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
        const current = await db.primary
          .selectFrom('users')
          .select(['email_hash', 'password_hash'])
          .where('id', '=', userId)
          .executeTakeFirst();
        if (!current) throw new NotFoundError('user', userId);
        if (!current.email_hash.equals(cipher.blindIndex(email))) {
          if (actor.kind === 'person') await reauthenticate(passwords, current.password_hash, req.currentPassword);
          newEmail = email;
          changes.email_hash = cipher.blindIndex(email);
          changes.email_encrypted = cipher.encrypt(email, sealedAt.userEmail(userId));
          // A new address is the person's only once they prove it.
          changes.email_verified_at = null;
        }
      }
      if (req.displayName !== undefined) changes.display_name = checkDisplayName('display_name', req.displayName);
      if (req.locale !== undefined) changes.locale = checkLocale('locale', req.locale);
      if (req.timeZone !== undefined) changes.time_zone = checkTimeZone('time_zone', req.timeZone);
      if (req.profile)
        Object.assign(changes, profileColumnsOf(req.profile, cipher, now, userId), { profile_updated_at: now });
      try {
        await db.transaction(
          async (trx) => {
            const result = await trx
              .updateTable('users')
              .set({ ...changes, updated_at: now })
              .where('id', '=', userId)
              .executeTakeFirst();
            if (result.numUpdatedRows === 0n) throw new NotFoundError('user', userId);
            if (newEmail !== undefined) await queueEmailVerification(trx, context, userId, newEmail);
          },
          { consistencyKey: userId },
        );
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ConflictError('user', 'another account has this e-mail', { cause: error });
        throw error;
      }
      return create(UpdateUserResponseSchema, {
        user: userOf(await afterWrite(userId), cipher, mayReadProfile(actor, userId)),
      });
    },

    async setUserRole(req) {
      const actor = actorOf(req.caller);
      if (actor.kind !== 'admin') throw new ForbiddenError('only an admin may change a role');
      const userId = checkUserId('user_id', req.userId);
      const role = roleNameOf(req.role);
      if (!role) throw ValidationError.field('role', 'must be ROLE_USER, ROLE_CAREGIVER or ROLE_ADMIN');
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      await db.transaction(
        async (trx) => {
          const result = await trx
            .updateTable('users')
            .set({ role, updated_at: clock.now() })
            .where('id', '=', userId)
            .executeTakeFirst();
          if (result.numUpdatedRows === 0n) throw new NotFoundError('user', userId);
        },
        { consistencyKey: userId },
      );
      return create(SetUserRoleResponseSchema, { user: userOf(await afterWrite(userId), cipher, true) });
    },

    async changePassword(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      checkPassword('new_password', req.newPassword);
      const row = await db.primary
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', userId)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('user', userId);
      // The person proves they know the current password; an OIDC-only account sets its first one.
      if (actor.kind === 'person' && row.password_hash !== null) {
        if (!req.currentPassword) throw ValidationError.field('current_password', 'is required');
        if (!(await passwords.verify(req.currentPassword, row.password_hash)))
          throw new UnauthenticatedError('current password is wrong');
      }
      const passwordHash = await passwords.hash(req.newPassword);
      await db.transaction(
        async (trx) => {
          await trx
            .updateTable('users')
            .set({ password_hash: passwordHash, updated_at: clock.now() })
            .where('id', '=', userId)
            .execute();
          if (row.password_hash === null) await signInMethodLinked(trx, userId, { method: 'password' });
        },
        { consistencyKey: userId },
      );
      return create(ChangePasswordResponseSchema, {
        user: userOf(await afterWrite(userId), cipher, mayReadProfile(actor, userId)),
      });
    },

    async deleteUser(req) {
      const actor = actorOf(req.caller);
      const userId = subjectOf(actor, req.userId);
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      await db.transaction(
        async (trx) => {
          // Medications, dose log, vitals, identities and caregiver links go with the row
          // (ON DELETE CASCADE); audit_events has no foreign key and stays.
          const result = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
          if (result.numDeletedRows === 0n) throw new NotFoundError('user', userId);
          await context.events.emit(trx, {
            type: 'tend.health.user.deleted',
            personId: userId,
            subject: userId,
            data: { userId },
          });
        },
        { consistencyKey: userId },
      );
      // Every cached view of the person goes with them, not only when its TTL runs out.
      await Promise.all([cache.invalidate(profileKey(userId)), cache.invalidate(medicationsCacheKey(userId))]);
      return create(DeleteUserResponseSchema, {});
    },
  };
}
