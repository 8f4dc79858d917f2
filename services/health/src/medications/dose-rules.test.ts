import { describe, expect, it } from 'vitest';
import { adherenceOf, defaultDoseRules, doseState, nearestUnloggedDose, sumAdherence } from './dose-rules.js';

const hour = 60 * 60 * 1000;
const rules = defaultDoseRules;

describe('doseState', () => {
  it('a dose is pending until its 2 h grace period has passed, then missed', () => {
    expect(doseState(0, undefined, -hour, rules)).toBe('pending');
    expect(doseState(0, undefined, 2 * hour - 1, rules)).toBe('pending');
    expect(doseState(0, undefined, 2 * hour, rules)).toBe('missed');
  });

  it('a logged dose has its log status whatever the time', () => {
    expect(doseState(0, 'taken', 10 * hour, rules)).toBe('taken');
    expect(doseState(0, 'skipped', 0, rules)).toBe('skipped');
  });
});

describe('nearestUnloggedDose', () => {
  const doses = [8 * hour, 12 * hour, 20 * hour];

  it('matches the nearest unlogged dose within ±3 h', () => {
    expect(nearestUnloggedDose(doses, new Set(), 9 * hour, rules)).toBe(8 * hour);
    expect(nearestUnloggedDose(doses, new Set(), 11 * hour, rules)).toBe(12 * hour);
  });

  it('skips doses already logged', () => {
    expect(nearestUnloggedDose(doses, new Set([8 * hour]), 9 * hour, rules)).toBe(12 * hour);
  });

  it('prefers the earlier dose on a tie', () => {
    expect(nearestUnloggedDose(doses, new Set(), 10 * hour, rules)).toBe(8 * hour);
  });

  it('finds nothing beyond the window', () => {
    expect(nearestUnloggedDose(doses, new Set(), 16 * hour + 1, rules)).toBeUndefined();
  });
});

describe('adherence', () => {
  it('is taken over taken + skipped + missed, pending excluded', () => {
    const counts = adherenceOf(['taken', 'taken', 'taken', 'skipped', 'missed', 'pending'], 2);
    expect(counts).toEqual({
      scheduled: 5,
      taken: 3,
      skipped: 1,
      missed: 1,
      pending: 1,
      rate: 0.6,
      unscheduledTaken: 2,
    });
  });

  it('has no rate when nothing is settled', () => {
    expect(adherenceOf(['pending']).rate).toBeUndefined();
    expect(adherenceOf([]).scheduled).toBe(0);
  });

  it('sums per-medication counts into the overall rate', () => {
    const total = sumAdherence([adherenceOf(['taken', 'missed']), adherenceOf(['taken', 'taken'])]);
    expect(total.scheduled).toBe(4);
    expect(total.rate).toBe(0.75);
  });
});
