/**
 * Encrypts sensitive fields (conditions, allergies, notes, contact details) before they reach
 * the database, and decrypts them on the way out. Each value carries the id of the key that
 * sealed it, so keys rotate without re-encrypting old rows.
 */
export interface FieldCipher {
  /** `"<key id>:<iv>:<ciphertext+tag>"` with base64url parts, sealed with the current key. */
  encrypt(plaintext: string): string;
  /** Opens a value sealed by any configured key; throws if it was tampered with. */
  decrypt(sealed: string): string;
  /** Keyed hash (HMAC-SHA256) for exact look-ups without plaintext, e.g. of an e-mail. */
  blindIndex(value: string): Buffer;
}
