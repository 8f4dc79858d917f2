import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './redis-server-process.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A PostgreSQL primary and streaming replica of one suite's own (scripts/infra.sh in a scratch
 * directory, on free ports), for suites that stop one of them: the shared pair stays up for the
 * others. Needs what `infra.sh up pg` needs (the shared pair running proves it is there).
 */
export class DedicatedPostgres {
  #dir = '';
  #env: NodeJS.ProcessEnv = {};
  primaryUrl = '';
  replicaUrl = '';

  async start(): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), 'tend-pg-'));
    const [port, replicaPort] = [await freePort(), await freePort()];
    this.#env = {
      ...process.env,
      TEND_INFRA_DIR: this.#dir,
      TEND_INFRA_PG_PORT: String(port),
      TEND_INFRA_PG_REPLICA_PORT: String(replicaPort),
    };
    await this.#infra('up', 'pg');
    const { stdout } = await this.#infra('env');
    this.primaryUrl = /TEST_DATABASE_URL=(\S+)/.exec(stdout)![1]!;
    this.replicaUrl = /TEST_DATABASE_REPLICA_URLS=(\S+)/.exec(stdout)![1]!;
  }

  /** Resolves once the replica has replayed everything the primary has written so far. */
  async caughtUp(): Promise<void> {
    const position = async (url: string, query: string): Promise<string> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<{ lsn: string }>(query)).rows[0]!.lsn;
      } finally {
        await client.end();
      }
    };
    const written = await position(this.primaryUrl, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
    for (let attempt = 0; attempt < 300; attempt++) {
      const behind = await position(
        this.replicaUrl,
        `SELECT pg_wal_lsn_diff('${written}', pg_last_wal_replay_lsn())::text AS lsn`,
      );
      if (Number(behind) <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the replica did not replay up to ${written} within 30 s`);
  }

  /** Stops a server as an operator would (SIGINT: fast shutdown) and waits until it is gone. */
  async stop(server: 'primary' | 'replica'): Promise<void> {
    const base = await readFile(join(this.#dir, 'pg.location'), 'utf8').then(
      (location) => location.trim(),
      () => join(this.#dir, 'pg'),
    );
    const pid = Number((await readFile(join(base, server, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGINT');
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  /** Stops both servers and deletes their data. */
  async remove(): Promise<void> {
    if (!this.#dir) return;
    await this.#infra('clean').catch(() => undefined);
    await rm(this.#dir, { recursive: true, force: true });
  }

  #infra(...args: string[]) {
    return run('bash', [join(repoRoot, 'scripts/infra.sh'), ...args], { env: this.#env, timeout: 180_000 });
  }
}

/** Whether process `pid` is still running. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
