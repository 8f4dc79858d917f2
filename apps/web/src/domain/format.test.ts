import { describe, expect, it } from 'vitest';
import { dayBounds, percentText, readingText, timeText } from './format.js';

describe('showing readings and times', () => {
  it('shows blood pressure as top over bottom number with its unit', () => {
    expect(readingText({ kind: 'blood_pressure', systolic: 150, diastolic: 95 })).toBe('150/95 mmHg');
  });

  it('shows blood pressure in kPa when the person chose it', () => {
    expect(readingText({ kind: 'blood_pressure', systolic: 150, diastolic: 95 }, 'kPa')).toBe('20/12.7 kPa');
  });

  it('shows oxygen level as a percentage and weight in the chosen unit', () => {
    expect(readingText({ kind: 'spo2', value: 97 })).toBe('97%');
    expect(readingText({ kind: 'weight', value: 80 }, 'lb')).toBe('176.4 lb');
  });

  it('shows a dose time in the person’s own time zone', () => {
    expect(timeText('2026-12-07T07:00:00.000Z', 'Europe/Berlin', 'zh')).toBe('08:00');
    expect(timeText('2026-12-07T07:00:00.000Z', 'America/New_York', 'en')).toBe('2:00 AM');
  });

  it('starts the day at local midnight, not UTC midnight', () => {
    const { from, to } = dayBounds(new Date('2026-12-06T23:30:00Z'), 'Asia/Shanghai');
    expect(from.toISOString()).toBe('2026-12-06T16:00:00.000Z');
    expect(to.toISOString()).toBe('2026-12-07T16:00:00.000Z');
  });

  it('says nothing about adherence when no dose was due', () => {
    expect(percentText(null, 'en')).toBeUndefined();
    expect(percentText(0.857, 'en')).toBe('86%');
  });
});
