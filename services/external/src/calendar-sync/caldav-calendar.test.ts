import { describe, expect, it } from 'vitest';
import { basicAuthHeaders } from './caldav-calendar.js';

describe('basicAuthHeaders', () => {
  it('encodes any username and password as UTF-8, not only Latin-1', () => {
    const { authorization } = basicAuthHeaders({ username: '张伟', password: 'pässwörd 💊' });
    const decoded = Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(decoded).toBe('张伟:pässwörd 💊');
  });

  it('gives the header a Latin-1 pair as every client would', () => {
    expect(basicAuthHeaders({ username: 'ann', password: 'secret' }).authorization).toBe(
      `Basic ${Buffer.from('ann:secret').toString('base64')}`,
    );
  });
});
