import { describe, expect, it } from 'vitest';
import { configRows, readConfig } from './config.js';
import { configMarkdownTable, describeConfig } from './describe.js';

describe('tend config --print', () => {
  it('masks secrets, hides URL passwords and marks defaults', () => {
    const printed = describeConfig(
      readConfig({
        DATABASE_URL: 'postgres://tend:hunter2@db:5432/tend',
        TEND_JWT_KEYS: '[{"kid":"k","d":"private-part"}]',
        TEND_ENCRYPTION_KEYS: 'k1:c2VjcmV0LWtleQ==',
        TEND_BLIND_INDEX_KEY: 'YmxpbmQta2V5',
        LLM_BASE_URL: 'http://llm:8000/v1',
        LLM_API_KEY: 'sk-live-123',
        GATEWAY_PORT: '8081',
      }),
    );
    for (const secret of ['hunter2', 'private-part', 'c2VjcmV0LWtleQ', 'YmxpbmQta2V5', 'sk-live-123']) {
      expect(printed).not.toContain(secret);
    }
    const lines = printed.trim().split('\n');
    expect(lines).toContain('DATABASE_URL=postgres://tend:***@db:5432/tend');
    expect(lines).toContain('TEND_JWT_KEYS=***');
    expect(lines).toContain('LLM_API_KEY=***');
    expect(lines).toContain('GATEWAY_PORT=8081');
    expect(lines).toContain('ADMIN_PORT=9400  # default');
    expect(lines).toContain('REDIS_URL=  # default: in-memory');
  });

  it('shows only what the process reads', () => {
    const printed = describeConfig(readConfig({ TEND_JWT_KEYS: 'secret' }, { modules: ['voice'] }));
    expect(printed).toContain('VOICE_PORT=50051');
    expect(printed).not.toContain('TEND_JWT_KEYS');
    expect(printed).not.toContain('DATABASE_URL');
  });
});

describe('the README table', () => {
  it('has one line per variable, with who reads it and secrets marked', () => {
    const table = configMarkdownTable();
    const lines = table.trim().split('\n');
    expect(lines).toHaveLength(configRows().length + 2);
    expect(table).toContain('| `UPSTREAM_POLICY` | `round-robin` | every process |');
    expect(table).toContain('| `TEND_JWT_KEYS` | generated in `TEND_DATA_DIR` | gateway | **secret**:');
    expect(table).toContain('| `DATABASE_URL` | embedded | database |');
  });
});
