import { ConflictError, NotFoundError } from '@tend/core';
import { topics } from '@tend/events';
import type { Kysely, Updateable } from 'kysely';
import type { HealthContext } from '../context.js';
import { sealedAt } from '../crypto/sealed-columns.js';
import type { HealthTables, UsersTable } from '../db/tables.js';
import { medicationsCacheKey } from '../medications/medication-store.js';
import { queueEmailVerification } from './email-verification.js';
import {
  cachedPersonRecord,
  loadPersonRecord,
  profileKey,
  type PersonRecord,
  type RoleName,
} from './person-records.js';

/** An account to create, its fields already checked. */
export interface NewAccount {
  id: string;
  email: string;
  passwordHash: string | null;
  displayName: string;
  role: RoleName;
  locale: UsersTable['locale'];
  timeZone: string;
  now: Date;
  identity?: { issuer: string; subject: string };
  /** The address counts as proven (an OIDC provider said so); otherwise a verification is queued. */
  emailVerified: boolean;
}

/** An OIDC identity: the issuer URL and the subject it names. */
export interface IdentityKey {
  issuer: string;
  subject: string;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === '23505';
}

/**
 * The people aggregate's storage: accounts, their OIDC identities and password hashes, the
 * profile cache (2 h, read through cache-aside, dropped after every write) and the events an
 * account change announces (deletion, a new way to sign in, an address to verify), written in
 * the change's transaction. Handlers keep authorization, validation and mapping. Look-ups by
 * e-mail or identity read the primary: they decide sign-in and must see a registration at once.
 */
/** The person's columns that their reminders depend on (the zone they fire in, their text). */
const remindedFields = ['time_zone', 'locale', 'display_name'] as const;

export class AccountRepository {
  constructor(private readonly context: HealthContext) {}

  /** The person through the profile cache; NotFoundError when there is none. */
  record(userId: string): Promise<PersonRecord> {
    return cachedPersonRecord(this.context, userId);
  }

  /** The person read from the primary after a write, the cached copy dropped first. */
  async fresh(userId: string): Promise<PersonRecord> {
    await this.context.cache.invalidate(profileKey(userId));
    const record = await loadPersonRecord(this.context.db.primary, userId);
    if (!record) throw new NotFoundError('user', userId);
    return record;
  }

  /** The id of the account with this (normalised) address, if any. */
  async idByEmail(email: string): Promise<string | undefined> {
    const row = await this.context.db.primary
      .selectFrom('users')
      .select('id')
      .where('email_hash', '=', this.context.cipher.blindIndex(email))
      .executeTakeFirst();
    return row?.id;
  }

  /** The id and password hash of the account with this address, for the sign-in check. */
  credentialsByEmail(email: string): Promise<{ id: string; password_hash: string | null } | undefined> {
    return this.context.db.primary
      .selectFrom('users')
      .select(['id', 'password_hash'])
      .where('email_hash', '=', this.context.cipher.blindIndex(email))
      .executeTakeFirst();
  }

  /** The account an OIDC identity signs in to, if any. */
  async idByIdentity(identity: IdentityKey): Promise<string | undefined> {
    const row = await this.context.db.primary
      .selectFrom('oidc_identities')
      .select('user_id')
      .where('issuer', '=', identity.issuer)
      .where('subject', '=', identity.subject)
      .executeTakeFirst();
    return row?.user_id;
  }

  /** The stored password hash (null: the account signs in through OIDC only); NotFoundError. */
  async passwordHashOf(userId: string): Promise<string | null> {
    const row = await this.context.db.primary
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('user', userId);
    return row.password_hash;
  }

