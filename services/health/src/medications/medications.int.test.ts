import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { fieldViolationsOf } from '@tend/core';
import type { Caller } from '@tend/proto/tend/common/v1/common';
import { Role } from '@tend/proto/tend/common/v1/common';
import { DoseSource, DoseStatus } from '@tend/proto/tend/health/v1/doses';
import { type DayOfWeek, MedicationForm, type Medication } from '@tend/proto/tend/health/v1/medications';
import { ReminderKind } from '@tend/proto/tend/health/v1/reminders';
import { databaseTargets, requiredRedisUrl, type DatabaseTarget } from '@tend/testing';
import { sql } from 'kysely';
import type { CaregiverScopeName } from '../access/access-control.js';
import {
  adminCaller,
  testBreakGlassReason,
  insertTestUser,
  personCaller,
  serviceCaller,
  startHealthHarness,
  type HealthHarness,
} from '../testing/health-harness.js';

/** A clock the suite moves by hand. */
class TestClock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('expected the call to fail');
}

function ts(iso: string) {
  return timestampFromDate(new Date(iso));
}

function iso(timestamp: Parameters<typeof timestampDate>[0] | undefined): string | undefined {
  return timestamp ? timestampDate(timestamp).toISOString() : undefined;
}

const setups: { name: string; target: DatabaseTarget; redisUrl?: string }[] = databaseTargets().flatMap((target) => {
  const redisUrl = target.kind === 'real' ? requiredRedisUrl() : undefined;
  return [
    { name: `${target.kind} PostgreSQL, in-memory cache`, target },
    ...(redisUrl ? [{ name: `${target.kind} PostgreSQL, Redis`, target, redisUrl }] : []),
  ];
});

