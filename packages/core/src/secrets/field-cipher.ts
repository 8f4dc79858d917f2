/**
 * Where a sealed value lives: its table and column, the row's id and the person it belongs to.
 * It is authenticated with the value (GCM additional data), so a value copied into another
 * column, row or person's record no longer opens.
 */
export interface SealContext {
  table: string;
  column: string;
  rowId: string;
  ownerId: string;
}

/**
 * Encrypts sensitive fields (conditions, allergies, notes, contact details) before they reach
 * the database, and decrypts them on the way out. Each value carries the id of the key that
 * sealed it, so keys rotate without re-encrypting old rows, and is bound to where it is stored.
 */
export interface FieldCipher {
  /** `"~<key id>:<iv>:<ciphertext+tag>"` with base64url parts, sealed with the current key for `at`. */
  encrypt(plaintext: string, at: SealContext): string;
  /** Opens a value sealed for `at` by any configured key; throws if it was tampered with or moved. */
  decrypt(sealed: string, at: SealContext): string;
  /**
   * A value sealed before values were bound to their place (`"<key id>:<iv>:<…>"`, the key id
   * its only additional data), sealed again for `at`; undefined when `sealed` is already bound.
   * The start-up re-seal step uses it; reads never accept such values.
   */
  reseal(sealed: string, at: SealContext): string | undefined;
  /** Keyed hash (HMAC-SHA256) for exact look-ups without plaintext, e.g. of an e-mail. */
  blindIndex(value: string): Buffer;
}
