/**
 * The loop behind the scheduler and the delivery worker: a round, then a pause of `intervalMs`
 * (skipped when the round says more is waiting), until stopped. Stopping cuts the pause short
 * and waits for the round in progress, so a service's stop never leaves a round half-run. The
 * rounds handle their own errors: a failed round is logged by its owner and the loop goes on.
 */
export class PollingLoop {
  #stopping = false;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;

  /** `round` returns true when work is left over and the next round should start at once. */
  constructor(
    private readonly round: () => Promise<boolean>,
    private readonly intervalMs: number,
  ) {}

  /** True once `stop` was called (and until the next `start`): long rounds check it to end early. */
  get stopping(): boolean {
    return this.#stopping;
  }

  start(): void {
    this.#stopping = false;
    this.#running = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const busy = await this.round();
      if (this.#stopping || busy) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.intervalMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
    }
  }
}
