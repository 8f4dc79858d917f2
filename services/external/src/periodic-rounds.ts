import { BaseService, type Logger } from '@tend/core';

/**
 * A service part that runs a round every `everyMs` (appointment reminders, advisory notices,
 * calendar sync): rounds never overlap — a tick while one runs returns `idle` at once — stopping
 * waits for the round in progress, and the timer does not keep the process alive. Suites drive
 * it by calling `tick()`. A round handles its own per-person errors; one that throws is logged
 * and the next tick tries again.
 */
export abstract class PeriodicRounds<T> extends BaseService {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<T> | undefined;

  protected constructor(
    name: string,
    private readonly everyMs: number,
    private readonly idle: T,
    private readonly logger: Logger,
  ) {
    super(name);
  }

  /** One round's work. */
  protected abstract round(): Promise<T>;

  protected async doStart(): Promise<void> {
    this.#timer = setInterval(
      () => void this.tick().catch((error: unknown) => this.logger.warn({ err: error }, `${this.name} round failed`)),
      this.everyMs,
    );
    this.#timer.unref();
  }

  protected async doStop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /** Runs one round now, unless one is running (then returns `idle`). */
  async tick(): Promise<T> {
    if (this.#running) return this.idle;
    this.#running = this.round();
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }
}
