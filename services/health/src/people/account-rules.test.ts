import { ValidationError } from '@tend/core';
import { describe, expect, it } from 'vitest';
import {
  checkBirthDate,
  checkDisplayName,
  checkHealthList,
  checkLocale,
  checkTimeZone,
  isTimeZone,
  normaliseEmail,
  passwordProblem,
} from './account-rules.js';

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.violations[0]?.field;
    throw error;
  }
  return undefined;
}

describe('password rules', () => {
  it('accepts a passphrase and a mixed password of at least 10 characters', () => {
    expect(passwordProblem('correct horse battery')).toBeUndefined();
    expect(passwordProblem('tr0ub4dor&3')).toBeUndefined();
  });

  it('refuses passwords shorter than 10 or longer than 128 characters', () => {
    expect(passwordProblem('abc123!?x')).toMatch(/at least 10/);
    expect(passwordProblem(`a1${'x'.repeat(127)}`)).toMatch(/at most 128/);
  });

  it('refuses a password of only letters, only digits, or one repeated character', () => {
    expect(passwordProblem('onlylettershere')).toMatch(/mix/);
    expect(passwordProblem('12345678901')).toMatch(/mix/);
    expect(passwordProblem('!!!!!!!!!!!!')).toMatch(/repeated/);
  });
});

describe('e-mail normalisation', () => {
  it('trims and lower-cases so one address is one account', () => {
    expect(normaliseEmail('email', '  Ada.Lovelace@Example.ORG ')).toBe('ada.lovelace@example.org');
  });

  it('rejects what is not an address, naming the field', () => {
    for (const bad of ['', 'ada', 'ada@', '@example.org', 'ada@example', 'a da@example.org', 'ada@@example.org'])
      expect(fieldOf(() => normaliseEmail('email', bad))).toBe('email');
  });
});

describe('time zones', () => {
  it('knows IANA zones and links, and gives the canonical spelling', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(checkTimeZone('time_zone', 'UTC')).toBe('UTC');
    expect(checkTimeZone('time_zone', 'america/new_york')).toBe('America/New_York');
  });

  it('rejects made-up zones and offsets-as-text, naming the field', () => {
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(fieldOf(() => checkTimeZone('time_zone', 'Europe/Atlantis'))).toBe('time_zone');
  });
});

describe('profile fields', () => {
  const now = new Date('2026-11-24T12:00:00Z');

  it('accepts a past birth date and refuses a future or impossible one', () => {
    expect(checkBirthDate('profile.birth_date', '1950-02-28', now)).toBe('1950-02-28');
    expect(fieldOf(() => checkBirthDate('profile.birth_date', '2030-01-01', now))).toBe('profile.birth_date');
    expect(fieldOf(() => checkBirthDate('profile.birth_date', '1950-02-30', now))).toBe('profile.birth_date');
    expect(fieldOf(() => checkBirthDate('profile.birth_date', '24/11/1950', now))).toBe('profile.birth_date');
  });

  it('requires a display name of at most 100 characters and a known locale', () => {
    expect(checkDisplayName('display_name', '  Mei ')).toBe('Mei');
    expect(fieldOf(() => checkDisplayName('display_name', '   '))).toBe('display_name');
    expect(fieldOf(() => checkDisplayName('display_name', 'x'.repeat(101)))).toBe('display_name');
    expect(checkLocale('locale', 'zh')).toBe('zh');
    expect(fieldOf(() => checkLocale('locale', 'fr'))).toBe('locale');
  });

  it('names the entry of a condition list that is too long', () => {
    expect(checkHealthList('profile.conditions', [' asthma '])).toEqual(['asthma']);
    expect(fieldOf(() => checkHealthList('profile.conditions', ['ok', 'x'.repeat(201)]))).toBe('profile.conditions[1]');
  });
});
