import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ActionTokens } from './action-tokens.js';

describe('action tokens', () => {
  const tokens = new ActionTokens(randomBytes(32));
  const now = new Date('2026-06-01T08:00:00Z');
  const claims = {
    notificationId: '6f2c1f2e-6c1e-4b2a-9d7e-0a1b2c3d4e5f',
    userId: '0b8d7c6e-5f4a-4e3b-8c2d-1a0f9e8d7c6b',
    action: 'taken' as const,
    expiresAt: now.getTime() + 60_000,
  };

  it('gives back what it signed, with a fresh id each time', () => {
    const first = tokens.verify(tokens.sign(claims), now);
    const second = tokens.verify(tokens.sign(claims), now);
    expect(first).toMatchObject(claims);
    expect(first.tokenId).not.toBe(second.tokenId);
  });

  it('refuses an expired token, a tampered one and one signed with another key', () => {
    const token = tokens.sign(claims);
    expect(() => tokens.verify(token, new Date(now.getTime() + 61_000))).toThrow(/expired/);
    const [body, mac] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), a: 'skip' }),
    );
    expect(() => tokens.verify(`${forged.toString('base64url')}.${mac}`, now)).toThrow(/signed/);
    expect(() => new ActionTokens(randomBytes(32)).verify(token, now)).toThrow(/signed/);
  });
});
