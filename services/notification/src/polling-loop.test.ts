import { afterEach, describe, expect, it, vi } from 'vitest';
import { PollingLoop, type RoundResult } from './polling-loop.js';

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

describe('PollingLoop at rest', () => {
  /** Runs `loop` under fake timers for `ms` and returns when each round began (fake ms). */
  async function roundTimes(make: (round: () => Promise<RoundResult>) => PollingLoop, ms: number, result: RoundResult) {
    vi.useFakeTimers();
    const began: number[] = [];
    const loop = make(async () => {
      began.push(Date.now() - start);
      return result;
    });
    const start = Date.now();
    loop.start();
    await vi.advanceTimersByTimeAsync(ms);
    await loop.stop();
    return { began, loop };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it('pauses longer after each idle round, up to the ceiling', async () => {
    const { began } = await roundTimes((round) => new PollingLoop(round, 500, 4_000), 20_000, false);
    // 0, then pauses of 0.5, 1, 2, 4, 4, 4… seconds.
    expect(began.slice(0, 7)).toEqual([0, 500, 1_500, 3_500, 7_500, 11_500, 15_500]);
  });

  it('wakes for the next due work before the pause would end, but never spins on work due already', async () => {
    const { began: soon } = await roundTimes((round) => new PollingLoop(round, 500, 60_000), 1_000, {
      nextDueInMs: 120,
    });
    expect(soon.slice(0, 3)).toEqual([0, 120, 240]);
    const { began: overdue } = await roundTimes((round) => new PollingLoop(round, 500, 60_000), 1_200, {
      nextDueInMs: -5_000,
    });
    expect(overdue).toEqual([0, 500, 1_000]);
  });

  it('a wake ends the pause at once and starts the backoff over', async () => {
    vi.useFakeTimers();
    const began: number[] = [];
    const start = Date.now();
    const loop = new PollingLoop(
      async () => {
        began.push(Date.now() - start);
        return false;
      },
      500,
      8_000,
    );
    loop.start();
    await vi.advanceTimersByTimeAsync(10_000); // rounds at 0, 0.5, 1.5, 3.5, 7.5 s; the next at 15.5 s
    expect(began).toEqual([0, 500, 1_500, 3_500, 7_500]);
    loop.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(began.at(-1)).toBe(10_000);
    await vi.advanceTimersByTimeAsync(500);
    expect(began.at(-1)).toBe(10_500);
    await loop.stop();
  });

  it('a wake during a round runs the next round without a pause', async () => {
    let rounds = 0;
    let secondRound!: () => void;
    const second = new Promise<void>((resolve) => (secondRound = resolve));
    // An hour's pause: only the wake can bring the second round.
    const loop: PollingLoop = new PollingLoop(async () => {
      rounds += 1;
      if (rounds === 1) loop.wake();
      if (rounds === 2) secondRound();
      return false;
    }, 3_600_000);
    loop.start();
    await second;
    await loop.stop();
    expect(rounds).toBe(2);
  });

  it('refuses a ceiling below the interval', () => {
    expect(() => new PollingLoop(async () => false, 500, 100)).toThrow(/intervalMs <= maxIdleMs/);
  });
});
