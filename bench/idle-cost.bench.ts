// Idle cost: what an all-in-one Tend with nobody using it spends, in CPU time per second of wall
// time, after a warm-up. The Node process is measured apart from what it started (the embedded
// PostgreSQL's postmaster and its backends), because each poll costs CPU on both sides.
// `TEND_BENCH_PROFILE=<dir>` writes the server's CPU profile; read the window with
// `bench/profile-summary.ts --from <warm-up s>`.
import { readdir, readFile } from 'node:fs/promises';
import { startAllInOne } from './all-in-one.js';
import { cpuSecondsOf } from './baselines.js';
import type { BenchEntry } from './run.js';

/** Seconds after ready before measuring: start-up's one-off work (migrations, first reconcile) is over. */
const warmUpS = Number(process.env.BENCH_IDLE_WARMUP_S ?? 30);
/** Seconds measured. */
const windowS = Number(process.env.BENCH_IDLE_WINDOW_S ?? 60);

/** The parent of every process on the machine, from /proc. */
async function parentsOfAll(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (stat) parents.set(Number(entry), ppid);
  }
  return parents;
}

/** CPU seconds used so far by each descendant of `pid` (not `pid` itself). */
async function descendantsCpu(pid: number): Promise<Map<number, number>> {
  const parents = await parentsOfAll();
  const isDescendant = (candidate: number): boolean => {
    for (let at = parents.get(candidate); at !== undefined && at > 1; at = parents.get(at)) if (at === pid) return true;
    return false;
  };
  const cpu = new Map<number, number>();
  for (const child of parents.keys()) {
    if (!isDescendant(child)) continue;
    const seconds = await cpuSecondsOf(child).catch(() => undefined);
    if (seconds !== undefined) cpu.set(child, seconds);
  }
  return cpu;
}

/**
 * CPU the descendants used between two readings. A process that ended in between is not counted,
 * one that started is counted from zero (a new database backend: its whole life is in the window).
 */
function usedBetween(before: Map<number, number>, after: Map<number, number>): number {
  let used = 0;
  for (const [pid, seconds] of after) used += seconds - (before.get(pid) ?? 0);
  return used;
}

const msPerSecond = (cpuSeconds: number) => Math.round((cpuSeconds * 1000) / windowS);

/** An all-in-one at rest: no requests, no sockets, only its background work. */
export const idleCost: BenchEntry = {
  name: 'idle',
  async run(context) {
    const tend = await startAllInOne({ gatewayPort: context.port(40), firstServicePort: context.port(41) });
    try {
      await new Promise((resolve) => setTimeout(resolve, warmUpS * 1000));
      const [serverBefore, databaseBefore] = [await cpuSecondsOf(tend.pid), await descendantsCpu(tend.pid)];
      await new Promise((resolve) => setTimeout(resolve, windowS * 1000));
      const [serverAfter, databaseAfter] = [await cpuSecondsOf(tend.pid), await descendantsCpu(tend.pid)];
      const server = msPerSecond(serverAfter - serverBefore);
      const database = msPerSecond(usedBetween(databaseBefore, databaseAfter));
      return {
        name: 'Idle cost: an all-in-one with no requests and no sockets',
        command: 'npm run bench -- --only idle',
        rows: [
          {
            what: `server process CPU at rest (${windowS} s after ${warmUpS} s)`,
            result: `${server} ms per second (${(server / 10).toFixed(1)} % of one core)`,
          },
          {
            what: 'its embedded PostgreSQL (postmaster and backends)',
            result: `${database} ms per second (${(database / 10).toFixed(1)} % of one core)`,
          },
        ],
        notes: [
          `Load average at the end: ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}.`,
        ],
      };
    } finally {
      await tend.stop();
    }
  },
};
