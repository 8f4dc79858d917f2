import { describe, expect, it } from 'vitest';
import { inFlightDuring } from './faults.js';
import type { Ledger } from './ledger.js';
import { crisisOf, type Sent } from './load.js';
import { chaosFailures, chaosInvariantFailures, chaosRow, chaosServiceMisses } from './verdict.js';

const clean: Ledger = {
  lostWrites: 0,
  duplicatedWrites: 0,
  events: 12,
  lostAlerts: 0,
  duplicatedAlerts: 0,
  alertDelayMs: 0,
};
const ok = (started: number, done: number): Sent => ({ op: 'steps', started, done, status: 201, id: 'x' });
const failed = (started: number, done: number, status = 502): Sent => ({ op: 'dose', started, done, status });

describe('the chaos verdict', () => {
  it('passes a fault whose only failures it made unavoidable, all before it ended', () => {
    const sent = [ok(0, 10), failed(90, 120), ok(130, 140)];
    const row = chaosRow('health-killed', sent, (s) => inFlightDuring(s, 100, 100), 1_000, clean);
    expect(row).toMatchObject({ requests: 3, errors: 1, unavoidable: 1, recoveryMs: 0 });
    expect(chaosFailures(row)).toEqual([]);
  });

  it('fails on a 5xx the fault did not make unavoidable', () => {
    const row = chaosRow('redis-stopped', [ok(0, 10), failed(20, 30, 503)], () => false, 1_000, clean);
    expect(chaosFailures(row)).toEqual(['1 avoidable errors']);
  });

  it('counts an unexpected 4xx or an unanswered request as an error too', () => {
    const row = chaosRow('kafka-stopped', [failed(0, 5, 401), failed(5, 9, 0)], () => false, 1_000, clean);
    expect(row).toMatchObject({ errors: 2, failedBy: { 'dose 401': 1, 'dose 0': 1 } });
  });

  it('fails on a lost write, a lost alert, a write stored twice and an alert written twice', () => {
    const row = chaosRow('kafka-stopped', [ok(0, 1)], () => false, 1_000, {
      ...clean,
      lostWrites: 1,
      lostAlerts: 2,
      duplicatedWrites: 1,
      duplicatedAlerts: 3,
    });
    expect(row).toMatchObject({ lost: 3, duplicated: 4 });
    expect(chaosFailures(row)).toEqual(['3 lost', '4 duplicated']);
  });

  it('measures recovery to the last failure after the fault ended, and fails it over 10 s', () => {
    const sent = [failed(10_500, 11_000), failed(11_000, 12_500)];
    const row = chaosRow('primary-restarted', sent, () => true, 1_000, clean);
    expect(row.recoveryMs).toBe(11_500);
    expect(chaosFailures(row)).toEqual(['recovery 11.5 s']);
  });

  it('counts an alert the fault held up past 10 s as a slow recovery', () => {
    const row = chaosRow('kafka-stopped', [ok(0, 1)], () => false, 1_000, { ...clean, alertDelayMs: 10_001 });
    expect(row.recoveredBy).toEqual({ requestsMs: 0, alertsMs: 10_001 });
    expect(chaosFailures(row)).toEqual(['recovery 10.0 s']);
  });

  it('holds CI to the invariant only: a slow recovery or an avoidable error is a miss, a loss a failure', () => {
    const slow = chaosRow('kafka-stopped', [failed(0, 1)], () => false, 1_000, { ...clean, alertDelayMs: 12_000 });
    expect(chaosInvariantFailures(slow)).toEqual([]);
    expect(chaosServiceMisses(slow)).toEqual(['1 avoidable errors', 'recovery 12.0 s']);
    const lossy = chaosRow('kafka-stopped', [ok(0, 1)], () => false, 1_000, { ...clean, lostAlerts: 1 });
    expect(chaosInvariantFailures(lossy)).toEqual(['1 lost']);
  });

  it('fails a fault under which no event went through Kafka, since nothing was then proven', () => {
    const row = chaosRow('kafka-stopped', [ok(0, 1)], () => false, 1_000, { ...clean, events: 0 });
    expect(chaosFailures(row)).toEqual(['no event went through Kafka']);
  });
});

describe('in flight', () => {
  it('holds for a request served across any moment of the window, and not for one before or after', () => {
    expect(inFlightDuring(ok(0, 100), 50, 60)).toBe(true);
    expect(inFlightDuring(ok(55, 58), 50, 60)).toBe(true);
    expect(inFlightDuring(ok(0, 49), 50, 60)).toBe(false);
    expect(inFlightDuring(ok(61, 70), 50, 60)).toBe(false);
  });
});

describe('crisis readings', () => {
  it('are distinct for the first 9,680 requests and always a hypertensive crisis in range', () => {
    const pairs = new Set<string>();
    const outOfRange: string[] = [];
    for (let n = 0; n < 9_680; n++) {
      const { systolic, diastolic } = crisisOf(n);
      if (systolic < 180 || systolic > 300 || diastolic < 121 || diastolic > 200) outOfRange.push(`${n}`);
      pairs.add(`${systolic}/${diastolic}`);
    }
    expect(outOfRange).toEqual([]);
    expect(pairs.size).toBe(9_680);
  });
});
