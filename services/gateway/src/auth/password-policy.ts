import type { FieldViolation } from '@tend/core';

/** The health service stores a password of at least this length; the gateway asks for the same. */
export const minPasswordLength = 10;
/** Long enough for any passphrase, short enough that hashing it cannot be used to burn CPU. */
export const maxPasswordLength = 128;

// The most common passwords of that length or more in public breach lists: refused outright.
const commonPasswords = new Set([
  '1234567890',
  '0123456789',
  '12345678910',
  'qwertyuiop',
  'password123',
  'password1234',
  'iloveyou123',
  'qwerty1234',
  'abcdefghij',
  '1q2w3e4r5t',
  'passw0rd123',
  'letmein1234',
  'welcome123',
  'administrator',
  'qwertyuiop123',
]);

/** What is wrong with `password` for the account `email`, if anything (NIST 800-63B-style rules). */
export function passwordViolations(password: string, email: string): FieldViolation[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < minPasswordLength) problems.push(`must be at least ${minPasswordLength} characters`);
  if (length > maxPasswordLength) problems.push(`must be at most ${maxPasswordLength} characters`);
  if (length > 0 && new Set(password).size === 1) problems.push('must not repeat one character');
  if (commonPasswords.has(password.toLowerCase())) problems.push('is too common');
  const lower = password.toLowerCase();
  const emailLower = email.trim().toLowerCase();
  if (emailLower !== '' && (lower === emailLower || lower === emailLower.split('@')[0])) {
    problems.push('must not be the e-mail address');
  }
  return problems.map((message) => ({ field: 'password', message }));
}
