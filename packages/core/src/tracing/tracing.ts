import { register } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BatchSpanProcessor, ParentBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';

/** The modules the instrumentations patch: only these go through the ESM hook. */
const instrumented = ['pg', 'ioredis', 'http', 'https', 'node:http', 'node:https'];

export interface TracingOptions {
  /** `service.name` of every span. */
  serviceName: string;
  /** OTLP/HTTP base URL (e.g. `http://jaeger:4318`); without it spans are not recorded. */
  otlpEndpoint?: string;
}

/**
 * Starts OpenTelemetry: W3C `traceparent` propagation always (so a trace crosses HTTP, gRPC and
 * Kafka even when nothing exports), and OTLP export when an endpoint is configured. It must run
 * before `pg`, `ioredis` and `node:http` are first imported, which is why the binary starts it
 * first and imports the rest afterwards; the ESM loader hook lets the instrumentations patch ES
 * module imports too.
 *
 * Without an endpoint the library instrumentations are not installed at all: their spans would go
 * nowhere, yet the HTTP one alone took ~9 % of a busy gateway's CPU (attributes, context binding
 * of every socket event). The trace context still travels: the gateway continues or starts each
 * request's trace itself (`enterRequestTrace`), the gRPC interceptors and the outbox carry it on.
 *
 * Built from the SDK's parts rather than `NodeSDK`, which also wires metric and log exporters
 * from the environment and took seconds to load and to shut down. The exporter, the
 * instrumentations and the loader hook are imported only when there is an endpoint: they are a
 * sixth of the modules a start loads before the program itself.
 */
export async function startTracing(options: TracingOptions): Promise<{ stop(): Promise<void> }> {
  const exporting = options.otlpEndpoint
    ? await Promise.all([
        import('@opentelemetry/exporter-trace-otlp-http'),
        import('@opentelemetry/instrumentation'),
        import('@opentelemetry/instrumentation-http'),
        import('@opentelemetry/instrumentation-ioredis'),
        import('@opentelemetry/instrumentation-pg'),
        import('import-in-the-middle/register-hooks.mjs'),
      ])
    : undefined;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: exporting
      ? [
          new BatchSpanProcessor({
            exporter: new exporting[0].OTLPTraceExporter({ url: `${options.otlpEndpoint}/v1/traces` }),
          }),
        ]
      : [],
    // With nowhere to send them, spans are not recorded (their attributes and timings cost ~5 %
    // of a busy process's CPU); trace ids are still made and passed on, so logs and downstream
    // services keep the trace. Sampled parents are recorded either way.
    ...(!options.otlpEndpoint && { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }),
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  if (!exporting) return { stop: () => provider.shutdown() };
  const [, { registerInstrumentations }, { HttpInstrumentation }, { IORedisInstrumentation }, { PgInstrumentation }] =
    exporting;
  const { register: registerSyncHooks, supportsSyncHooks } = exporting[5];
  // Only the instrumented libraries are wrapped: wrapping every module costs seconds at start.
  // In-thread (module.registerHooks) where Node supports it: the off-thread loader of
  // module.register made every import of the process a round trip to the hooks thread, the
  // largest single cost of a start (bench/README.md, "Start and stop").
  if (supportsSyncHooks()) registerSyncHooks({ include: instrumented });
  else register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: instrumented } });
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)/.test(req.url ?? ''),
      }),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  return {
    async stop() {
      unregister();
      await provider.shutdown();
    },
  };
}
