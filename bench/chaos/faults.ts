import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosCluster } from './cluster.js';
import type { Sent } from './load.js';

/**
 * One fault: how it starts, how it ends (the thing it broke brought back), and which failed
 * requests it made unavoidable. Anything else that fails under it is a defect the run reports.
 */
export interface Fault {
  readonly name: string;
  /** How long it lasts in the full run, in seconds (the figures). */
  readonly fullSeconds: number;
  begin(): Promise<void>;
  end(): Promise<void>;
  /** Whether `request`, which failed, could not have succeeded given when the fault struck. */
  unavoidable(request: Sent): boolean;
}

/** Whether a request was being served at some moment in `[from, to]`. */
export function inFlightDuring(request: Sent, from: number, to: number): boolean {
  return request.started <= to && request.done >= from;
}

/** The infra servers, driven through scripts/infra.sh and the pid files it writes under `infraDir`. */
export function infraControl(infraDir: string) {
  const pidOf = (file: string): number => Number(readFileSync(file, 'utf8').split('\n')[0]);
  const pgData = (name: string) => {
    let base = join(infraDir, 'pg');
    try {
      base = readFileSync(join(infraDir, 'pg.location'), 'utf8').trim();
    } catch {
      // the default place
    }
    return join(base, name);
  };
  return {
    pgData,
    /** Starts a component again with scripts/infra.sh, without blocking the load meanwhile. */
    async up(component: string): Promise<void> {
      const child = spawn('bash', ['scripts/infra.sh', 'up', component], { stdio: ['ignore', 'ignore', 'inherit'] });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`infra.sh up ${component} failed`);
    },
    /** Stops a server by its pid file and waits for it to be gone. */
    async stop(pidFile: string, signal: NodeJS.Signals): Promise<void> {
      const pid = pidOf(pidFile);
      process.kill(pid, signal);
      for (let i = 0; i < 600; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await sleep(100);
      }
      throw new Error(`pid ${pid} did not stop`);
    },
  };
}

/** The faults, in the order a run takes them. */
export function chaosFaults(cluster: ChaosCluster, infraDir: string): Fault[] {
  const infra = infraControl(infraDir);
  const never = () => false;
  // Moments the faults below record, for the requests they could not help failing.
  let killedAt = 0;
  let killedExitAt = 0;
  let terminatedAt = 0;
  let exitedAt = 0;
  let primaryDownAt = 0;
  let primaryUpAt = 0;
  const [victim] = cluster.healths;
  const [drained] = cluster.gateways;
  return [
    {
      // The outbox holds every event while the broker is away: no request may fail.
      name: 'kafka-stopped',
      fullSeconds: 60,
      begin: () => infra.stop(join(infraDir, 'kafka', 'kafka.pid'), 'SIGTERM'),
      end: () => infra.up('kafka'),
      unavoidable: never,
    },
    {
      // The cache and rate-limit store are accelerators; PostgreSQL decides: no request may fail.
      name: 'redis-stopped',
      fullSeconds: 30,
      begin: () => infra.stop(join(infraDir, 'redis', 'redis.pid'), 'SIGTERM'),
      end: () => infra.up('redis'),
      unavoidable: never,
    },
    {
      // Reads go to the primary while the replica is away: no request may fail.
      name: 'replica-stopped',
      fullSeconds: 10,
      begin: () => infra.stop(join(infra.pgData('replica'), 'postmaster.pid'), 'SIGINT'),
      end: () => infra.up('pg'),
      unavoidable: never,
    },
    {
      // A write has nowhere to go while the primary restarts; those in flight or sent then fail.
      name: 'primary-restarted',
      fullSeconds: 0,
      begin: async () => {
        primaryDownAt = Date.now();
        await infra.stop(join(infra.pgData('primary'), 'postmaster.pid'), 'SIGINT');
        await infra.up('pg');
        primaryUpAt = Date.now();
      },
      end: async () => undefined,
      unavoidable: (request) => inFlightDuring(request, primaryDownAt, primaryUpAt),
    },
    {
      // A call in flight on the killed instance may have been applied, so it is not retried: one
      // the gateway had sent it, or sent on its connection before the reset reached the gateway
      // (about when the runner sees the exit), is answered 503.
      name: 'health-killed',
      fullSeconds: 10,
      begin: async () => {
        killedAt = Date.now();
        victim.process?.child.kill('SIGKILL');
        await victim.process?.exited;
        killedExitAt = Date.now();
      },
      end: () => victim.start(),
      unavoidable: (request) => inFlightDuring(request, killedAt, killedExitAt),
    },
    {
      // The gateway drains its requests and exits; nginx sends new ones to the other. A request
      // nginx had just handed the closing gateway when it stopped accepting may fail.
      name: 'gateway-terminated',
      fullSeconds: 10,
      begin: async () => {
        terminatedAt = Date.now();
        drained.process?.child.kill('SIGTERM');
        await drained.process?.exited;
        exitedAt = Date.now();
      },
      end: () => drained.start(),
      unavoidable: (request) => inFlightDuring(request, terminatedAt, exitedAt),
    },
  ];
}
