import { EventEmitter } from 'node:events';
import { createLogger } from '@tend/core';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/principal.js';
import { SocketSessions, sessionEndedCloseCode, type SessionCheck } from './socket-sessions.js';

/** A socket that records how it was closed. */
class FakeSocket extends EventEmitter {
  closed: { code: number; reason: string } | undefined;
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.emit('close');
  }
}

const logger = createLogger({ level: 'silent' });
const ann: Principal = { userId: 'ann', role: 'user', sessionId: 's1' };

function sessions(check: (principal: Principal) => SessionCheck, nowMs = () => 1_000) {
  return new SocketSessions({ check: async (p) => check(p), logger, nowMs, recheckMs: 3_600_000 });
}

function open(registry: SocketSessions, principal = ann, expiresAtMs = 10_000): FakeSocket {
  const socket = new FakeSocket();
  registry.add(socket as unknown as WebSocket, principal, expiresAtMs);
  return socket;
}

describe('open sockets and the sign-in behind them', () => {
  it('closes the sockets of a session the moment it ends here, and only those', () => {
    const registry = sessions(() => 'active');
    const first = open(registry);
    const otherSession = open(registry, { ...ann, sessionId: 's2' });
    registry.sessionEnded('s1');
    expect(first.closed?.code).toBe(sessionEndedCloseCode);
    expect(otherSession.closed).toBeUndefined();
    registry.stop();
  });

  it.each([
    ['ended', 'the session ended'],
    ['role-changed', 'role changed'],
    ['account-gone', 'no longer exists'],
  ] as const)('closes a socket on the next check when the state is %s', async (state, reason) => {
    const registry = sessions(() => state);
    const socket = open(registry);
    await registry.recheck();
    expect(socket.closed?.code).toBe(sessionEndedCloseCode);
    expect(socket.closed?.reason).toContain(reason);
    registry.stop();
  });

  it('closes a socket when the access token that opened it expires', async () => {
    let now = 1_000;
    const registry = sessions(
      () => 'active',
      () => now,
    );
    const socket = open(registry, ann, 5_000);
    await registry.recheck();
    expect(socket.closed).toBeUndefined();
    now = 5_000;
    await registry.recheck();
    expect(socket.closed?.reason).toContain('expired');
    registry.stop();
  });

  it('lets one person hold five sockets, and refuses the sixth', () => {
    const registry = sessions(() => 'active');
    const held = Array.from({ length: 5 }, () => open(registry));
    const sixth = open(registry);
    expect(held.every((s) => s.closed === undefined)).toBe(true);
    expect(sixth.closed?.code).toBe(1008);
    held[0]!.close(1000, 'bye');
    expect(open(registry).closed).toBeUndefined();
    registry.stop();
  });

  it('checks a session once per round however many sockets it holds, and still closes them all', async () => {
    let checks = 0;
    let state: SessionCheck = 'active';
    const registry = new SocketSessions({
      check: async () => {
        checks += 1;
        return state;
      },
      logger,
      nowMs: () => 1_000,
      recheckMs: 3_600_000,
      maxPerPerson: 1_000,
    });
    const sockets = Array.from({ length: 300 }, () => open(registry));
    const other = open(registry, { userId: 'bo', role: 'user', sessionId: 's9' });
    await registry.recheck();
    expect(checks).toBe(2);
    state = 'ended';
    await registry.recheck();
    expect(checks).toBe(4);
    expect(sockets.every((s) => s.closed?.code === sessionEndedCloseCode)).toBe(true);
    expect(other.closed?.code).toBe(sessionEndedCloseCode);
    registry.stop();
  });

  it('counts a person’s sockets apart from everyone else’s, freeing a place when one closes', () => {
    const registry = new SocketSessions({ check: async () => 'active', logger, maxPerPerson: 2 });
    const [a1, a2] = [open(registry), open(registry)];
    const bo = open(registry, { userId: 'bo', role: 'user', sessionId: 's9' });
    expect(bo.closed).toBeUndefined();
    expect(open(registry).closed?.code).toBe(1008);
    registry.sessionEnded('s1');
    expect(a1.closed?.code).toBe(sessionEndedCloseCode);
    expect(a2.closed?.code).toBe(sessionEndedCloseCode);
    expect(open(registry).closed).toBeUndefined();
    registry.stop();
  });
});
