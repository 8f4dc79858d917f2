import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@tend/platform';
import { AesGcmCipher, parseEncryptionKeys } from './aes-gcm-cipher.js';

export interface CipherSettings {
  /** `TEND_ENCRYPTION_KEYS`. */
  encryptionKeys?: string;
  /** `TEND_BLIND_INDEX_KEY`, base64. */
  blindIndexKey?: string;
  /** Where all-in-one mode keeps generated keys. */
  dataDir: string;
  /** Distributed deployments must bring their own keys: replicas have to share them. */
  requireConfiguredKeys: boolean;
}

/**
 * The field cipher from configuration, or, in all-in-one mode without keys configured, from a
 * key file generated once in the data directory (mode 0600) beside the embedded database.
 */
export async function createFieldCipher(settings: CipherSettings): Promise<AesGcmCipher> {
  if (settings.encryptionKeys || settings.blindIndexKey) {
    if (!settings.encryptionKeys)
      throw new ConfigError('TEND_ENCRYPTION_KEYS', 'is required with TEND_BLIND_INDEX_KEY');
    if (!settings.blindIndexKey) throw new ConfigError('TEND_BLIND_INDEX_KEY', 'is required with TEND_ENCRYPTION_KEYS');
    return new AesGcmCipher(
      parseEncryptionKeys(settings.encryptionKeys),
      Buffer.from(settings.blindIndexKey, 'base64'),
    );
  }
  if (settings.requireConfiguredKeys) {
    throw new ConfigError(
      'TEND_ENCRYPTION_KEYS',
      'is required when DATABASE_URL is set (every replica needs the same keys)',
    );
  }
  const file = join(settings.dataDir, 'field-keys.json');
  let stored: { encryptionKeys: string; blindIndexKey: string };
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as typeof stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    stored = {
      encryptionKeys: `local1:${randomBytes(32).toString('base64')}`,
      blindIndexKey: randomBytes(32).toString('base64'),
    };
    await mkdir(settings.dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
  }
  return new AesGcmCipher(parseEncryptionKeys(stored.encryptionKeys), Buffer.from(stored.blindIndexKey, 'base64'));
}
