import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/errors.js';
import { configRows, loadConfig, readConfig } from './config.js';

function problem(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const database = { DATABASE_URL: 'postgres://tend:pw@db:5432/tend' };

describe('the configuration table', () => {
  it('documents every row and parses to its default when unset', () => {
    const { values, given } = readConfig({});
    expect(given.size).toBe(0);
    for (const [name, row] of configRows()) {
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(row.doc.length, name).toBeGreaterThan(5);
      expect(row.targets === 'every' || row.targets.length > 0, name).toBe(true);
      expect(values[name]).toEqual(row.default);
    }
  });

  it('declares the variables the loader reads that the old list had missed', () => {
    const names = configRows().map(([name]) => name);
    for (const name of ['UPSTREAM_POLICY', 'HEALTH_POLICY', 'OIDC_PROVIDERS', 'LLM_BASE_URL', 'LLM_MAX_STEPS']) {
      expect(names).toContain(name);
    }
  });
});

describe('a process reads and requires only its own variables', () => {
  it('lets a voice process start on a database URL without the gateway or health keys', () => {
    const env = { ...database, OIDC_PROVIDERS: 'not json', LLM_BASE_URL: 'nonsense', GATEWAY_PORT: 'x' };
    const reading = readConfig(env, { modules: ['voice'] });
    expect(reading.read.has('TEND_JWT_KEYS')).toBe(false);
    expect(reading.read.has('DATABASE_URL')).toBe(false);
    expect(reading.values.GATEWAY_PORT).toBe(8080);
    expect(reading.read.has('LOG_LEVEL')).toBe(true);
  });

  it('requires the signing keys of a gateway on a real database, naming the variable', () => {
    const modules = ['database', 'cache', 'rate-limit', 'event-bus', 'gateway'];
    expect(problem(() => readConfig(database, { modules })).message).toBe(
      'TEND_JWT_KEYS: is required when DATABASE_URL is set',
    );
    expect(() => readConfig({ ...database, TEND_JWT_KEYS: '[]' }, { modules })).not.toThrow();
  });

  it('requires the field keys of a health service on a real database, but not the gateway keys', () => {
    const modules = ['database', 'cache', 'event-bus', 'health'];
    expect(problem(() => readConfig(database, { modules })).variable).toBe('TEND_ENCRYPTION_KEYS');
    const keys = { TEND_ENCRYPTION_KEYS: 'k1:a2V5', TEND_BLIND_INDEX_KEY: 'a2V5' };
    expect(readConfig({ ...database, ...keys }, { modules }).read.has('TEND_JWT_KEYS')).toBe(false);
  });

  it('reads every variable when no modules are named, as --target=all', () => {
    expect(problem(() => loadConfig({ OIDC_PROVIDERS: '{}', LLM_BASE_URL: 'ftp://model' })).variable).toBe(
      'LLM_BASE_URL',
    );
  });
});

describe('table-driven checks', () => {
  it('never puts a secret value in an error message', () => {
    const error = problem(() => loadConfig({ OIDC_PROVIDERS: '{"corp": {"issuer": "hunter2"}}' }));
    expect(error.variable).toBe('OIDC_PROVIDERS');
    expect(error.message).not.toContain('hunter2');
  });

  it('reads OpenID Connect providers from JSON and names the field at fault', () => {
    const provider = { issuer: 'https://id.example/', clientId: 'tend', clientSecret: 's', redirectUri: 'http://x/cb' };
    const config = loadConfig({ OIDC_PROVIDERS: JSON.stringify({ corp: provider }) });
    expect(config.gateway.oidcProviders.corp).toEqual({
      ...provider,
      issuer: 'https://id.example',
      scope: 'openid email profile',
    });
    const missing = problem(() => loadConfig({ OIDC_PROVIDERS: JSON.stringify({ corp: { issuer: 'http://i' } }) }));
    expect(missing.message).toContain('corp.clientId');
    expect(problem(() => loadConfig({ OIDC_PROVIDERS: '{"Bad Name": {}}' })).message).toContain('[a-z0-9-]');
  });

  it('builds the language model settings only when LLM_BASE_URL is set', () => {
    expect(loadConfig({ LLM_MODEL: 'other' }).llm).toBeUndefined();
    expect(loadConfig({ LLM_BASE_URL: 'http://llm:8000/v1/', LLM_MAX_STEPS: '3' }).llm).toEqual({
      baseUrl: 'http://llm:8000/v1',
      model: 'gpt-4o-mini',
      apiKey: undefined,
      firstTokenTimeoutMs: 3000,
      totalTimeoutMs: 15_000,
      maxSteps: 3,
    });
    expect(problem(() => loadConfig({ LLM_BASE_URL: 'http://llm', LLM_MAX_STEPS: '0' })).variable).toBe(
      'LLM_MAX_STEPS',
    );
  });

  it('accepts every table variable in TEND_CONFIG_FILE, policies and JSON objects included', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tend-config-')), 'tend.json');
    const provider = { issuer: 'http://i', clientId: 'c', clientSecret: 's', redirectUri: 'http://r' };
    writeFileSync(
      file,
      JSON.stringify({
        UPSTREAM_POLICY: 'weighted',
        HEALTH_POLICY: 'least-connections',
        OIDC_PROVIDERS: { p: provider },
      }),
    );
    const config = loadConfig({ TEND_CONFIG_FILE: file });
    expect(config.upstreamPolicies).toMatchObject({ health: 'least-connections', voice: 'weighted' });
    expect(Object.keys(config.gateway.oidcProviders)).toEqual(['p']);
  });
});
