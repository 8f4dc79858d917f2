import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';

function readinessWith(checks: Record<string, () => Promise<boolean>>): Readiness {
  const readiness = new Readiness();
  for (const [name, check] of Object.entries(checks)) readiness.add({ name, check });
  return readiness;
}

describe('Readiness of one part of the process', () => {
  it('is not ready before the process has started, even with every check passing', async () => {
    const readiness = readinessWith({ database: async () => true });
    expect(await readiness.ready(['database'])).toBe(false);
    readiness.markStarted();
    expect(await readiness.ready(['database'])).toBe(true);
  });

  it('is not ready once the process is draining', async () => {
    const readiness = readinessWith({ database: async () => true });
    readiness.markStarted();
    readiness.markStopping();
    expect(await readiness.ready(['database'])).toBe(false);
  });

  it('asks only the named checks, so one failing part does not take the others down', async () => {
    const readiness = readinessWith({ database: async () => true, engines: async () => false });
    readiness.markStarted();
    expect(await readiness.ready(['database'])).toBe(true);
    expect(await readiness.ready(['database', 'engines'])).toBe(false);
  });

  it('counts a check that throws, or a name nobody registered, as not ready', async () => {
    const readiness = readinessWith({
      database: async () => {
        throw new Error('connection refused');
      },
    });
    readiness.markStarted();
    expect(await readiness.ready(['database'])).toBe(false);
    expect(await readiness.ready(['datbase'])).toBe(false);
  });

  it('counts a check that does not answer within the bound as not ready', async () => {
    const readiness = readinessWith({ database: () => new Promise<boolean>(() => undefined) });
    readiness.markStarted();
    expect(await readiness.ready(['database'], 20)).toBe(false);
  });
});
