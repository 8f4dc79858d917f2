import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldViolationsOf } from '@tend/core';
import { Role } from '@tend/proto/tend/common/v1/common';
import { BucketSize } from '@tend/proto/tend/health/v1/analytics';
import {
  BloodPressureCategory as C,
  VitalInputSchema,
  VitalKind,
  VitalSource,
} from '@tend/proto/tend/health/v1/vitals';
import { databaseTargets, invalidArgumentViolations, requiredRedisUrl } from '@tend/testing';
import {
  adminCaller,
  testBreakGlassReason,
  insertTestUser,
  personCaller,
  serviceCaller,
  startHealthHarness,
  type HealthHarness,
} from '../testing/health-harness.js';
import { localMidnight } from './analytics.js';
import { vitalKinds } from './vital-kinds.js';
import { VitalPartitions, monthsAround, partitionOf } from './vital-partitions.js';
import { vitalOfRow, type VitalRow } from './vital-rows.js';
import { newestReading, summarizeVitals } from './vital-summary.js';

const bp = (systolic: number, diastolic: number, extra: MessageInitShape<typeof VitalInputSchema> = {}) =>
  create(VitalInputSchema, { kind: VitalKind.BLOOD_PRESSURE, systolic, diastolic, source: VitalSource.APP, ...extra });
const reading = (kind: VitalKind, value: number, extra: MessageInitShape<typeof VitalInputSchema> = {}) =>
  create(VitalInputSchema, { kind, value, source: VitalSource.APP, ...extra });
const at = (iso: string) => timestampFromDate(new Date(iso));

async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to fail');
}

const targets = databaseTargets().map((target) => ({
  ...target,
  redisUrl: target.kind === 'real' ? requiredRedisUrl() : undefined,
}));

