import { describe, expect, it } from 'vitest';
import {
  MigrationError,
  migrationChecksum,
  migrationLockKey,
  parseMigrationFiles,
  platformMigrations,
  validateMigrations,
} from './migrations.js';

const file = (fileName: string, sql = 'SELECT 1;') => ({ fileName, sql });

describe('parseMigrationFiles', () => {
  it('reads version and name from NNNN_name.sql and sorts by version, numerically', () => {
    const migrations = parseMigrationFiles('m', [
      file('0010_tenth.sql'),
      file('0002_second.sql'),
      file('0001_people.sql'),
    ]);
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, 'people'],
      [2, 'second'],
      [10, 'tenth'],
    ]);
  });

  it('accepts more than four digits and names with dashes', () => {
    expect(parseMigrationFiles('m', [file('10000_add-index.sql')])[0]).toMatchObject({
      version: 10000,
      name: 'add-index',
    });
  });

  it('skips files that are not SQL', () => {
    expect(parseMigrationFiles('m', [file('README.md'), file('0001_people.sql')])).toHaveLength(1);
  });

  it.each([
    '1_people.sql',
    '001_people.sql',
    '0001-people.sql',
    '0001_.sql',
    'people.sql',
    '0001_people.SQL.sql.bak.sql ',
  ])('rejects the badly named file %s, naming it', (fileName) => {
    const run = () => parseMigrationFiles('migrations/health', [file(fileName.trim())]);
    expect(run).toThrow(MigrationError);
    expect(run).toThrow(/expected NNNN_name\.sql/);
  });

  it('rejects two files with one version, naming both', () => {
    expect(() => parseMigrationFiles('m', [file('0001_people.sql'), file('0001_meds.sql')])).toThrow(
      /"0001_people.sql" and "0001_meds.sql" both have version 1/,
    );
  });

  it('rejects version zero, which is not a service version', () => {
    expect(() => parseMigrationFiles('m', [file('0000_init.sql')])).toThrow(/versions start at 0001/);
  });

  it('rejects an empty file', () => {
    expect(() => parseMigrationFiles('m', [file('0001_people.sql', '  \n')])).toThrow(/"0001_people.sql" is empty/);
  });
});

describe('validateMigrations', () => {
  it('sorts and accepts good migrations', () => {
    const sorted = validateMigrations('s', [
      { version: 2, name: 'b', sql: 'x' },
      { version: 1, name: 'a', sql: 'y' },
    ]);
    expect(sorted.map((m) => m.version)).toEqual([1, 2]);
  });

  it('rejects duplicates, non-integers and empty SQL', () => {
    expect(() =>
      validateMigrations('s', [
        { version: 1, name: 'a', sql: 'x' },
        { version: 1, name: 'b', sql: 'y' },
      ]),
    ).toThrow(/two migrations have version 1/);
    expect(() => validateMigrations('s', [{ version: 1.5, name: 'a', sql: 'x' }])).toThrow(/integers from 1/);
    expect(() => validateMigrations('s', [{ version: 0, name: 'a', sql: 'x' }])).toThrow(/integers from 1/);
    expect(() => validateMigrations('s', [{ version: 1, name: 'a', sql: '' }])).toThrow(/0001_a is empty/);
  });
});

describe('migrationChecksum', () => {
  it('changes when the SQL changes', () => {
    expect(migrationChecksum('CREATE TABLE a (id int);')).not.toBe(migrationChecksum('CREATE TABLE a (id bigint);'));
  });

  it('ignores CRLF versus LF line endings', () => {
    expect(migrationChecksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(migrationChecksum('SELECT 1;\nSELECT 2;\n'));
  });
});

describe('migrationLockKey', () => {
  it('is stable per schema and differs between schemas', () => {
    expect(migrationLockKey('health')).toBe(migrationLockKey('health'));
    expect(migrationLockKey('health')).not.toBe(migrationLockKey('voice'));
    const key = migrationLockKey('health');
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
  });
});

describe('platformMigrations', () => {
  it('create the outbox and processed_events tables the relay and consumers rely on', () => {
    const sql = platformMigrations.map((m) => m.sql).join('\n');
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS outbox (');
    expect(sql).toContain('seq bigserial PRIMARY KEY');
    expect(sql).toContain('CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;');
    expect(sql).toContain('PRIMARY KEY (consumer_group, event_id)');
    expect(validateMigrations('platform', platformMigrations)).toHaveLength(platformMigrations.length);
  });
});
