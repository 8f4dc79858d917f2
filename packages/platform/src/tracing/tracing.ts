import { register } from 'node:module';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';

export interface TracingOptions {
  /** `service.name` of every span. */
  serviceName: string;
  /** OTLP/HTTP base URL (e.g. `http://jaeger:4318`); without it spans are made but not exported. */
  otlpEndpoint?: string;
}

/**
 * Starts OpenTelemetry: W3C `traceparent` propagation always (so a trace crosses HTTP, gRPC,
 * PostgreSQL, Redis and Kafka even when nothing exports), and OTLP export when an endpoint is
 * configured. It must run before `pg`, `ioredis` and `node:http` are first imported, which is why
 * the binary starts it first and imports the rest afterwards; the ESM loader hook lets the
 * instrumentations patch ES module imports too.
 */
export function startTracing(options: TracingOptions): { stop(): Promise<void> } {
  // Only the instrumented libraries go through the ESM hook: wrapping every module costs seconds at start.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['pg', 'ioredis', 'http', 'https', 'node:http', 'node:https'] },
  });
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    ...(options.otlpEndpoint
      ? { traceExporter: new OTLPTraceExporter({ url: `${options.otlpEndpoint}/v1/traces` }) }
      : { spanProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)/.test(req.url ?? '') }),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
  return { stop: () => sdk.shutdown() };
}
