import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localSecretFile } from './local-secret-file.js';

describe('local secret files', () => {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tend-keys-'));
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

  it('creates the key once, in a 0700 directory as a 0600 file, and reads the same key after', async () => {
    const keysDir = join(root, 'data', 'keys');
    let made = 0;
    const make = () => ({ key: `k${++made}` });
    const [a, b] = await Promise.all([
      localSecretFile({ keysDir, name: 'k.json', make }),
      localSecretFile({ keysDir, name: 'k.json', make }),
    ]);
    expect(a).toEqual(b);
    expect(await localSecretFile({ keysDir, name: 'k.json', make })).toEqual(a);
    expect(await modeOf(keysDir)).toBe(0o700);
    expect(await modeOf(join(keysDir, 'k.json'))).toBe(0o600);
  });

  it('tightens a directory and file someone opened up, and moves a key from its former place', async () => {
    const keysDir = join(root, 'keys');
    const former = join(root, 'field-keys.json');
    await writeFile(former, JSON.stringify({ key: 'old' }), { mode: 0o644 });
    const moved = await localSecretFile({
      keysDir,
      name: 'field-keys.json',
      make: () => ({ key: 'new' }),
      formerPath: former,
    });
    expect(moved).toEqual({ key: 'old' });
    await expect(readFile(former)).rejects.toThrow();
    await chmod(keysDir, 0o755);
    await chmod(join(keysDir, 'field-keys.json'), 0o644);
    await localSecretFile({ keysDir, name: 'field-keys.json', make: () => ({ key: 'new' }) });
    expect(await modeOf(keysDir)).toBe(0o700);
    expect(await modeOf(join(keysDir, 'field-keys.json'))).toBe(0o600);
  });
});
