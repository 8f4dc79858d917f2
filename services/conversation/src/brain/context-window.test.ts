import { describe, expect, it } from 'vitest';
import { contextWindow, type PastMessage } from './context-window.js';

describe('context window', () => {
  it('keeps the newest messages whole within the budget and condenses the rest', () => {
    const past: PastMessage[] = Array.from({ length: 30 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      text: `message ${29 - i} ${'x'.repeat(36)}`,
    }));
    const { recent, earlier } = contextWindow(past, 100);
    expect(recent.length).toBe(8);
    expect(recent.at(-1)!.text).toContain('message 29');
    expect(recent[0]!.text).toContain('message 22');
    expect(earlier).toMatch(/^Earlier the person said: message 21/);
    expect(earlier.length).toBeLessThanOrEqual(600);
  });

  it('says nothing of the past when it all fits', () => {
    expect(contextWindow([{ role: 'user', text: 'hi' }])).toEqual({
      recent: [{ role: 'user', text: 'hi' }],
      earlier: '',
      unsummarized: [],
    });
  });

  it("puts the model's summary first and condenses only the older messages it does not cover", () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 9, minute)).toISOString();
    const past: PastMessage[] = Array.from({ length: 20 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      text: `message ${19 - i} ${'x'.repeat(36)}`,
      at: at(19 - i),
    }));
    const summary = { text: 'They logged a blood pressure of 150/95.', through: at(9) };
    const { recent, earlier, unsummarized } = contextWindow(past, 100, summary);
    expect(recent.map((m) => m.at)).toEqual([12, 13, 14, 15, 16, 17, 18, 19].map(at));
    expect(unsummarized.map((m) => m.at)).toEqual([11, 10].map(at));
    expect(earlier.split('\n')).toEqual([
      'Summary of the conversation before that: They logged a blood pressure of 150/95.',
      `Earlier the person said: message 11 ${'x'.repeat(36)}`,
    ]);
  });
});