describe.each(setups)('medications on $name', ({ target, redisUrl }) => {
  let harness: HealthHarness;
  const clock = new TestClock(Date.parse('2026-03-10T15:00:00Z'));

  beforeAll(async () => {
    harness = await startHealthHarness(target, { redisUrl, clock });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  async function person(timeZone = 'America/New_York'): Promise<{ id: string; caller: Caller }> {
    const id = await insertTestUser(harness.context, { timeZone });
    return { id, caller: personCaller(id) };
  }

  async function link(patientId: string, caregiverId: string, scopes: CaregiverScopeName[]): Promise<void> {
    await harness.context.db.primary
      .insertInto('caregiver_links')
      .values({ id: harness.context.ids.uuid(), patient_id: patientId, caregiver_id: caregiverId, scopes })
      .execute();
  }

  async function metformin(caller: Caller, overrides: Record<string, unknown> = {}): Promise<Medication> {
    const { medication } = await harness.client.createMedication({
      caller,
      name: 'Metformin',
      rxnormCode: '860975',
      dose: 500,
      doseUnit: 'mg',
      form: MedicationForm.TABLET,
      instructions: 'with food',
      startDate: '2026-03-01',
      schedule: { times: ['08:00', '20:00'] },
      ...overrides,
    });
    if (!medication) throw new Error('no medication');
    return medication;
  }

  describe('CreateMedication / GetMedication / ListMedications', () => {
    it('creates an active medication the person then reads back, instructions encrypted at rest', async () => {
      clock.set('2026-03-10T15:00:00Z');
      const ada = await person();
      const created = await metformin(ada.caller);
      expect(created).toMatchObject({
        userId: ada.id,
        name: 'Metformin',
        dose: 500,
        doseUnit: 'mg',
        instructions: 'with food',
        active: true,
        startDate: '2026-03-01',
        endDate: '',
      });
      expect(created.schedule?.times).toEqual(['08:00', '20:00']);
      const { medication } = await harness.client.getMedication({ caller: ada.caller, medicationId: created.id });
      expect(medication?.name).toBe('Metformin');
      const row = await harness.context.db.primary
        .selectFrom('medications')
        .select('instructions_encrypted')
        .where('id', '=', created.id)
        .executeTakeFirstOrThrow();
      expect(row.instructions_encrypted).not.toContain('food');
      const events = await sql<{ type: string }>`SELECT event->>'type' AS type FROM ${sql.id(harness.schema, 'outbox')}
        WHERE partition_key = ${ada.id}`.execute(harness.context.db.primary);
      expect(events.rows.map((r) => r.type)).toContain('tend.health.medication.changed');
      const payload = await sql<{ event: unknown }>`SELECT event FROM ${sql.id(harness.schema, 'outbox')}
        WHERE partition_key = ${ada.id}`.execute(harness.context.db.primary);
      expect(JSON.stringify(payload.rows)).not.toContain('with food');
    });

    it('defaults the start date to today in the person’s zone', async () => {
      clock.set('2026-03-10T03:00:00Z'); // 2026-03-09 22:00 in New York
      const ada = await person();
      const created = await metformin(ada.caller, { startDate: '' });
      expect(created.startDate).toBe('2026-03-09');
    });

    it('rejects bad input naming every field, and writes nothing', async () => {
      const ada = await person();
      const error = await rejection(
        harness.client.createMedication({
          caller: ada.caller,
          name: '',
          rxnormCode: 'abc',
          dose: 0,
          doseUnit: 'kg',
          startDate: '2026-03-10',
          endDate: '2026-03-01',
          schedule: { times: ['25:00', '08:00', '08:00'], days: [8 as DayOfWeek] },
        }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      // The contract's field rules are checked first, each field by its JSON path...
      expect(fieldViolationsOf(error).map((violation) => violation.field)).toEqual([
        'name',
        'rxnormCode',
        'dose',
        'doseUnit',
        'schedule.times[0]',
        'schedule.days[0]',
      ]);
      // ...then what spans fields: dates in order, no time twice.
      const crossed = await rejection(
        harness.client.createMedication({
          caller: ada.caller,
          name: 'Metformin',
          dose: 500,
          doseUnit: 'mg',
          startDate: '2026-03-10',
          endDate: '2026-03-01',
          schedule: { times: ['20:00', '08:00', '08:00'] },
        }),
      );
      expect(crossed.code).toBe(Code.InvalidArgument);
      for (const field of ['end_date', 'schedule.times[2]']) expect(crossed.message).toContain(field);
      const asNeeded = await rejection(
        harness.client.createMedication({
          caller: ada.caller,
          name: 'Salbutamol',
          dose: 1,
          doseUnit: 'puff',
          schedule: { times: ['08:00'], asNeeded: true },
        }),
      );
      expect(asNeeded.code).toBe(Code.InvalidArgument);
      expect(asNeeded.message).toContain('schedule.times');
      const noSchedule = await rejection(
        harness.client.createMedication({ caller: ada.caller, name: 'X', dose: 1, doseUnit: 'mg' }),
      );
      expect(noSchedule.message).toContain('schedule');
      const { medications } = await harness.client.listMedications({ caller: ada.caller });
      expect(medications).toEqual([]);
    });

    it('returns the first medication for a repeated idempotency key', async () => {
      const ada = await person();
      const first = await metformin(ada.caller, { idempotencyKey: 'k-1' });
      const second = await metformin(ada.caller, { idempotencyKey: 'k-1' });
      expect(second.id).toBe(first.id);
      const [racedA, racedB] = await Promise.all([
        metformin(ada.caller, { idempotencyKey: 'k-race' }),
        metformin(ada.caller, { idempotencyKey: 'k-race' }),
      ]);
      expect(racedB.id).toBe(racedA.id);
      const other = await metformin(ada.caller, { idempotencyKey: 'k-2' });
      expect(other.id).not.toBe(first.id);
      const { medications } = await harness.client.listMedications({ caller: ada.caller });
      expect(medications).toHaveLength(3);
    });

    it('lists by name with filters and cursor pages', async () => {
      const ada = await person();
      for (const name of ['Lisinopril', 'atorvastatin', 'Metformin', 'Aspirin']) await metformin(ada.caller, { name });
      const stopped = await metformin(ada.caller, { name: 'Warfarin' });
      await harness.client.updateMedication({ caller: ada.caller, medicationId: stopped.id, active: false });
      const names: string[] = [];
      let cursor = '';
      do {
        const page = await harness.client.listMedications({ caller: ada.caller, page: { limit: 2, cursor } });
        names.push(...page.medications.map((m) => m.name));
        cursor = page.page?.nextCursor ?? '';
      } while (cursor);
      expect(names).toEqual(['Aspirin', 'atorvastatin', 'Lisinopril', 'Metformin', 'Warfarin']);
      const active = await harness.client.listMedications({ caller: ada.caller, active: true, nameContains: 'IN' });
      expect(active.medications.map((m) => m.name)).toEqual(['Aspirin', 'atorvastatin', 'Lisinopril', 'Metformin']);
      const inactive = await harness.client.listMedications({ caller: ada.caller, active: false });
      expect(inactive.medications.map((m) => m.name)).toEqual(['Warfarin']);
      const tooMany = await rejection(harness.client.listMedications({ caller: ada.caller, page: { limit: 101 } }));
      expect(tooMany.code).toBe(Code.InvalidArgument);
      expect(tooMany.message).toContain('page.limit');
    });

    it('keeps another person’s medications out of reach (BOLA)', async () => {
      const ada = await person();
      const eve = await person();
      const medication = await metformin(ada.caller);
      expect(
        (await rejection(harness.client.getMedication({ caller: eve.caller, medicationId: medication.id }))).code,
      ).toBe(Code.NotFound);
      expect((await rejection(harness.client.listMedications({ caller: eve.caller, userId: ada.id }))).code).toBe(
        Code.PermissionDenied,
      );
      expect(
        (
          await rejection(
            harness.client.updateMedication({ caller: eve.caller, medicationId: medication.id, name: 'x' }),
          )
        ).code,
      ).toBe(Code.NotFound);
      expect(
        (await rejection(harness.client.deleteMedication({ caller: eve.caller, medicationId: medication.id }))).code,
      ).toBe(Code.NotFound);
      expect(
        (
          await rejection(
            harness.client.createMedication({
              caller: eve.caller,
              userId: ada.id,
              name: 'x',
              dose: 1,
              doseUnit: 'mg',
              schedule: { times: ['08:00'] },
            }),
          )
        ).code,
      ).toBe(Code.PermissionDenied);
      expect(
        (await harness.client.getMedication({ caller: ada.caller, medicationId: medication.id })).medication?.name,
      ).toBe('Metformin');
      const malformed = await rejection(
        harness.client.getMedication({ caller: ada.caller, medicationId: 'not-an-id' }),
      );
      expect(malformed.code).toBe(Code.NotFound);
    });

    it('lets a caregiver with read_medications read but not change, and an admin do both', async () => {
      const ada = await person();
      const carer = await person();
      const admin = await insertTestUser(harness.context, { role: 'admin' });
      await link(ada.id, carer.id, ['read_medications']);
      const caregiver = personCaller(carer.id, Role.CAREGIVER);
      const medication = await metformin(ada.caller);
      const read = await harness.client.listMedications({ caller: caregiver, userId: ada.id });
      expect(read.medications.map((m) => m.id)).toEqual([medication.id]);
      expect(
        (
          await rejection(
            harness.client.updateMedication({ caller: caregiver, medicationId: medication.id, name: 'x' }),
          )
        ).code,
      ).toBe(Code.PermissionDenied);
      expect(
        (
          await rejection(
            harness.client.createMedication({
              caller: caregiver,
              userId: ada.id,
              name: 'x',
              dose: 1,
              doseUnit: 'mg',
              schedule: { times: ['08:00'] },
            }),
          )
        ).code,
      ).toBe(Code.PermissionDenied);
      const updated = await harness.client.updateMedication({
        caller: adminCaller(admin, testBreakGlassReason),
        medicationId: medication.id,
        dose: 850,
      });
      expect(updated.medication?.dose).toBe(850);
    });
  });

  describe('UpdateMedication / DeleteMedication', () => {
    it('a read after each write never returns the cached old value', async () => {
      clock.set('2026-03-10T15:00:00Z');
      const ada = await person();
      const medication = await metformin(ada.caller);
      await harness.client.listMedications({ caller: ada.caller });
      await harness.client.getMedication({ caller: ada.caller, medicationId: medication.id });
      await harness.client.updateMedication({
        caller: ada.caller,
        medicationId: medication.id,
        name: 'Glucophage',
        instructions: '',
      });
      expect((await harness.client.listMedications({ caller: ada.caller })).medications.map((m) => m.name)).toEqual([
        'Glucophage',
      ]);
      const got = await harness.client.getMedication({ caller: ada.caller, medicationId: medication.id });
      expect(got.medication).toMatchObject({ name: 'Glucophage', instructions: '' });
      await harness.client.deleteMedication({ caller: ada.caller, medicationId: medication.id });
      expect((await harness.client.listMedications({ caller: ada.caller })).medications).toEqual([]);
      expect(
        (await rejection(harness.client.getMedication({ caller: ada.caller, medicationId: medication.id }))).code,
      ).toBe(Code.NotFound);
    });

    it('validates partial updates by field and leaves the medication unchanged', async () => {
      const ada = await person();
      const medication = await metformin(ada.caller);
      const error = await rejection(
        harness.client.updateMedication({
          caller: ada.caller,
          medicationId: medication.id,
          dose: -1,
          endDate: '2026-02-01',
        }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(fieldViolationsOf(error).map((violation) => violation.field)).toEqual(['dose']);
      const early = await rejection(
        harness.client.updateMedication({ caller: ada.caller, medicationId: medication.id, endDate: '2026-02-01' }),
      );
      expect(early.code).toBe(Code.InvalidArgument);
      expect(early.message).toContain('end_date');
      const after = await harness.client.getMedication({ caller: ada.caller, medicationId: medication.id });
      expect(after.medication).toMatchObject({ dose: 500, endDate: '' });
    });

    it('a schedule change applies from now: past doses keep their schedule', async () => {
      clock.set('2026-03-10T15:00:00Z');
      const ada = await person();
      const medication = await metformin(ada.caller, { schedule: { times: ['08:00'] } });
      await harness.client.updateMedication({
        caller: ada.caller,
        medicationId: medication.id,
        schedule: { times: ['09:00', '21:00'] },
      });
      const { doses } = await harness.client.listScheduledDoses({
        caller: ada.caller,
        from: ts('2026-03-09T05:00:00Z'),
        to: ts('2026-03-12T04:00:00Z'),
      });
      expect(doses.map((d) => `${d.localDate} ${d.localTime}`)).toEqual([
        '2026-03-09 08:00',
        '2026-03-10 08:00',
        '2026-03-10 21:00',
        '2026-03-11 09:00',
        '2026-03-11 21:00',
      ]);
    });

    it('a write that fails part-way leaves nothing behind', async () => {
      const ada = await person();
      const events = harness.context.events;
      const original = events.emit.bind(events);
      events.emit = () => Promise.reject(new Error('outbox down'));
      try {
        const error = await rejection(metformin(ada.caller));
        expect(error.code).toBe(Code.Internal);
      } finally {
        events.emit = original;
      }
      expect((await harness.client.listMedications({ caller: ada.caller })).medications).toEqual([]);
      const versions = await harness.context.db.primary
        .selectFrom('medication_schedule_versions')
        .innerJoin('medications', 'medications.id', 'medication_schedule_versions.medication_id')
        .select('medications.id')
        .where('medications.user_id', '=', ada.id)
        .execute();
      expect(versions).toEqual([]);
    });
  });

  describe('ListScheduledDoses', () => {
    it('keeps 08:00 at 08:00 local across spring forward, with derived statuses', async () => {
      clock.set('2026-03-10T12:30:00Z'); // 08:30 EDT on the 10th
      const ada = await person('America/New_York');
      await metformin(ada.caller, { schedule: { times: ['08:00'] } });
      const { doses } = await harness.client.listScheduledDoses({
        caller: ada.caller,
        from: ts('2026-03-07T00:00:00Z'),
        to: ts('2026-03-11T00:00:00Z'),
      });
      expect(doses.map((d) => [d.localDate, d.localTime, iso(d.scheduledAt), d.status])).toEqual([
        ['2026-03-07', '08:00', '2026-03-07T13:00:00.000Z', DoseStatus.MISSED],
        ['2026-03-08', '08:00', '2026-03-08T12:00:00.000Z', DoseStatus.MISSED],
        ['2026-03-09', '08:00', '2026-03-09T12:00:00.000Z', DoseStatus.MISSED],
        ['2026-03-10', '08:00', '2026-03-10T12:00:00.000Z', DoseStatus.PENDING],
      ]);
      expect(doses[0]).toMatchObject({
        medicationName: 'Metformin',
        dose: 500,
        doseUnit: 'mg',
        instructions: 'with food',
      });
      const pending = await harness.client.listScheduledDoses({
        caller: ada.caller,
        from: ts('2026-03-07T00:00:00Z'),
        to: ts('2026-03-11T00:00:00Z'),
        statuses: [DoseStatus.PENDING],
      });
      expect(pending.doses).toHaveLength(1);
    });

    it('keeps 08:00 local in Berlin across fall back', async () => {
      clock.set('2026-10-28T12:00:00Z');
      const bea = await person('Europe/Berlin');
      await metformin(bea.caller, { startDate: '2026-10-20', schedule: { times: ['08:00'] } });
      const { doses } = await harness.client.listScheduledDoses({
        caller: bea.caller,
        from: ts('2026-10-24T00:00:00Z'),
        to: ts('2026-10-27T00:00:00Z'),
      });
      expect(doses.map((d) => iso(d.scheduledAt))).toEqual([
        '2026-10-24T06:00:00.000Z',
        '2026-10-25T07:00:00.000Z',
        '2026-10-26T07:00:00.000Z',
      ]);
    });

    it('refuses a period over 93 days, naming the field, and another person’s doses', async () => {
      const ada = await person();
      const eve = await person();
      const error = await rejection(
        harness.client.listScheduledDoses({
          caller: ada.caller,
          from: ts('2026-01-01T00:00:00Z'),
          to: ts('2026-06-01T00:00:00Z'),
        }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.message).toContain('to');
      expect((await rejection(harness.client.listScheduledDoses({ caller: eve.caller, userId: ada.id }))).code).toBe(
        Code.PermissionDenied,
      );
    });
  });

  describe('LogDose / ListDoseLog / DeleteDoseLogEntry', () => {
    it('matches a log without scheduled_at to the nearest unlogged dose, and a retry with the key returns the first entry', async () => {
      clock.set('2026-03-10T13:10:00Z'); // 09:10 EDT
      const ada = await person();
      const medication = await metformin(ada.caller);
      const first = await harness.client.logDose({
        caller: ada.caller,
        medicationId: medication.id,
        status: DoseStatus.TAKEN,
        source: DoseSource.VOICE,
        note: 'felt dizzy',
        idempotencyKey: 'log-1',
      });
      expect(iso(first.entry?.scheduledAt)).toBe('2026-03-10T12:00:00.000Z');
      expect(first.entry).toMatchObject({
        status: DoseStatus.TAKEN,
        source: DoseSource.VOICE,
        note: 'felt dizzy',
        medicationName: 'Metformin',
      });
      expect(first.scheduledDose).toMatchObject({ status: DoseStatus.TAKEN, localTime: '08:00' });
      const retry = await harness.client.logDose({
        caller: ada.caller,
        medicationId: medication.id,
        status: DoseStatus.TAKEN,
        idempotencyKey: 'log-1',
      });
      expect(retry.entry?.id).toBe(first.entry?.id);
      const raw = await harness.context.db.primary
        .selectFrom('dose_log')
        .select('note_encrypted')
        .where('user_id', '=', ada.id)
        .execute();
      expect(raw).toHaveLength(1);
      expect(raw[0]?.note_encrypted).not.toContain('dizzy');
      // The 08:00 dose is taken, so the next log near it goes to the nearest other dose (yesterday 20:00 is out of window).
      const failed = await rejection(
        harness.client.logDose({ caller: ada.caller, medicationId: medication.id, status: DoseStatus.SKIPPED }),
      );
      expect(failed.code).toBe(Code.FailedPrecondition);
      const extra = await harness.client.logDose({
        caller: ada.caller,
        medicationId: medication.id,
        status: DoseStatus.TAKEN,
      });
      expect(extra.entry?.scheduledAt).toBeUndefined();
      expect(extra.scheduledDose).toBeUndefined();
    });

    it('logging a dose again replaces its entry; an off-schedule time or a future time is rejected by field', async () => {
      clock.set('2026-03-10T15:00:00Z');
      const ada = await person();
      const medication = await metformin(ada.caller);
      const scheduledAt = ts('2026-03-09T12:00:00Z');
      await harness.client.logDose({
        caller: ada.caller,
        medicationId: medication.id,
        status: DoseStatus.SKIPPED,
        scheduledAt,
      });
      const again = await harness.client.logDose({
        caller: ada.caller,
        medicationId: medication.id,
        status: DoseStatus.TAKEN,
        scheduledAt,
      });
      expect(again.scheduledDose?.status).toBe(DoseStatus.TAKEN);
      const log = await harness.client.listDoseLog({ caller: ada.caller });
      expect(log.entries).toHaveLength(1);
      const off = await rejection(
        harness.client.logDose({
          caller: ada.caller,
          medicationId: medication.id,
          status: DoseStatus.TAKEN,
          scheduledAt: ts('2026-03-09T12:05:00Z'),
        }),
      );
      expect(off.code).toBe(Code.InvalidArgument);
      expect(off.message).toContain('scheduled_at');
      const future = await rejection(
        harness.client.logDose({
          caller: ada.caller,
          medicationId: medication.id,
          status: DoseStatus.TAKEN,
          occurredAt: ts('2026-03-11T00:00:00Z'),
        }),
      );
      expect(future.message).toContain('occurred_at');
      const pending = await rejection(
        harness.client.logDose({ caller: ada.caller, medicationId: medication.id, status: DoseStatus.PENDING }),
      );
      expect(pending.code).toBe(Code.InvalidArgument);
      expect(pending.message).toContain('status');
    });

    it('a caregiver needs log_doses, and their entries carry the caregiver source', async () => {
      clock.set('2026-03-10T13:00:00Z');
      const ada = await person();
      const reader = await person();
      const helper = await person();
      const stranger = await person();
      await link(ada.id, reader.id, ['read_medications']);
      await link(ada.id, helper.id, ['read_medications', 'log_doses']);
      const medication = await metformin(ada.caller);
      const asReader = personCaller(reader.id, Role.CAREGIVER);
      const asHelper = personCaller(helper.id, Role.CAREGIVER);
      expect(
        (
          await rejection(
            harness.client.logDose({ caller: asReader, medicationId: medication.id, status: DoseStatus.TAKEN }),
          )
        ).code,
      ).toBe(Code.PermissionDenied);
      expect(
        (
          await rejection(
            harness.client.logDose({ caller: stranger.caller, medicationId: medication.id, status: DoseStatus.TAKEN }),
          )
        ).code,
      ).toBe(Code.NotFound);
      const logged = await harness.client.logDose({
        caller: asHelper,
        medicationId: medication.id,
        status: DoseStatus.TAKEN,
        source: DoseSource.APP,
      });
      expect(logged.entry).toMatchObject({ source: DoseSource.CAREGIVER, recordedByUserId: helper.id, userId: ada.id });
      expect(
        (
          await rejection(
            harness.client.deleteDoseLogEntry({ caller: stranger.caller, entryId: logged.entry?.id ?? '' }),
          )
        ).code,
      ).toBe(Code.NotFound);
    });

    it('lists the log newest first in pages, and deleting an entry puts the dose back to missed', async () => {
      clock.set('2026-03-12T15:00:00Z');
      const ada = await person();
      const medication = await metformin(ada.caller, { schedule: { times: ['08:00'] } });
      for (const date of ['2026-03-09', '2026-03-10', '2026-03-11']) {
        await harness.client.logDose({
          caller: ada.caller,
          medicationId: medication.id,
          status: DoseStatus.TAKEN,
          scheduledAt: ts(`${date}T12:00:00Z`),
          occurredAt: ts(`${date}T12:30:00Z`),
        });
      }
      const first = await harness.client.listDoseLog({ caller: ada.caller, page: { limit: 2 } });
      expect(first.entries.map((e) => iso(e.occurredAt))).toEqual([
        '2026-03-11T12:30:00.000Z',
        '2026-03-10T12:30:00.000Z',
      ]);
      const second = await harness.client.listDoseLog({
        caller: ada.caller,
        page: { limit: 2, cursor: first.page?.nextCursor ?? '' },
      });
      expect(second.entries.map((e) => iso(e.occurredAt))).toEqual(['2026-03-09T12:30:00.000Z']);
      expect(second.page?.nextCursor).toBe('');
      const ranged = await harness.client.listDoseLog({
        caller: ada.caller,
        from: ts('2026-03-10T00:00:00Z'),
        to: ts('2026-03-11T00:00:00Z'),
      });
      expect(ranged.entries).toHaveLength(1);
      await harness.client.deleteDoseLogEntry({ caller: ada.caller, entryId: ranged.entries[0]?.id ?? '' });
      const { doses } = await harness.client.listScheduledDoses({
        caller: ada.caller,
        from: ts('2026-03-10T00:00:00Z'),
        to: ts('2026-03-11T00:00:00Z'),
      });
      expect(doses.map((d) => d.status)).toEqual([DoseStatus.MISSED]);
      const bad = await rejection(harness.client.listDoseLog({ caller: ada.caller, page: { cursor: 'nonsense' } }));
      expect(bad.message).toContain('page.cursor');
    });
  });

  describe('GetAdherence', () => {
    it('is taken ÷ (taken + skipped + missed), pending excluded, overall and per medication', async () => {
      clock.set('2026-03-05T13:30:00Z'); // 08:30 EST on the 5th: today's 08:00 dose is pending
      const ada = await person();
      const a = await metformin(ada.caller, { name: 'Metformin', schedule: { times: ['08:00'] } });
      const b = await metformin(ada.caller, { name: 'Aspirin', schedule: { times: ['08:00'] } });
      await metformin(ada.caller, { name: 'Salbutamol', dose: 1, doseUnit: 'puff', schedule: { asNeeded: true } });
      // Metformin: 1st, 2nd taken, 3rd skipped, 4th missed (derived), 5th pending.
      for (const [date, status] of [
        ['2026-03-01', DoseStatus.TAKEN],
        ['2026-03-02', DoseStatus.TAKEN],
        ['2026-03-03', DoseStatus.SKIPPED],
      ] as const) {
        await harness.client.logDose({
          caller: ada.caller,
          medicationId: a.id,
          status,
          scheduledAt: ts(`${date}T13:00:00Z`),
        });
      }
      await harness.client.logDose({
        caller: ada.caller,
        medicationId: b.id,
        status: DoseStatus.TAKEN,
        scheduledAt: ts('2026-03-04T13:00:00Z'),
      });
      const { report } = await harness.client.getAdherence({
        caller: ada.caller,
        from: ts('2026-03-01T05:00:00Z'),
        to: ts('2026-03-08T05:00:00Z'),
      });
      const metforminStats = report?.byMedication.find((m) => m.medicationName === 'Metformin')?.stats;
      expect(metforminStats).toMatchObject({ scheduled: 4, taken: 2, skipped: 1, missed: 1, pending: 1, rate: 0.5 });
      const aspirinStats = report?.byMedication.find((m) => m.medicationName === 'Aspirin')?.stats;
      expect(aspirinStats).toMatchObject({ scheduled: 4, taken: 1, missed: 3, pending: 1, rate: 0.25 });
      expect(report?.overall).toMatchObject({ scheduled: 8, taken: 3, skipped: 1, missed: 4, pending: 2, rate: 3 / 8 });
      expect(report?.byMedication.map((m) => m.medicationName)).toEqual(['Aspirin', 'Metformin']);
    });

    it('refuses periods over 366 days and another person’s adherence', async () => {
      const ada = await person();
      const eve = await person();
      const error = await rejection(
        harness.client.getAdherence({
          caller: ada.caller,
          from: ts('2025-01-01T00:00:00Z'),
          to: ts('2026-03-01T00:00:00Z'),
        }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.message).toContain('to');
      expect((await rejection(harness.client.getAdherence({ caller: eve.caller, userId: ada.id }))).code).toBe(
        Code.PermissionDenied,
      );
    });
  });

  describe('ListDueReminders', () => {
    it('gives dose-due reminders and missed-dose alerts (to the person and alerted caregivers) with stable ids', async () => {
      clock.set('2027-01-04T12:00:00Z');
      const ada = await person('Asia/Shanghai');
      const carer = await person();
      const quiet = await person();
      await link(ada.id, carer.id, ['receive_missed_dose_alerts']);
      await link(ada.id, quiet.id, ['read_medications']);
      const medication = await metformin(ada.caller, { startDate: '2027-01-01', schedule: { times: ['08:00'] } });
      // 08:00 Shanghai on 2027-01-05 is 00:00Z; its grace period ends at 02:00Z.
      const window = { from: ts('2027-01-04T23:30:00Z'), to: ts('2027-01-05T02:30:00Z') };
      const first = await harness.client.listDueReminders({ caller: serviceCaller('notifications'), ...window });
      const mine = first.reminders.filter((r) => r.medicationId === medication.id);
      expect(mine.map((r) => [r.kind, iso(r.fireAt), r.recipientUserId])).toEqual(
        expect.arrayContaining([
          [ReminderKind.DOSE_DUE, '2027-01-05T00:00:00.000Z', ada.id],
          [ReminderKind.MISSED_DOSE_ALERT, '2027-01-05T02:00:00.000Z', ada.id],
          [ReminderKind.MISSED_DOSE_ALERT, '2027-01-05T02:00:00.000Z', carer.id],
        ]),
      );
      expect(mine).toHaveLength(3);
      expect(mine[0]).toMatchObject({
        localTime: '08:00',
        timeZone: 'Asia/Shanghai',
        medicationName: 'Metformin',
        instructions: 'with food',
      });
      const again = await harness.client.listDueReminders({ caller: serviceCaller('notifications'), ...window });
      expect(again.reminders.filter((r) => r.medicationId === medication.id).map((r) => r.id)).toEqual(
        mine.map((r) => r.id),
      );
      // Paging walks the same list.
      const paged: string[] = [];
      let cursor = '';
      do {
        const page = await harness.client.listDueReminders({
          caller: serviceCaller(),
          ...window,
          page: { limit: 1, cursor },
        });
        paged.push(...page.reminders.map((r) => r.id));
        cursor = page.page?.nextCursor ?? '';
      } while (cursor);
      expect(paged).toEqual(first.reminders.map((r) => r.id));
      // Pages cut by medication hold the same reminders, each medication's on one page.
      const byMedication: string[][] = [];
      do {
        const page = await harness.client.listDueReminders({
          caller: serviceCaller(),
          ...window,
          pageByMedication: true,
          page: { limit: 1, cursor },
        });
        byMedication.push(page.reminders.map((r) => r.id));
        cursor = page.page?.nextCursor ?? '';
      } while (cursor);
      expect(byMedication.flat().sort()).toEqual(first.reminders.map((r) => r.id).sort());
      expect(byMedication).toContainEqual(mine.map((r) => r.id));
      // Once the dose is logged its reminders are left out.
      clock.set('2027-01-05T00:10:00Z');
      await harness.client.logDose({ caller: ada.caller, medicationId: medication.id, status: DoseStatus.TAKEN });
      const after = await harness.client.listDueReminders({ caller: serviceCaller(), ...window });
      expect(after.reminders.filter((r) => r.medicationId === medication.id)).toEqual([]);
    });

    it('is for services and admins only, with a bounded window', async () => {
      const ada = await person();
      const window = { from: ts('2027-01-04T00:00:00Z'), to: ts('2027-01-04T01:00:00Z') };
      expect((await rejection(harness.client.listDueReminders({ caller: ada.caller, ...window }))).code).toBe(
        Code.PermissionDenied,
      );
      const tooLong = await rejection(
        harness.client.listDueReminders({
          caller: serviceCaller(),
          from: ts('2027-01-04T00:00:00Z'),
          to: ts('2027-01-05T00:00:01Z'),
        }),
      );
      expect(tooLong.code).toBe(Code.InvalidArgument);
      expect(tooLong.message).toContain('to');
      const missing = await rejection(harness.client.listDueReminders({ caller: serviceCaller(), to: window.to }));
      expect(missing.message).toContain('from');
      const notPeople = await rejection(
        harness.client.listDueReminders({ caller: serviceCaller(), ...window, userIds: [ada.id, 'ada'] }),
      );
      expect(notPeople.code).toBe(Code.InvalidArgument);
      expect(notPeople.message).toContain('userIds[1]');
      const tooMany = await rejection(
        harness.client.listDueReminders({
          caller: serviceCaller(),
          ...window,
          userIds: Array.from({ length: 1001 }, () => ada.id),
        }),
      );
      expect(tooMany.code).toBe(Code.InvalidArgument);
      expect(tooMany.message).toContain('userIds');
    });

    it('lists only the named people, in either paging', async () => {
      clock.set('2027-02-01T12:00:00Z');
      const [ben, cat, dan] = [await person('UTC'), await person('UTC'), await person('UTC')];
      const bens = await metformin(ben.caller, { startDate: '2027-01-01', schedule: { times: ['18:00'] } });
      const cats = await metformin(cat.caller, { startDate: '2027-01-01', schedule: { times: ['19:00'] } });
      await metformin(dan.caller, { startDate: '2027-01-01', schedule: { times: ['20:00'] } });
      const window = { from: ts('2027-02-01T12:00:00Z'), to: ts('2027-02-02T12:00:00Z') };
      for (const pageByMedication of [false, true]) {
        const listed = await harness.client.listDueReminders({
          caller: serviceCaller(),
          ...window,
          pageByMedication,
          userIds: [ben.id, cat.id, ben.id],
        });
        expect(new Set(listed.reminders.map((r) => r.patientUserId))).toEqual(new Set([ben.id, cat.id]));
        expect(new Set(listed.reminders.map((r) => r.medicationId))).toEqual(new Set([bens.id, cats.id]));
      }
    });
  });
});
