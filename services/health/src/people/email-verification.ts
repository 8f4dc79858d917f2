import { randomInt, timingSafeEqual } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { NotFoundError, UnauthenticatedError, ValidationError } from '@tend/core';
import { topics } from '@tend/events';
import { VerifyEmailResponseSchema } from '@tend/proto/tend/health/v1/people';
import type { Kysely } from 'kysely';
import { actorOf } from '../access/access-control.js';
import type { HealthContext } from '../context.js';
import type { HealthTables } from '../db/tables.js';
import type { HealthHandlers } from '../handlers.js';
import { checkUserId, loadPersonRecord, profileKey, userOf, type PersonRecord } from './person-records.js';
import { sealedAt } from '../crypto/sealed-columns.js';

/** A verification code is good for a day. */
export const verificationTtlMs = 24 * 3600_000;

/** Wrong codes a message survives; the next one voids it (10^6 codes, 5 guesses). */
export const maxVerificationAttempts = 5;

const codePattern = /^\d{6}$/;

/** What the e-mail channel sends: the address and the text, sealed in the outbox row. */
export interface VerificationMessage {
  to: string;
  subject: string;
  text: string;
  code: string;
}

/**
 * Queues a verification message for `email` inside the caller's transaction: a fresh 6-digit
 * code, kept only as a keyed hash, and the message itself sealed, in `email_verifications` (the
 * outbox the e-mail channel drains). The event on `notification_queue` names the message, never
 * the address or the code.
 */
export async function queueEmailVerification(
  trx: Kysely<HealthTables>,
  context: HealthContext,
  userId: string,
  email: string,
): Promise<void> {
  const { cipher, clock, ids } = context;
  const id = ids.uuid();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const now = clock.now();
  const message: VerificationMessage = {
    to: email,
    subject: 'Your Tend verification code',
    text: `Your Tend verification code is ${code}. It expires in 24 hours. If you did not ask for it, ignore this message.`,
    code,
  };
  await trx
    .insertInto('email_verifications')
    .values({
      id,
      user_id: userId,
      email_hash: cipher.blindIndex(email),
      code_hash: codeHash(context, id, code),
      message_encrypted: cipher.encrypt(JSON.stringify(message), sealedAt.verificationMessage(id, userId)),
      created_at: now,
      expires_at: new Date(now.getTime() + verificationTtlMs),
    })
    .execute();
  await context.events.emit(trx, {
    type: 'tend.health.user.email_verification_requested',
    personId: userId,
    subject: userId,
    topic: topics.notificationQueue.name,
    data: { userId, verificationId: id },
  });
}

function codeHash(context: HealthContext, verificationId: string, code: string): Buffer {
  return context.cipher.blindIndex(`email-verification:${verificationId}:${code}`);
}

/** Why a code was not accepted; thrown after the transaction so a wrong guess still counts. */
type Outcome = 'verified' | 'none-pending' | 'wrong-code';

/**
 * `VerifyEmail`: the person gives the code of the latest message sent to their current address;
 * five wrong codes void it. An admin may mark an address verified without a code (the
 * documented path while no e-mail channel delivers the messages), and that lands in the audit
 * log like any admin write.
 */
export function emailVerificationHandlers(context: HealthContext): HealthHandlers<'verifyEmail'> {
  const { db, access, cache, cipher, clock } = context;

  async function afterWrite(userId: string): Promise<PersonRecord> {
    await cache.invalidate(profileKey(userId));
    const record = await loadPersonRecord(db.primary, userId);
    if (!record) throw new NotFoundError('user', userId);
    return record;
  }

  return {
    async verifyEmail(req) {
      const actor = actorOf(req.caller);
      if (actor.kind === 'service') throw ValidationError.field('caller', 'must be the person or an admin');
      const userId = req.userId ? checkUserId('user_id', req.userId) : actor.userId;
      await access.authorize(actor, { ownerId: userId, action: 'write', resource: 'user', resourceId: userId });
      const now = clock.now();
      if (actor.kind === 'admin' && !req.code) {
        await db.transaction(
          async (trx) => {
            const result = await trx
              .updateTable('users')
              .set({ email_verified_at: now, updated_at: now })
              .where('id', '=', userId)
              .executeTakeFirst();
            if (result.numUpdatedRows === 0n) throw new NotFoundError('user', userId);
          },
          { consistencyKey: userId },
        );
        return create(VerifyEmailResponseSchema, { user: userOf(await afterWrite(userId), cipher, true) });
      }
      if (!codePattern.test(req.code)) throw ValidationError.field('code', 'must be the 6 digits of the message');
      const outcome = await db.transaction<Outcome>(
        async (trx) => {
          const user = await trx
            .selectFrom('users')
            .select('email_hash')
            .where('id', '=', userId)
            .forUpdate()
            .executeTakeFirst();
          if (!user) throw new NotFoundError('user', userId);
          const pending = await trx
            .selectFrom('email_verifications')
            .select(['id', 'attempts'])
            .where('user_id', '=', userId)
            .where('email_hash', '=', user.email_hash)
            .where('used_at', 'is', null)
            .where('expires_at', '>', now)
            .orderBy('created_at', 'desc')
            .limit(1)
            .executeTakeFirst();
          if (!pending || pending.attempts >= maxVerificationAttempts) return 'none-pending';
          const matches = codeHash(context, pending.id, req.code);
          const stored = await trx
            .selectFrom('email_verifications')
            .select('code_hash')
            .where('id', '=', pending.id)
            .executeTakeFirstOrThrow();
          if (!timingSafeEqual(stored.code_hash, matches)) {
            await trx
              .updateTable('email_verifications')
              .set({ attempts: pending.attempts + 1 })
              .where('id', '=', pending.id)
              .execute();
            return 'wrong-code';
          }
          await trx.updateTable('email_verifications').set({ used_at: now }).where('id', '=', pending.id).execute();
          await trx
            .updateTable('users')
            .set({ email_verified_at: now, updated_at: now })
            .where('id', '=', userId)
            .execute();
          return 'verified';
        },
        { consistencyKey: userId },
      );
      if (outcome === 'none-pending')
        throw new UnauthenticatedError('no verification code is pending for this address, or it expired');
      if (outcome === 'wrong-code') throw new UnauthenticatedError('the verification code is wrong');
      return create(VerifyEmailResponseSchema, { user: userOf(await afterWrite(userId), cipher, true) });
    },
  };
}
