import { describe, expect, it } from 'vitest';
import { WritePositions } from './write-positions.js';

describe('WritePositions', () => {
  it("remembers a key's last write, and nothing for other keys", () => {
    const positions = new WritePositions();
    positions.record('alice', 100n);
    expect(positions.required('alice')).toBe(100n);
    expect(positions.required('bob')).toBeUndefined();
    expect(positions.required(undefined)).toBeUndefined();
  });

  it('never moves a key backwards', () => {
    const positions = new WritePositions();
    positions.record('alice', 200n);
    positions.record('alice', 100n);
    expect(positions.required('alice')).toBe(200n);
    positions.record('alice', 300n);
    expect(positions.required('alice')).toBe(300n);
  });

  it('forgets a key after its time to live', () => {
    let now = 1_000;
    const positions = new WritePositions({ ttlMs: 5_000, now: () => now });
    positions.record('alice', 100n);
    now += 4_999;
    expect(positions.required('alice')).toBe(100n);
    now += 2;
    expect(positions.required('alice')).toBeUndefined();
  });

  it('stays within its key bound, forgetting the least recently written', () => {
    const positions = new WritePositions({ maxKeys: 2 });
    positions.record('a', 1n);
    positions.record('b', 2n);
    positions.record('c', 3n);
    expect(positions.size).toBe(2);
    expect(positions.required('a')).toBeUndefined();
    expect(positions.required('c')).toBe(3n);
  });

  it('makes every read, keyed or not, wait for a write recorded for all, until it expires', () => {
    let now = 0;
    const positions = new WritePositions({ ttlMs: 1_000, now: () => now });
    positions.record('alice', 50n);
    positions.recordForAll(100n);
    expect(positions.required(undefined)).toBe(100n);
    expect(positions.required('alice')).toBe(100n);
    positions.record('alice', 200n);
    expect(positions.required('alice')).toBe(200n);
    now = 1_001;
    expect(positions.required(undefined)).toBeUndefined();
  });
});
