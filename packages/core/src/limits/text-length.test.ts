import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boundedText, codePointLength, isTextWithin } from './text-length.js';

describe('text limits', () => {
  it('counts what a person sees as one character once, emoji and rare CJK included', () => {
    expect(codePointLength('Metformin')).toBe(9);
    expect(codePointLength('💊')).toBe(1);
    expect('💊'.length).toBe(2);
    expect(codePointLength('𠀋')).toBe(1);
  });

  it('accepts a text at its limit in code points that is over it in UTF-16 units', () => {
    const pills = '💊'.repeat(200);
    expect(isTextWithin(pills, 1, 200)).toBe(true);
    expect(boundedText({ min: 1, max: 200 }).safeParse(pills).success).toBe(true);
    expect(boundedText({ min: 1, max: 200 }).safeParse(`${pills}x`).success).toBe(false);
  });

  it('trims before counting when asked, and refuses with the services wording', () => {
    const name = boundedText({ min: 1, max: 200, trim: true });
    expect(name.parse('  Aspirin ')).toBe('Aspirin');
    const refused = name.safeParse('   ');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('must be 1 to 200 characters');
    expect(boundedText({ max: 1000 }).safeParse('x'.repeat(1001)).error?.issues[0]?.message).toBe(
      'must be at most 1000 characters',
    );
  });

  it('states the limit in the JSON schema an API document is made from', () => {
    expect(z.toJSONSchema(boundedText({ min: 1, max: 200, trim: true }))).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 200,
    });
  });

  it('refuses a NUL, which PostgreSQL text cannot hold, and says so in the schema', () => {
    const note = boundedText({ max: 100 });
    expect(note.safeParse('before\u0000after').error?.issues[0]?.message).toBe('must not contain NUL characters');
    expect(note.safeParse('tab\tand line\nbreaks').success).toBe(true);
    const { pattern } = z.toJSONSchema(note) as { pattern: string };
    expect(new RegExp(pattern).test('a\u0000b')).toBe(false);
    expect(new RegExp(pattern).test('any other text, 中文 💊')).toBe(true);
  });
});