  /** Whether `email` differs from the account's address, and its password hash; NotFoundError. */
  async emailChange(userId: string, email: string): Promise<{ changed: boolean; passwordHash: string | null }> {
    const row = await this.context.db.primary
      .selectFrom('users')
      .select(['email_hash', 'password_hash'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('user', userId);
    return { changed: !row.email_hash.equals(this.context.cipher.blindIndex(email)), passwordHash: row.password_hash };
  }

  /**
   * Creates the account with its identity, and either marks the address verified or queues its
   * verification, all or nothing. ConflictError when the address or identity is taken.
   */
  async create(account: NewAccount): Promise<void> {
    const { db, cipher } = this.context;
    const { id, email, identity, now } = account;
    try {
      await db.transaction(
        async (trx) => {
          await trx
            .insertInto('users')
            .values({
              id,
              email_hash: cipher.blindIndex(email),
              email_encrypted: cipher.encrypt(email, sealedAt.userEmail(id)),
              password_hash: account.passwordHash,
              display_name: account.displayName,
              role: account.role,
              locale: account.locale,
              time_zone: account.timeZone,
              email_verified_at: account.emailVerified ? now : null,
              created_at: now,
              updated_at: now,
            })
            .execute();
          if (identity)
            await trx
              .insertInto('oidc_identities')
              .values({ issuer: identity.issuer, subject: identity.subject, user_id: id, created_at: now })
              .execute();
          if (!account.emailVerified) await queueEmailVerification(trx, this.context, id, email);
        },
        { consistencyKey: id },
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError('user', 'an account with this e-mail or identity already exists', { cause: error });
      throw error;
    }
  }

  /**
   * Links an identity to the account and tells the person when the link is new. Answers the
   * account the identity belongs to afterwards: another one when it was taken already.
   */
  linkIdentity(userId: string, identity: IdentityKey): Promise<string> {
    return this.context.db.transaction(
      async (trx) => {
        const exists = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
        if (!exists) throw new NotFoundError('user', userId);
        const inserted = await trx
          .insertInto('oidc_identities')
          .values({
            issuer: identity.issuer,
            subject: identity.subject,
            user_id: userId,
            created_at: this.context.clock.now(),
          })
          .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
          .returning('user_id')
          .executeTakeFirst();
        // The person hears of every new way into their account, so a link they did not make shows.
        if (inserted !== undefined)
          await this.signInMethodLinked(trx, userId, { method: 'oidc', issuer: identity.issuer });
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
  }

  /**
   * Writes checked column changes; a new address (`newEmail`) is sealed, unverified, and its
   * verification queued in the same transaction. NotFoundError, or ConflictError for a taken address.
   */
  async update(userId: string, changes: Updateable<UsersTable>, now: Date, newEmail?: string): Promise<void> {
    const { db, cipher } = this.context;
    const columns: Updateable<UsersTable> = { ...changes, updated_at: now };
    if (newEmail !== undefined)
      Object.assign(columns, {
        email_hash: cipher.blindIndex(newEmail),
        email_encrypted: cipher.encrypt(newEmail, sealedAt.userEmail(userId)),
        // A new address is the person's only once they prove it.
        email_verified_at: null,
      });
    try {
      await db.transaction(
        async (trx) => {
          const result = await trx.updateTable('users').set(columns).where('id', '=', userId).executeTakeFirst();
          if (result.numUpdatedRows === 0n) throw new NotFoundError('user', userId);
          if (newEmail !== undefined) await queueEmailVerification(trx, this.context, userId, newEmail);
          // What the person's reminders say and when they fire follow these.
          const fields = remindedFields.filter((field) => changes[field] !== undefined);
          if (fields.length > 0) {
            await this.context.events.emit(trx, {
              type: 'tend.health.user.updated',
              personId: userId,
              subject: userId,
              data: { userId, fields },
            });
          }
        },
        { consistencyKey: userId },
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError('user', 'another account has this e-mail', { cause: error });
      throw error;
    }
  }

  /** Sets a new password hash; the first password of an OIDC-only account is announced to the person. */
  setPassword(userId: string, passwordHash: string, first: boolean): Promise<void> {
    return this.context.db.transaction(
      async (trx) => {
        await trx
          .updateTable('users')
          .set({ password_hash: passwordHash, updated_at: this.context.clock.now() })
          .where('id', '=', userId)
          .execute();
        if (first) await this.signInMethodLinked(trx, userId, { method: 'password' });
      },
      { consistencyKey: userId },
    );
  }

  /**
   * Replaces a hash that proved right but was made at a lower cost, only if the row still holds
   * the hash that was checked: a password change racing the sign-in wins.
   */
  async upgradeHash(userId: string, checked: string, upgraded: string): Promise<void> {
    await this.context.db.primary
      .updateTable('users')
      .set({ password_hash: upgraded })
      .where('id', '=', userId)
      .where('password_hash', '=', checked)
      .execute();
  }

  /**
   * Erases the account and announces it. Medications, dose log, vitals, identities and caregiver
   * links go with the row (ON DELETE CASCADE); audit_events has no foreign key and stays. Every
   * cached view of the person goes too, not only when its TTL runs out.
   */
  async delete(userId: string): Promise<void> {
    await this.context.db.transaction(
      async (trx) => {
        const result = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
        if (result.numDeletedRows === 0n) throw new NotFoundError('user', userId);
        await this.context.events.emit(trx, {
          type: 'tend.health.user.deleted',
          personId: userId,
          subject: userId,
          data: { userId },
        });
      },
      { consistencyKey: userId },
    );
    const { cache } = this.context;
    await Promise.all([cache.invalidate(profileKey(userId)), cache.invalidate(medicationsCacheKey(userId))]);
  }

  /** Tells the person (notification_queue) that their account gained a way to sign in. */
  private signInMethodLinked(
    trx: Kysely<HealthTables>,
    userId: string,
    data: { method: 'oidc' | 'password'; issuer?: string },
  ): Promise<unknown> {
    return this.context.events.emit(trx, {
      type: 'tend.health.user.sign_in_method_linked',
      personId: userId,
      subject: userId,
      topic: topics.notificationQueue.name,
      data: { userId, ...data },
    });
  }
}
