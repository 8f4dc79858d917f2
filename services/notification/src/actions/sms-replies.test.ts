import { describe, expect, it } from 'vitest';
import { replyAction } from './sms-replies.js';

describe('SMS reply words', () => {
  it('reads taken, skip and snooze in English, Chinese and digits', () => {
    expect(['1', 'TAKEN', 'taken.', '已服用'].map(replyAction)).toEqual(['taken', 'taken', 'taken', 'taken']);
    expect(['2', 'Skip', '跳过'].map(replyAction)).toEqual(['skip', 'skip', 'skip']);
    expect(['3', 'snooze', '稍后'].map(replyAction)).toEqual(['snooze', 'snooze', 'snooze']);
  });

  it('does not guess at anything else', () => {
    expect(replyAction('what is this')).toBeUndefined();
    expect(replyAction('12')).toBeUndefined();
  });
});
