export { createHealthService, healthSchema, type HealthServiceDeps } from './health-service.js';
export { createFieldCipher, type CipherSettings } from './crypto/local-keys.js';
export { AesGcmCipher, parseEncryptionKeys, type EncryptionKey } from './crypto/aes-gcm-cipher.js';
export type { FieldCipher, SealContext } from './crypto/field-cipher.js';
