import { fileURLToPath } from 'node:url';
import { createDatabase, loadMigrations, type Database, type SchemaDatabase } from '@tend/db';
import { UnavailableError, createLogger, randomIds, systemClock } from '@tend/core';
import { MemoryCache, type Cache } from '@tend/cache';
import {
  DedicatedPostgres,
  databaseTargets,
  realInfra,
  requireInfra,
  testDatabaseOptions,
  uniqueSchemaName,
  type TestDatabaseOptions,
} from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sessions, type GatewayTables } from './sessions.js';

const logger = createLogger({ level: 'silent' });
const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url));
const ttl = { refreshMs: 3_600_000, accessMs: 1_800_000, liveMs: 5_000 };

/** A cache that is down: every call fails, as Redis does when it is unreachable. */
const downCache = (): Cache =>
  Object.assign(new MemoryCache(), {
    get: () => Promise.reject(new Error('cache down')),
    set: () => Promise.reject(new Error('cache down')),
    delete: () => Promise.reject(new Error('cache down')),
  });

/** A memory cache on a clock the test moves, so entries can be made to expire. */
function movableCache() {
  let nowMs = Date.parse('2026-06-15T12:00:00Z');
  const cache = new MemoryCache({ clock: { now: () => new Date(nowMs) } });
  return { cache, advance: (ms: number) => (nowMs += ms) };
}

describe.each(databaseTargets())('session revocation on $kind PostgreSQL', (target) => {
  let fixture: TestDatabaseOptions;
  let database: Database;
  let db: SchemaDatabase<GatewayTables>;
  const sessionsWith = (cache: Cache) => new Sessions(db, cache, systemClock, randomIds, logger, ttl);

  beforeAll(async () => {
    fixture = await testDatabaseOptions(target);
    database = createDatabase({ ...fixture.options, logger });
    await database.start();
    db = database.schema<GatewayTables>(uniqueSchemaName('sessions'));
    await db.migrate(await loadMigrations(migrationsDir));
  }, 60_000);
  afterAll(async () => {
    if (db) await sql`drop schema if exists ${sql.id(db.schema)} cascade`.execute(db.primary);
    await database?.stop();
    await fixture?.cleanup();
  });

  it('a logged-out session stays refused by a replica whose cache never saw the logout', async () => {
    const first = sessionsWith(new MemoryCache());
    const { sessionId } = await first.open(randomIds.uuid());
    await first.revoke(sessionId, 'logout');
    // Another gateway, or this one after Redis evicted the key or restarted: an empty cache.
    expect(await sessionsWith(new MemoryCache()).isRevoked(sessionId)).toBe(true);
  });

  it('a logout while the cache is down is enforced once the cached "live" answer has expired', async () => {
    const { cache, advance } = movableCache();
    const { sessionId } = await sessionsWith(cache).open(randomIds.uuid());
    expect(await sessionsWith(cache).isRevoked(sessionId)).toBe(false);
    await sessionsWith(downCache()).revoke(sessionId, 'logout');
    advance(ttl.liveMs + 1);
    expect(await sessionsWith(cache).isRevoked(sessionId)).toBe(true);
  });

  it('a session revoked as reused is refused after its cached revocation expired', async () => {
    const { cache, advance } = movableCache();
    const sessions = sessionsWith(cache);
    const { sessionId, refreshToken } = await sessions.open(randomIds.uuid());
    await sessions.rotate(refreshToken);
    await expect(sessions.rotate(refreshToken)).rejects.toThrow(/already used/);
    advance(ttl.accessMs + 1);
    expect(await sessions.isRevoked(sessionId)).toBe(true);
  });

  it('answers from the database when the cache is down, and refuses an unknown session', async () => {
    const sessions = sessionsWith(downCache());
    const { sessionId } = await sessions.open(randomIds.uuid());
    expect(await sessions.isRevoked(sessionId)).toBe(false);
    expect(await sessions.isRevoked(randomIds.uuid())).toBe(true);
  });

  it('remembers a live session for a few seconds, and a logout on the same cache ends that at once', async () => {
    const { cache } = movableCache();
    const sessions = sessionsWith(cache);
    const { sessionId } = await sessions.open(randomIds.uuid());
    expect(await sessions.isRevoked(sessionId)).toBe(false);
    expect(await cache.get(`gateway:live-session:${sessionId}`)).toBe('1');
    await sessions.revoke(sessionId, 'logout');
    expect(await sessions.isRevoked(sessionId)).toBe(true);
  });

  it('ends every session of a deleted account at once, and only theirs', async () => {
    const sessions = sessionsWith(new MemoryCache());
    const gone = randomIds.uuid();
    const [a, b] = [await sessions.open(gone), await sessions.open(gone)];
    const other = await sessions.open(randomIds.uuid());
    expect(await sessions.revokeAllOf(gone, 'account_deleted')).toBe(2);
    expect(await sessions.revokeAllOf(gone, 'account_deleted')).toBe(0);
    const elsewhere = sessionsWith(new MemoryCache());
    expect(await elsewhere.isRevoked(a.sessionId)).toBe(true);
    expect(await elsewhere.isRevoked(b.sessionId)).toBe(true);
    expect(await elsewhere.isRevoked(other.sessionId)).toBe(false);
    await expect(sessions.rotate(a.refreshToken)).rejects.toThrow(/not valid/);
  });
});

describe.runIf(requireInfra('PostgreSQL primary + replica (TEST_DATABASE_URL)', realInfra().replicaUrls.length > 0))(
  'session checks while the primary restarts',
  () => {
    const servers = new DedicatedPostgres();
    let database: Database;
    let db: SchemaDatabase<GatewayTables>;
    const sessions = () => new Sessions(db, new MemoryCache(), systemClock, randomIds, logger, ttl);

    beforeAll(async () => {
      await servers.start();
      database = createDatabase({ url: servers.primaryUrl, replicaUrls: [servers.replicaUrl], logger });
      await database.start();
      db = database.schema<GatewayTables>('sessions_restart');
      await db.migrate(await loadMigrations(migrationsDir));
    }, 240_000);
    afterAll(async () => {
      await database?.stop();
      await servers.remove();
    }, 120_000);

    it('answers from the replica for sessions it has, and 503 for one it has not seen', async () => {
      const live = await sessions().open(randomIds.uuid());
      const ended = await sessions().open(randomIds.uuid());
      await sessions().revoke(ended.sessionId, 'logout');
      await servers.caughtUp();

      await servers.stop('primary');
      // Fresh caches: each check reaches the database, whose primary is gone.
      expect(await sessions().isRevoked(live.sessionId)).toBe(false);
      expect(await sessions().isRevoked(ended.sessionId)).toBe(true);
      await expect(sessions().isRevoked(randomIds.uuid())).rejects.toBeInstanceOf(UnavailableError);
    });
  },
);
