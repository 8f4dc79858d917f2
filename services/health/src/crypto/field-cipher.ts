// The field cipher is the platform's, shared with the conversation service (one mechanism).
export type { FieldCipher, SealContext } from '@tend/core';
