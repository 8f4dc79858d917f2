import { randomBytes } from 'node:crypto';
import { AesGcmCipher, Metrics, createLogger } from '@tend/core';
import { CacheAside, MemoryCache } from '@tend/cache';
import { describe, expect, it } from 'vitest';
import { ChatSeal } from '../store/chat-seal.js';
import { AnswerCache, normalise } from './answer-cache.js';

/** A memory cache that keeps every value written to it. */
class WrittenCache extends MemoryCache {
  readonly written: string[] = [];
  override set(key: string, value: string, ttlMs: number): Promise<void> {
    this.written.push(value);
    return super.set(key, value, ttlMs);
  }
}

function answerCache(cache = new MemoryCache()) {
  const metrics = new Metrics({ defaultMetrics: false });
  const logger = createLogger({ level: 'silent' });
  const aside = (name: string) => new CacheAside({ cache, metrics, logger, name });
  const seal = new ChatSeal(new AesGcmCipher([{ id: 'k1', key: randomBytes(32) }], randomBytes(32)));
  return new AnswerCache({
    answers: aside('conversation-answers'),
    sharedAnswers: aside('conversation-shared-answers'),
    generations: aside('generations'),
    seal,
  });
}

describe('answer cache', () => {
  it('treats near-duplicate questions as one', () => {
    expect(normalise('What can you do?')).toBe(normalise('hey Tend, what can you do'));
    expect(normalise('What was my blood pressure this week?')).toBe(
      normalise('please tell me what was my blood pressure this week'),
    );
  });

  it('never serves one person’s answer to another, and forgets it when their record changes', async () => {
    const answers = answerCache();
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
    const answers = answerCache();
    await answers.set('ann', 'en', 'what can you do?', { text: 'I can…', intent: 'help' });
    expect(await answers.get('bob', 'en', 'What can you do')).toEqual({ text: 'I can…', intent: 'help' });
    await answers.set('ann', 'en', 'I took my metformin', { text: 'Done', intent: 'log_dose' });
    expect(await answers.get('ann', 'en', 'I took my metformin')).toBeUndefined();
  });

  it("keeps no answer about a person's appointments or the weather at their place", async () => {
    const answers = answerCache();
    await answers.set('ann', 'en', 'when is my next appointment?', { text: 'Dentist on Friday', intent: 'calendar' });
    await answers.set('ann', 'en', "what's the weather tomorrow?", { text: 'Berlin: rain', intent: 'weather' });
    expect(await answers.get('bob', 'en', 'when is my next appointment?')).toBeUndefined();
    expect(await answers.get('ann', 'en', 'when is my next appointment?')).toBeUndefined();
    expect(await answers.get('bob', 'en', "what's the weather tomorrow?")).toBeUndefined();
  });

  it('keeps answers sealed in the cache', async () => {
    const cache = new WrittenCache();
    const answers = answerCache(cache);
    await answers.set('ann', 'en', 'what was my weight this week?', {
      text: 'Ann weighed 70 kg',
      intent: 'query_vitals',
    });
    expect(cache.written.join('\n')).not.toContain('70 kg');
    expect(await answers.get('ann', 'en', 'what was my weight this week?')).toMatchObject({
      text: 'Ann weighed 70 kg',
    });
  });
});
