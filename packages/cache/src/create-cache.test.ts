import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tend/core';
import { createLogger } from '@tend/core';
import { createCache } from './create-cache.js';
import { MemoryCache } from './memory-cache.js';
import { RedisCache } from './redis-cache.js';
import { validateRedisUrl } from './redis-connection.js';

const logger = createLogger({ level: 'silent' });

describe('createCache', () => {
  it('is in memory without REDIS_URL (all-in-one mode), also when it is blank', () => {
    expect(createCache({ logger })).toBeInstanceOf(MemoryCache);
    expect(createCache({ logger, url: '  ' }).kind).toBe('memory');
  });

  it('is Redis with a REDIS_URL, without connecting before start', () => {
    const cache = createCache({ logger, url: 'redis://127.0.0.1:1' });
    expect(cache).toBeInstanceOf(RedisCache);
    expect(cache.state).toBe('new');
  });

  it.each([
    ['not a url', /not a URL/],
    ['http://redis:6379', /scheme must be redis/],
    ['redis://localhost:6379/zero', /database must be a number/],
    ['redis://localhost:99999', /not a URL/],
  ])('refuses a malformed REDIS_URL %j at boot with a ConfigError naming the variable', (url, problem) => {
    const attempt = () => createCache({ logger, url });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(problem);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).variable).toBe('REDIS_URL');
    }
  });
});

describe('validateRedisUrl', () => {
  it.each(['redis://localhost:6379', 'rediss://user:secret@cache.internal:6380/2', 'redis://127.0.0.1'])(
    'accepts %s',
    (url) => expect(validateRedisUrl(url)).toBe(url),
  );

  it('never puts the password in the error', () => {
    expect(() => validateRedisUrl('http://user:hunter2@host')).toThrow(/^(?!.*hunter2)/);
  });
});
