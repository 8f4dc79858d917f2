import { ValidationError } from '@tend/core';
import { describe, expect, it } from 'vitest';
import { checkCredentials } from './calendar-sync-handlers.js';

function violationsOf(input: { url: string; username: string; password: string }) {
  try {
    checkCredentials(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.violations.map((v) => v.field);
    throw error;
  }
  return [];
}

describe('checkCredentials', () => {
  it('names every field at fault at once', () => {
    // An empty password, like the fields' lengths, is the contract's to refuse (external.proto).
    expect(violationsOf({ url: 'not a url', username: ' ', password: 'pw' })).toEqual(['url', 'username']);
  });

  it('takes only http(s) URLs without credentials in them', () => {
    expect(violationsOf({ url: 'ftp://dav.example.com/', username: 'a', password: 'b' })).toEqual(['url']);
    expect(violationsOf({ url: 'https://ann:pw@dav.example.com/', username: 'a', password: 'b' })).toEqual(['url']);
  });

  it('trims the URL and username but keeps the password as given', () => {
    expect(checkCredentials({ url: ' https://dav.example.com/ann/ ', username: ' ann ', password: ' pw ' })).toEqual({
      url: 'https://dav.example.com/ann/',
      username: 'ann',
      password: ' pw ',
    });
  });
});
