import { describe, expect, it } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { ValidationError } from '@tend/core';
import { ScheduleSchema, type DayOfWeek } from '@tend/proto/tend/health/v1/medications';
import {
  Violations,
  checkDate,
  checkDateOrder,
  checkDose,
  checkDoseUnit,
  checkFreeText,
  checkName,
  checkRxnorm,
  checkSchedule,
} from './medication-input.js';

function fieldsOf(check: (violations: Violations) => void): string[] {
  const violations = new Violations();
  check(violations);
  return violations.list.map((v) => v.field);
}

describe('medication input', () => {
  it('accepts a well-formed medication', () => {
    expect(
      fieldsOf((v) => {
        checkName('Metformin', v);
        checkDose(500, v);
        checkDoseUnit('mg', v);
        checkRxnorm('860975', v);
        checkDate('2026-02-28', v, 'start_date');
        checkSchedule(create(ScheduleSchema, { times: ['20:00', '08:00'], days: [1, 3] }), v);
      }),
    ).toEqual([]);
  });

  it('counts characters as people do, as the gateway does: 200 emoji make a name of 200', () => {
    expect(fieldsOf((v) => checkName('💊'.repeat(200), v))).toEqual([]);
    expect(fieldsOf((v) => checkName('💊'.repeat(201), v))).toEqual(['name']);
    expect(fieldsOf((v) => checkFreeText('💊'.repeat(1000), v, 'note'))).toEqual([]);
  });

  it('names each bad field', () => {
    expect(fieldsOf((v) => checkName(' ', v))).toEqual(['name']);
    expect(fieldsOf((v) => checkName('x'.repeat(201), v))).toEqual(['name']);
    expect(fieldsOf((v) => checkDose(0, v))).toEqual(['dose']);
    expect(fieldsOf((v) => checkDose(Number.NaN, v))).toEqual(['dose']);
    expect(fieldsOf((v) => checkDoseUnit('kg', v))).toEqual(['dose_unit']);
    expect(fieldsOf((v) => checkRxnorm('RX123', v))).toEqual(['rxnorm_code']);
    expect(fieldsOf((v) => checkDate('2026-02-30', v, 'end_date'))).toEqual(['end_date']);
    expect(fieldsOf((v) => checkDateOrder('2026-03-02', '2026-03-01', v))).toEqual(['end_date']);
  });

  it('checks schedule times, days and as-needed by index', () => {
    const schedule = create(ScheduleSchema, { times: ['08:00', '24:00', '8:00', '08:00'], days: [0, 7] });
    expect(fieldsOf((v) => checkSchedule(schedule, v))).toEqual([
      'schedule.times[1]',
      'schedule.times[2]',
      'schedule.times[3]',
      'schedule.days[0]',
    ]);
    expect(fieldsOf((v) => checkSchedule(create(ScheduleSchema, { times: ['08:00'], asNeeded: true }), v))).toEqual([
      'schedule.times',
    ]);
    expect(fieldsOf((v) => checkSchedule(create(ScheduleSchema, {}), v))).toEqual(['schedule.times']);
    expect(fieldsOf((v) => checkSchedule(undefined, v))).toEqual(['schedule']);
  });

  it('normalizes a schedule: times sorted, days unique', () => {
    const normalized = checkSchedule(
      create(ScheduleSchema, { times: ['20:00', '08:00'], days: [3, 1, 3] }),
      new Violations(),
    );
    expect(normalized).toEqual({ times: ['08:00', '20:00'], days: [1, 3], asNeeded: false });
  });

  it('throws every violation at once, in plain ASCII so it travels in gRPC metadata', () => {
    const violations = new Violations();
    checkName('', violations);
    checkSchedule(create(ScheduleSchema, { days: [9 as DayOfWeek] }), violations);
    let thrown: unknown;
    try {
      violations.throwIfAny();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    const message = (thrown as ValidationError).message;
    expect(message).toMatch(/^[\x20-\x7e]*$/);
    expect((thrown as ValidationError).violations.map((v) => v.field)).toEqual([
      'name',
      'schedule.days[0]',
      'schedule.times',
    ]);
  });
});
