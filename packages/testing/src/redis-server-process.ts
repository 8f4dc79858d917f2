import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { requireInfra } from './real-infra.js';

/**
 * A throwaway `redis-server` on loopback that a test owns, for the cases the shared infra
 * Redis must not be used for: stopping Redis under a running client, pausing it, starting it
 * late. Integration tests only.
 */
export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** Starts (or restarts) the server on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Whether a `redis-server` binary is on PATH (the infra script installs Debian's). */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether a suite that starts its own `redis-server` can run: outside CI a missing binary skips
 * it loudly, in CI it fails.
 */
export function requireRedisServer(env: NodeJS.ProcessEnv = process.env): boolean {
  return requireInfra('redis-server (`bash scripts/infra.sh up redis` installs it)', redisServerInstalled(), env);
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A server on a free port, not yet started: `url` already points at a closed port. */
export async function redisServerProcess(): Promise<RedisServerProcess> {
  const port = await freePort();
  let child: ReturnType<typeof spawn> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      child = spawn('redis-server', args, { stdio: 'ignore' });
      const deadline = Date.now() + 5000;
      while (!(await accepts(port))) {
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGTERM');
      await exited;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
