import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError, localSecretFile } from '@tend/core';

/** What a reminder's buttons do. */
export const reminderActions = ['taken', 'skip', 'snooze'] as const;
export type ReminderAction = (typeof reminderActions)[number];

/** What an action token says: who may do what about which notification, until when. */
export interface ActionClaims {
  /** The token's own id: a token is used once. */
  tokenId: string;
  notificationId: string;
  userId: string;
  action: ReminderAction;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** An action link is good for this long after it was sent. */
export const actionTokenTtlMs = 2 * 60 * 60 * 1000;

/**
 * Signed action tokens for the buttons of a push message or an e-mail, which are tapped without
 * signing in: HMAC-SHA256 over the claims, short-lived, and single use (the service records each
 * token id it accepted). The key comes from configuration or the data directory.
 */
export class ActionTokens {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new RangeError('the action-token key must be at least 32 bytes');
  }

  /**
   * The key from configuration (base64), else the one kept in the keys directory (`TEND_KEYS_DIR`,
   * 0700, by default `<dataDir>/keys`), else a new one there. A key an older version kept in the
   * data directory itself is carried over and its file removed.
   */
  static async load(options: { key?: string; dataDir?: string; keysDir?: string }): Promise<ActionTokens> {
    if (options.key) return new ActionTokens(Buffer.from(options.key, 'base64'));
    if (!options.dataDir) return new ActionTokens(randomBytes(32));
    const former = join(options.dataDir, 'notification-action-key');
    const key = await localSecretFile<string>({
      keysDir: options.keysDir ?? join(options.dataDir, 'keys'),
      name: 'notification-action-key.json',
      make: async () =>
        (await readFile(former, 'utf8').catch(() => undefined))?.trim() || randomBytes(32).toString('base64'),
    });
    await rm(former, { force: true });
    return new ActionTokens(Buffer.from(key, 'base64'));
  }

  sign(claims: Omit<ActionClaims, 'tokenId'>): string {
    const body = Buffer.from(
      JSON.stringify({
        t: randomBytes(12).toString('base64url'),
        n: claims.notificationId,
        u: claims.userId,
        a: claims.action,
        e: claims.expiresAt,
      }),
    ).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The claims of a token this service signed and that has not expired; a clear error otherwise. */
  verify(token: string, now: Date): ActionClaims {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) throw ValidationError.field('token', 'is not an action token');
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw ValidationError.field('token', 'is not an action token this service signed');
    }
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
      t: string;
      n: string;
      u: string;
      a: ReminderAction;
      e: number;
    };
    if (claims.e <= now.getTime()) throw ValidationError.field('token', 'has expired');
    return { tokenId: claims.t, notificationId: claims.n, userId: claims.u, action: claims.a, expiresAt: claims.e };
  }

  #mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
