import { chmod, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@tend/core';
import { createLogger } from '@tend/core';
import { createDatabase } from './create-database.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const asRoot = process.getuid?.() === 0;
const dirs: string[] = [];

async function dataDir(): Promise<string> {
  // mkdtemp makes the directory 0700, as `mktemp -d` does.
  const dir = await mkdtemp(join(tmpdir(), 'tend-embedded-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('EmbeddedPostgres', () => {
  it('keeps data across a restart, and restarts fast', async () => {
    const dir = await dataDir();
    const first = createDatabase({ dataDir: dir, logger });
    const began = performance.now();
    await first.start();
    const firstStartMs = performance.now() - began;
    const db = first.schema<{ vitals: { code: string; value: number } }>('health');
    await db.migrate([{ version: 1, name: 'vitals', sql: 'CREATE TABLE vitals (code text, value real);' }]);
    await db.primary.insertInto('vitals').values({ code: '8867-4', value: 72 }).execute();
    await first.stop();

    const second = createDatabase({ dataDir: dir, logger });
    const restartBegan = performance.now();
    await second.start();
    const restartMs = performance.now() - restartBegan;
    try {
      const rows = await second
        .schema<{ vitals: { code: string; value: number } }>('health')
        .primary.selectFrom('vitals')
        .selectAll()
        .execute();
      expect(rows).toEqual([{ code: '8867-4', value: 72 }]);
    } finally {
      await second.stop();
    }
    // Numbers for the report, not assertions: timing belongs to benchmarks.
    console.info(`[embedded-postgres] first start ${Math.round(firstStartMs)} ms, restart ${Math.round(restartMs)} ms`);
  });

  it('takes over a cluster created early, before it started, and reports that start as the one that created it', async () => {
    const dir = await dataDir();
    await EmbeddedPostgres.initialiseEarly({ dataDir: dir, logger, syncInit: false });
    // initdb is running now; the server waits for it rather than running a second one.
    const server = new EmbeddedPostgres({ dataDir: dir, logger, syncInit: false });
    await server.start();
    try {
      expect(server.timings?.initMs).toBeGreaterThan(0);
      expect((await stat(join(server.clusterDir, 'PG_VERSION'))).isFile()).toBe(true);
    } finally {
      await server.stop();
    }
    // A directory that already holds a cluster has nothing to create early.
    await EmbeddedPostgres.initialiseEarly({ dataDir: dir, logger, syncInit: false });
    const again = new EmbeddedPostgres({ dataDir: dir, logger, syncInit: false });
    await again.start();
    await again.stop();
    expect(again.timings?.initMs).toBeUndefined();
  });

  it('keeps a random password in a file only its owner can read', async () => {
    const dir = await dataDir();
    const server = new EmbeddedPostgres({ dataDir: dir, logger, syncInit: false });
    await server.start();
    try {
      const file = join(dir, 'postgres-password');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const password = (await readFile(file, 'utf8')).trim();
      expect(password.length).toBeGreaterThanOrEqual(24);
      expect(decodeURIComponent(new URL(server.url).password)).toBe(password);
      expect(new URL(server.url).hostname).toBe('127.0.0.1');
      expect(server.timings?.initMs).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  it.runIf(asRoot)('opens a 0700 data directory to traversal so the postgres user can reach it', async () => {
    const dir = await dataDir();
    const server = new EmbeddedPostgres({ dataDir: dir, logger, syncInit: false });
    await server.start();
    await server.stop();
    expect((await stat(dir)).mode & 0o777).toBe(0o711);
  });

  it.runIf(asRoot)('names the directory the postgres user cannot enter', async () => {
    const parent = await dataDir();
    const server = new EmbeddedPostgres({ dataDir: join(parent, 'tend'), logger, syncInit: false });
    const failure = await server.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).variable).toBe('TEND_DATA_DIR');
    expect((failure as Error).message).toContain(`cannot enter ${parent} (mode 0700`);
    expect((failure as Error).message).toContain(`chmod o+x ${parent}`);
    await server.stop();
  });

  it('stops quietly when the server is already gone, as after Ctrl-C to the process group', async () => {
    const dir = await dataDir();
    const server = new EmbeddedPostgres({ dataDir: dir, logger, syncInit: false });
    await server.start();
    const pid = Number((await readFile(join(server.clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGINT');
    await waitUntilGone(pid);
    await server.stop();
    expect(server.state).toBe('stopped');
  });

  it('refuses a second server on the same data directory, saying why', async () => {
    const dir = await dataDir();
    const first = new EmbeddedPostgres({ dataDir: dir, logger, syncInit: false });
    await first.start();
    try {
      const second = new EmbeddedPostgres({ dataDir: dir, logger });
      await expect(second.start()).rejects.toThrow(/another PostgreSQL server is already running on .*postgres/);
      await second.stop();
    } finally {
      await first.stop();
    }
  });

  it('says when the configured port is taken', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => {
        const address = blocker.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      }),
    );
    try {
      const server = new EmbeddedPostgres({ dataDir: await dataDir(), port, logger, syncInit: false });
      await expect(server.start()).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
      await server.stop();
    } finally {
      blocker.close();
    }
  });

  it('initialises a cluster in a pre-created empty directory', async () => {
    const dir = await dataDir();
    // A pre-created, empty cluster directory (a container volume, say) is initialised in place.
    await mkdir(join(dir, 'postgres'));
    await chmod(dir, 0o755);
    const database = createDatabase({ dataDir: dir, logger, embedded: { syncInit: false } });
    await database.start();
    try {
      expect(
        (await sql<{ v: string }>`SHOW server_version`.execute(database.schema('x').primary)).rows[0],
      ).toBeDefined();
    } finally {
      await database.stop();
    }
  });
});

async function waitUntilGone(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`process ${pid} did not exit`);
}
