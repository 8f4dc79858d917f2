import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realInfra, requireInfra } from './real-infra.js';

/**
 * One PostgreSQL a database suite runs against. Integration suites run the same cases on the
 * embedded server and, when `scripts/infra.sh up pg` started them, on the real primary and its
 * streaming replica, so both paths of `createDatabase` stay honest.
 */
export type DatabaseTarget = { kind: 'embedded' } | { kind: 'real'; url: string; replicaUrls: string[] };

/**
 * The targets for `describe.each`: always the embedded server; the real one when
 * TEST_DATABASE_URL is set (outside CI a missing server skips it loudly; in CI it fails).
 */
export function databaseTargets(env: NodeJS.ProcessEnv = process.env): DatabaseTarget[] {
  const infra = realInfra(env);
  const targets: DatabaseTarget[] = [{ kind: 'embedded' }];
  if (requireInfra('PostgreSQL primary + replica (TEST_DATABASE_URL)', infra.databaseUrl, env)) {
    targets.push({ kind: 'real', url: infra.databaseUrl!, replicaUrls: infra.replicaUrls });
  }
  return targets;
}

/** What `createDatabase` needs besides a logger, for one target, and how to clean up after it. */
export interface TestDatabaseOptions {
  options: {
    url?: string;
    replicaUrls?: string[];
    dataDir?: string;
    /** Throw-away clusters skip initdb's sync: ~0.3 s less per suite. */
    embedded?: { syncInit: boolean };
  };
  /** Removes the embedded server's temporary data directory (call after the database stopped). */
  cleanup(): Promise<void>;
}

/**
 * Options for `createDatabase({ ...fixture.options, logger })`: the real server's URLs, or a
 * fresh temporary data directory for an embedded one.
 */
export async function testDatabaseOptions(target: DatabaseTarget): Promise<TestDatabaseOptions> {
  if (target.kind === 'real') {
    return { options: { url: target.url, replicaUrls: target.replicaUrls }, cleanup: async () => undefined };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'tend-test-db-'));
  return {
    options: { dataDir, embedded: { syncInit: false } },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/**
 * A schema name no other run uses, so suites sharing the real server (and engineers sharing the
 * infra) never see each other's tables. Drop it in `afterAll`.
 */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}
