import { MemoryCache } from '@tend/platform';
import { describe, expect, it } from 'vitest';
import { AnswerCache, normalise } from './answer-cache.js';

describe('answer cache', () => {
  it('treats near-duplicate questions as one', () => {
    expect(normalise('What can you do?')).toBe(normalise('hey Tend, what can you do'));
    expect(normalise('What was my blood pressure this week?')).toBe(
      normalise('please tell me what was my blood pressure this week'),
    );
  });

  it('never serves one person’s answer to another, and forgets it when their record changes', async () => {
    const answers = new AnswerCache(new MemoryCache());
    const question = 'what was my weight this week?';
    await answers.set('ann', 'en', question, { text: 'Ann: 70 kg', intent: 'query_vitals' });
    expect(await answers.get('ann', 'en', 'What was my weight this week')).toEqual({
      text: 'Ann: 70 kg',
      intent: 'query_vitals',
    });
    expect(await answers.get('bob', 'en', question)).toBeUndefined();
    await answers.forget('ann');
    expect(await answers.get('ann', 'en', question)).toBeUndefined();
  });

  it('shares answers that are the same for everyone, and keeps nothing that wrote', async () => {
    const answers = new AnswerCache(new MemoryCache());
    await answers.set('ann', 'en', 'what can you do?', { text: 'I can…', intent: 'help' });
    expect(await answers.get('bob', 'en', 'What can you do')).toEqual({ text: 'I can…', intent: 'help' });
    await answers.set('ann', 'en', 'I took my metformin', { text: 'Done', intent: 'log_dose' });
    expect(await answers.get('ann', 'en', 'I took my metformin')).toBeUndefined();
  });
});
