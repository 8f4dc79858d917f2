import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Keys whose values never reach a log line: secrets (tokens, passwords, keys) and personal
 * data (contact details, free text about a person's health).
 */
export const redactedKeys = [
  'password',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'secret',
  'authorization',
  'cookie',
  'email',
  'phone',
  'address',
  'emergencyContact',
  'note',
  'notes',
  'conditions',
  'allergies',
  'text',
  'transcript',
] as const;

/** How much of an error's message a log line keeps. */
const maxMessageLength = 500;

/** An error as a log line may hold it. */
export interface SafeError {
  type: string;
  message: string;
  /** HTTP status or gRPC code, when the error carries one. */
  status?: number;
  code?: string | number;
  stack?: string;
  cause?: SafeError;
}

/**
 * Errors are logged as name, message, status, code and stack — never their other properties.
 * Client libraries attach the whole exchange to their errors: the AI SDK's `APICallError`
 * carries the request body (the system prompt with the person's medications, the conversation)
 * and the response; a database error carries the statement's parameters. The message is cut
 * short and the stack keeps only its frames, since both may quote the input.
 */
export function safeError(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  const error = value as Error & { status?: unknown; statusCode?: unknown; code?: unknown };
  const status = typeof error.statusCode === 'number' ? error.statusCode : error.status;
  const safe: SafeError = {
    type: error.name,
    message: error.message.length > maxMessageLength ? `${error.message.slice(0, maxMessageLength)}…` : error.message,
  };
  if (typeof status === 'number') safe.status = status;
  if (typeof error.code === 'string' || typeof error.code === 'number') safe.code = error.code;
  if (error.stack)
    safe.stack = error.stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n');
  if (error.cause instanceof Error && depth < 3) safe.cause = safeError(error.cause, depth + 1) as SafeError;
  return safe;
}

/** pino redact paths covering each key at the top level and up to three levels down. */
function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of redactedKeys) {
    paths.push(key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`);
  }
  paths.push('req.headers.authorization', 'req.headers.cookie', 'req.headers["sec-websocket-protocol"]');
  return paths;
}

export interface LoggerConfig {
  /** @default 'info' */
  level?: string;
  /** Written as `service` on every line. @default 'tend' */
  name?: string;
  /** Where lines go; tests pass a stream to read them back. @default stdout */
  destination?: pino.DestinationStream;
}

/**
 * The active span's ids on every line written inside a request or a consumed event, so a log line
 * leads to its trace and a trace to its log lines. Named as OpenTelemetry's log data model names
 * them; the log shipper renames them to ECS's `trace.id` and `span.id` (deploy/logging/). Lines
 * outside any trace (start-up, timers) carry neither.
 */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  const ids = span?.spanContext();
  if (!ids || !isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId };
}

/**
 * The JSON logger every part of Tend writes through, with secrets and personal data redacted. Each
 * line: `time` (ISO 8601), `level` (label), `service`, `msg`, the active `trace_id` and `span_id`,
 * then the line's own fields (`err` as a {@link SafeError}); deploy/logging/README.md maps them to ECS.
 */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.name ?? 'tend' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(), censor: '[redacted]' },
    serializers: { err: safeError, error: safeError },
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
