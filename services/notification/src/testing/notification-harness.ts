import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { CompositeService, Metrics, createLogger, type Clock, type Logger } from '@tend/core';
import { MemoryEventBus, type EventBus } from '@tend/events';
import { type SchemaDatabase } from '@tend/db';
import { startHealthHarness, type HealthHarness } from '@tend/health/testing';
import type { Caller } from '@tend/proto/tend/common/v1/common';
import type { Medication } from '@tend/proto/tend/health/v1/medications';
import { NotificationService } from '@tend/proto/tend/notification/v1/notification';
import { inProcessTransport, uniqueSchemaName, type DatabaseTarget } from '@tend/testing';
import type { NotificationTables } from '../db/tables.js';
import type { DeliveryWorkerOptions } from '../delivery/delivery-worker.js';
import {
  createNotificationService,
  type ChannelSettings,
  type NotificationServiceModule,
} from '../notification-service.js';
import type { SchedulerOptions } from '../reminders/reminder-scheduler.js';

/** A clock a suite moves by hand, shared by the health and notification services. */
export class ManualClock implements Clock {
  constructor(private at: Date) {}
  now(): Date {
    return new Date(this.at);
  }
  set(at: Date | string): void {
    this.at = new Date(at);
  }
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}

/** The wall clock moved forward by a chosen amount: time passes, and a suite can jump ahead. */
export class ShiftedClock implements Clock {
  #offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.#offsetMs);
  }
  /** Moves time so that `now()` reads `at`. */
  jumpTo(at: Date): void {
    this.#offsetMs = at.getTime() - Date.now();
  }
}

/** One notification service instance on the harness's database and schema. */
export interface NotificationInstance {
  module: NotificationServiceModule;
  client: Client<typeof NotificationService>;
  bus: EventBus;
  /** Its metrics registry: what its /metrics shows. */
  metrics: Metrics;
  stop(): Promise<void>;
}

/** A real health service and a notification service beside it, on one PostgreSQL. */
export interface NotificationHarness {
  health: HealthHarness;
  notification: NotificationInstance;
  /** The notification schema, for assertions straight on the tables. */
  db: SchemaDatabase<NotificationTables>;
  schema: string;
  /** Another instance on the same schema: a second replica. */
  startInstance(options?: { runScheduler?: boolean }): Promise<NotificationInstance>;
  stop(): Promise<void>;
}

export interface NotificationHarnessOptions {
  clock?: Clock;
  /** Run the scheduler's loops (suites that drive it by hand leave them off). @default false */
  runScheduler?: boolean;
  scheduler?: SchedulerOptions;
  channels?: ChannelSettings;
  delivery?: DeliveryWorkerOptions;
  /** Where generated keys go. */
  dataDir?: string;
  /** Each instance's event bus. @default an in-process bus */
  bus?: (logger: Logger) => EventBus;
  /** Run on the notification service's calls to health (a suite holds one back to order a race). */
  healthInterceptors?: Interceptor[];
}

/**
 * Starts the health service (its own harness) and the notification service on the same
 * PostgreSQL, each in a fresh schema. The notification service reaches health through Connect's
 * router transport, as protobuf, like in the binary.
 */
export async function startNotificationHarness(
  target: DatabaseTarget,
  options: NotificationHarnessOptions = {},
): Promise<NotificationHarness> {
  const health = await startHealthHarness(target, { clock: options.clock });
  const schema = uniqueSchemaName('notification');
  const healthTransport = inProcessTransport((router) => health.routes(router), options.healthInterceptors);
  const instances: NotificationInstance[] = [];
  const startInstance = async (instanceOptions: { runScheduler?: boolean } = {}): Promise<NotificationInstance> => {
    const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
    const bus = options.bus?.(logger) ?? new MemoryEventBus({ logger });
    await bus.start();
    const metrics = new Metrics({ defaultMetrics: false });
    const module = await createNotificationService({
      database: health.database,
      bus,
      health: healthTransport,
      logger,
      metrics,
      schema,
      clock: options.clock,
      runScheduler: instanceOptions.runScheduler ?? options.runScheduler ?? false,
      // Suites set the clock to a reminder's time and look at it fired then; the held-events
      // suite keeps the production wait before the fired mark.
      // A loop resting until the next due time by the clock would not see a suite move the clock
      // by hand until its rest ended: here the rests stay at the poll interval.
      scheduler: { fireHeldAfterMs: 0, maxIdleIntervalMs: 500, ...options.scheduler },
      channels: options.channels,
      delivery: { maxIdleIntervalMs: 500, ...options.delivery },
      dataDir: options.dataDir,
    });
    const parts = new CompositeService('notification-parts', module.parts ?? []);
    await parts.start();
    const client = createClient(
      NotificationService,
      inProcessTransport((router) => module.routes(router)),
    );
    const instance = {
      module,
      client,
      bus,
      metrics,
      async stop() {
        await parts.stop();
        await bus.stop();
      },
    };
    instances.push(instance);
    return instance;
  };
  const notification = await startInstance();
  return {
    health,
    notification,
    db: health.database.schema<NotificationTables>(schema),
    schema,
    startInstance,
    async stop() {
      for (const instance of instances.reverse()) await instance.stop();
      await health.stop();
    },
  };
}

/** Adds a medication of 100 mg taken daily at `times` (the person's local "HH:MM") since 2026-01-01. */
export async function addDailyMedication(
  harness: NotificationHarness,
  caller: Caller,
  name: string,
  times: string[],
): Promise<Medication> {
  const { medication } = await harness.health.client.createMedication({
    caller,
    name,
    dose: 100,
    doseUnit: 'mg',
    startDate: '2026-01-01',
    schedule: { times },
  });
  if (!medication) throw new Error('CreateMedication answered without the medication');
  return medication;
}
