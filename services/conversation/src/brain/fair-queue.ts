/** Raised when the queue is full: the caller answers another way (the embedded brain). */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

interface Waiting {
  start: () => void;
  reject: (error: Error) => void;
}

/**
 * Admission in front of the language model: at most `concurrency` calls run at once, at most
 * `capacity` wait, and waiting calls are served one person at a time in turn, so one person
 * sending fifty messages delays only their own answers, not everyone's.
 */
export class FairQueue {
  readonly #waiting = new Map<string, Waiting[]>();
  #running = 0;
  #queued = 0;

  constructor(
    private readonly concurrency: number,
    private readonly capacity: number,
  ) {}

  /** Runs `work` when its turn comes; `QueueFullError` at once when too many are waiting. */
  async run<T>(person: string, work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#queued >= this.capacity) throw new QueueFullError(`more than ${this.capacity} calls are waiting`);
      await new Promise<void>((start, reject) => {
        const line = this.#waiting.get(person) ?? [];
        line.push({ start, reject });
        // Re-inserting moves a person to the back of the rotation only when they had no line.
        if (line.length === 1) this.#waiting.set(person, line);
        this.#queued++;
      });
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      this.#next();
    }
  }

  /** Calls waiting now. */
  get waiting(): number {
    return this.#queued;
  }

  #next(): void {
    const first = this.#waiting.entries().next();
    if (first.done) {
      this.#running--;
      return;
    }
    const [person, line] = first.value;
    const waiting = line.shift()!;
    this.#waiting.delete(person);
    // The person goes to the back of the rotation with whatever they still have waiting.
    if (line.length > 0) this.#waiting.set(person, line);
    this.#queued--;
    waiting.start();
  }
}
