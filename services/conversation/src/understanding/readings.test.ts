import { describe, expect, it } from 'vitest';
import { kindNamed, readingOf } from './readings.js';

describe('readings said in a sentence', () => {
  it.each([
    ['135 over 85', { kind: 'blood_pressure', systolic: 135, diastolic: 85 }],
    ['130/85 this morning', { kind: 'blood_pressure', systolic: 130, diastolic: 85 }],
    ['systolic 145 diastolic 92', { kind: 'blood_pressure', systolic: 145, diastolic: 92 }],
    ['血压132，86', { kind: 'blood_pressure', systolic: 132, diastolic: 86 }],
    ['高压140，低压90', { kind: 'blood_pressure', systolic: 140, diastolic: 90 }],
    ["i'm 81 kg today", { kind: 'weight', value: 81, unit: 'kg' }],
    ['210 pounds this morning', { kind: 'weight', value: 210, unit: 'lb' }],
    ['今天称了1下120斤', { kind: 'weight', value: 60, unit: 'kg' }],
    ['72 bpm', { kind: 'heart_rate', value: 72, unit: '/min' }],
    ['my sugar is 7.1', { kind: 'glucose', value: 7.1, unit: 'mmol/L' }],
    ['fasting glucose 98', { kind: 'glucose', value: 98, unit: 'mg/dL' }],
    ['spo2 96', { kind: 'spo2', value: 96, unit: '%' }],
    ['pulse ox says 95', { kind: 'spo2', value: 95 }],
    ['temp 99.1 f', { kind: 'temperature', value: 99.1, unit: '[degF]' }],
    ['我发烧了，38度5', { kind: 'temperature', value: 38.5, unit: 'Cel' }],
    ['i slept 7 hours last night', { kind: 'sleep', value: 7, unit: 'h' }],
    ['我睡了6个半小时', { kind: 'sleep', value: 6.5, unit: 'h' }],
    ['i walked 8000 steps today', { kind: 'steps', value: 8000, unit: '{steps}' }],
  ])('%s', (said, reading) => {
    expect(readingOf(said)).toMatchObject(reading);
  });

  it('needs a number, and takes a pair for a blood pressure only when it can be one', () => {
    expect(readingOf('my blood pressure')).toBeUndefined();
    expect(readingOf('see you on 7/30')).toBeUndefined();
    expect(readingOf('remind me at 8 am')).toBeUndefined();
  });

  it('names the kind a question is about, a sugar before the walk that raised it', () => {
    expect(kindNamed('how was my blood sugar after my walk')).toBe('glucose');
    expect(kindNamed('how did i sleep')).toBe('sleep');
    expect(kindNamed('what is the weather')).toBeUndefined();
  });
});