describe.each(targets)('vitals on $kind PostgreSQL', (target) => {
  let h: HealthHarness;
  beforeAll(async () => {
    h = await startHealthHarness(target, { redisUrl: target.redisUrl });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const newPerson = (timeZone = 'UTC') => insertTestUser(h.context, { timeZone });
  /** The events waiting in the outbox about one person, with their topics. */
  const eventsOf = async (personId: string) => {
    const rows = await sql<{ topic: string; event: { type: string; data: Record<string, unknown> } }>`
      SELECT topic, event FROM ${sql.id(h.schema, 'outbox')} WHERE event->>'partitionkey' = ${personId}`.execute(
      h.context.db.primary,
    );
    return rows.rows;
  };
  const link = async (patientId: string, caregiverId: string, scopes: string[]) => {
    await h.context.db.primary
      .insertInto('caregiver_links')
      .values({ id: h.context.ids.uuid(), patient_id: patientId, caregiver_id: caregiverId, scopes })
      .execute();
  };

  it('records a blood pressure with its unit, LOINC code and category, and lists it at once', async () => {
    const ada = await newPerson();
    const caller = personCaller(ada);
    const { vital } = await h.client.recordVital({ caller, vital: bp(135, 85, { unit: 'mmHg' }) });
    expect(vital).toMatchObject({
      userId: ada,
      kind: VitalKind.BLOOD_PRESSURE,
      systolic: 135,
      diastolic: 85,
      unit: 'mm[Hg]',
      loinc: '85354-9',
      bpCategory: C.HYPERTENSION_STAGE_1,
      source: VitalSource.APP,
    });
    // Read-your-writes: the list right after the write includes it (replica or not).
    const listed = await h.client.listVitals({ caller });
    expect(listed.vitals.map((v) => v.id)).toEqual([vital!.id]);
    const got = await h.client.getVital({ caller, vitalId: vital!.id });
    expect(got.vital).toEqual(vital);
  });

  it('converts pounds to kilograms and mmol/L to mg/dL', async () => {
    const caller = personCaller(await newPerson());
    const weight = await h.client.recordVital({ caller, vital: reading(VitalKind.WEIGHT, 150, { unit: 'lb' }) });
    expect(weight.vital).toMatchObject({ value: 68.038856, unit: 'kg', loinc: '29463-7' });
    const glucose = await h.client.recordVital({ caller, vital: reading(VitalKind.GLUCOSE, 5.5, { unit: 'mmol/L' }) });
    expect(glucose.vital).toMatchObject({ value: 99.088, unit: 'mg/dL', loinc: '2339-0' });
  });

  it('rejects systolic 900 as InvalidArgument naming the field, and stores nothing', async () => {
    const caller = personCaller(await newPerson());
    const error = await rejection(h.client.recordVital({ caller, vital: bp(900, 80) }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(fieldViolationsOf(error)).toEqual([{ field: 'systolic', message: 'must be between 40 and 300 mm[Hg]' }]);
    expect((await h.client.listVitals({ caller })).vitals).toEqual([]);
  });

  it('a batch lands all or nothing', async () => {
    const caller = personCaller(await newPerson());
    const items = [
      bp(120, 80),
      reading(VitalKind.HEART_RATE, 70),
      reading(VitalKind.SPO2, 97),
      bp(900, 80),
      bp(118, 75),
    ];
    const error = await rejection(h.client.batchRecordVitals({ caller, vitals: items }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(fieldViolationsOf(error)[0]?.field).toBe('vitals[3].systolic');
    expect((await h.client.listVitals({ caller })).vitals).toEqual([]);

    items[3] = bp(130, 82);
    const { vitals } = await h.client.batchRecordVitals({ caller, vitals: items });
    expect(vitals.map((v) => v.kind)).toEqual(items.map((i) => i.kind));
    expect((await h.client.listVitals({ caller })).vitals).toHaveLength(5);

    expect((await rejection(h.client.batchRecordVitals({ caller, vitals: [] }))).code).toBe(Code.InvalidArgument);
  });

  it('holds each request to the contract’s field rules, naming the field by its JSON path, and stores nothing', async () => {
    const caller = personCaller(await newPerson());
    expect(
      await invalidArgumentViolations(
        h.client.recordVital({ caller, vital: reading(VitalKind.HEART_RATE, 70, { note: 'x'.repeat(1001) }) }),
      ),
    ).toEqual([{ field: 'vital.note', message: 'must be at most 1000 characters' }]);
    expect(await invalidArgumentViolations(h.client.recordVital({ caller, vital: { value: 70 } }))).toEqual([
      { field: 'vital.kind', message: 'value is required' },
    ]);
    expect(await invalidArgumentViolations(h.client.batchRecordVitals({ caller, vitals: [] }))).toEqual([
      { field: 'vitals', message: 'must contain at least 1 item(s)' },
    ]);
    expect(
      (
        await invalidArgumentViolations(
          h.client.batchRecordVitals({
            caller,
            vitals: [bp(120, 80), reading(VitalKind.SPO2, 97, { unit: '%'.repeat(17) })],
          }),
        )
      ).map((violation) => violation.field),
    ).toEqual(['vitals[1].unit']);
    expect(
      (await invalidArgumentViolations(h.client.listVitals({ caller, kind: 99 as VitalKind }))).map(
        (violation) => violation.field,
      ),
    ).toEqual(['kind']);
    expect(
      (
        await invalidArgumentViolations(
          h.client.getVitalSummary({ caller, kind: VitalKind.WEIGHT, bucketSize: 9 as BucketSize }),
        )
      ).map((violation) => violation.field),
    ).toEqual(['bucketSize']);
    expect((await h.client.listVitals({ caller })).vitals).toEqual([]);
  });

  it('a retry with the same idempotency key returns the first result and writes once', async () => {
    const caller = personCaller(await newPerson());
    const first = await h.client.recordVital({
      caller,
      vital: reading(VitalKind.HEART_RATE, 64),
      idempotencyKey: 'k1',
    });
    const again = await h.client.recordVital({
      caller,
      vital: reading(VitalKind.HEART_RATE, 64),
      idempotencyKey: 'k1',
    });
    expect(again.vital?.id).toBe(first.vital?.id);
    expect((await h.client.listVitals({ caller })).vitals).toHaveLength(1);
  });

  it('a key reused for another reading is a conflict, and records nothing', async () => {
    const caller = personCaller(await newPerson());
    await h.client.recordVital({ caller, vital: reading(VitalKind.HEART_RATE, 64), idempotencyKey: 'k1' });
    const other = await rejection(
      h.client.recordVital({ caller, vital: reading(VitalKind.SPO2, 50), idempotencyKey: 'k1' }),
    );
    expect(other.code).toBe(Code.AlreadyExists);
    expect((await h.client.listVitals({ caller })).vitals.map((v) => v.kind)).toEqual([VitalKind.HEART_RATE]);
  });

  it('a retry whose reading was deleted since is a conflict, not a failure, and does not record it again', async () => {
    const caller = personCaller(await newPerson());
    const { vital } = await h.client.recordVital({
      caller,
      vital: reading(VitalKind.SPO2, 50),
      idempotencyKey: 'low-spo2',
    });
    await h.client.deleteVital({ caller, vitalId: vital!.id });
    const retry = await rejection(
      h.client.recordVital({ caller, vital: reading(VitalKind.SPO2, 50), idempotencyKey: 'low-spo2' }),
    );
    expect(retry.code).toBe(Code.AlreadyExists);
    expect((await h.client.listVitals({ caller })).vitals).toEqual([]);
  });

  it('stores the note encrypted: the raw table holds no plaintext', async () => {
    const ada = await newPerson();
    const note = 'after climbing the stairs to Grandma';
    const { vital } = await h.client.recordVital({
      caller: personCaller(ada),
      vital: reading(VitalKind.HEART_RATE, 110, { note }),
    });
    expect(vital?.note).toBe(note);
    const raw = await sql<{
      row: string;
    }>`SELECT v::text AS row FROM ${sql.id(h.schema, 'vitals')} v WHERE id = ${vital!.id}`.execute(
      h.context.db.primary,
    );
    expect(raw.rows[0]?.row).toBeDefined();
    expect(raw.rows[0]?.row).not.toContain('Grandma');
    const outbox = await sql<{ event: string }>`SELECT event::text AS event FROM ${sql.id(h.schema, 'outbox')}`.execute(
      h.context.db.primary,
    );
    expect(outbox.rows.some((r) => r.event.includes(vital!.id))).toBe(true);
    expect(outbox.rows.some((r) => r.event.includes('Grandma'))).toBe(false);
  });

  it('a hypertensive-crisis reading raises an alert on the notification queue and analytics at once', async () => {
    const ada = await newPerson();
    const { vital } = await h.client.recordVital({ caller: personCaller(ada), vital: bp(185, 110) });
    expect(vital?.bpCategory).toBe(C.HYPERTENSIVE_CRISIS);
    expect(vital?.flags.map((f) => f.vitalId)).toEqual([vital!.id]);
    const alerts = (await eventsOf(ada)).filter((e) => e.event.type === 'tend.health.alert.raised');
    expect(alerts.map((r) => r.topic).sort()).toEqual(['analytics_events', 'notification_queue']);
    for (const alert of alerts) {
      expect(alert.event.data).toMatchObject({ reason: 'hypertensive_crisis', severity: 'urgent', vitalId: vital!.id });
    }
  });

  it('tells analytics what was measured and when, never the value; only the person’s live feed and the notifier get it', async () => {
    const ada = await newPerson();
    const { vital } = await h.client.recordVital({ caller: personCaller(ada), vital: bp(187, 123) });
    const events = await eventsOf(ada);
    const on = (topic: string, type: string) =>
      events.find((e) => e.topic === topic && e.event.type === `tend.health.${type}`)?.event;
    const analytics = events.filter((e) => e.topic === 'analytics_events');
    expect(analytics.map((e) => e.event.type).sort()).toEqual([
      'tend.health.alert.raised',
      'tend.health.vital.recorded',
    ]);
    for (const { event } of analytics) {
      expect(event.data).not.toHaveProperty('systolic');
      expect(event.data).not.toHaveProperty('diastolic');
      expect(event.data).not.toHaveProperty('value');
      // Ids and timestamps may contain the digits by chance; the values themselves must not appear anywhere.
      expect(leavesOf(event).filter((leaf) => String(leaf) === '187' || String(leaf) === '123')).toEqual([]);
    }
    expect(on('analytics_events', 'vital.recorded')?.data).toMatchObject({
      vitalId: vital!.id,
      kind: 'blood_pressure',
      measuredAt: expect.any(String),
    });
    expect(on('live_events', 'vital.recorded')?.data).toMatchObject({
      vitalId: vital!.id,
      systolic: 187,
      diastolic: 123,
    });
    expect(on('notification_queue', 'alert.raised')?.data).toMatchObject({ systolic: 187, diastolic: 123 });
    expect(on('live_events', 'alert.raised')).toBeUndefined();
  });

  it('another person reaches none of it (BOLA)', async () => {
    const ada = await newPerson();
    const eve = await newPerson();
    const { vital } = await h.client.recordVital({
      caller: personCaller(ada),
      vital: reading(VitalKind.HEART_RATE, 70),
    });
    const asEve = personCaller(eve);
    expect((await rejection(h.client.getVital({ caller: asEve, vitalId: vital!.id }))).code).toBe(Code.NotFound);
    expect((await rejection(h.client.deleteVital({ caller: asEve, vitalId: vital!.id }))).code).toBe(Code.NotFound);
    expect((await rejection(h.client.listVitals({ caller: asEve, userId: ada }))).code).toBe(Code.PermissionDenied);
    expect(
      (await rejection(h.client.recordVital({ caller: asEve, userId: ada, vital: reading(VitalKind.HEART_RATE, 70) })))
        .code,
    ).toBe(Code.PermissionDenied);
    expect(
      (await rejection(h.client.getVitalSummary({ caller: asEve, userId: ada, kind: VitalKind.HEART_RATE }))).code,
    ).toBe(Code.PermissionDenied);
    expect((await rejection(h.client.getWeeklySummary({ caller: asEve, userId: ada }))).code).toBe(
      Code.PermissionDenied,
    );
    expect((await rejection(h.client.getVital({ caller: asEve, vitalId: 'not-a-uuid' }))).code).toBe(Code.NotFound);
  });

  it('a caregiver reads and records within its scopes, audited, and cannot delete', async () => {
    const ada = await newPerson();
    const carl = await newPerson();
    const asCarl = personCaller(carl, Role.CAREGIVER);
    const { vital } = await h.client.recordVital({
      caller: personCaller(ada),
      vital: reading(VitalKind.HEART_RATE, 70),
    });
    expect((await rejection(h.client.getVital({ caller: asCarl, vitalId: vital!.id }))).code).toBe(Code.NotFound);
    await link(ada, carl, ['read_vitals']);
    expect((await h.client.getVital({ caller: asCarl, vitalId: vital!.id })).vital?.id).toBe(vital!.id);
    expect((await h.client.listVitals({ caller: asCarl, userId: ada })).vitals).toHaveLength(1);
    expect(
      (await rejection(h.client.recordVital({ caller: asCarl, userId: ada, vital: reading(VitalKind.HEART_RATE, 72) })))
        .code,
    ).toBe(Code.PermissionDenied);
    expect((await rejection(h.client.deleteVital({ caller: asCarl, vitalId: vital!.id }))).code).toBe(Code.NotFound);
    const audits = await h.context.db.primary
      .selectFrom('audit_events')
      .select(['actor_user_id', 'resource'])
      .where('subject_user_id', '=', ada)
      .execute();
    expect(audits.filter((a) => a.actor_user_id === carl && a.resource === 'vitals').length).toBeGreaterThanOrEqual(2);

    const dora = await newPerson();
    await link(ada, dora, ['record_vitals']);
    const byDora = await h.client.recordVital({
      caller: personCaller(dora, Role.CAREGIVER),
      userId: ada,
      vital: reading(VitalKind.HEART_RATE, 75, { source: VitalSource.DEVICE }),
    });
    expect(byDora.vital).toMatchObject({ userId: ada, source: VitalSource.CAREGIVER, recordedByUserId: dora });
  });

  it('the person and an admin delete; the reading is gone', async () => {
    const ada = await newPerson();
    const caller = personCaller(ada);
    const { vitals } = await h.client.batchRecordVitals({
      caller,
      vitals: [reading(VitalKind.STEPS, 100), reading(VitalKind.STEPS, 200)],
    });
    await h.client.deleteVital({ caller, vitalId: vitals[0]!.id });
    expect((await rejection(h.client.getVital({ caller, vitalId: vitals[0]!.id }))).code).toBe(Code.NotFound);
    await h.client.deleteVital({
      caller: adminCaller(await newPerson(), testBreakGlassReason),
      vitalId: vitals[1]!.id,
    });
    expect((await h.client.listVitals({ caller })).vitals).toEqual([]);
  });

  it('lists newest first with cursor pages and filters by kind and period', async () => {
    const caller = personCaller(await newPerson());
    const times = ['2026-01-01T08:00:00Z', '2026-01-02T08:00:00Z', '2026-01-03T08:00:00Z', '2026-01-04T08:00:00Z'];
    await h.client.batchRecordVitals({
      caller,
      vitals: [
        ...times.map((t, i) => reading(VitalKind.HEART_RATE, 60 + i, { measuredAt: at(t) })),
        reading(VitalKind.WEIGHT, 70, { measuredAt: at('2026-01-02T09:00:00Z') }),
      ],
    });
    const seen: number[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const res = await h.client.listVitals({ caller, kind: VitalKind.HEART_RATE, page: { limit: 3, cursor } });
      seen.push(...res.vitals.map((v) => v.value!));
      cursor = res.page?.nextCursor ?? '';
      pages++;
    } while (cursor);
    expect(seen).toEqual([63, 62, 61, 60]);
    expect(pages).toBe(2);
    const period = await h.client.listVitals({ caller, from: at(times[1]!), to: at(times[3]!) });
    expect(period.vitals.map((v) => v.value)).toEqual([62, 70, 61]);
    expect((await rejection(h.client.listVitals({ caller, page: { limit: 101 } }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(h.client.listVitals({ caller, page: { cursor: 'junk' } }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it('keeps month partitions ready ahead, and creates one for an old month on demand', async () => {
    await h.client.recordVital({ caller: personCaller(await newPerson()), vital: reading(VitalKind.SPO2, 98) });
    const partitions = async () =>
      (
        await sql<{ name: string }>`
          SELECT c.relname AS name FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
          JOIN pg_namespace n ON n.oid = p.relnamespace
          WHERE n.nspname = ${h.schema} AND p.relname = 'vitals'`.execute(h.context.db.primary)
      ).rows.map((r) => r.name);
    const expected = monthsAround(new Date(), -1, 3).map((m) => partitionOf(m).name);
    expect(await partitions()).toEqual(expect.arrayContaining(expected));

    // Two writers into a month with no partition yet, at the same time: both land, one partition.
    const [a, b] = [await newPerson(), await newPerson()];
    await Promise.all(
      [a, b].map((id) =>
        h.client.recordVital({
          caller: personCaller(id),
          vital: reading(VitalKind.SPO2, 97, { measuredAt: at('2019-05-10T10:00:00Z') }),
        }),
      ),
    );
    expect((await partitions()).filter((n) => n === 'vitals_2019_05')).toHaveLength(1);

    // As two service replicas would: separate partition keepers racing on one new month.
    const keepers = [0, 1, 2, 3].map(() => new VitalPartitions(h.context.db, h.context.clock));
    await Promise.all(keepers.map((k) => k.ensureFor([new Date('2018-07-15T00:00:00Z')])));
    expect((await partitions()).filter((n) => n === 'vitals_2018_07')).toHaveLength(1);
    expect((await h.client.listVitals({ caller: personCaller(a) })).vitals).toHaveLength(1);
  });

  it('summarises a period: stats, trend, category of the mean, buckets in the person’s zone', async () => {
    const ada = await newPerson('Europe/Berlin');
    const caller = personCaller(ada);
    await h.client.batchRecordVitals({
      caller,
      vitals: [
        bp(150, 95, { measuredAt: at('2026-03-28T07:00:00Z') }),
        bp(140, 90, { measuredAt: at('2026-03-29T22:30:00Z') }), // Monday 00:30 in Berlin
        bp(130, 85, { measuredAt: at('2026-03-31T07:00:00Z') }),
      ],
    });
    const { summary } = await h.client.getVitalSummary({
      caller,
      kind: VitalKind.BLOOD_PRESSURE,
      from: at('2026-03-27T23:00:00Z'),
      to: at('2026-04-01T22:00:00Z'),
    });
    expect(summary).toMatchObject({ count: 3, unit: 'mm[Hg]', bpCategory: C.HYPERTENSION_STAGE_2 });
    expect(summary?.systolic).toMatchObject({ min: 130, max: 150, mean: 140 });
    expect(summary?.trendPerWeek).toBeLessThan(0);
    expect(summary?.latest?.systolic).toBe(130);
    expect(summary?.buckets.map((b) => [b.startDate, b.count])).toEqual([
      ['2026-03-28', 1],
      ['2026-03-29', 0],
      ['2026-03-30', 1],
      ['2026-03-31', 1],
      ['2026-04-01', 0],
    ]);
    // Two stage-2 readings warn; the stage-1 one raises nothing.
    expect(summary?.flags).toHaveLength(2);

    await h.client.recordVital({
      caller,
      vital: reading(VitalKind.WEIGHT, 80, { measuredAt: at('2026-03-28T07:00:00Z') }),
    });
    await h.client.recordVital({
      caller,
      vital: reading(VitalKind.WEIGHT, 83, { measuredAt: at('2026-03-30T07:00:00Z') }),
    });
    const weight = await h.client.getVitalSummary({
      caller,
      kind: VitalKind.WEIGHT,
      unit: 'lb',
      from: at('2026-03-27T00:00:00Z'),
      to: at('2026-04-01T00:00:00Z'),
    });
    expect(weight.summary?.unit).toBe('lb');
    expect(weight.summary?.value?.max).toBeCloseTo(182.983, 2);
    expect(weight.summary?.flags.map((f) => f.reason)).toEqual([11]); // rapid weight change
    expect((await rejection(h.client.getVitalSummary({ caller, kind: VitalKind.WEIGHT, unit: 'mmol/L' }))).code).toBe(
      Code.InvalidArgument,
    );
    expect((await rejection(h.client.getVitalSummary({ caller }))).code).toBe(Code.InvalidArgument);
    // A period in year 20 has no local calendar days to bucket by: named, not an internal error.
    const ancient = await rejection(
      h.client.getVitalSummary({ caller, kind: VitalKind.WEIGHT, to: at('0020-02-29T00:00:00Z') }),
    );
    expect(ancient.code).toBe(Code.InvalidArgument);
    expect(ancient.rawMessage).toBe('to: must be in 1900 or later');
  });

  it('summarises many readings as it would from their whole rows, across a DST change', async () => {
    const zone = 'Europe/Berlin';
    const ada = await newPerson(zone);
    const caller = personCaller(ada);
    // Every 10 minutes (and a few milliseconds) from 25 March over the spring-forward change,
    // some with a note — the newest too, so `latest` must come from its whole row.
    const start = Date.parse('2026-03-25T00:00:00Z');
    const glucose = Array.from({ length: 1500 }, (_, i) =>
      reading(VitalKind.GLUCOSE, 50 + ((i * 37) % 230) + (i % 7) / 10, {
        measuredAt: timestampFromDate(new Date(start + i * 600_000 + (i % 3))),
        ...(i % 100 === 99 && { note: `sensor ${i}` }),
      }),
    );
    const pressures = [0, 1, 2].map((d) => bp(150 - d * 10, 95, { measuredAt: at(`2026-03-2${5 + d}T07:00:00Z`) }));
    for (const vitals of [glucose.slice(0, 1000), glucose.slice(1000), pressures]) {
      await h.client.batchRecordVitals({ caller, vitals });
    }
    const rows = await h.context.db.primary.selectFrom('vitals').selectAll().where('user_id', '=', ada).execute();
    /** The summary of whole rows, as the service computed it before reading values only. */
    const fromWholeRows = (
      kind: VitalKind,
      request: { from: Date; to: Date; bucketSize: BucketSize; unit: string },
    ) => {
      const spec = vitalKinds[kind as keyof typeof vitalKinds];
      const ofKind = rows.filter((row) => row.kind === spec.name && inPeriod(row, request.from, request.to));
      const newest = newestReading(ofKind);
      return summarizeVitals(
        ofKind,
        { ...request, spec, timeZone: zone, bucketSize: request.bucketSize as BucketSize.DAY | BucketSize.WEEK },
        newest && vitalOfRow(newest, h.context.cipher),
      );
    };

    const from = new Date('2026-03-24T23:00:00Z');
    const to = new Date(start + 1500 * 600_000);
    for (const [bucketSize, unit] of [
      [BucketSize.DAY, ''],
      [BucketSize.WEEK, 'mmol/L'],
    ] as const) {
      const { summary } = await h.client.getVitalSummary({
        caller,
        kind: VitalKind.GLUCOSE,
        from: timestampFromDate(from),
        to: timestampFromDate(to),
        bucketSize,
        unit,
      });
      expect(summary).toEqual(fromWholeRows(VitalKind.GLUCOSE, { from, to, bucketSize, unit }));
      expect(summary?.count).toBe(1500);
      expect(summary?.latest?.note).toBe('sensor 1499');
    }

    const weekly = await h.client.getWeeklySummary({ caller, startDate: '2026-03-23' });
    const week = { from: localMidnight('2026-03-23', zone), to: localMidnight('2026-03-30', zone) };
    expect(weekly.summary?.vitals).toEqual(
      [VitalKind.BLOOD_PRESSURE, VitalKind.GLUCOSE].map((kind) =>
        fromWholeRows(kind, { ...week, bucketSize: BucketSize.DAY, unit: '' }),
      ),
    );
  });

  it('gives a weekly summary in the person’s zone, per kind with daily buckets', async () => {
    const ada = await newPerson('Europe/Berlin');
    const caller = personCaller(ada);
    await h.client.batchRecordVitals({
      caller,
      vitals: [
        reading(VitalKind.HEART_RATE, 130, { measuredAt: at('2026-03-23T08:00:00Z') }),
        bp(120, 78, { measuredAt: at('2026-03-29T21:30:00Z') }), // Sunday 23:30 local: in the week
        bp(120, 78, { measuredAt: at('2026-03-29T22:30:00Z') }), // Monday 00:30 local: next week
      ],
    });
    const { summary } = await h.client.getWeeklySummary({ caller, startDate: '2026-03-23' });
    expect(summary).toMatchObject({ startDate: '2026-03-23', endDate: '2026-03-29', timeZone: 'Europe/Berlin' });
    expect(summary?.vitals.map((v) => [v.kind, v.count, v.buckets.length])).toEqual([
      [VitalKind.BLOOD_PRESSURE, 1, 7],
      [VitalKind.HEART_RATE, 1, 7],
    ]);
    expect(summary?.flags.map((f) => f.kind)).toEqual([VitalKind.HEART_RATE]);
    // Adherence over the same local week (no medications: nothing scheduled).
    expect(summary?.adherence?.from).toEqual(at('2026-03-22T23:00:00Z'));
    expect(summary?.adherence?.overall?.scheduled).toBe(0);
    const carl = await newPerson();
    await link(ada, carl, ['read_medications']);
    const limited = await h.client.getWeeklySummary({
      caller: personCaller(carl, Role.CAREGIVER),
      userId: ada,
      startDate: '2026-03-23',
    });
    expect(limited.summary?.vitals).toEqual([]);
    expect(limited.summary?.adherence).toBeDefined();
    const vitalsOnly = await newPerson();
    await link(ada, vitalsOnly, ['read_vitals']);
    const noAdherence = await h.client.getWeeklySummary({
      caller: personCaller(vitalsOnly, Role.CAREGIVER),
      userId: ada,
      startDate: '2026-03-23',
    });
    expect(noAdherence.summary?.vitals).toHaveLength(2);
    expect(noAdherence.summary?.adherence).toBeUndefined();
    expect((await rejection(h.client.getWeeklySummary({ caller, startDate: '2026-02-30' }))).code).toBe(
      Code.InvalidArgument,
    );
  });

  it('streams a person’s recorded and deleted readings live, to those who may read them', async () => {
    const ada = await newPerson();
    const caller = personCaller(ada);
    const abort = new AbortController();
    const stream = h.client.watchVitals({ caller, kinds: [VitalKind.HEART_RATE] }, { signal: abort.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    // Give the stream a moment to subscribe before writing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await h.client.recordVital({ caller, vital: reading(VitalKind.SPO2, 98) }); // filtered out
    const { vital } = await h.client.recordVital({ caller, vital: reading(VitalKind.HEART_RATE, 66) });
    expect((await first).value?.event).toEqual({ case: 'recorded', value: vital });
    await h.client.deleteVital({ caller, vitalId: vital!.id });
    expect((await iterator.next()).value?.event).toEqual({ case: 'deletedVitalId', value: vital!.id });
    abort.abort();

    const eve = await newPerson();
    const denied = h.client.watchVitals({ caller: personCaller(eve), userId: ada });
    expect((await rejection(denied[Symbol.asyncIterator]().next())).code).toBe(Code.PermissionDenied);
  });

  it('a caregiver’s stream ends when the link is revoked, before the next reading', async () => {
    const ada = await newPerson();
    const carl = await newPerson();
    await link(ada, carl, ['read_vitals']);
    const stream = h.client.watchVitals({ caller: personCaller(carl, Role.CAREGIVER), userId: ada });
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { vital } = await h.client.recordVital({
      caller: personCaller(ada),
      vital: reading(VitalKind.HEART_RATE, 70),
    });
    expect((await first).value?.event).toEqual({ case: 'recorded', value: vital });
    await h.context.db.primary
      .updateTable('caregiver_links')
      .set({ revoked_at: new Date() })
      .where('patient_id', '=', ada)
      .execute();
    const next = iterator.next();
    await h.client.recordVital({ caller: personCaller(ada), vital: reading(VitalKind.HEART_RATE, 71) });
    expect((await next).done).toBe(true);
  });

  it('answers NotFound for a person who does not exist', async () => {
    const error = await rejection(
      h.client.recordVital({
        caller: serviceCaller(),
        userId: h.context.ids.uuid(),
        vital: reading(VitalKind.HEART_RATE, 70),
      }),
    );
    expect(error.code).toBe(Code.NotFound);
  });
});

function inPeriod(row: VitalRow, from: Date, to: Date): boolean {
  return row.measured_at >= from && row.measured_at < to;
}

function leavesOf(value: unknown): unknown[] {
  if (value === null || typeof value !== 'object') return [value];
  return Object.values(value).flatMap(leavesOf);
}
