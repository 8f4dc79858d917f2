import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '@tend/proto/grpc/health/v1/health';

export { ServingStatus };

/**
 * The serving status of each gRPC service in a server, for the standard gRPC health checking
 * protocol. The empty name is the server as a whole: SERVING only while every service is.
 */
export class HealthStatus {
  readonly #status = new Map<string, ServingStatus>();
  readonly #watchers = new Set<() => void>();

  constructor(serviceNames: readonly string[]) {
    for (const name of serviceNames) this.#status.set(name, ServingStatus.NOT_SERVING);
  }

  set(service: string, status: ServingStatus): void {
    this.#status.set(service, status);
    for (const notify of this.#watchers) notify();
  }

  /** Marks every service at once, e.g. SERVING after start, NOT_SERVING on shutdown. */
  setAll(status: ServingStatus): void {
    for (const name of this.#status.keys()) this.#status.set(name, status);
    for (const notify of this.#watchers) notify();
  }

  get(service: string): ServingStatus {
    if (service === '') {
      if (this.#status.size === 0) return ServingStatus.NOT_SERVING;
      return [...this.#status.values()].every((s) => s === ServingStatus.SERVING)
        ? ServingStatus.SERVING
        : ServingStatus.NOT_SERVING;
    }
    return this.#status.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
  }

  /** Resolves at the next change, or when the signal aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#watchers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#watchers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** Registers `grpc.health.v1.Health` answering from `status`. */
export function registerHealthService(router: ConnectRouter, status: HealthStatus): void {
  const impl: ServiceImpl<typeof Health> = {
    check(request) {
      // The protocol: Check of a service the server does not know fails with NOT_FOUND (Watch,
      // below, answers SERVICE_UNKNOWN instead and keeps watching).
      const current = status.get(request.service);
      if (current === ServingStatus.SERVICE_UNKNOWN)
        throw new ConnectError(`unknown service ${JSON.stringify(request.service)}`, Code.NotFound);
      return create(HealthCheckResponseSchema, { status: current });
    },
    async *watch(request, context) {
      let last: ServingStatus | undefined;
      while (!context.signal.aborted) {
        const current = status.get(request.service);
        if (current !== last) {
          last = current;
          yield create(HealthCheckResponseSchema, { status: current });
        }
        await status.changed(context.signal);
      }
    },
  };
  router.service(Health, impl);
}
