import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '@tend/core';
import { PageRequestSchema } from '@tend/proto/tend/common/v1/common';
import { decodeCursor, pageLimitOf, pageResponse } from './pagination.js';

const page = (limit: number, cursor = '') => create(PageRequestSchema, { limit, cursor });

describe('cursor pagination', () => {
  it('defaults to 50 and refuses more than 100, naming page.limit', () => {
    expect(pageLimitOf(undefined)).toBe(50);
    expect(pageLimitOf(page(0))).toBe(50);
    expect(pageLimitOf(page(100))).toBe(100);
    expect(() => pageLimitOf(page(101))).toThrow(ValidationError);
    expect(() => pageLimitOf(page(101))).toThrow('page.limit: must be between 1 and 100 (0 or unset means 50)');
  });

  it('round-trips the position after the last item, for the list it came from only', () => {
    const { nextCursor } = pageResponse('audit', { at: 1_700_000_000_000, id: 'a1' });
    expect(decodeCursor(page(10, nextCursor), 'audit')).toMatchObject({ at: 1_700_000_000_000, id: 'a1' });
    expect(() => decodeCursor(page(10, nextCursor), 'caregivers')).toThrow(/page.cursor/);
    expect(() => decodeCursor(page(10, 'not-a-cursor'), 'audit')).toThrow(/page.cursor/);
  });

  it('ends a list with an empty cursor', () => {
    expect(pageResponse('audit', undefined).nextCursor).toBe('');
    expect(decodeCursor(page(10), 'audit')).toBeUndefined();
  });
});
