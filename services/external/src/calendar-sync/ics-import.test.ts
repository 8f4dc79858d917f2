import { describe, expect, it } from 'vitest';
import { isNewerVersion, matchOf } from './ics-import.js';

describe('isNewerVersion', () => {
  const at = (iso: string) => new Date(iso);
  it('takes a larger SEQUENCE as newer and a smaller one as older, whatever LAST-MODIFIED says', () => {
    expect(isNewerVersion({ sequence: 2 }, { sequence: 1, lastModified: at('2027-01-01T00:00:00Z') })).toBe(true);
    expect(isNewerVersion({ sequence: 1, lastModified: at('2027-01-01T00:00:00Z') }, { sequence: 2 })).toBe(false);
  });

  it('among equal sequences, takes a later LAST-MODIFIED as newer and the same version as not', () => {
    const stored = { sequence: 0, lastModified: at('2026-06-01T10:00:00Z') };
    expect(isNewerVersion({ sequence: 0, lastModified: at('2026-06-02T10:00:00Z') }, stored)).toBe(true);
    expect(isNewerVersion({ sequence: 0, lastModified: at('2026-06-01T10:00:00Z') }, stored)).toBe(false);
    expect(isNewerVersion({ sequence: 0 }, stored)).toBe(false);
    expect(isNewerVersion({ sequence: 0 }, { sequence: 0 })).toBe(false);
  });
});

describe('matchOf', () => {
  const stored = [
    { id: '3a0e2c1b-7d4f-4e21-9a6b-000000000001', uid: null, sequence: 3, lastModified: undefined },
    { id: '3a0e2c1b-7d4f-4e21-9a6b-000000000002', uid: 'phone-7', sequence: 0, lastModified: undefined },
  ];
  it("finds an appointment by the event's UID, and one made in Tend by the id in Tend's UID", () => {
    expect(matchOf({ uid: 'phone-7' }, stored)?.id).toBe(stored[1]!.id);
    expect(matchOf({ uid: `${stored[0]!.id}@tend` }, stored)?.id).toBe(stored[0]!.id);
    expect(matchOf({ uid: 'other' }, stored)).toBeUndefined();
  });
});
