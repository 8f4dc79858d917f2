import { Code } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import {
  GoneError,
  NotFoundError,
  ValidationError,
  fieldViolationsOf,
  httpStatusOf,
  httpStatusOfError,
  toConnectError,
} from './errors.js';

describe('toConnectError', () => {
  it('turns bad input into InvalidArgument carrying every field, whatever the language', () => {
    const error = toConnectError(
      new ValidationError([
        { field: 'name', message: 'must be 1–200 characters' },
        { field: 'systolic', message: '收缩压必须在 40 到 300 之间' },
      ]),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(httpStatusOf(error.code)).toBe(400);
    expect(fieldViolationsOf(error)).toEqual([
      { field: 'name', message: 'must be 1–200 characters' },
      { field: 'systolic', message: '收缩压必须在 40 到 300 之间' },
    ]);
    expect(() => new Headers(error.metadata)).not.toThrow();
  });

  it('keeps domain meaning and hides internals', () => {
    expect(toConnectError(new NotFoundError('medication', 'm1')).code).toBe(Code.NotFound);
    const internal = toConnectError(new Error('connection string postgres://secret'));
    expect(internal.code).toBe(Code.Internal);
    expect(internal.message).not.toContain('secret');
  });

  it('answers a refusal by the record’s state as a conflict, which every write documents', () => {
    expect(httpStatusOf(Code.FailedPrecondition)).toBe(409);
    expect(httpStatusOf(Code.AlreadyExists)).toBe(409);
  });

  it('tells a record removed for good (410) from one never there (404), both NotFound to a service', () => {
    const gone = toConnectError(new GoneError('calendar feed', 'for this token'));
    expect(gone.code).toBe(Code.NotFound);
    expect(httpStatusOfError(gone)).toBe(410);
    expect(httpStatusOfError(toConnectError(new NotFoundError('calendar feed', 'for this token')))).toBe(404);
    expect(new GoneError('calendar feed', 'x')).toBeInstanceOf(NotFoundError);
  });
});
