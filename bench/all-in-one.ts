// The real binary, all-in-one on embedded parts, as benchmarks start it.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiledTendArgs } from '@tend/testing';
import { waitForReady } from './load.js';

/** A running `tend serve --target=all`, and how to stop it and remove its data. */
export interface AllInOne {
  base: string;
  /** The server's process id (for its RSS, CPU time and limits). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the binary with the gateway on `gatewayPort` and the five gRPC services on the ports
 * after `firstServicePort`, and waits until it is ready. `TEND_BENCH_PROFILE=<dir>` writes a CPU
 * profile of the server there. The per-person rate limit is lifted (one person sends all the
 * load); the limiter still counts every request.
 */
export async function startAllInOne(options: {
  gatewayPort: number;
  firstServicePort: number;
  env?: Record<string, string>;
}): Promise<AllInOne> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tend-bench-'));
  const profile = process.env.TEND_BENCH_PROFILE;
  const server = spawn(
    process.execPath,
    [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), ...compiledTendArgs(), 'serve', '--target=all'],
    {
      env: {
        ...process.env,
        TEND_DATA_DIR: dataDir,
        GATEWAY_PORT: String(options.gatewayPort),
        ...Object.fromEntries(
          ['VOICE', 'CONVERSATION', 'HEALTH', 'NOTIFICATION', 'EXTERNAL'].map((s, i) => [
            `${s}_PORT`,
            String(options.firstServicePort + i),
          ]),
        ),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '100000000',
        ...options.env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const stop = async () => {
    server.kill('SIGTERM');
    if (server.exitCode === null) await new Promise((resolve) => server.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${options.gatewayPort}`;
  try {
    await waitForReady(`${base}/readyz`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, pid: server.pid!, stop };
}
