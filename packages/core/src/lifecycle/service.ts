/** Where a long-lived thing is in its life. */
export type ServiceState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Anything that must be started before use and stopped before exit. */
export interface Lifecycle {
  readonly name: string;
  readonly state: ServiceState;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Base for long-lived resources: guards the state machine so start and stop run once each, in
 * order, and a failure in either leaves the state `failed` with the cause kept.
 */
export abstract class BaseService implements Lifecycle {
  #state: ServiceState = 'new';
  #failure: unknown;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(readonly name: string) {}

  get state(): ServiceState {
    return this.#state;
  }

  /** Why the service failed, when it did. */
  get failure(): unknown {
    return this.#failure;
  }

  start(): Promise<void> {
    this.#starting ??= this.#run('starting', 'running', () => this.doStart());
    return this.#starting;
  }

  async stop(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    else {
      this.#state = 'stopped';
      return;
    }
    this.#stopping ??= this.#run('stopping', 'stopped', () => this.doStop());
    return this.#stopping;
  }

  async #run(during: ServiceState, after: ServiceState, work: () => Promise<void>): Promise<void> {
    this.#state = during;
    try {
      await work();
      this.#state = after;
    } catch (error) {
      this.#state = 'failed';
      this.#failure = error;
      throw error;
    }
  }

  protected abstract doStart(): Promise<void>;
  protected abstract doStop(): Promise<void>;
}

/**
 * Stops what `started` holds, last first, removing each from the array. Every part gets its stop
 * even when an earlier one fails; the first failure is rethrown at the end.
 */
export async function stopInReverse<T>(started: T[], stop: (item: T) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  while (started.length > 0) {
    try {
      await stop(started.pop()!);
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}
