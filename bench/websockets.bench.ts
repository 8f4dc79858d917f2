// WebSockets at scale: N authenticated `/ws` sockets held open on one gateway process (all-in-one),
// the server's memory for them, its CPU while they idle through a heartbeat round, and the time
// one live notification takes to reach every socket. The clients run in child processes of their
// own, connecting from many loopback source addresses (127.0.0.2…) so ephemeral ports do not run
// out; the file-descriptor limits of the server and the clients are raised with prlimit. Every
// phase is bounded in time and everything started here is stopped at the end.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { startAllInOne } from './all-in-one.js';
import { cpuSecondsOf, stopChild } from './baselines.js';
import { postJson, seedPerson } from './gateway-wrk.js';
import type { BenchRow } from './report.js';
import type { BenchEntry } from './run.js';

const run = promisify(execFile);
const socketsPerClientProcess = 15_000;
const sourceAddresses = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 2}`);
/** Covers one heartbeat round (every 30 s) of every socket. */
const idleWindowS = 35;

interface ClientMessage {
  type: 'progress' | 'opened' | 'notified';
  opened?: number;
  failed?: number;
  firstError?: string;
  count?: number;
  lastNs?: string;
}

/** Resident memory of a process, in bytes. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

/**
 * Raises a running process's open-file limit to `files`, or as far as the hard limit allows where
 * raising that is not permitted (a container without CAP_SYS_RESOURCE); returns the limit set.
 */
async function raiseFileLimit(pid: number, files: number): Promise<number> {
  try {
    await run('prlimit', [`--pid=${pid}`, `--nofile=${files}:${files}`]);
    return files;
  } catch {
    const { stdout } = await run('prlimit', [`--pid=${pid}`, '--nofile', '--output=HARD', '--noheadings']);
    const hard = Number(stdout.trim());
    await run('prlimit', [`--pid=${pid}`, `--nofile=${hard}:${hard}`]);
    return hard;
  }
}

/** Resolves with the first message of `type` from each client, or rejects after `timeoutMs`. */
function fromEvery(clients: ChildProcess[], type: ClientMessage['type'], timeoutMs: number): Promise<ClientMessage[]> {
  return Promise.all(
    clients.map(
      (client) =>
        new Promise<ClientMessage>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no "${type}" from a client within ${timeoutMs / 1000} s`)),
            timeoutMs,
          );
          const onMessage = (message: ClientMessage) => {
            if (message.type === 'progress') console.log(`  ${message.opened} sockets open, ${message.failed} failed`);
            if (message.type !== type) return;
            clearTimeout(timer);
            client.off('message', onMessage);
            resolve(message);
          };
          client.on('message', onMessage);
        }),
    ),
  );
}

