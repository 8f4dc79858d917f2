import { describe, expect, it } from 'vitest';
import { VoiceBusyError, WorkPool } from './work-pool.js';

describe('the work pool', () => {
  it('runs at most its concurrency at once, queues a bounded number and refuses the rest', async () => {
    const pool = new WorkPool(2, 1);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const job = () =>
      pool.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
    const accepted = [job(), job(), job()];
    await expect(job()).rejects.toBeInstanceOf(VoiceBusyError);
    expect(pool.load).toEqual({ running: 2, queued: 1 });
    while (releases.length > 0 || pool.load.running > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(accepted);
    expect(peak).toBe(2);
  });
});
