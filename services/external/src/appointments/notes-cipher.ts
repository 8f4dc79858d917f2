import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals free text at rest. The binary passes the process's field cipher (the same keys and
 * rotation as the health record's notes); this interface is all the external service needs.
 */
export interface NotesCipher {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

/**
 * AES-256-GCM with one key, in the same `<key id>:<iv>:<ciphertext+tag>` envelope as the field
 * cipher, for tests and tools that run the service without the binary's key store.
 */
export class SingleKeyNotesCipher implements NotesCipher {
  constructor(
    private readonly key: Buffer,
    private readonly keyId = 'k1',
  ) {
    if (key.length !== 32) throw new RangeError('an AES-256 key is 32 bytes');
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${this.keyId}:${iv.toString('base64')}:${sealed.toString('base64')}`;
  }

  decrypt(envelope: string): string {
    const [keyId, iv, sealed] = envelope.split(':');
    if (keyId !== this.keyId || !iv || !sealed) throw new Error(`cannot open a value sealed with key "${keyId}"`);
    const bytes = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  }
}
