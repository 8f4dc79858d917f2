import { describe, expect, it } from 'vitest';
import { problemOf } from './problem.js';

describe('problem+json answers', () => {
  it('name each refused field with its message', () => {
    const problem = problemOf(400, {
      title: 'Bad Request',
      status: 400,
      detail: 'invalid body',
      errors: [
        { field: 'systolic', message: 'expected number' },
        { field: 'systolic', message: 'a second complaint' },
        { field: 'unit', message: 'unknown unit' },
      ],
    });
    expect(problem.fieldErrors).toEqual({ systolic: 'expected number', unit: 'unknown unit' });
    expect(problem.detail).toBe('invalid body');
  });

  it('still become a problem when the body is not JSON the API wrote', () => {
    const problem = problemOf(502, undefined);
    expect(problem.status).toBe(502);
    expect(problem.title).toBe('HTTP 502');
    expect(problem.fieldErrors).toEqual({});
  });
});
