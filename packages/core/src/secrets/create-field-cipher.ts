import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import { localSecretFile } from './local-secret-file.js';
import { AesGcmCipher, parseEncryptionKeys } from './aes-gcm-cipher.js';

export interface CipherSettings {
  /** `TEND_ENCRYPTION_KEYS`. */
  encryptionKeys?: string;
  /** `TEND_BLIND_INDEX_KEY`, base64. */
  blindIndexKey?: string;
  /** The data directory, where an older version kept the generated key file. */
  dataDir: string;
  /** Where all-in-one mode keeps generated keys (`TEND_KEYS_DIR`). @default `<dataDir>/keys` */
  keysDir?: string;
  /** Distributed deployments must bring their own keys: replicas have to share them. */
  requireConfiguredKeys: boolean;
}

/**
 * The field cipher from configuration, or, in all-in-one mode without keys configured, from a
 * key file generated once in the keys directory (0700, the file 0600), apart from the database.
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
  const stored = await localSecretFile({
    keysDir: settings.keysDir ?? join(settings.dataDir, 'keys'),
    name: 'field-keys.json',
    formerPath: join(settings.dataDir, 'field-keys.json'),
    make: () => ({
      encryptionKeys: `local1:${randomBytes(32).toString('base64')}`,
      blindIndexKey: randomBytes(32).toString('base64'),
    }),
  });
  return new AesGcmCipher(parseEncryptionKeys(stored.encryptionKeys), Buffer.from(stored.blindIndexKey, 'base64'));
}
