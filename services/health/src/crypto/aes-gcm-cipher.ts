// The field cipher is the platform's, shared with the conversation service (one mechanism).
export { AesGcmCipher, parseEncryptionKeys, type EncryptionKey } from '@tend/core';
