import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { loadConfig, redactUrl } from './config.js';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs all-in-one on embedded parts with the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      gatewayPort: 8080,
      adminPort: 9400,
      grpcPorts: { voice: 50051, conversation: 50052, health: 50053, notification: 50054, external: 50055 },
      dataDir: './.tend',
      databaseUrl: undefined,
      databaseReplicaUrls: [],
      redisUrl: undefined,
      kafkaBrokers: [],
      logLevel: 'info',
      shutdownGraceMs: 0,
      shutdownTimeoutMs: 10_000,
    });
    expect(config.upstreams.health).toEqual([{ url: 'http://127.0.0.1:50053', weight: 1, backup: false }]);
  });

  it('switches to real parts when their variables are set', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://tend:secret@db:5432/tend',
      DATABASE_REPLICA_URLS: 'postgres://tend:secret@r1:5432/tend, postgres://tend:secret@r2:5432/tend',
      REDIS_URL: 'redis://cache:6379',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      HEALTH_URLS: 'http://health-0:50053,http://health-1:50053/',
      TEND_ENCRYPTION_KEYS: 'k1:a2V5',
      TEND_BLIND_INDEX_KEY: 'a2V5',
      TEND_JWT_KEYS: '[]',
    });
    expect(config.databaseReplicaUrls).toHaveLength(2);
    expect(config.kafkaBrokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.upstreams.health).toEqual([
      { url: 'http://health-0:50053', weight: 1, backup: false },
      { url: 'http://health-1:50053', weight: 1, backup: false },
    ]);
  });

  it.each([
    [{ DATABASE_URL: 'mysql://db/tend' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://db' }, 'DATABASE_URL'],
    [{ DATABASE_REPLICA_URLS: 'postgres://db/tend,nonsense' }, 'DATABASE_REPLICA_URLS'],
    [{ REDIS_URL: 'http://cache' }, 'REDIS_URL'],
    [{ KAFKA_BROKERS: 'k1' }, 'KAFKA_BROKERS'],
    [{ GATEWAY_PORT: '-1' }, 'GATEWAY_PORT'],
    [{ HEALTH_PORT: 'fifty' }, 'HEALTH_PORT'],
    [{ TEND_HOST: 'example.com' }, 'TEND_HOST'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ SHUTDOWN_TIMEOUT_MS: '0' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(configError(env).variable).toBe(variable);
  });

  it('takes the password-hashing test knob only outside distributed mode', () => {
    expect(loadConfig({ PASSWORD_HASH_TEST_LOG2N: '10' }).passwordHashTestLog2N).toBe(10);
    expect(loadConfig({}).passwordHashTestLog2N).toBeUndefined();
    const distributed = {
      DATABASE_URL: 'postgres://db/tend',
      TEND_JWT_KEYS: 'k',
      TEND_ENCRYPTION_KEYS: 'k',
      TEND_BLIND_INDEX_KEY: 'k',
      PASSWORD_HASH_TEST_LOG2N: '10',
    };
    expect(configError(distributed).variable).toBe('PASSWORD_HASH_TEST_LOG2N');
    expect(configError({ PASSWORD_HASH_TEST_LOG2N: '9' }).variable).toBe('PASSWORD_HASH_TEST_LOG2N');
  });

  it('never prints a database password in an error', () => {
    const error = configError({ DATABASE_URL: 'mysql://tend:hunter2@db/tend' });
    expect(error.message).not.toContain('hunter2');
  });

  it('reads a JSON file named by TEND_CONFIG_FILE, the environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-config-'));
    const file = join(dir, 'tend.json');
    writeFileSync(file, JSON.stringify({ GATEWAY_PORT: 9090, LOG_LEVEL: 'debug', KAFKA_BROKERS: ['a:1', 'b:2'] }));
    const config = loadConfig({ TEND_CONFIG_FILE: file, LOG_LEVEL: 'warn' });
    expect(config.gatewayPort).toBe(9090);
    expect(config.logLevel).toBe('warn');
    expect(config.kafkaBrokers).toEqual(['a:1', 'b:2']);
  });

  it('rejects unknown settings and unreadable files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-config-'));
    const file = join(dir, 'tend.json');
    writeFileSync(file, JSON.stringify({ GATEWAY_PROT: 1 }));
    expect(configError({ TEND_CONFIG_FILE: file }).message).toContain('unknown setting "GATEWAY_PROT"');
    expect(configError({ TEND_CONFIG_FILE: join(dir, 'missing.json') }).variable).toBe('TEND_CONFIG_FILE');
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('postgres://tend:s3cret@db:5432/tend')).toBe('postgres://tend:***@db:5432/tend');
  });
});

describe('upstream instances', () => {
  it('reads instance weights, backups and balancing policies, and refuses unknown ones by name', () => {
    const config = loadConfig({
      HEALTH_URLS: 'http://h0:50053;weight=3, http://h1:50053, http://spare:50053;backup',
      UPSTREAM_POLICY: 'least-connections',
      HEALTH_POLICY: 'consistent-hash',
    });
    expect(config.upstreams.health).toEqual([
      { url: 'http://h0:50053', weight: 3, backup: false },
      { url: 'http://h1:50053', weight: 1, backup: false },
      { url: 'http://spare:50053', weight: 1, backup: true },
    ]);
    expect(config.upstreamPolicies.health).toBe('consistent-hash');
    expect(config.upstreamPolicies.voice).toBe('least-connections');
    expect(() => loadConfig({ HEALTH_URLS: 'http://h0:50053;heavy' })).toThrow(/HEALTH_URLS/);
    expect(() => loadConfig({ UPSTREAM_POLICY: 'random' })).toThrow(/UPSTREAM_POLICY/);
  });

  it('serves readiness and metrics on the public gateway port all-in-one, on the admin port only when asked', () => {
    expect(loadConfig({}).opsRoutes).toBe('public');
    expect(loadConfig({ OPS_ROUTES: 'admin' }).opsRoutes).toBe('admin');
    expect(() => loadConfig({ OPS_ROUTES: 'internal' })).toThrow(/OPS_ROUTES/);
  });
});
