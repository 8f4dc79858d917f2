// The 08:00 peak: N people with a dose due in the same minute, fired into the in-app inbox by the
// notification service's scheduler on embedded PostgreSQL, all in one process; then the same
// load shared by two processes, the one publishing SIGKILLed halfway. The reminders are stored a little
// before their time (as the reconciler stores a day ahead), so the scheduler writes them ahead as
// it does in production. Lateness and duplicates are counted from the database afterwards; the
// inbox polled during the run (committed and dated by then) gives the lateness a reader sees, and
// the outbox's publish times the lateness of the live events (written ahead and held there).
//
//   npm run bench:notification -- [people=100000] [lead seconds=90]
//   (BENCH_FIRE_BATCH, BENCH_FIRE_CONCURRENCY: the scheduler's fireBatchSize / fireConcurrency)
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRouterTransport } from '@connectrpc/connect';
import { CompositeService, Metrics, createLogger } from '@tend/core';
import { MemoryEventBus, OutboxRelay } from '@tend/events';
import { createDatabase, type Database } from '@tend/db';
import { createNotificationService } from '@tend/notification';
import { sql } from 'kysely';

const logger = createLogger({ level: 'warn' });
const schema = 'notification';
const cpuAtStart = process.cpuUsage();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A notification service on `database` that only dispatches (no reconcile: the rows are seeded). */
async function dispatcherOn(database: Database) {
  const bus = new MemoryEventBus({ logger });
  await bus.start();
  const module = await createNotificationService({
    database,
    bus,
    // Never called: the bench seeds the reminders table itself and does not reconcile.
    health: createRouterTransport(() => {}),
    logger,
    metrics: new Metrics({ defaultMetrics: false }),
    runScheduler: false,
    // The firing knobs, to measure a lever (unset: the production defaults).
    scheduler: {
      batchSize: Number(process.env.BENCH_BATCH ?? 500),
      fireBatchSize: process.env.BENCH_FIRE_BATCH ? Number(process.env.BENCH_FIRE_BATCH) : undefined,
      fireConcurrency: process.env.BENCH_FIRE_CONCURRENCY ? Number(process.env.BENCH_FIRE_CONCURRENCY) : undefined,
      releaseLookaheadMs: process.env.BENCH_RELEASE_LOOKAHEAD ? Number(process.env.BENCH_RELEASE_LOOKAHEAD) : undefined,
      releasePerRound: process.env.BENCH_RELEASE_ROUND ? Number(process.env.BENCH_RELEASE_ROUND) : undefined,
    },
  });
  const parts = new CompositeService('bench-notification', module.parts ?? []);
  await parts.start();
  return { module, stop: async () => (await parts.stop(), await bus.stop()) };
}

/** The scheduler's own loop without the reconcile (the rows are seeded): fire what is due, render ahead. */
async function dispatchLoop(module: Awaited<ReturnType<typeof dispatcherOn>>['module'], until: () => boolean) {
  while (!until()) {
    await module.scheduler.dispatchDue();
    const rendered = await module.scheduler.prepareAhead(500);
    if (rendered < 1000) await sleep(500);
  }
}

async function seed(database: Database, people: number, dueAt: Date): Promise<void> {
  const db = database.schema(schema).primary;
  const payload = JSON.stringify({
    patientDisplayName: 'Bench',
    medicationName: 'Aspirin',
    dose: 81,
    doseUnit: 'mg',
    instructions: '',
    localTime: '08:00',
    timeZone: 'UTC',
    locale: 'en',
  });
  for (let start = 0; start < people; start += 20_000) {
    const end = Math.min(people, start + 20_000);
    await sql`
      INSERT INTO notification.reminders
        (id, kind, recipient_user_id, patient_user_id, subject_id, fire_at, scheduled_at, payload, state, updated_at)
      SELECT 'bench_' || g, 'dose_due', u, u, 'med_' || g, ${dueAt}, ${dueAt}, ${payload}::jsonb, 'pending', now()
      FROM generate_series(${start + 1}::int, ${end}::int) g, LATERAL (SELECT gen_random_uuid() AS u, g AS k) x`.execute(
      db,
    );
  }
}

/** How many were in the inbox when, from polling: the lateness at which each share became visible. */
class Progress {
  readonly samples: { atMs: number; count: number }[] = [];
  add(atMs: number, count: number) {
    this.samples.push({ atMs, count });
  }
  /** Seconds after the due time at which at least `share` of `people` were seen. */
  at(share: number, people: number, dueAt: Date): string {
    const seen = this.samples.find((s) => s.count >= share * people);
    return seen ? `${((seen.atMs - dueAt.getTime()) / 1000).toFixed(2)} s` : 'never';
  }
}

