import { describe, expect, it } from 'vitest';
import { TimeoutError, UnavailableError } from '@tend/core';
import { translateDatabaseError, withDeadline } from './query-errors.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('translateDatabaseError', () => {
  it('turns a statement timeout into a TimeoutError that says how long', () => {
    const error = translateDatabaseError(pgError('57014', 'canceling statement due to statement timeout'), 5000);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toBe('database statement timed out after 5000 ms');
  });

  it('leaves a cancel by request alone', () => {
    const original = pgError('57014', 'canceling statement due to user request');
    expect(translateDatabaseError(original, 5000)).toBe(original);
  });

  it('turns an unreachable or departing server into an UnavailableError', () => {
    for (const error of [
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('08006', 'connection failure'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      const translated = translateDatabaseError(error, 5000);
      expect(translated).toBeInstanceOf(UnavailableError);
      expect((translated as Error).cause).toBe(error);
    }
  });

  it('passes every other error through with its SQLSTATE', () => {
    const unique = pgError('23505', 'duplicate key value violates unique constraint');
    expect(translateDatabaseError(unique, 5000)).toBe(unique);
    expect(translateDatabaseError('odd', 5000)).toBe('odd');
  });
});

describe('withDeadline', () => {
  it('returns the result when in time', async () => {
    expect(await withDeadline(Promise.resolve(42), 100, 'x')).toBe(42);
  });

  it('throws a TimeoutError when late, and swallows the late failure', async () => {
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 50));
    await expect(withDeadline(late, 10, 'database ping')).rejects.toThrow('database ping timed out after 10 ms');
    await new Promise((resolve) => setTimeout(resolve, 60));
  });
});
