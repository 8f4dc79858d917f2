import { describe, expect, it } from 'vitest';
import { timesOf } from './spoken-times.js';

describe('times of day in a sentence', () => {
  it.each([
    ['remind me at 8 am', ['08:00']],
    ['at 7', ['07:00']],
    ['at 9 tonight', ['21:00']],
    ['8:30 pm', ['20:30']],
    ['at 1030 pm', ['22:30']],
    ['at half past 7', ['07:30']],
    ['at quarter to 9 tonight', ['20:45']],
    ['at quarter past 8', ['08:15']],
    ['at 8 in the morning and 8 in the evening', ['08:00', '20:00']],
    ['at 12 am', ['00:00']],
    ['with lunch at noon', ['12:00']],
    ['早上8点', ['08:00']],
    ['晚上9点半', ['21:30']],
    ['下午3点', ['15:00']],
    ['中午12点', ['12:00']],
    ['8点1刻', ['08:15']],
  ])('%s', (said, times) => {
    expect(timesOf(said)).toEqual(times);
  });

  it('leaves durations and counts alone', () => {
    expect(timesOf('for 2 weeks')).toEqual([]);
    expect(timesOf('at 2 pills a day')).toEqual([]);
  });
});