async function report(
  database: Database,
  label: string,
  people: number,
  dueAt: Date,
  progress: { inbox: Progress; fired: Progress },
) {
  const db = database.schema(schema).primary;
  const { rows } = await sql<{ n: string; keys: string; p50: number; p99: number; max: number }>`
    SELECT count(*) AS n, count(DISTINCT (user_id, idempotency_key)) AS keys,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - ${dueAt}::timestamptz)) AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - ${dueAt}::timestamptz)) AS p99,
           max(extract(epoch FROM created_at - ${dueAt}::timestamptz)) AS max
    FROM notification.notifications WHERE idempotency_key LIKE 'reminder:bench_%'`.execute(db);
  const { rows: pending } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM notification.reminders WHERE id LIKE 'bench_%' AND state <> 'fired'`.execute(db);
  // The live event (to the person's open sockets) is enqueued when the reminder fires.
  // Written ahead, it waits in the outbox until the relay publishes it: the lateness is the
  // publish (published_at: the bus acknowledged it, the in-process bus once its handlers ran).
  const { rows: events } = await sql<{ n: string; p50: number; p99: number; max: number; unpublished: string }>`
    SELECT count(*) AS n, count(*) FILTER (WHERE published_at IS NULL) AS unpublished,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - ${dueAt}::timestamptz)) AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - ${dueAt}::timestamptz)) AS p99,
           max(extract(epoch FROM published_at - ${dueAt}::timestamptz)) AS max
    FROM notification.outbox WHERE event->>'type' = 'tend.notification.created'`.execute(db);
  const cpu = process.cpuUsage(cpuAtStart);
  const r = rows[0]!;
  console.log(
    `${label}: ${people} due at once → delivered ${r.n}, not fired ${pending[0]!.n}, duplicates ${Number(r.n) - Number(r.keys)}, ` +
      `live events ${events[0]!.n}, ${events[0]!.unpublished} unpublished (published p50 ${Number(events[0]!.p50).toFixed(2)} s, ` +
      `p99 ${Number(events[0]!.p99).toFixed(2)} s, max ${Number(events[0]!.max).toFixed(2)} s after the due time); inbox date (created_at) lateness p50 ${Number(r.p50).toFixed(2)} s, p99 ${Number(r.p99).toFixed(2)} s, ` +
      `max ${Number(r.max).toFixed(2)} s; seen in the inbox (polled every second): 50 % at ${progress.inbox.at(0.5, people, dueAt)}, ` +
      `99 % at ${progress.inbox.at(0.99, people, dueAt)}, all at ${progress.inbox.at(1, people, dueAt)}; ` +
      `seen fired: 50 % at ${progress.fired.at(0.5, people, dueAt)}, 99 % at ${progress.fired.at(0.99, people, dueAt)}, ` +
      `all at ${progress.fired.at(1, people, dueAt)}; benchmark process CPU since start ` +
      `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (PostgreSQL's: see the run's /usr/bin/time); load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
}

/** Written ahead by the due time, of `people`. */
async function preparedCount(database: Database): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM notification.reminders WHERE id LIKE 'bench_%' AND prepared IS NOT NULL`.execute(
    database.schema(schema).primary,
  );
  return Number(rows[0]!.n);
}

/** In the inbox now: written (committed) and dated now or before, as the inbox shows them. */
async function deliveredCount(database: Database): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM notification.notifications
    WHERE idempotency_key LIKE 'reminder:bench_%' AND created_at <= now()`.execute(database.schema(schema).primary);
  return Number(rows[0]!.n);
}

/** Fired (their live events enqueued), of the peak's reminders. */
async function firedCount(database: Database): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM notification.reminders WHERE id LIKE 'bench_%' AND state = 'fired'`.execute(
    database.schema(schema).primary,
  );
  return Number(rows[0]!.n);
}

/**
 * CPU seconds used so far by PostgreSQL's processes (the postmaster and its children, read from
 * /proc; a backend that has exited is no longer counted, the pool's and the relay's stay) and by
 * this process: the cost of a stretch of the run, whatever share of the cores it got.
 */
async function cpuSeconds(database: Database): Promise<{ postgres: number; node: number }> {
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(database.schema(schema).primary);
  const stat = async (pid: string) => (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const ticks = 100; // USER_HZ on Linux
  const postmaster = (await stat(String(rows[0]!.pid)))[1]!;
  let postgres = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const fields = await stat(pid).catch(() => undefined);
    // After "comm)": state, ppid, ..., utime (12th), stime (13th).
    if (fields && (pid === postmaster || fields[1] === postmaster))
      postgres += (Number(fields[11]) + Number(fields[12])) / ticks;
  }
  const { user, system } = process.cpuUsage();
  return { postgres, node: (user + system) / 1e6 };
}

/** Events published (acknowledged by the bus): the peak's live events, the only ones written. */
async function publishedCount(database: Database): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    SELECT count(*) AS n FROM notification.outbox WHERE published_at IS NOT NULL`.execute(
    database.schema(schema).primary,
  );
  return Number(rows[0]!.n);
}

