import { describe, expect, it } from 'vitest';
import type { Clock } from '@tend/core';
import { MemoryCache } from './memory-cache.js';

class ManualClock implements Clock {
  #ms = Date.UTC(2026, 0, 1);
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

describe('MemoryCache', () => {
  it('returns a value until its TTL passes, then forgets it', async () => {
    const clock = new ManualClock();
    const cache = new MemoryCache({ clock });
    await cache.set('profile:1', '{"name":"Ada"}', 1000);

    clock.advance(999);
    expect(await cache.get('profile:1')).toBe('{"name":"Ada"}');
    clock.advance(2);
    expect(await cache.get('profile:1')).toBeUndefined();
  });

  it('gives each entry its own TTL', async () => {
    const clock = new ManualClock();
    const cache = new MemoryCache({ clock });
    await cache.set('short', 'a', 100);
    await cache.set('long', 'b', 10_000);
    clock.advance(500);
    expect(await cache.get('short')).toBeUndefined();
    expect(await cache.get('long')).toBe('b');
  });

  it('setting a key again replaces the value and restarts its TTL', async () => {
    const clock = new ManualClock();
    const cache = new MemoryCache({ clock });
    await cache.set('k', 'old', 100);
    clock.advance(90);
    await cache.set('k', 'new', 100);
    clock.advance(90);
    expect(await cache.get('k')).toBe('new');
  });

  it('keeps at most maxEntries, dropping the least recently used first', async () => {
    const cache = new MemoryCache({ maxEntries: 3 });
    await cache.set('a', '1', 60_000);
    await cache.set('b', '2', 60_000);
    await cache.set('c', '3', 60_000);
    await cache.get('a'); // a is now the most recently used
    await cache.set('d', '4', 60_000);

    expect(cache.size).toBe(3);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe('1');
    expect(await cache.get('c')).toBe('3');
    expect(await cache.get('d')).toBe('4');
  });

  it('deletes several keys at once and ignores missing ones', async () => {
    const cache = new MemoryCache();
    await cache.set('a', '1', 60_000);
    await cache.set('b', '2', 60_000);
    await cache.delete('a', 'b', 'never-set');
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBeUndefined();
  });

  it('treats a zero TTL as the shortest life, never as forever', async () => {
    const clock = new ManualClock();
    const cache = new MemoryCache({ clock });
    await cache.set('k', 'v', 0);
    clock.advance(2);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('keeps a decoded value with its entry: the same object until the entry is replaced or deleted', async () => {
    const cache = new MemoryCache();
    const decode = (json: unknown) => json as { times: string[] };
    expect(cache.getDecoded('k', decode)).toBeUndefined();

    await cache.set('k', '{"times":["08:00"]}', 60_000);
    const first = cache.getDecoded('k', decode);
    expect(first?.value).toEqual({ times: ['08:00'] });
    expect(cache.getDecoded('k', decode)).toBe(first);
    expect(Object.isFrozen(first?.value.times)).toBe(true);
    expect(await cache.get('k')).toBe('{"times":["08:00"]}');

    // Another decoder gets its own decoding, not the first one's.
    const other = cache.getDecoded('k', (json) => ({ decodedBy: 'other', json }));
    expect(other?.value).toEqual({ decodedBy: 'other', json: { times: ['08:00'] } });

    await cache.set('k', '{"times":["20:00"]}', 60_000);
    expect(cache.getDecoded('k', decode)?.value).toEqual({ times: ['20:00'] });
    await cache.delete('k');
    expect(cache.getDecoded('k', decode)).toBeUndefined();
  });

  it('rejects a bound that is not a positive integer', () => {
    expect(() => new MemoryCache({ maxEntries: 0 })).toThrow(RangeError);
  });

  it('is empty after stop', async () => {
    const cache = new MemoryCache();
    await cache.start();
    await cache.set('k', 'v', 60_000);
    await cache.stop();
    expect(cache.state).toBe('stopped');
    expect(cache.size).toBe(0);
  });
});
