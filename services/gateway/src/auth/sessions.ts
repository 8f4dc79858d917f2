import { createHash, randomBytes } from 'node:crypto';
import { UnauthenticatedError, type Clock, type Ids, type Logger } from '@tend/core';
import { type Cache } from '@tend/cache';
import { primaryOrReplica, type SchemaDatabase } from '@tend/db';
import type { Selectable } from 'kysely';

/** `gateway.sessions` and `gateway.refresh_tokens` (migration 0001). */
export interface GatewayTables {
  sessions: {
    id: string;
    user_id: string;
    created_at: Date;
    expires_at: Date;
    revoked_at: Date | null;
    revoked_reason: string | null;
  };
  refresh_tokens: {
    token_hash: Buffer;
    session_id: string;
    issued_at: Date;
    used_at: Date | null;
  };
}

export type SessionRow = Selectable<GatewayTables['sessions']>;

/** A refresh token, shown to the client once; only its digest is stored. */
export interface IssuedRefresh {
  sessionId: string;
  userId: string;
  refreshToken: string;
}

const revokedKey = (sessionId: string) => `gateway:revoked-session:${sessionId}`;
const liveKey = (sessionId: string) => `gateway:live-session:${sessionId}`;

/**
 * How long a "this session is live" answer from the database is reused from the cache.
 * @default 5 s
 */
export const defaultLiveCacheMs = 5_000;

/**
 * Login sessions as families of refresh tokens. Every refresh spends its token and issues the
 * next; a spent token presented again means a copy exists somewhere, so the whole family is
 * revoked — the thief's tokens and the owner's — and the owner logs in again.
 *
 * Revocation lives in PostgreSQL (`sessions.revoked_at`); the cache only accelerates reading it.
 * A revocation is also cached for as long as an access token lives, and a database answer of
 * "live" for a few seconds (`liveMs`), under separate keys: the revoked key is read first, so a
 * "live" answer cached while a logout raced it never hides the logout. When the cache forgets a
 * key (eviction, restart, another replica's empty memory cache) or fails, the database answers.
 */
export class Sessions {
  constructor(
    private readonly db: SchemaDatabase<GatewayTables>,
    private readonly cache: Cache,
    private readonly clock: Clock,
    private readonly ids: Ids,
    private readonly logger: Logger,
    private readonly ttl: { refreshMs: number; accessMs: number; liveMs?: number },
  ) {}