/**
 * Waits for the due time, saying how many were written ahead by then; then polls the inbox and
 * the reminders until all are in the inbox and fired.
 */
async function watch(database: Database, people: number, dueAt: Date, onPublished?: (count: number) => void) {
  await sleep(dueAt.getTime() - Date.now() - 200);
  console.log(`written ahead by the due time: ${await preparedCount(database)} of ${people}`);
  const cpuAtDue = await cpuSeconds(database);
  let reported = false;
  const inbox = new Progress();
  const fired = new Progress();
  // Light polls (each is a count over the peak's rows): the lateness of the live events is read
  // from the outbox afterwards, not from these.
  for (;;) {
    const [count, firedNow, published] = await Promise.all([
      deliveredCount(database),
      firedCount(database),
      publishedCount(database),
    ]);
    inbox.add(Date.now(), count);
    fired.add(Date.now(), firedNow);
    onPublished?.(published);
    if (!reported && published >= people) {
      reported = true;
      const cpu = await cpuSeconds(database);
      console.log(
        `CPU from the due time to all published: PostgreSQL ${(cpu.postgres - cpuAtDue.postgres).toFixed(1)} s, ` +
          `this process ${(cpu.node - cpuAtDue.node).toFixed(1)} s (in the two-process run the relay is in a worker, not counted)`,
      );
    }
    if (count >= people && firedNow >= people && published >= people) return { inbox, fired };
    await sleep(1000);
  }
}

async function main(): Promise<void> {
  const people = Number(process.argv[2] ?? 100_000);
  const leadMs = Number(process.argv[3] ?? 90) * 1000;
  const dataDir = await mkdtemp(join(tmpdir(), 'tend-bench-notification-'));
  const database = createDatabase({ dataDir, embedded: { syncInit: false }, logger });
  await database.start();
  try {
    // 1. One process.
    const single = await dispatcherOn(database);
    let dueAt = new Date(Date.now() + leadMs);
    await seed(database, people, dueAt);
    let done = false;
    const loop = dispatchLoop(single.module, () => done);
    const progress = await watch(database, people, dueAt);
    done = true;
    await loop;
    await single.stop();
    await report(database, 'one process', people, dueAt, progress);

    // 2. Two processes, one SIGKILLed when about half are fired.
    await sql`TRUNCATE notification.reminders, notification.notifications, notification.deliveries, notification.outbox`.execute(
      database.schema(schema).primary,
    );
    // The workers start first (loading and migrating take seconds here); then the peak is seeded.
    const script = fileURLToPath(import.meta.url);
    const workers: ChildProcess[] = [0, 1].map(() =>
      fork(script, ['worker', database.primaryUrl], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }),
    );
    // The one whose outbox relay leads (publishes) is the one killed, halfway through the publishing.
    let leader: ChildProcess | undefined;
    for (const w of workers) w.on('message', (message) => message === 'leader' && (leader = w));
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    dueAt = new Date(Date.now() + leadMs);
    await seed(database, people, dueAt);
    let killedAt: number | undefined;
    const progress2 = await watch(database, people, dueAt, (count) => {
      if (killedAt === undefined && count >= people / 2) {
        const victim = leader ?? workers[0]!;
        victim.kill('SIGKILL');
        killedAt = count;
        console.log(`SIGKILLed the ${victim === leader ? 'publishing' : 'first'} process at ${count} published`);
      }
    });
    await report(
      database,
      `two processes, one SIGKILLed${killedAt === undefined ? ' (too late: all were published)' : ` at ${killedAt} published`}`,
      people,
      dueAt,
      progress2,
    );
    const survivor = workers.find((w) => w.exitCode === null && w.signalCode === null)!;
    const exited = new Promise((resolve) => survivor.once('exit', resolve));
    survivor.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
  } finally {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function worker(url: string): Promise<void> {
  const database = createDatabase({ url, logger });
  await database.start();
  const { module } = await dispatcherOn(database);
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  process.send?.('ready');
  const relay = module.parts?.find((part): part is OutboxRelay => part instanceof OutboxRelay);
  const lead = setInterval(() => {
    if (relay?.role === 'leader') {
      process.send?.('leader');
      clearInterval(lead);
    }
  }, 100);
  await dispatchLoop(module, () => stopping);
  process.exit(0);
}

if (process.argv[2] === 'worker') await worker(process.argv[3]!);
else await main();
