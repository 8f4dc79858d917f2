// What Tend's numbers are read against, measured in the same run on the same machine: a bare
// Node `http` server answering the same JSON, a bare `SELECT 1` round trip, and ghz on the
// cheapest gRPC call Tend serves (`grpc.health.v1.Health/Check`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { EmbeddedPostgres } from '@tend/db';
import { createLogger } from '@tend/core';
import { compiledTendArgs } from '@tend/testing';
import pg from 'pg';
import { ghzBinary, runGhz, tendProtoset } from './ghz.js';
import { runLoad, waitForReady, type LoadResult } from './load.js';

/** A bare Node `http` server in its own process, answering every request with one JSON body. */
export interface BareHttpServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

// The whole server: no framework, one precomputed body, the headers a JSON API must send.
const bareServerSource = `
const { createServer } = require('node:http');
const size = Number(process.argv[1]);
const body = JSON.stringify({ items: 'x'.repeat(Math.max(0, size - 13)) });
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

/** Starts the bare server answering `bodyBytes` bytes of JSON. */
export async function startBareHttpServer(bodyBytes: number): Promise<BareHttpServer> {
  const child = spawn(process.execPath, ['-e', bareServerSource, String(bodyBytes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${chunk.toString().trim()}/`;
  await waitForReady(url);
  return { url, pid: child.pid!, stop: () => stopChild(child) };
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** Ends a child process this benchmark started and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/**
 * Sequential and concurrent `SELECT 1` over node-postgres: the floor under any call that reads
 * the database. Against `url` when given (the infra script's primary), else embedded PostgreSQL.
 */
export async function selectOneRoundTrip(seconds: number, url?: string): Promise<LoadResult[]> {
  const dataDir = url ? undefined : await mkdtemp(join(tmpdir(), 'tend-bench-pg-'));
  const server = dataDir
    ? new EmbeddedPostgres({ dataDir, port: 0, logger: createLogger({ level: 'warn' }) })
    : undefined;
  await server?.start();
  const pool = new pg.Pool({ connectionString: url ?? server!.url, max: 8 });
  // An idle connection the server ends (it stops before the pool has closed every client) is
  // not a failed round trip; without a listener it would end the whole run.
  pool.on('error', (error) => console.warn(`SELECT 1 baseline: idle connection ended: ${error.message}`));
  try {
    await pool.query('SELECT 1');
    const where = url ? 'real PostgreSQL' : 'embedded PostgreSQL';
    const one = await runLoad(`SELECT 1, ${where}, 1 in flight`, () => pool.query('SELECT 1'), {
      concurrency: 1,
      seconds,
    });
    const eight = await runLoad(`SELECT 1, ${where}, 8 in flight`, () => pool.query('SELECT 1'), {
      concurrency: 8,
      seconds,
    });
    return [one, eight];
  } finally {
    await pool.end();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

/** ghz against `tend serve --target=health` (embedded parts): `grpc.health.v1.Health/Check`, 16 in flight. */
export async function ghzHealthCheck(seconds: number, port: number): Promise<LoadResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tend-bench-health-'));
  const child = spawn(process.execPath, [...compiledTendArgs(), 'serve', '--target=health'], {
    env: {
      ...process.env,
      TEND_DATA_DIR: dataDir,
      HEALTH_PORT: String(port),
      ADMIN_PORT: String(port + 1),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitForReady(`http://127.0.0.1:${port + 1}/readyz`);
    const [binary, protoset] = await Promise.all([ghzBinary(), tendProtoset()]);
    return await runGhz(binary, protoset, `127.0.0.1:${port}`, {
      name: 'ghz grpc.health.v1.Health/Check, 16 in flight',
      call: 'grpc.health.v1.Health/Check',
      data: {},
      concurrency: 16,
      seconds,
    });
  } finally {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  }
}
