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

  it('runs a check once for everyone who asks while it runs, and again for whoever asks after', async () => {
    let runs = 0;
    let answer!: (ok: boolean) => void;
    const readiness = readinessWith({
      database: () => {
        runs += 1;
        return new Promise<boolean>((resolve) => (answer = resolve));
      },
    });
    readiness.markStarted();
    const asked = [readiness.ready(['database']), readiness.ready(['database']), readiness.report()];
    answer(true);
    const [first, second, report] = await Promise.all(asked);
    expect([first, second, report]).toEqual([true, true, { ready: true, checks: { database: true } }]);
    expect(runs).toBe(1);
    const later = readiness.ready(['database']);
    answer(false);
    expect(await later).toBe(false);
    expect(runs).toBe(2);
  });

  it('counts a check that does not answer within the bound as not ready, and asks afresh after', async () => {
    let runs = 0;
    const readiness = readinessWith({
      database: () => {
        runs += 1;
        return runs === 1 ? new Promise<boolean>(() => undefined) : Promise.resolve(true);
      },
    });
    readiness.markStarted();
    expect(await readiness.ready(['database'], 20)).toBe(false);
    expect(await readiness.ready(['database'], 20)).toBe(true);
  });
});
