import { describe, expect, it } from 'vitest';
import { compareLsn, formatLsn, parseLsn } from './lsn.js';

describe('LSN', () => {
  it('parses the way PostgreSQL prints it, as a 64-bit number', () => {
    expect(parseLsn('0/3000060')).toBe(0x3000060n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(0xffffffffffffffffn);
  });

  it('formats back to the same text', () => {
    for (const text of ['0/0', '0/3000060', '16/B374D848', 'FFFFFFFF/FFFFFFFF']) {
      expect(formatLsn(parseLsn(text))).toBe(text);
    }
  });

  it('compares across the 32-bit boundary, where string and float comparisons go wrong', () => {
    // As strings '0/FFFFFFFF' > '1/0', and as one JS number above 2^53 precision is lost.
    expect(compareLsn(parseLsn('0/FFFFFFFF'), parseLsn('1/0'))).toBeLessThan(0);
    expect(compareLsn(parseLsn('1/0'), parseLsn('0/FFFFFFFF'))).toBeGreaterThan(0);
    expect(compareLsn(parseLsn('A/10'), parseLsn('9/FFFFFFFF'))).toBeGreaterThan(0);
    expect(compareLsn(parseLsn('FFFFFFFF/FFFFFFFF'), parseLsn('FFFFFFFF/FFFFFFFE'))).toBeGreaterThan(0);
    expect(compareLsn(parseLsn('0/3000060'), parseLsn('0/3000060'))).toBe(0);
    expect(compareLsn(parseLsn('0/9'), parseLsn('0/10'))).toBeLessThan(0);
  });

  it('rejects text that is not an LSN', () => {
    for (const text of ['', '3000060', '0/', 'x/1', '0/123456789', '1/2/3']) {
      expect(() => parseLsn(text)).toThrow(/not a PostgreSQL LSN/);
    }
  });
});
