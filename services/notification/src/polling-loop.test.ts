import { describe, expect, it } from 'vitest';
import { PollingLoop } from './polling-loop.js';

describe('PollingLoop', () => {
  it('runs a busy round again without pausing and pauses after an idle one', async () => {
    const busy = [true, true, false];
    let rounds = 0;
    let idle!: () => void;
    const idleReached = new Promise<void>((resolve) => (idle = resolve));
    // An hour's pause: a round after the idle one would mean the pause was skipped.
    const loop = new PollingLoop(async () => {
      rounds += 1;
      const more = busy.shift() ?? false;
      if (!more) idle();
      return more;
    }, 3_600_000);
    loop.start();
    await idleReached;
    await loop.stop();
    expect(rounds).toBe(3);
  });

  it('cuts the pause short on stop and waits for the round in progress', async () => {
    let finished = false;
    let entered!: () => void;
    const inRound = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loop = new PollingLoop(async () => {
      entered();
      await gate;
      finished = true;
      return false;
    }, 3_600_000);
    loop.start();
    await inRound;
    const stopped = loop.stop();
    expect(loop.stopping).toBe(true);
    release();
    await stopped;
    expect(finished).toBe(true);
  });
});
