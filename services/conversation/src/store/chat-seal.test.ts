import { randomBytes } from 'node:crypto';
import { AesGcmCipher } from '@tend/core';
import { describe, expect, it } from 'vitest';
import { ChatSeal, chatPlaces } from './chat-seal.js';

const seal = new ChatSeal(new AesGcmCipher([{ id: 'k1', key: randomBytes(32) }], randomBytes(32)));
const ann = '11111111-1111-4111-8111-111111111111';
const bo = '22222222-2222-4222-8222-222222222222';
const message = '33333333-3333-4333-8333-333333333333';

describe('chat seal', () => {
  it('opens a message only in its own row, column and person', () => {
    const text = seal.seal('my glucose was 9.1', chatPlaces.messageText(message, ann));
    expect(text).not.toContain('glucose');
    expect(seal.messageText({ id: message, user_id: ann, text, sealed: true })).toBe('my glucose was 9.1');
    expect(() => seal.messageText({ id: message, user_id: bo, text, sealed: true })).toThrow();
    expect(() => seal.messageText({ id: bo, user_id: ann, text, sealed: true })).toThrow();
    expect(() => seal.title({ id: message, user_id: ann, title: text, sealed: true })).toThrow();
  });

  it('reads a row stored before sealing as it is, and keeps "no summary" empty', () => {
    expect(seal.messageText({ id: message, user_id: ann, text: 'hello', sealed: false })).toBe('hello');
    expect(seal.seal('', chatPlaces.summary(message, ann))).toBe('');
    expect(seal.summary({ id: message, user_id: ann, summary: '', sealed: true })).toBe('');
  });
});
