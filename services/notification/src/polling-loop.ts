import { idleBackoff } from '@tend/events';

/**
 * What a round reports: `true` when work is left over and the next round should start at once;
 * otherwise `false`, or when its next known work falls due (`nextDueInMs` from now), so the pause
 * ends then rather than at the end of a long idle pause.
 */
export type RoundResult = boolean | { nextDueInMs: number | undefined };

/**
 * The loop behind the scheduler and the delivery worker: a round, then a pause until stopped.
 * After a round that found nothing the pause is `intervalMs`, and it doubles with each further
 * idle round up to `maxIdleMs`, so an idle service costs a round every few seconds, not two a
 * second; it is never longer than the time until the round's next known work, and `wake()` (the
 * code that just wrote work) ends it at once and starts over from `intervalMs`. Stopping cuts the
 * pause short and waits for the round in progress, so a service's stop never leaves a round
 * half-run. The rounds handle their own errors: a failed round is logged by its owner and the
 * loop goes on.
 */
export class PollingLoop {
  #stopping = false;
  #woken = false;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;

  /**
   * `round` returns what it found (`RoundResult`); `maxIdleMs` (at least `intervalMs`) is the
   * longest pause after idle rounds. @default maxIdleMs intervalMs (no backoff)
   */
  constructor(
    private readonly round: () => Promise<RoundResult>,
    private readonly intervalMs: number,
    private readonly maxIdleMs = intervalMs,
  ) {
    if (!(intervalMs > 0) || !(maxIdleMs >= intervalMs))
      throw new RangeError(`polling loop: needs 0 < intervalMs <= maxIdleMs (got ${intervalMs}, ${maxIdleMs})`);
  }

  /** True once `stop` was called (and until the next `start`): long rounds check it to end early. */
  get stopping(): boolean {
    return this.#stopping;
  }

  start(): void {
    this.#stopping = false;
    this.#running = this.#run();
  }

  /**
   * Work was just written: the pause in progress ends now, or, during a round, the next one is
   * skipped, and the backoff starts over.
   */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
  }

  async #run(): Promise<void> {
    let idleRounds = 0;
    while (!this.#stopping) {
      this.#woken = false;
      const result = await this.round();
      if (this.#stopping) break;
      if (result === true || this.#woken) {
        idleRounds = 0;
        continue;
      }
      idleRounds += 1;
      await this.#pause(this.#pauseAfter(idleRounds, result === false ? undefined : result.nextDueInMs));
      if (this.#woken) idleRounds = 0;
    }
  }

  /**
   * The backoff for the `idleRounds`-th idle round in a row, cut to the next due work. Work due
   * already (a row the round could not take) waits `intervalMs`, so such a row cannot spin the loop.
   */
  #pauseAfter(idleRounds: number, nextDueInMs: number | undefined): number {
    const backoff = idleBackoff(idleRounds, this.intervalMs, this.maxIdleMs);
    if (nextDueInMs === undefined) return backoff;
    return Math.min(backoff, nextDueInMs > 0 ? nextDueInMs : this.intervalMs);
  }

  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}
