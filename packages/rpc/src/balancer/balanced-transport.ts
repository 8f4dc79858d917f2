import { setTimeout as sleep } from 'node:timers/promises';
import type { DescMethod } from '@bufbuild/protobuf';
import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus } from '@tend/proto/grpc/health/v1/health';
import type { BalancingPolicy, UpstreamInstance } from '@tend/core';
import { BaseService } from '@tend/core';
import type { Logger } from '@tend/core';
import { createPicker, type Picker } from './balancing-policies.js';

/** An instance as the admin status page shows it. */
export interface InstanceStatus {
  url: string;
  healthy: boolean;
  breaker: 'closed' | 'open' | 'half-open';
  inFlight: number;
  weight: number;
  backup: boolean;
}

/** A service's instances as the admin status page shows them. */
export interface UpstreamStatus {
  service: string;
  mode: 'in-process' | 'remote';
  policy: string;
  instances: InstanceStatus[];
}

export interface BalancedTransportOptions {
  service: string;
  instances: readonly UpstreamInstance[];
  policy: BalancingPolicy;
  /** Makes the transport of one instance (HTTP/2 sessions are kept and reused by it). */
  transportOf(url: string): Transport;
  logger: Logger;
  /** Consecutive connection failures that take an instance out. @default 3 */
  maxFailures?: number;
  /** How long an instance stays out before one trial call. @default 30_000 */
  ejectMs?: number;
  /** How often each instance's gRPC health is checked. @default 5_000 */
  healthCheckEveryMs?: number;
  /** Further attempts of an idempotent call, each on another instance. @default 2 */
  retries?: number;
}

interface Instance extends UpstreamInstance {
  transport: Transport;
  inFlight: number;
  failures: number;
  ejectedUntil: number;
  /** Out since its last trial failed; back in on the first success. */
  onTrial: boolean;
  /** The last active health check's answer (true until the first one). */
  serving: boolean;
}

/** Codes after which an idempotent call may be tried again elsewhere: the instance, not the call, failed. */
const retryableCodes = new Set([Code.Unavailable, Code.Unknown, Code.Internal, Code.Aborted]);

/**
 * The failure as the balancer sees it. A connection that dies mid-call (its instance killed)
 * reaches us as Canceled, the HTTP/2 stream's CANCEL, or as Aborted, which the Node transport
 * makes of a socket reset or a destroyed stream; when our caller did not cancel, either is the
 * instance going away, so it is read as Unavailable: the call may or may not have been applied,
 * and that is a 503 to retry, not the 409 an Aborted answers at the edge. An Aborted the instance
 * itself answered carries no socket error and stands.
 */
function instanceFailure(error: unknown, signal: AbortSignal | undefined): ConnectError {
  const failure = ConnectError.from(error);
  if (signal?.aborted) return failure;
  const lostConnection =
    failure.code === Code.Canceled || (failure.code === Code.Aborted && socketErrorCode(failure) !== undefined);
  if (!lostConnection) return failure;
  return new ConnectError(failure.rawMessage, Code.Unavailable, failure.metadata, undefined, failure);
}

