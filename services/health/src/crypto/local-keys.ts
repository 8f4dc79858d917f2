// The field cipher is the platform's, shared with the conversation service (one mechanism).
export { createFieldCipher, type CipherSettings } from '@tend/core';
