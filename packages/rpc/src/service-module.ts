import type { ConnectRouter } from '@connectrpc/connect';
import type { Lifecycle } from '@tend/core';
import type { ReadinessCheck } from './http/readiness.js';

/**
 * What a Tend gRPC service gives the binary: the methods to serve on its port, the names to
 * report in health checks, and any long-lived parts of its own (an outbox relay, a scheduler).
 */
export interface GrpcServiceModule {
  /** Short name and target, e.g. `health`. */
  name: string;
  /** Fully-qualified gRPC service names, e.g. `tend.health.v1.HealthService`. */
  serviceNames: readonly string[];
  routes(router: ConnectRouter): void;
  /** Started after the server's dependencies, stopped before them. @default [] */
  parts?: Lifecycle[];
  /** @default [] */
  readiness?: ReadinessCheck[];
  /**
   * Whether it can do its work once started (e.g. its engines are installed); while false its
   * gRPC health says NOT_SERVING. @default always
   */
  serving?: () => boolean;
}
