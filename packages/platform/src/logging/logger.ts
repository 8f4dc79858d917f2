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

/** The JSON logger every part of Tend writes through, with secrets and personal data redacted. */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.name ?? 'tend' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(), censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}
