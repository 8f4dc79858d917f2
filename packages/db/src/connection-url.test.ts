import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tend/core';
import { describePostgresUrl, validatePostgresUrl, validateReplicaUrls } from './connection-url.js';

function failure(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('validatePostgresUrl', () => {
  it('accepts postgres:// and postgresql:// URLs with a host and a database', () => {
    expect(validatePostgresUrl('DATABASE_URL', 'postgres://tend:secret@db:5432/tend').hostname).toBe('db');
    expect(validatePostgresUrl('DATABASE_URL', 'postgresql://db/tend?sslmode=require').pathname).toBe('/tend');
  });

  it('names the variable and never prints the password of a malformed URL', () => {
    const error = failure(() => validatePostgresUrl('DATABASE_URL', 'postgres://tend:s3cret@db:notaport/tend'));
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toMatch(/^DATABASE_URL: is not a valid URL/);
    expect(error.message).not.toContain('s3cret');
  });

  it('says what is wrong with the scheme', () => {
    const error = failure(() => validatePostgresUrl('DATABASE_URL', 'mysql://tend:s3cret@db/tend'));
    expect(error.message).toBe('DATABASE_URL: must start with postgres:// or postgresql:// (it starts with mysql://)');
  });

  it('says when the database is missing, showing the URL without its password', () => {
    const error = failure(() => validatePostgresUrl('DATABASE_URL', 'postgres://tend:s3cret@db:5432'));
    expect(error.message).toContain('names no database (postgres://tend@db:5432)');
    expect(error.message).not.toContain('s3cret');
  });

  it('names the bad entry of a replica list', () => {
    const error = failure(() =>
      validateReplicaUrls('DATABASE_REPLICA_URLS', [
        'postgres://r1/tend',
        'http://tend:s3cret@r2/tend',
        'postgres://r3/tend',
      ]),
    );
    expect(error.variable).toBe('DATABASE_REPLICA_URLS');
    expect(error.message).toMatch(/^DATABASE_REPLICA_URLS: entry 2 of 3 must start with postgres:\/\//);
    expect(error.message).not.toContain('s3cret');
  });
});

describe('describePostgresUrl', () => {
  it('drops the password and the query string', () => {
    expect(describePostgresUrl('postgres://tend:s3cret@db:5432/tend?password=s3cret')).toBe(
      'postgres://tend@db:5432/tend',
    );
    expect(describePostgresUrl('postgresql://db/tend')).toBe('postgresql://db/tend');
  });
});
