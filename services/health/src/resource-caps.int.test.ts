import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { VitalKind, VitalSource } from '@tend/proto/tend/health/v1/vitals';
import { databaseTargets } from '@tend/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTestUser, personCaller, startHealthHarness, type HealthHarness } from './testing/health-harness.js';

const day = 86_400_000;

/** The clock of the service, moved by the suite. */
const clock = { ms: Date.parse('2026-06-15T12:00:00Z'), now: () => new Date(clock.ms) };

async function refusal(promise: Promise<unknown>): Promise<{ code: Code; field: string | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const connect = ConnectError.from(error);
    return { code: connect.code, field: /^(\S+?):/.exec(connect.rawMessage)?.[1], message: connect.rawMessage };
  }
  throw new Error('expected the call to be refused');
}

describe.each(databaseTargets())('per-person resource caps on $kind PostgreSQL', (target) => {
  let h: HealthHarness;
  const limits = {
    vitalHistoryDays: 380,
    medicationsPerPerson: 3,
    scheduleVersionsPerMedication: 4,
    fhirExportMaxDays: 400,
    scheduledDosesPerRead: 100,
  };

  beforeAll(async () => {
    h = await startHealthHarness(target, { clock, limits });
  });
  afterAll(async () => h?.stop());

  const partitionNames = async () =>
    (
      await sql<{ relname: string }>`
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = ${h.schema} AND p.relname = 'vitals'`.execute(h.context.db.primary)
    ).rows.map((r) => r.relname);
  const heartRateAt = (at: Date) => ({
    kind: VitalKind.HEART_RATE,
    value: 70,
    measuredAt: timestampFromDate(at),
    source: VitalSource.APP,
    note: '',
  });

  it('refuses a reading dated before the history window, naming measured_at, and makes no partition for it', async () => {
    const ada = await insertTestUser(h.context, { displayName: 'Ada' });
    const before = await partitionNames();
    const old = await refusal(
      h.client.recordVital({ caller: personCaller(ada), vital: heartRateAt(new Date(clock.ms - 381 * day)) }),
    );
    expect(old).toMatchObject({ code: Code.InvalidArgument, field: 'measured_at' });
    expect(old.message).toContain('within the last 380 days');
    const ancient = await refusal(
      h.client.batchRecordVitals({
        caller: personCaller(ada),
        vitals: [heartRateAt(new Date(clock.ms - day)), heartRateAt(new Date('1901-03-01T00:00:00Z'))],
      }),
    );
    expect(ancient).toMatchObject({ code: Code.InvalidArgument, field: 'vitals[1].measured_at' });
    expect(await partitionNames()).toEqual(before);
    expect(before.some((name) => name.startsWith('vitals_1901'))).toBe(false);
    // Inside the window, an older month gets its partition on demand.
    await h.client.recordVital({ caller: personCaller(ada), vital: heartRateAt(new Date(clock.ms - 300 * day)) });
    expect(await partitionNames()).toContain('vitals_2025_08');
  });

  it('refuses a medication past the per-person cap, and counts only that person', async () => {
    const bo = await insertTestUser(h.context, { displayName: 'Bo', email: 'bo-caps@example.test' });
    const cy = await insertTestUser(h.context, { displayName: 'Cy', email: 'cy-caps@example.test' });
    const add = (person: string, name: string) =>
      h.client.createMedication({
        caller: personCaller(person),
        name,
        dose: 1,
        doseUnit: 'mg',
        startDate: '2026-06-01',
        schedule: { times: ['08:00'] },
      });
    for (const name of ['A', 'B', 'C']) await add(bo, name);
    const refused = await refusal(add(bo, 'D'));
    expect(refused).toMatchObject({ code: Code.InvalidArgument, field: 'medication' });
    expect(refused.message).toContain('at most 3 medications');
    await expect(add(cy, 'A')).resolves.toBeDefined();
    const { medications } = await h.client.listMedications({ caller: personCaller(bo) });
    expect(medications.map((m) => m.name)).toEqual(['A', 'B', 'C']);
  });

  it('refuses a schedule change past the cap of schedule versions, and keeps the schedule it had', async () => {
    const di = await insertTestUser(h.context, { displayName: 'Di', email: 'di-caps@example.test' });
    const { medication } = await h.client.createMedication({
      caller: personCaller(di),
      name: 'Aspirin',
      dose: 100,
      doseUnit: 'mg',
      startDate: '2026-06-01',
      schedule: { times: ['08:00'] },
    });
    const change = (time: string) => {
      clock.ms += 60_000;
      return h.client.updateMedication({
        caller: personCaller(di),
        medicationId: medication!.id,
        schedule: { times: [time] },
      });
    };
    for (const time of ['09:00', '10:00', '11:00']) await change(time);
    const refused = await refusal(change('12:00'));
    expect(refused).toMatchObject({ code: Code.InvalidArgument, field: 'schedule' });
    const { medications } = await h.client.listMedications({ caller: personCaller(di) });
    expect(medications[0]?.schedule?.times).toEqual(['11:00']);
    // A change that leaves the schedule alone is still allowed.
    await expect(
      h.client.updateMedication({ caller: personCaller(di), medicationId: medication!.id, name: 'Aspirin 100' }),
    ).resolves.toBeDefined();
  });

  it('refuses, naming to, a dose list that would expand more scheduled doses than one read may hold', async () => {
    const fe = await insertTestUser(h.context, { displayName: 'Fe', email: 'fe-caps@example.test' });
    await h.client.createMedication({
      caller: personCaller(fe),
      name: 'Hourly',
      dose: 1,
      doseUnit: 'mg',
      startDate: '2026-06-01',
      schedule: { times: Array.from({ length: 24 }, (_, hour) => `${String(hour).padStart(2, '0')}:00`) },
    });
    const period = (days: number) => ({
      caller: personCaller(fe),
      from: timestampFromDate(new Date(clock.ms)),
      to: timestampFromDate(new Date(clock.ms + days * day)),
    });
    expect((await h.client.listScheduledDoses(period(4))).doses).toHaveLength(96);
    const refused = await refusal(h.client.listScheduledDoses(period(5)));
    expect(refused).toMatchObject({ code: Code.InvalidArgument, field: 'to' });
    expect(refused.message).toContain('more than 100 scheduled doses');
  });

  it('exports the last 366 days when no period is given, and refuses a period over the maximum', async () => {
    const ed = await insertTestUser(h.context, { displayName: 'Ed', email: 'ed-caps@example.test' });
    await h.client.recordVital({ caller: personCaller(ed), vital: heartRateAt(new Date(clock.ms - day)) });
    // Older than the default period but inside the history window: stored, not exported by default.
    await h.client.recordVital({ caller: personCaller(ed), vital: heartRateAt(new Date(clock.ms - 370 * day)) });
    const { bundleJson } = await h.client.exportFhir({ caller: personCaller(ed) });
    const bundle = JSON.parse(bundleJson) as {
      meta: { tag: { display: string }[] };
      entry: { resource: { resourceType: string } }[];
    };
    const [from, to] = bundle.meta.tag[0]!.display.split('/').map((at) => Date.parse(at)) as [number, number];
    expect(to - from).toBe(366 * day);
    expect(bundle.entry.filter((e) => e.resource.resourceType === 'Observation')).toHaveLength(1);
    const refused = await refusal(
      h.client.exportFhir({
        caller: personCaller(ed),
        from: timestampFromDate(new Date(clock.ms - 401 * day)),
        to: timestampFromDate(new Date(clock.ms)),
      }),
    );
    expect(refused).toMatchObject({ code: Code.InvalidArgument, field: 'from' });
    expect(refused.message).toContain('at most 400 days');
  });
});
