import { describe, expect, it } from 'vitest';
import { Session, type Tokens } from './session.js';

const tokens = (n: number): Tokens => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  expiresIn: 1800,
  user: { id: 'u1', displayName: 'Ann', role: 'user', locale: 'zh', timeZone: 'Asia/Shanghai' },
});

function manualTimers() {
  const pending: { run: () => void; ms: number }[] = [];
  return {
    pending,
    setTimer: (run: () => void, ms: number) => pending.push({ run, ms }),
    clearTimer: () => pending.splice(0),
  };
}

describe('a session held in memory', () => {
  it('refreshes once for calls that all found the access token expired at the same moment', async () => {
    let calls = 0;
    const session = new Session({
      refresh: async () => tokens(++calls + 1),
      ...manualTimers(),
    });
    session.signIn(tokens(1));
    const answers = await Promise.all([session.refresh(), session.refresh(), session.refresh()]);
    expect(calls).toBe(1);
    expect(answers).toEqual(['access-2', 'access-2', 'access-2']);
    expect(session.refreshToken).toBe('refresh-2');
  });

  it('schedules the silent refresh a minute before the access token expires', () => {
    const timers = manualTimers();
    const session = new Session({ refresh: async () => tokens(2), ...timers });
    session.signIn(tokens(1));
    expect(timers.pending.at(-1)?.ms).toBe(1800_000 - 60_000);
  });

  it('signs out when the refresh token is refused', async () => {
    const session = new Session({
      refresh: async () => {
        throw new Error('401');
      },
      ...manualTimers(),
    });
    let changes = 0;
    session.subscribe(() => changes++);
    session.signIn(tokens(1));
    expect(await session.refresh()).toBeUndefined();
    expect(session.user).toBeUndefined();
    expect(changes).toBe(2);
  });

  it('gives the same snapshot of who is signed in until something changes', () => {
    const session = new Session({ refresh: async () => tokens(2), ...manualTimers() });
    session.signIn(tokens(1));
    expect(session.user).toBe(session.user);
  });

  it('reads who is signed in from the profile the API sent', () => {
    const session = new Session({ refresh: async () => tokens(2), ...manualTimers() });
    session.signIn(tokens(1));
    expect(session.user).toEqual({
      userId: 'u1',
      displayName: 'Ann',
      role: 'user',
      locale: 'zh',
      timeZone: 'Asia/Shanghai',
    });
  });
});
