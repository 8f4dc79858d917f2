// npm run chaos [-- --ci] [-- fault,...]: faults injected under steady mixed load, with nothing lost.
//
// A distributed Tend on the real infrastructure of scripts/infra.sh (`up all` first): two health
// instances, one conversation, one notification and two gateways behind the infra nginx, on
// PostgreSQL primary + replica, Redis and Kafka, started once. Four people send the mix
// through nginx (a steps reading, a hypertensive-crisis reading, a dose taken, a chat turn, a
// profile read) and a fifth loop signs new people up. First a round with no fault (the pipeline
// proven before anything breaks), then the faults back to back (bench/chaos/faults.ts): each starts
// after a warm-up, lasts its time, and the load goes on for a settle time after it ends. Then:
//   requests     every request sent under the fault;
//   errors       failed requests (5xx, no answer, any unexpected status), and of them those the
//                fault made unavoidable (in flight on a killed process, sent while the primary was down);
//   events       crisis readings stored: each one `alert.raised` event through Kafka to notification;
//   lost         acknowledged writes (readings, doses, sign-ups) missing from the primary, and
//                stored crisis readings with no alert in the person's inbox;
//   duplicated   writes stored twice (matched by their unique values), and alerts written twice;
//   recovery     from the fault's end to the last failed request, or to the last alert it held up.
// It exits 1 on anything lost or duplicated, any avoidable error, or recovery over 10 s; with
// `--ci`, only on anything lost or duplicated (the other two are printed as misses).
//
// Full run: the durations (Kafka 60 s, Redis 30 s, others 10 s; CHAOS_FAULT_SECONDS sets
// all), 15 s settle. `--ci`: 8 s faults and 12 s settle (longer than the recovery bound, so a slow
// recovery is still seen), for a few minutes in all. CHAOS_LOG_LEVEL=info CHAOS_LOG_DIR=<dir>
// keeps each process's log, to read where a recovery's time went.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { realInfra } from '@tend/testing';
import { chaosCluster } from './chaos/cluster.js';
import { chaosFaults, type Fault } from './chaos/faults.js';
import { readLedger } from './chaos/ledger.js';
import { newPerson, personLoad, registrationLoad, type Person, type Sent } from './chaos/load.js';
import {
  chaosFailures,
  chaosInvariantFailures,
  chaosRow,
  chaosServiceMisses,
  chaosTable,
  type ChaosRow,
} from './chaos/verdict.js';

const args = process.argv.slice(2);
const ci = args.includes('--ci');
const settings = {
  faultMs: (fault: Fault) =>
    1000 * Number(process.env.CHAOS_FAULT_SECONDS ?? (ci ? Math.min(8, fault.fullSeconds) : fault.fullSeconds)),
  settleMs: 1000 * Number(process.env.CHAOS_SETTLE_SECONDS ?? (ci ? 12 : 15)),
  warmMs: ci ? 2_000 : 3_000,
  /** How long alerts held up by a fault may take to arrive before they count as lost. */
  catchUpMs: 60_000,
};
const infraDir = process.env.TEND_INFRA_DIR ?? join(process.cwd(), '.infra');
const gatewayPorts = (process.env.TEND_INFRA_GATEWAY_PORTS ?? '18081,18082').split(',').map(Number);

const infra = realInfra();
if (!infra.databaseUrl || !infra.redisUrl || !infra.kafkaBrokers || !infra.nginxUrl || !infra.replicaUrls.length) {
  console.error('chaos: needs `bash scripts/infra.sh up all` and `eval "$(bash scripts/infra.sh env)"` first');
  process.exit(2);
}
const base = infra.nginxUrl;

const cluster = await chaosCluster(infra, gatewayPorts);
const faults = chaosFaults(cluster, infraDir);
const chosen = args.find((a) => !a.startsWith('--'))?.split(',') ?? faults.map((f) => f.name);
for (const name of chosen) {
  if (!faults.some((f) => f.name === name)) {
    console.error(`chaos: unknown fault ${name} (${faults.map((f) => f.name).join(', ')})`);
    process.exit(2);
  }
}
/** The round before any fault: the load and the alert pipeline working, as the baseline. */
const noFault: Fault = {
  name: 'none',
  fullSeconds: 5,
  begin: async () => undefined,
  end: async () => undefined,
  unavoidable: () => false,
};

/** Runs the load across one fault and reads what it left behind. */
async function underFault(fault: Fault, people: Person[]): Promise<ChaosRow> {
  const sent: Sent[] = [];
  const stop = new AbortController();
  const loops = [
    ...people.map((who) => personLoad(who, base, stop.signal, sent)),
    registrationLoad(base, stop.signal, sent),
  ];
  let endedAt: number;
  try {
    await sleep(settings.warmMs);
    await fault.begin();
    await sleep(fault === noFault ? 5_000 : settings.faultMs(fault));
    await fault.end();
  } finally {
    endedAt = Date.now();
    await sleep(settings.settleMs);
    stop.abort();
    await Promise.all(loops);
  }
  // A connection of its own each time: the primary restarts under one of the faults.
  const db = new pg.Client({ connectionString: infra.databaseUrl });
  db.on('error', () => undefined);
  await db.connect();
  try {
    const ids = people.map((who) => who.id);
    const ledger = await readLedger(db, sent, ids, endedAt, settings.catchUpMs);
    return chaosRow(fault.name, sent, (s) => fault.unavoidable(s), endedAt, ledger);
  } finally {
    await db.end();
  }
}

const started = Date.now();
const rows: ChaosRow[] = [];
// However this process ends, the cluster's processes end with it.
process.on('exit', () => cluster.kill());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
try {
  await cluster.start();
  console.log(`chaos: cluster ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const people: Person[] = [];
  for (let i = 1; i <= 4; i++) people.push(await newPerson(i, base));
  for (const fault of [noFault, ...faults.filter((f) => chosen.includes(f.name))]) {
    rows.push(await underFault(fault, people));
    console.log(JSON.stringify(rows.at(-1)));
    // Each fault brings back what it stopped: a process gone now crashed on its own.
    const crashed = cluster.crashed();
    if (crashed.length > 0) throw new Error(`chaos: after ${fault.name}, ${crashed.join('\n')}`);
  }
} finally {
  await cluster.stop();
  // The processes' logs, for reading where a slow recovery spent its time (CHAOS_LOG_LEVEL=info).
  const logDir = process.env.CHAOS_LOG_DIR;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    for (const [name, output] of Object.entries(cluster.outputs())) writeFileSync(join(logDir, `${name}.log`), output);
  }
}

console.log(
  `\n${ci ? 'CI run' : 'full run'}: settle ${settings.settleMs / 1000} s after each fault, ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s in all`,
);
console.log(chaosTable(rows));
const reasons = (judge: (row: ChaosRow) => string[]) =>
  rows.flatMap((r) => judge(r).map((why) => `${r.fault}: ${why}`));
const failures = reasons(ci ? chaosInvariantFailures : chaosFailures);
if (ci) {
  const misses = reasons(chaosServiceMisses);
  if (misses.length > 0)
    console.warn(`chaos: service levels missed (reported, not gating in --ci)\n  ${misses.join('\n  ')}`);
}
if (failures.length > 0) {
  console.error(`chaos: failed\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
