import { createClient, type Client } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { CompositeService, Metrics, createLogger, type Lifecycle } from '@tend/core';
import { MemoryEventBus, type CloudEvent } from '@tend/events';
import { createDatabase } from '@tend/db';
import { CallerSchema, Role, type Caller } from '@tend/proto/tend/common/v1/common';
import { VoiceService } from '@tend/proto/tend/voice/v1/voice';
import { inProcessTransport, testDatabaseOptions, uniqueSchemaName } from '@tend/testing';
import { createVoiceService, type VoiceServiceDeps } from '../voice-service.js';

/** A running voice service on embedded PostgreSQL, a client of it, and the events it published. */
export interface VoiceHarness {
  client: Client<typeof VoiceService>;
  caller: Caller;
  events: CloudEvent[];
  /** The registry the service's series are on (`metrics.text()` is its /metrics). */
  metrics: Metrics;
  serving: boolean;
  stop(): Promise<void>;
}

/**
 * Starts the voice service as the binary would (outbox, relay, engines), with its events
 * collected from an in-process bus. Calls go through Connect's router transport as protobuf.
 */
export async function startVoiceHarness(
  options: Partial<Omit<VoiceServiceDeps, 'database' | 'bus' | 'logger' | 'metrics'>> = {},
): Promise<VoiceHarness> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
  const metrics = new Metrics({ defaultMetrics: false });
  const fixture = await testDatabaseOptions({ kind: 'embedded' });
  const database = createDatabase({ ...fixture.options, logger });
  const bus = new MemoryEventBus({ logger });
  const started: Lifecycle[] = [database, bus];
  for (const part of started) await part.start();
  const events: CloudEvent[] = [];
  const subscription = await bus.subscribe({
    topic: 'voice_processing',
    group: 'voice-harness',
    handler: async (event) => {
      events.push(event);
    },
  });
  const service = createVoiceService({ database, bus, logger, metrics, schema: uniqueSchemaName('voice'), ...options });
  const parts = new CompositeService('voice-parts', service.parts ?? []);
  await parts.start();
  const client = createClient(
    VoiceService,
    inProcessTransport((router) => service.routes(router)),
  );
  return {
    client,
    caller: create(CallerSchema, { userId: '6f1d2a8e-1b2c-4d3e-8f90-123456789abc', role: Role.USER }),
    events,
    metrics,
    serving: service.serving?.() ?? true,
    async stop() {
      await subscription.close();
      await parts.stop();
      for (const part of started.reverse()) await part.stop();
      await fixture.cleanup();
    },
  };
}
