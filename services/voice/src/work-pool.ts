/** Too much voice work is already waiting: the caller should come back later. */
export class VoiceBusyError extends Error {
  override name = 'VoiceBusyError';
  constructor(
    readonly retryAfterSeconds: number,
    opts?: ErrorOptions,
  ) {
    super(`the voice service is busy; retry in ${retryAfterSeconds} s`, opts);
  }
}

/**
 * Runs speech work a bounded number at a time, with a bounded queue behind it. Recognition and
 * synthesis are CPU-bound child processes: more at once than cores only makes each slower, and
 * an unbounded backlog would answer nobody in time. When the queue is full, `run` fails at once
 * with VoiceBusyError (RESOURCE_EXHAUSTED / 503 with Retry-After).
 */
export class WorkPool {
  readonly #concurrency: number;
  readonly #maxQueued: number;
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  constructor(concurrency: number, maxQueued: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError('concurrency must be a positive integer');
    if (!Number.isInteger(maxQueued) || maxQueued < 0) throw new RangeError('maxQueued must be a non-negative integer');
    this.#concurrency = concurrency;
    this.#maxQueued = maxQueued;
  }

  /** Jobs running and waiting, for metrics and tests. */
  get load(): { running: number; queued: number } {
    return { running: this.#running, queued: this.#waiting.length };
  }

  /** True when a new job would be refused. */
  get saturated(): boolean {
    return this.#running >= this.#concurrency && this.#waiting.length >= this.#maxQueued;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxQueued) throw new VoiceBusyError(1);
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next job; otherwise it is freed.
      if (next) next();
      else this.#running--;
    }
  }
}
