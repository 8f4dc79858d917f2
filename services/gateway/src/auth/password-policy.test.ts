import { describe, expect, it } from 'vitest';
import { passwordViolations } from './password-policy.js';

describe('password policy', () => {
  it('accepts a long passphrase', () => {
    expect(passwordViolations('correct horse battery staple', 'ann@example.com')).toEqual([]);
  });

  it.each([
    ['short', 'must be at least 10 characters'],
    ['aaaaaaaaaaaa', 'must not repeat one character'],
    ['Password1234', 'is too common'],
    ['x'.repeat(129), 'must be at most 128 characters'],
    ['ann@example.com', 'must not be the e-mail address'],
  ])('refuses %s, naming the password field', (password, message) => {
    expect(passwordViolations(password, 'ann@example.com')).toContainEqual({ field: 'password', message });
  });
});
