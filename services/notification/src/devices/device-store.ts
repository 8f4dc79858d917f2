import { createHash, randomInt } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError, type Clock, type Ids } from '@tend/core';
import { type SchemaDatabase } from '@tend/db';
import type { Selectable } from 'kysely';
import type { DeviceKind, DevicesTable, NotificationTables } from '../db/tables.js';
import type { DeviceAddress } from '../channels/channel-sender.js';

/** A verification code lives this long. */
export const codeTtlMs = 10 * 60 * 1000;
/** Wrong codes allowed before a new one must be asked for. */
export const maxCodeAttempts = 5;

export type StoredDevice = Selectable<DevicesTable>;

const hashCode = (deviceId: string, code: string) => createHash('sha256').update(`${deviceId}:${code}`).digest('hex');

/**
 * Each person's devices: push subscriptions (usable at once: the browser made them for us) and
 * phone numbers and e-mail addresses (usable once the code sent to them comes back).
 */
export class DeviceStore {
  constructor(
    private readonly db: SchemaDatabase<NotificationTables>,
    private readonly clock: Clock,
    private readonly ids: Ids,
  ) {}

  /**
   * Adds a device, or renews the code of one already added and not verified. Returns the device
   * and, for phones and addresses, the code to send.
   */
  async register(
    userId: string,
    kind: DeviceKind,
    address: string,
    pushKeys?: { p256dh: string; auth: string },
  ): Promise<{ device: StoredDevice; code?: string }> {
    const now = this.clock.now();
    const id = this.ids.uuid();
    const code = kind === 'push' ? undefined : String(randomInt(0, 1_000_000)).padStart(6, '0');
    return this.db.transaction(async (trx) => {
      const existing = await trx
        .selectFrom('devices')
        .selectAll()
        .where('user_id', '=', userId)
        .where('kind', '=', kind)
        .where('address', '=', address)
        .forUpdate()
        .executeTakeFirst();
      if (existing?.verified_at) {
        if (kind === 'push' && pushKeys) {
          await trx
            .updateTable('devices')
            .set({ push_keys: JSON.stringify(pushKeys) })
            .where('id', '=', existing.id)
            .execute();
        }
        return { device: existing };
      }
      const deviceId = existing?.id ?? id;
      const values = {
        push_keys: pushKeys ? JSON.stringify(pushKeys) : null,
        verified_at: kind === 'push' ? now : null,
        code_hash: code ? hashCode(deviceId, code) : null,
        code_expires_at: code ? new Date(now.getTime() + codeTtlMs) : null,
        code_attempts: 0,
      };
      const device = existing
        ? await trx
            .updateTable('devices')
            .set(values)
            .where('id', '=', deviceId)
            .returningAll()
            .executeTakeFirstOrThrow()
        : await trx
            .insertInto('devices')
            .values({ id: deviceId, user_id: userId, kind, address, created_at: now, ...values })
            .returningAll()
            .executeTakeFirstOrThrow();
      return { device, code };
    });
  }

  /**
   * Checks a code (six digits, as the contract requires); the device is verified when it matches,
   * before it expires, within the attempts allowed.
   */
  async verify(userId: string, deviceId: string, code: string): Promise<StoredDevice> {
    return this.db
      .transaction(async (trx) => {
        const device = await trx
          .selectFrom('devices')
          .selectAll()
          .where('id', '=', deviceId)
          .where('user_id', '=', userId)
          .forUpdate()
          .executeTakeFirst();
        if (!device) throw new NotFoundError('device', deviceId);
        if (device.verified_at) return device;
        const now = this.clock.now();
        if (!device.code_hash || !device.code_expires_at || new Date(device.code_expires_at) <= now) {
          throw ValidationError.field('code', 'has expired; register the device again for a new one');
        }
        if (device.code_attempts >= maxCodeAttempts) {
          throw new ConflictError('device', 'too many wrong codes; register the device again for a new one');
        }
        if (hashCode(device.id, code) !== device.code_hash) {
          await trx
            .updateTable('devices')
            .set({ code_attempts: device.code_attempts + 1 })
            .where('id', '=', device.id)
            .execute();
          // The attempt must count even though the call fails: commit it, then refuse.
          return { ...device, code_attempts: -1 };
        }
        return trx
          .updateTable('devices')
          .set({ verified_at: now, code_hash: null, code_expires_at: null })
          .where('id', '=', device.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      })
      .then((device) => {
        if (device.code_attempts === -1) throw ValidationError.field('code', 'does not match the code sent');
        return device;
      });
  }

  async list(userId: string): Promise<StoredDevice[]> {
    return this.db.primary
      .selectFrom('devices')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  async delete(userId: string, deviceId: string): Promise<void> {
    const result = await this.db.primary
      .deleteFrom('devices')
      .where('id', '=', deviceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundError('device', deviceId);
  }

  /** Drops a push subscription its push service says is gone. */
  async dropPushEndpoint(endpoint: string): Promise<void> {
    await this.db.primary.deleteFrom('devices').where('kind', '=', 'push').where('address', '=', endpoint).execute();
  }

  /** The verified addresses of people on a channel's kind of device. */
  async verifiedAddresses(userIds: readonly string[], kind: DeviceKind): Promise<Map<string, DeviceAddress[]>> {
    const byUser = new Map<string, DeviceAddress[]>();
    if (userIds.length === 0) return byUser;
    const rows = await this.db.primary
      .selectFrom('devices')
      .select(['user_id', 'kind', 'address', 'push_keys'])
      .where('user_id', 'in', [...new Set(userIds)])
      .where('kind', '=', kind)
      .where('verified_at', 'is not', null)
      .execute();
    for (const row of rows) {
      const address: DeviceAddress =
        row.kind === 'push' && row.push_keys
          ? { kind: 'push', address: row.address, keys: row.push_keys }
          : { kind: row.kind === 'phone' ? 'phone' : 'email', address: row.address };
      byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), address]);
    }
    return byUser;
  }

  /** The person whose verified phone this is (for SMS replies); undefined when none or several. */
  async personOfPhone(phone: string): Promise<string | undefined> {
    const rows = await this.db.primary
      .selectFrom('devices')
      .select('user_id')
      .where('kind', '=', 'phone')
      .where('address', '=', phone)
      .where('verified_at', 'is not', null)
      .execute();
    return rows.length === 1 ? rows[0]!.user_id : undefined;
  }

  async forget(userId: string): Promise<void> {
    await this.db.primary.deleteFrom('devices').where('user_id', '=', userId).execute();
  }
}
