import { BaseService, stopInReverse, type Lifecycle } from './service.js';

/**
 * Several parts started in order and stopped in reverse, as one. A service's outbox relay and
 * its gRPC server, for example: the relay runs before the server takes requests and keeps
 * running until the server has drained.
 */
export class CompositeService extends BaseService {
  readonly #started: Lifecycle[] = [];

  constructor(
    name: string,
    private readonly parts: readonly Lifecycle[],
  ) {
    super(name);
  }

  protected async doStart(): Promise<void> {
    for (const part of this.parts) {
      try {
        await part.start();
      } catch (error) {
        await this.doStop().catch(() => undefined);
        throw error;
      }
      this.#started.push(part);
    }
  }

  protected async doStop(): Promise<void> {
    await stopInReverse(this.#started, (part) => part.stop());
  }
}

/** A lifecycle from two functions, for small one-off parts such as "run migrations at start". */
export class TaskService extends BaseService {
  constructor(
    name: string,
    private readonly onStart: () => Promise<void>,
    private readonly onStop: () => Promise<void> = async () => {},
  ) {
    super(name);
  }

  protected doStart(): Promise<void> {
    return this.onStart();
  }

  protected doStop(): Promise<void> {
    return this.onStop();
  }
}
