import { Code, ConnectError, type Client } from '@connectrpc/connect';
import type { Logger } from '@tend/core';
import { Role } from '@tend/proto/tend/common/v1/common';
import type { HealthService } from '@tend/proto/tend/health/v1/health_service';
import type { WebSocket } from 'ws';
import { callerOf, type Principal } from '../auth/principal.js';

/** Why a socket is still allowed, checked again while it is open. */
export type SessionCheck = 'active' | 'ended' | 'role-changed' | 'account-gone';

export interface SocketSessionsOptions {
  /** Whether the socket's session, role and account still stand (session store, account). */
  check(principal: Principal): Promise<SessionCheck>;
  logger: Logger;
  /** How often each open socket is checked again. @default 60000 */
  recheckMs?: number;
  /** Open sockets one person may hold on this gateway. @default 5 */
  maxPerPerson?: number;
  /** @default Date.now */
  nowMs?: () => number;
}

/** The close code of a socket whose sign-in no longer holds (an application code, 4000–4999). */
export const sessionEndedCloseCode = 4401;

interface OpenSocket {
  socket: WebSocket;
  principal: Principal;
  /** When the access token that opened it expires. */
  expiresAtMs: number;
}

/**
 * The open WebSockets of this gateway, by person and session, so a socket never outlives what
 * opened it: it is closed at once when its session ends here (logout, refresh-token reuse), and
 * every `recheckMs` each one is checked again — session revoked on another gateway, role
 * changed, account deleted, access token expired. A person holds at most `maxPerPerson` sockets.
 */
export class SocketSessions {
  readonly #open = new Set<OpenSocket>();
  /** Open sockets per person, so admitting one costs the same at 10 sockets or 100,000. */
  readonly #heldBy = new Map<string, number>();
  readonly #recheckMs: number;
  readonly #maxPerPerson: number;
  readonly #nowMs: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SocketSessionsOptions) {
    this.#recheckMs = options.recheckMs ?? 60_000;
    this.#maxPerPerson = options.maxPerPerson ?? 5;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** Tracks a socket until it closes; false (and the socket closed) when the person has too many. */
  add(socket: WebSocket, principal: Principal, expiresAtMs: number): boolean {
    const held = this.#heldBy.get(principal.userId) ?? 0;
    if (held >= this.#maxPerPerson) {
      socket.close(1008, `at most ${this.#maxPerPerson} open sockets per person`);
      return false;
    }
    const entry: OpenSocket = { socket, principal, expiresAtMs };
    this.#open.add(entry);
    this.#heldBy.set(principal.userId, held + 1);
    socket.once('close', () => this.#forget(entry));
    this.#timer ??= setInterval(() => void this.recheck(), this.#recheckMs).unref();
    return true;
  }

  /** Closes every socket of a session that just ended on this gateway. */
  sessionEnded(sessionId: string): void {
    for (const open of this.#open) if (open.principal.sessionId === sessionId) this.#close(open, 'the session ended');
  }

  /** Checks every open socket once (the timer calls this; tests may too). */
  async recheck(): Promise<void> {
    const now = this.#nowMs();
    // One check per session and role, however many sockets it holds open.
    const checks = new Map<string, Promise<SessionCheck>>();
    await Promise.all(
      [...this.#open].map(async (open) => {
        if (open.expiresAtMs <= now) return this.#close(open, 'the access token expired');
        const key = `${open.principal.sessionId}|${open.principal.userId}|${open.principal.role}`;
        let check = checks.get(key);
        if (!check) checks.set(key, (check = this.options.check(open.principal).catch(() => 'active' as const)));
        const state = await check;
        if (state !== 'active') this.#close(open, reasons[state]);
      }),
    );
  }

  /** Stops the timer (the sockets themselves close with the server). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #forget(open: OpenSocket): void {
    if (!this.#open.delete(open)) return;
    const held = (this.#heldBy.get(open.principal.userId) ?? 1) - 1;
    if (held > 0) this.#heldBy.set(open.principal.userId, held);
    else this.#heldBy.delete(open.principal.userId);
  }

  #close(open: OpenSocket, reason: string): void {
    this.#forget(open);
    this.options.logger.info({ component: 'websocket', userId: open.principal.userId, reason }, 'closing a socket');
    open.socket.close(sessionEndedCloseCode, reason);
  }
}

const reasons: Record<Exclude<SessionCheck, 'active'>, string> = {
  ended: 'the session ended',
  'role-changed': 'the account’s role changed; sign in again',
  'account-gone': 'the account no longer exists',
};

const roleOf: Partial<Record<Role, Principal['role']>> = {
  [Role.USER]: 'user',
  [Role.CAREGIVER]: 'caregiver',
  [Role.ADMIN]: 'admin',
};

/**
 * The gateway's check: the session not revoked, the account still there with the same role. Read
 * as the person themselves, so the check is not an access by someone else in their audit log.
 */
export async function socketSessionCheck(
  principal: Principal,
  sessions: { isRevoked(sessionId: string): Promise<boolean> },
  health: Client<typeof HealthService>,
): Promise<SessionCheck> {
  if (await sessions.isRevoked(principal.sessionId)) return 'ended';
  try {
    const { user } = await health.getUser({ caller: callerOf(principal) });
    return user && roleOf[user.role] === principal.role ? 'active' : 'role-changed';
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.NotFound) return 'account-gone';
    throw error;
  }
}
