// A full reconcile at scale: N people, each with one medication taken daily at 08:00 in their
// zone, in the real health service on embedded PostgreSQL; the notification service's reconciler
// reads the whole 24 h window through the health contract (ListDueReminders, pages of 100 cut by
// medication, protobuf over Connect's router transport as in the test harness) and writes it
// into its `reminders` table. Timed: the first reconcile (every reminder new), then one with
// nothing changed (what the periodic safety-net reconcile costs), then one after 1 % of the
// schedules moved to 09:00. Between the first and the others, a targeted reconcile: one person's
// schedule changed among N (as a `medication.changed` event notes them), timed from the note to
// their reminders written, several times. With `targeted`, only the first reconcile and that.
//
//   npm run bench:reconcile -- [people=100000] [targeted]
import { loadavg } from 'node:os';
import { insertTestUser, personCaller } from '@tend/health/testing';
import { startNotificationHarness } from '@tend/notification/testing';
import { sql } from 'kysely';

const people = Number(process.argv[2] ?? 100_000);
const targetedOnly = process.argv[3] === 'targeted';
const targetedRuns = 7;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const harness = await startNotificationHarness({ kind: 'embedded' });
try {
  const health = harness.health;
  // One person and medication made through the service, then cloned in SQL: the clones differ in
  // their ids (and the e-mail's blind index); ListDueReminders reads no sealed field of either.
  const template = await insertTestUser(health.context, { timeZone: 'Europe/Berlin', displayName: 'Bench' });
  const { medication } = await health.client.createMedication({
    caller: personCaller(template),
    name: 'Aspirin',
    dose: 81,
    doseUnit: 'mg',
    schedule: { times: ['08:00'] },
  });
  const s = health.schema;
  const columns = async (table: string) =>
    (
      await sql<{ name: string }>`
        SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = ${s} AND table_name = ${table} ORDER BY ordinal_position`.execute(
        health.context.db.primary,
      )
    ).rows.map((r) => r.name);
  /**
   * INSERT … SELECT copying the template row of `table`, with `overrides` (SQL over clone c and
   * row t), 10,000 clones a statement (under the statement timeout on a loaded machine).
   */
  const cloneInto = async (table: string, where: string, overrides: Record<string, string>) => {
    const names = await columns(table);
    const values = names.map((n) => overrides[n] ?? `t.${n}`);
    for (let from = 2; from <= people; from += 10_000) {
      await sql
        .raw(
          `INSERT INTO ${s}.${table} (${names.join(', ')})
           SELECT ${values.join(', ')} FROM ${s}.bench_clones c, ${s}.${table} t
           WHERE ${where} AND c.g BETWEEN ${from} AND ${from + 9_999}`,
        )
        .execute(health.context.db.primary);
    }
  };
  const seedStarted = Date.now();
  await sql
    .raw(
      `CREATE TABLE ${s}.bench_clones AS
       SELECT g, gen_random_uuid() AS user_id, gen_random_uuid() AS medication_id
       FROM generate_series(2, ${people}) g`,
    )
    .execute(health.context.db.primary);
  await cloneInto('users', `t.id = '${template}'`, {
    id: 'c.user_id',
    email_hash: `sha256(convert_to('bench-' || c.g, 'UTF8'))`,
  });
  await cloneInto('medications', `t.id = '${medication!.id}'`, {
    id: 'c.medication_id',
    user_id: 'c.user_id',
    idempotency_key: 'NULL',
  });
  await cloneInto('medication_schedule_versions', `t.medication_id = '${medication!.id}'`, {
    medication_id: 'c.medication_id',
  });
  await sql
    .raw(`DROP TABLE ${s}.bench_clones; ANALYZE ${s}.medications, ${s}.users`)
    .execute(health.context.db.primary);
  console.log(`seeded ${people} people with a daily 08:00 dose in ${seconds(Date.now() - seedStarted)}`);

  const scheduler = harness.notification.module.scheduler;
  const timed = async (label: string) => {
    const started = Date.now();
    const result = await scheduler.reconcile();
    console.log(`${label}: ${seconds(Date.now() - started)}, ${JSON.stringify(result)}; load average ${load()}`);
  };
  await timed('first reconcile (all new)');
  // One person's schedule moves, through the API as an edit would, and is noted as the event's
  // consumer does; the targeted reconcile lists and writes only their window.
  const targetedMs: number[] = [];
  let lastTargeted: Awaited<ReturnType<typeof scheduler.reconcileChanged>>;
  for (let run = 0; run < targetedRuns; run += 1) {
    await health.client.updateMedication({
      caller: personCaller(template),
      medicationId: medication!.id,
      schedule: { times: [run % 2 === 0 ? '08:30' : '08:00'] },
    });
    const started = Date.now();
    await scheduler.noteChanged(template);
    const result = await scheduler.reconcileChanged();
    targetedMs.push(Date.now() - started);
    lastTargeted = result;
    if (result?.people !== 1) throw new Error(`targeted reconcile wrote ${JSON.stringify(result)}`);
  }
  const sorted = [...targetedMs].sort((a, b) => a - b);
  console.log(
    `one person's schedule changed among ${people}: targeted reconcile median ${sorted[targetedRuns >> 1]} ms, ` +
      `min ${sorted[0]} ms, max ${sorted[targetedRuns - 1]} ms over ${targetedRuns} runs, the last ${JSON.stringify(lastTargeted)}; load average ${load()}`,
  );
  if (!targetedOnly) {
    await timed('unchanged reconcile');
    // 1 % of the schedules move to 09:00, as edits through the API would leave them.
    await sql
      .raw(
        `UPDATE ${s}.medication_schedule_versions SET times = '{09:00}'
         WHERE medication_id IN (SELECT id FROM ${s}.medications ORDER BY id LIMIT ${Math.ceil(people / 100)})`,
      )
      .execute(health.context.db.primary);
    await timed('reconcile after 1 % of the schedules moved');
  }
} finally {
  await harness.stop();
}
