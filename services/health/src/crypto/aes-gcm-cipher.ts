import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { ConfigError } from '@tend/platform';
import type { FieldCipher } from './field-cipher.js';

/** One AES-256 key with the id stored beside every value it seals. */
export interface EncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const ivBytes = 12;
const tagBytes = 16;

/**
 * AES-256-GCM field encryption with a key ring: the first key seals, every key opens, so a new
 * key can be put first and old rows still read. The blind-index key is separate and must not
 * rotate (it would orphan every index), which is why it is its own setting.
 */
export class AesGcmCipher implements FieldCipher {
  readonly #current: { id: string; key: KeyObject };
  // Key objects made once: handing a raw Buffer to createDecipheriv makes one per call, which
  // costs four times the decryption itself.
  readonly #byId: Map<string, KeyObject>;
  readonly #blindIndexKey: KeyObject;

  constructor(keys: readonly EncryptionKey[], blindIndexKey: Buffer) {
    const [current] = keys;
    if (!current) throw new ConfigError('TEND_ENCRYPTION_KEYS', 'at least one key is required');
    for (const { id, key } of keys) {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new ConfigError('TEND_ENCRYPTION_KEYS', `bad key id "${id}"`);
      if (key.length !== 32) throw new ConfigError('TEND_ENCRYPTION_KEYS', `key "${id}" must be 32 bytes`);
    }
    if (blindIndexKey.length < 32) throw new ConfigError('TEND_BLIND_INDEX_KEY', 'must be at least 32 bytes');
    this.#byId = new Map(keys.map((k) => [k.id, createSecretKey(k.key)]));
    this.#current = { id: current.id, key: this.#byId.get(current.id)! };
    this.#blindIndexKey = createSecretKey(blindIndexKey);
    if (this.#byId.size !== keys.length) throw new ConfigError('TEND_ENCRYPTION_KEYS', 'key ids must be unique');
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    // The key id is authenticated too: a value cannot be moved under another key's id.
    cipher.setAAD(Buffer.from(this.#current.id));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${this.#current.id}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
  }

  decrypt(value: string): string {
    const [id, iv, sealed] = value.split(':');
    const key = id === undefined ? undefined : this.#byId.get(id);
    if (!key || !iv || !sealed) throw new Error(`cannot decrypt: unknown key id or malformed value`);
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(id!));
    decipher.setAuthTag(bytes.subarray(bytes.length - tagBytes));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - tagBytes)), decipher.final()]).toString(
      'utf8',
    );
  }

  blindIndex(value: string): Buffer {
    return createHmac('sha256', this.#blindIndexKey).update(value).digest();
  }
}

/** Parses `TEND_ENCRYPTION_KEYS`: `id:base64key[,id:base64key...]`, the first one current. */
export function parseEncryptionKeys(value: string): EncryptionKey[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      if (at <= 0) throw new ConfigError('TEND_ENCRYPTION_KEYS', 'each entry must be "<key id>:<base64 32-byte key>"');
      return { id: entry.slice(0, at), key: Buffer.from(entry.slice(at + 1), 'base64') };
    });
}