  /** Opens a session for a person who just proved who they are. */
  async open(userId: string): Promise<IssuedRefresh> {
    const now = this.clock.now();
    const sessionId = this.ids.uuid();
    const refreshToken = newToken();
    await this.db.transaction(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({
          id: sessionId,
          user_id: userId,
          created_at: now,
          expires_at: new Date(now.getTime() + this.ttl.refreshMs),
        })
        .execute();
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: digest(refreshToken), session_id: sessionId, issued_at: now })
        .execute();
    });
    return { sessionId, userId, refreshToken };
  }

  /** Spends `refreshToken` and issues the next one of its family; any doubt is a 401. */
  async rotate(refreshToken: string): Promise<IssuedRefresh> {
    const now = this.clock.now();
    const outcome = await this.db.transaction(async (trx) => {
      const found = await trx
        .selectFrom('refresh_tokens')
        .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
        .select([
          'refresh_tokens.used_at',
          'sessions.id',
          'sessions.user_id',
          'sessions.revoked_at',
          'sessions.expires_at',
        ])
        .where('refresh_tokens.token_hash', '=', digest(refreshToken))
        .forUpdate()
        .executeTakeFirst();
      if (!found || found.revoked_at !== null || found.expires_at <= now) return { kind: 'refused' as const };
      if (found.used_at !== null) {
        await trx
          .updateTable('sessions')
          .set({ revoked_at: now, revoked_reason: 'reuse' })
          .where('id', '=', found.id)
          .execute();
        return { kind: 'reused' as const, sessionId: found.id, userId: found.user_id };
      }
      const next = newToken();
      await trx
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', digest(refreshToken))
        .execute();
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: digest(next), session_id: found.id, issued_at: now })
        .execute();
      return { kind: 'rotated' as const, issued: { sessionId: found.id, userId: found.user_id, refreshToken: next } };
    });
    switch (outcome.kind) {
      case 'rotated':
        return outcome.issued;
      case 'reused':
        await this.#markRevoked(outcome.sessionId);
        this.logger.warn(
          { sessionId: outcome.sessionId, userId: outcome.userId },
          'refresh token reused; session revoked',
        );
        throw new UnauthenticatedError('the refresh token was already used; the session is revoked');
      case 'refused':
        throw new UnauthenticatedError('the refresh token is not valid');
    }
  }

  /** Ends a session (logout): its refresh tokens and access tokens stop working. */
  async revoke(sessionId: string, reason: 'logout'): Promise<void> {
    await this.db.primary
      .updateTable('sessions')
      .set({ revoked_at: this.clock.now(), revoked_reason: reason })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
    await this.#markRevoked(sessionId);
  }

  /**
   * Ends every session of a person whose account is gone: refresh tokens stop at once, access
   * tokens at their next check (every replica reads `revoked_at`), sockets on this gateway now.
   * Returns how many sessions it ended; ending them again ends none.
   */
  async revokeAllOf(userId: string, reason: 'account_deleted'): Promise<number> {
    const ended = await this.db.primary
      .updateTable('sessions')
      .set({ revoked_at: this.clock.now(), revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    for (const { id } of ended) await this.#markRevoked(id);
    return ended.length;
  }

  /**
   * Whether access tokens of `sessionId` must be refused. The database decides; the cache
   * remembers its answers (a revocation until the last access token expires, a live session for
   * `liveMs`). An unknown session counts as revoked.
   */
  async isRevoked(sessionId: string): Promise<boolean> {
    const cached = await this.#cached(sessionId);
    if (cached !== undefined) return cached === 'revoked';
    const row = await this.#revocationOf(sessionId);
    const revoked = row === undefined || row.revoked_at !== null;
    const [key, ttlMs] = revoked
      ? [revokedKey(sessionId), this.ttl.accessMs]
      : [liveKey(sessionId), this.ttl.liveMs ?? defaultLiveCacheMs];
    await this.cache.set(key, '1', ttlMs).catch((error: unknown) => {
      this.logger.debug({ err: error, sessionId }, 'could not cache a session state');
    });
    return revoked;
  }

  /**
   * The session's row, from the primary. While the primary cannot be reached (a restart), a
   * replica answers for sessions it has: it has every revocation but those of the primary's last
   * moments, and each revocation is in the cache as well. A session it does not have yet may be
   * one opened in those moments, so that stays the primary's 503 to retry, not a 401 that would
   * make the person log in again.
   */
  async #revocationOf(sessionId: string): Promise<{ revoked_at: Date | null } | undefined> {
    return primaryOrReplica(
      this.db,
      (db) => db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirst(),
      {
        accept: (row) => row !== undefined,
        onReplicaAnswer: () =>
          this.logger.debug({ sessionId }, 'the primary is unreachable; the session was checked on a replica'),
      },
    );
  }

  /**
   * What the cache remembers of the session; undefined when it knows nothing or fails. Both keys
   * are read in one round trip (this runs on every authenticated request), and a revocation
   * outranks a "live" answer read with it.
   */
  async #cached(sessionId: string): Promise<'revoked' | 'live' | undefined> {
    try {
      const [revoked, live] = await this.cache.getMany([revokedKey(sessionId), liveKey(sessionId)]);
      if (revoked !== undefined) return 'revoked';
      if (live !== undefined) return 'live';
      return undefined;
    } catch {
      return undefined;
    }
  }

  readonly #revokedListeners = new Set<(sessionId: string) => void>();

  /** Calls `listener` whenever this gateway ends a session (logout, reuse); returns the unsubscribe. */
  onRevoked(listener: (sessionId: string) => void): () => void {
    this.#revokedListeners.add(listener);
    return () => this.#revokedListeners.delete(listener);
  }

  async #markRevoked(sessionId: string): Promise<void> {
    for (const listener of this.#revokedListeners) listener(sessionId);
    await this.cache.set(revokedKey(sessionId), '1', this.ttl.accessMs).catch((error: unknown) => {
      this.logger.warn({ err: error, sessionId }, 'could not cache a session revocation; the database still has it');
    });
    // Drop a cached "live" so this replica's next check reads the revocation at once.
    await this.cache.delete(liveKey(sessionId)).catch(() => undefined);
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
