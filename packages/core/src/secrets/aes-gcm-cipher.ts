import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { ConfigError } from '../errors/errors.js';
import type { FieldCipher, SealContext } from './field-cipher.js';

/** One AES-256 key with the id stored beside every value it seals. */
export interface EncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const ivBytes = 12;
const tagBytes = 16;
/** Marks a value bound to its place; `~` never appears in a key id. */
const boundMark = '~';

interface Envelope {
  id: string;
  iv: Buffer;
  sealed: Buffer;
}

function parseEnvelope(value: string): Envelope {
  const [id, iv, sealed, extra] = value.split(':');
  if (!id || !iv || !sealed || extra !== undefined) throw new Error('cannot decrypt: malformed value');
  return { id, iv: Buffer.from(iv, 'base64url'), sealed: Buffer.from(sealed, 'base64url') };
}

/** The additional data of a bound value: the key id and the value's place, unambiguously joined. */
function boundAad(keyId: string, at: SealContext): Buffer {
  return Buffer.from(JSON.stringify(['tend-field-v2', keyId, at.table, at.column, at.rowId, at.ownerId]));
}

/**
 * AES-256-GCM field encryption with a key ring: the first key seals, every key opens, so a new
 * key can be put first and old rows still read. Every value is bound to its table, column, row
 * and owner (additional data), and must carry a full 16-byte tag. The blind-index key is separate and must not
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

  encrypt(plaintext: string, at: SealContext): string {
    return `${boundMark}${this.#seal(plaintext, this.#current, boundAad(this.#current.id, at))}`;
  }

  decrypt(value: string, at: SealContext): string {
    if (!value.startsWith(boundMark)) throw new Error('cannot decrypt: the value is not bound to its place');
    const envelope = parseEnvelope(value.slice(boundMark.length));
    return this.#open(envelope, boundAad(envelope.id, at));
  }

  reseal(value: string, at: SealContext): string | undefined {
    if (value.startsWith(boundMark)) return undefined;
    const envelope = parseEnvelope(value);
    return this.encrypt(this.#open(envelope, Buffer.from(envelope.id)), at);
  }

  #seal(plaintext: string, key: { id: string; key: KeyObject }, aad: Buffer): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: tagBytes });
    cipher.setAAD(aad);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${key.id}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
  }

  #open(envelope: Envelope, aad: Buffer): string {
    const key = this.#byId.get(envelope.id);
    if (!key) throw new Error('cannot decrypt: unknown key id');
    // Only 12-byte nonces and full 16-byte tags: GCM would otherwise accept a tag cut to 4 bytes.
    if (envelope.iv.length !== ivBytes || envelope.sealed.length < tagBytes)
      throw new Error('cannot decrypt: malformed value');
    const decipher = createDecipheriv('aes-256-gcm', key, envelope.iv, { authTagLength: tagBytes });
    decipher.setAAD(aad);
    decipher.setAuthTag(envelope.sealed.subarray(envelope.sealed.length - tagBytes));
    const body = envelope.sealed.subarray(0, envelope.sealed.length - tagBytes);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
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
