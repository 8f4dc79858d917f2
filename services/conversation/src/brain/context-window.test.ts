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
    });
  });
});
