import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tend/core';
import { createLogger } from '@tend/core';
import { createDatabase } from './create-database.js';

const logger = createLogger({ level: 'silent' });

describe('createDatabase', () => {
  it('uses the embedded server without DATABASE_URL, and a real one with it', () => {
    expect(createDatabase({ logger, dataDir: '/nonexistent' }).embedded).toBe(true);
    expect(createDatabase({ logger, url: 'postgres://tend:x@db/tend' }).embedded).toBe(false);
    expect(createDatabase({ logger, url: '  ' }).embedded).toBe(true);
  });

  it('refuses a malformed DATABASE_URL at construction, naming the variable only', () => {
    const create = () => createDatabase({ logger, url: 'postgres//tend:s3cret@db/tend' });
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/^DATABASE_URL: /);
    expect(create).not.toThrow(/s3cret/);
  });

  it('refuses a malformed DATABASE_REPLICA_URLS entry', () => {
    expect(() =>
      createDatabase({ logger, url: 'postgres://db/tend', replicaUrls: ['postgres://r1/tend', 'r2:5432'] }),
    ).toThrow(/^DATABASE_REPLICA_URLS: entry 2 of 2/);
  });

  it('refuses replicas without a primary URL', () => {
    expect(() => createDatabase({ logger, replicaUrls: ['postgres://r1/tend'] })).toThrow(
      /^DATABASE_REPLICA_URLS: read replicas need DATABASE_URL/,
    );
  });

  it('refuses a bad statement timeout, naming its variable', () => {
    expect(() => createDatabase({ logger, statementTimeoutMs: 0 })).toThrow(/^DATABASE_STATEMENT_TIMEOUT_MS: 0 is not/);
    expect(() => createDatabase({ logger, replicaMaxLagMs: -1 })).toThrow(/database\.replicaMaxLagMs/);
  });

  it('hands out schemas before it starts, one object per name, and checks the name', () => {
    const database = createDatabase({ logger, url: 'postgres://db/tend' });
    const health = database.schema('health');
    expect(health.schema).toBe('health');
    expect(database.schema('health')).toBe(health);
    expect(() => database.schema('Health; DROP')).toThrow(/not a usable schema name/);
    expect(() => database.schema('pg_catalog')).toThrow(/reserved/);
  });

  it('reads from the primary when no replica is configured', () => {
    const health = createDatabase({ logger, url: 'postgres://db/tend' }).schema('health');
    expect(health.reader('alice')).toBe(health.primary);
    expect(health.reader()).toBe(health.primary);
  });

  it('fails a query before start with a clear error instead of hanging', async () => {
    const health = createDatabase({ logger, url: 'postgres://db/tend' }).schema<{ t: { id: number } }>('health');
    await expect(health.primary.selectFrom('t').selectAll().execute()).rejects.toThrow('the database is not started');
  });
});
