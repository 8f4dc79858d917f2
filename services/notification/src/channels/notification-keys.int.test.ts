import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionTokens } from '../actions/action-tokens.js';
import { loadVapidKeys } from './push-sender.js';

describe('the notification service’s generated keys', () => {
  const dirs: string[] = [];
  const newDataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tend-notification-keys-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

  it('keeps the VAPID keys and the action-link key in the 0700 keys directory, none beside the data', async () => {
    const dataDir = await newDataDir();
    const keysDir = join(dataDir, 'elsewhere-keys');
    const vapid = await loadVapidKeys({ dataDir, keysDir });
    await ActionTokens.load({ dataDir, keysDir });
    expect((await readdir(dataDir)).sort()).toEqual(['elsewhere-keys']);
    expect((await readdir(keysDir)).sort()).toEqual(['notification-action-key.json', 'vapid-keys.json']);
    expect(await modeOf(keysDir)).toBe(0o700);
    expect(await modeOf(join(keysDir, 'vapid-keys.json'))).toBe(0o600);
    expect(await modeOf(join(keysDir, 'notification-action-key.json'))).toBe(0o600);
    // The same keys on the next start.
    expect(await loadVapidKeys({ dataDir, keysDir })).toEqual(vapid);
  });

  it('moves keys an older version left in the data directory, keeping them the same', async () => {
    const dataDir = await newDataDir();
    const old = { publicKey: 'BOldPublic', privateKey: 'oldPrivate' };
    await writeFile(join(dataDir, 'vapid-keys.json'), JSON.stringify(old), { mode: 0o644 });
    const actionKey = Buffer.alloc(32, 7).toString('base64');
    await writeFile(join(dataDir, 'notification-action-key'), actionKey, { mode: 0o644 });
    const before = new ActionTokens(Buffer.from(actionKey, 'base64'));
    const link = before.sign({ notificationId: 'n1', userId: 'u1', action: 'taken', expiresAt: Date.now() + 60_000 });

    const vapid = await loadVapidKeys({ dataDir });
    const after = await ActionTokens.load({ dataDir });
    expect(vapid).toMatchObject(old);
    expect(after.verify(link, new Date())).toMatchObject({ notificationId: 'n1', userId: 'u1' });
    expect((await readdir(dataDir)).sort()).toEqual(['keys']);
    expect(await modeOf(join(dataDir, 'keys'))).toBe(0o700);
  });
});
