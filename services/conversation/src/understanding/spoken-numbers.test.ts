import { describe, expect, it } from 'vitest';
import { digitsForSpokenNumbers } from './spoken-numbers.js';

describe('spoken numbers', () => {
  it.each([
    ['my blood pressure is one hundred and thirty five over eighty five', 'my blood pressure is 135 over 85'],
    ['i weigh seventy two point five kilos', 'i weigh 72.5 kilos'],
    ['a hundred twenty over eighty', '120 over 80'],
    ['one forty over ninety', '140 over 90'],
    ['heart rate sixty-eight', 'heart rate 68'],
    ['I took one of my pills', 'I took one of my pills'],
    ['血压一百三十五/八十五', '血压135/85'],
    ['体温三十六点五度', '体温36.5度'],
    ['我体重七十二公斤', '我体重72公斤'],
    ['心率九十', '心率90'],
    ['remind me at ten thirty pm', 'remind me at 1030 pm'],
    ['twelve fifteen', '1215'],
    ['at one pm', 'at 1 pm'],
    ['I slept six and a half hours', 'I slept 6.5 hours'],
    ['seven and eight', '7 and 8'],
    ['two thousand and five', '2005'],
    ['血氧百分之九十七', '血氧97%'],
    ['步数一万二', '步数12000'],
    ['两万步', '20000步'],
    ['一百二十斤', '120斤'],
    ['一百零五', '105'],
    ['可以一起吃吗', '可以一起吃吗'],
    ['称了一下一百二十斤', '称了一下120斤'],
  ])('%s', (spoken, written) => {
    expect(digitsForSpokenNumbers(spoken)).toBe(written);
  });
});
