import { ValidationError } from '@tend/platform';
import { create } from '@bufbuild/protobuf';
import { PageRequestSchema } from '@tend/proto/tend/common/v1/common';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageOf } from './page-cursor.js';

describe('page cursors', () => {
  const position = { at: new Date('2026-11-24T10:00:00.123Z'), id: '6f1c1f9e-8a51-4d8e-9d7a-0b6f2d3c4e5f' };

  it('round-trips a position through an opaque base64url string', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it('does not accept a cursor it did not make', () => {
    expect(decodeCursor('not a cursor')).toBeUndefined();
    expect(decodeCursor(Buffer.from('123.nope').toString('base64url'))).toBeUndefined();
  });

  it('defaults the limit to 50 and rejects more than 100 naming page.limit', () => {
    expect(pageOf(undefined).limit).toBe(50);
    expect(pageOf(create(PageRequestSchema, { limit: 100 })).limit).toBe(100);
    expect(() => pageOf(create(PageRequestSchema, { limit: 101 }))).toThrow(ValidationError);
    expect(() => pageOf(create(PageRequestSchema, { limit: 101 }))).toThrow(/page\.limit/);
    expect(() => pageOf(create(PageRequestSchema, { cursor: 'zzz' }))).toThrow(/page\.cursor/);
  });
});