/** Issue 15's fourth target: 100,000 sockets (`--full`; 10,000 in short mode, `BENCH_SOCKETS` overrides). */
export const webSocketsAtScale: BenchEntry = {
  name: 'websockets',
  async run(context) {
    const wanted = Number(process.env.BENCH_SOCKETS ?? (context.full ? 100_000 : 10_000));
    let total = wanted;
    const tend = await startAllInOne({
      gatewayPort: context.port(20),
      firstServicePort: context.port(21),
      env: { WS_SOCKETS_PER_PERSON: String(total + 10) },
    });
    const clients: ChildProcess[] = [];
    try {
      const serverFiles = await raiseFileLimit(tend.pid, total + 10_000);
      // The server also holds its database, bus and admin descriptors.
      total = Math.min(total, serverFiles - 1_000);
      if (total < wanted)
        console.log(`  the open-file limit allows ${serverFiles}: ${total} sockets instead of ${wanted}`);
      const { token } = await seedPerson(tend.base, 'ws');
      const rssBefore = await rssOf(tend.pid);
      const began = performance.now();
      for (let done = 0; done < total; done += socketsPerClientProcess) {
        const count = Math.min(socketsPerClientProcess, total - done);
        const job = { url: `${tend.base.replace('http', 'ws')}/ws`, token, count, sourceAddresses, parallel: 64 };
        const client = spawn(process.execPath, ['--import', 'tsx', 'bench/ws-clients.ts', JSON.stringify(job)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        clients.push(client);
        await raiseFileLimit(client.pid!, count + 1_000);
      }
      const openedReports = await fromEvery(clients, 'opened', (60 + total / 100) * 1000);
      const openSeconds = (performance.now() - began) / 1000;
      const opened = openedReports.reduce((sum, r) => sum + (r.opened ?? 0), 0);
      const failed = openedReports.reduce((sum, r) => sum + (r.failed ?? 0), 0);
      const firstError = openedReports.find((r) => r.firstError)?.firstError;
      console.log(
        `  ${opened} open in ${openSeconds.toFixed(1)} s, ${failed} failed${firstError ? ` (${firstError})` : ''}`,
      );
      if (opened === 0) throw new Error(`no socket opened${firstError ? `: ${firstError}` : ''}`);

      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const rssAfter = await rssOf(tend.pid);
      const cpuBefore = await cpuSecondsOf(tend.pid);
      await new Promise((resolve) => setTimeout(resolve, idleWindowS * 1000));
      const idleCore = (await cpuSecondsOf(tend.pid)) - cpuBefore;
      const idlePercent = (100 * idleCore) / idleWindowS;
      const rssAfterIdle = await rssOf(tend.pid);

      const notified = fromEvery(clients, 'notified', 60_000);
      const sentNs = process.hrtime.bigint();
      await postJson(tend.base, '/api/v1/vitals', { kind: 'heart_rate', value: 72 }, token);
      const lastNs = (await notified).map((r) => BigInt(r.lastNs ?? '0')).reduce((a, b) => (a > b ? a : b), 0n);
      const fanOutMs = Number(lastNs - sentNs) / 1e6;

      const perSocketKb = (rssAfter - rssBefore) / opened / 1024;
      const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en')} MB`;
      const rows: BenchRow[] = [
        {
          what: 'authenticated /ws sockets held by one gateway process',
          result: `${opened.toLocaleString('en')} open (${failed} failed), opened in ${openSeconds.toFixed(0)} s`,
          target: '100,000',
          pass: opened >= 100_000 && failed === 0,
        },
        {
          what: 'server RSS with the sockets open',
          result: `${mb(rssAfter)} (${mb(rssAfterIdle)} after idling), ${perSocketKb.toFixed(1)} KB per socket`,
          baseline: `${mb(rssBefore)} before the sockets`,
          target: '≤ 1.5 GB at 100,000',
          pass: opened >= 100_000 && rssAfter <= 1.5 * 2 ** 30,
        },
        {
          what: 'one notification to every socket (POST /api/v1/vitals → last socket)',
          result: `${Math.round(fanOutMs).toLocaleString('en')} ms to ${opened.toLocaleString('en')} sockets`,
          target: '≤ 2,000 ms',
          pass: opened >= 100_000 && fanOutMs <= 2000,
        },
        {
          what: `server CPU while idle (${idleWindowS} s, one heartbeat round)`,
          result: `${idlePercent.toFixed(1)} % of one core`,
          target: '< 10 %',
          pass: opened >= 100_000 && idlePercent < 10,
        },
      ];
      return {
        name: `WebSockets at scale: ${total.toLocaleString('en')} sockets on one gateway`,
        command: context.full ? 'npm run bench -- --full --only websockets' : 'npm run bench -- --only websockets',
        rows,
        notes: [
          `All sockets belong to one person (WS_SOCKETS_PER_PERSON raised), so one recorded vital is one notification to all of them; clients in ${clients.length} processes from ${sourceAddresses.length} loopback addresses.`,
          'The targets count as met only at 100,000 sockets (`--full`).',
          ...(total < wanted
            ? [
                `Asked for ${wanted.toLocaleString('en')} sockets; the hard open-file limit here (${serverFiles.toLocaleString('en')}, not raisable without CAP_SYS_RESOURCE) allowed ${total.toLocaleString('en')}.`,
              ]
            : []),
        ],
      };
    } finally {
      for (const client of clients) if (client.connected) client.send({ type: 'close' });
      await Promise.all(clients.map((client) => stopChild(client)));
      await tend.stop();
    }
  },
};