/** The Node error code (ECONNRESET, ERR_STREAM_DESTROYED...) the transport found the call failed with, if any. */
function socketErrorCode(failure: ConnectError): string | undefined {
  const code = (failure.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether the call never reached its instance: the connection was refused (nothing listening
 * there, as after a crash), so no byte of the request was sent and any call, a write without an
 * idempotency key too, can go to another instance without being applied twice.
 */
export function neverSent(failure: ConnectError): boolean {
  return socketErrorCode(failure) === 'ECONNREFUSED';
}

/**
 * Spreads one service's calls over its instances: a policy picks among the healthy ones;
 * connection failures (3 in a row) take an instance out for 30 s, after which one trial call
 * decides (a breaker per instance); a periodic gRPC health check takes out instances that say
 * they are not serving; backups are used only while no primary is in; an idempotent call that
 * fails because its instance did is retried on another with backoff, and so is any call whose
 * connection was refused (it never left, see `neverSent`). The caller's deadline and
 * cancellation go through unchanged. Streams are placed once and not retried.
 */
export class BalancedTransport extends BaseService implements Transport {
  readonly #instances: Instance[];
  readonly #pick: Picker;
  readonly #options: Required<Omit<BalancedTransportOptions, 'instances' | 'transportOf'>>;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BalancedTransportOptions) {
    super(`balancer-${options.service}`);
    if (options.instances.length === 0) throw new Error(`no instances of ${options.service}`);
    this.#instances = options.instances.map((instance) => ({
      ...instance,
      transport: options.transportOf(instance.url),
      inFlight: 0,
      failures: 0,
      ejectedUntil: 0,
      onTrial: false,
      serving: true,
    }));
    this.#pick = createPicker(options.policy);
    this.#options = {
      service: options.service,
      policy: options.policy,
      logger: options.logger,
      maxFailures: options.maxFailures ?? 3,
      ejectMs: options.ejectMs ?? 30_000,
      healthCheckEveryMs: options.healthCheckEveryMs ?? 5_000,
      retries: options.retries ?? 2,
    };
  }

  protected async doStart(): Promise<void> {
    this.#timer = setInterval(() => void this.checkHealth(), this.#options.healthCheckEveryMs);
    this.#timer.unref();
  }

  protected async doStop(): Promise<void> {
    clearInterval(this.#timer);
  }

  /** Asks every instance for its gRPC health now (also run on a timer once started). */
  async checkHealth(): Promise<void> {
    await Promise.all(
      this.#instances.map(async (instance) => {
        let serving: boolean;
        try {
          const { status } = await createClient(Health, instance.transport).check({}, { timeoutMs: 1_000 });
          serving = status === HealthCheckResponse_ServingStatus.SERVING;
        } catch {
          serving = false;
        }
        if (serving !== instance.serving) {
          this.#options.logger.warn(
            { service: this.#options.service, url: instance.url, serving },
            'upstream health changed',
          );
        }
        instance.serving = serving;
      }),
    );
  }

  status(): UpstreamStatus {
    const now = Date.now();
    return {
      service: this.#options.service,
      mode: 'remote',
      policy: this.#options.policy,
      instances: this.#instances.map((i) => ({
        url: i.url,
        healthy: i.serving && i.ejectedUntil <= now,
        breaker: i.ejectedUntil > now ? 'open' : i.onTrial ? 'half-open' : 'closed',
        inFlight: i.inFlight,
        weight: i.weight,
        backup: i.backup,
      })),
    };
  }

  unary: Transport['unary'] = async (method, signal, timeoutMs, header, input, contextValues) => {
    const tried = new Set<Instance>();
    const idempotent = isIdempotent(method, input);
    const attempts = 1 + this.#options.retries;
    for (let attempt = 1; ; attempt++) {
      const instance = this.#choose(input, tried);
      tried.add(instance);
      instance.inFlight++;
      try {
        const response = await instance.transport.unary(method, signal, timeoutMs, header, input, contextValues);
        this.#succeeded(instance);
        return response;
      } catch (error) {
        const failure = instanceFailure(error, signal);
        this.#failed(instance, failure);
        const retryable = idempotent ? retryableCodes.has(failure.code) : neverSent(failure);
        if (attempt >= attempts || !retryable || signal?.aborted) throw failure;
        this.#options.logger.debug(
          { service: this.#options.service, method: method.name, url: instance.url, code: Code[failure.code] },
          idempotent ? 'retrying an idempotent call on another instance' : 'sending a refused call to another instance',
        );
        await sleep(25 * 2 ** (attempt - 1) * (0.5 + Math.random()), undefined, { signal }).catch(() => undefined);
      } finally {
        instance.inFlight--;
      }
    }
  };

  stream: Transport['stream'] = async (method, signal, timeoutMs, header, input, contextValues) => {
    const instance = this.#choose(undefined, new Set());
    try {
      const response = await instance.transport.stream(method, signal, timeoutMs, header, input, contextValues);
      this.#succeeded(instance);
      return response;
    } catch (error) {
      const failure = instanceFailure(error, signal);
      this.#failed(instance, failure);
      throw failure;
    }
  };

  /** An instance that is in, preferring primaries and ones not tried yet for this call. */
  #choose(input: unknown, tried: ReadonlySet<Instance>): Instance {
    const now = Date.now();
    const usable = (i: Instance) => i.serving && i.ejectedUntil <= now && !tried.has(i);
    const primaries = this.#instances.filter((i) => !i.backup && usable(i));
    const backups = this.#instances.filter((i) => i.backup && usable(i));
    // Nothing known good: try what has not failed this call rather than refuse outright.
    const untried = this.#instances.filter((i) => !tried.has(i));
    const candidates =
      primaries.length > 0 ? primaries : backups.length > 0 ? backups : untried.length > 0 ? untried : this.#instances;
    return this.#pick(candidates, personOf(input)) as Instance;
  }

  #succeeded(instance: Instance): void {
    instance.failures = 0;
    if (instance.onTrial) {
      instance.onTrial = false;
      this.#options.logger.info({ service: this.#options.service, url: instance.url }, 'upstream instance back in');
    }
  }

  #failed(instance: Instance, failure: ConnectError): void {
    // Only the instance's own failures count: a refused or invalid call says nothing about it.
    if (failure.code !== Code.Unavailable) return;
    instance.failures++;
    if (instance.onTrial || instance.failures >= this.#options.maxFailures) {
      instance.ejectedUntil = Date.now() + this.#options.ejectMs;
      instance.onTrial = true;
      instance.failures = 0;
      this.#options.logger.warn(
        { service: this.#options.service, url: instance.url, forMs: this.#options.ejectMs },
        'upstream instance taken out after failures',
      );
    }
  }
}

/**
 * Whether a call may be repeated without doing its work twice: the method says so in its proto
 * options, or it only reads (Get, List, Export, Check), or the request carries an idempotency key.
 */
export function isIdempotent(method: DescMethod, input: unknown): boolean {
  if (method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN) return true;
  if (/^(Get|List|Export|Check)/.test(method.name)) return true;
  const key = (input as { idempotencyKey?: unknown } | undefined)?.idempotencyKey;
  return typeof key === 'string' && key !== '';
}

function personOf(input: unknown): string | undefined {
  const caller = (input as { caller?: { userId?: unknown } } | undefined)?.caller;
  return typeof caller?.userId === 'string' ? caller.userId : undefined;
}
