// Start and stop of `npm start` as an operator runs it: launch, poll /healthz until it answers
// 200, SIGTERM, wait for the exit. Each run gets a fresh data directory, so embedded PostgreSQL's
// first initdb is inside every start.
//   npm run bench:start -- [runs=5] [command=npm start]
//   npm run bench:start -- 5 node --import tsx apps/server/src/main.ts serve --target=all
// The ports come from GATEWAY_PORT etc. when set, else from free ports. Besides the wall time it
// reports the CPU time the process group (npm, Tend, embedded PostgreSQL and what they waited
// for) had used when /healthz first answered: on a shared, loaded machine the wall time is
// mostly waiting for a core, the CPU time is not.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tend/testing';

const runs = Number(process.argv[2] ?? 5);
const command = process.argv.length > 3 ? process.argv.slice(3) : ['npm', 'start'];

async function portEnv(): Promise<Record<string, string>> {
  const names = ['GATEWAY', 'ADMIN', 'VOICE', 'CONVERSATION', 'HEALTH', 'NOTIFICATION', 'EXTERNAL'];
  const env: Record<string, string> = {};
  for (const name of names) env[`${name}_PORT`] = process.env[`${name}_PORT`] ?? String(await freePort());
  return env;
}

/** CPU milliseconds used so far by a process group's live processes and the children they reaped. */
async function groupCpuMs(group: number): Promise<number> {
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command's closing parenthesis: state is field 3, pgrp 5, utime 14 … cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== group) continue;
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return (ticks / ticksPerSecond) * 1000;
}

/** Milliseconds from launch to the first 200 on /healthz, and from SIGTERM to the exit code. */
async function once(): Promise<{ upMs: number; cpuMs: number; downMs: number; code: number | null }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tend-start-'));
  const ports = await portEnv();
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...ports, TEND_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${ports.GATEWAY_PORT}/healthz`;
  let upMs = Number.NaN;
  let cpuMs = Number.NaN;
  while (child.exitCode === null && performance.now() - started < 60_000) {
    try {
      if ((await fetch(url)).ok) {
        upMs = performance.now() - started;
        if (child.pid !== undefined) cpuMs = await groupCpuMs(child.pid);
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const stopping = performance.now();
  // The whole process group, as a terminal's Ctrl-C reaches npm and Tend alike.
  if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  const code = await exited;
  const downMs = performance.now() - stopping;
  await rm(dataDir, { recursive: true, force: true });
  return { upMs, cpuMs, downMs, code };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const results = [];
for (let i = 0; i < runs; i++) {
  const result = await once();
  results.push(result);
  console.log(
    `run ${i + 1}: healthy ${result.upMs.toFixed(0)} ms (${result.cpuMs.toFixed(0)} ms of CPU), stopped ${result.downMs.toFixed(0)} ms, exit ${result.code}`,
  );
}
const up = results.map((r) => r.upMs);
console.log(
  `${command.join(' ')}: /healthz median ${median(up).toFixed(0)} ms (min ${Math.min(...up).toFixed(0)}, ` +
    `max ${Math.max(...up).toFixed(0)}), CPU median ${median(results.map((r) => r.cpuMs)).toFixed(0)} ms, stop median ${median(results.map((r) => r.downMs)).toFixed(0)} ms, ` +
    `load average ${loadavg()[0]!.toFixed(1)}`,
);
