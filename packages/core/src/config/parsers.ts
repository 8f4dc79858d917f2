import { isIP } from 'node:net';
import type { z } from 'zod';

/**
 * Parsers for the configuration table: each takes the trimmed, non-empty text of a variable and
 * returns its value or throws an `Error` saying what is wrong, without the variable's name (the
 * loader adds it). Pick one of these for a new row before writing another.
 */

/** Any text, as given. */
export function text(value: string): string {
  return value;
}

/** An IP address to bind (or `localhost`); a host name would resolve differently per machine. */
export function ipAddress(value: string): string {
  if (isIP(value) === 0 && value !== 'localhost') throw new Error(`"${value}" is not an IP address`);
  return value;
}

/** An IP address or a CIDR block (`10.0.0.0/8`, `fd00::/8`), as a proxy list names them. */
export function ipOrCidr(value: string): string {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  const validPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  if (family === 0 || !validPrefix || rest.length > 0)
    throw new Error(`"${value}" is not an IP address or CIDR (e.g. 10.0.0.0/8)`);
  return value;
}

/** A TCP port; 0 lets the system choose. */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`"${value}" is not a port (0-65535)`);
  return n;
}

/** An integer within `[min, max]`; with the default bounds, a positive integer. */
export function integer({ min = 1, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(
        min === 1 && max === Number.MAX_SAFE_INTEGER
          ? `"${value}" is not a positive integer`
          : `"${value}" is not an integer from ${min} to ${max}`,
      );
    }
    return n;
  };
}

/** One of a closed set of words. */
export function oneOf<const T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw new Error(`"${value}" is not one of ${values.join(', ')}`);
    return value as T;
  };
}

/** A comma-separated list, each item trimmed and parsed; empty items are dropped. */
export function list<T>(item: (value: string) => T) {
  return (value: string): T[] =>
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(item);
}

/** A URL with its password replaced, safe to print. */
export function redactUrl(value: string): string {
  return value.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

function parseUrl(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new Error(`"${redactUrl(value)}" is not a valid URL`);
  }
}

/** A PostgreSQL URL naming host and database: `postgres://user:pass@host:5432/db`. */
export function postgresUrl(value: string): string {
  const url = parseUrl(value);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`"${redactUrl(value)}" must start with postgres:// or postgresql://`);
  }
  if (!url.hostname) throw new Error(`"${redactUrl(value)}" has no host`);
  if (url.pathname.length <= 1) throw new Error(`"${redactUrl(value)}" names no database`);
  return value;
}

/** A Redis URL: `redis://host:6379` or `rediss://` for TLS. */
export function redisUrl(value: string): string {
  const url = parseUrl(value);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`"${redactUrl(value)}" must start with redis:// or rediss://`);
  }
  if (!url.hostname) throw new Error(`"${redactUrl(value)}" has no host`);
  return value;
}

/** An http(s) URL, without trailing slashes so paths can be appended. */
export function httpUrl(value: string): string {
  const url = parseUrl(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`"${redactUrl(value)}" must be an http:// or https:// URL`);
  }
  return value.replace(/\/+$/, '');
}

/** Scheme and host (and port) only, as the base of an API whose paths Tend appends. */
export function originUrl(value: string): string {
  const url = httpUrl(value);
  if (new URL(url).pathname !== '/') throw new Error(`"${redactUrl(value)}" must be a scheme and host without a path`);
  return url;
}

/** An `smtp://` or `smtps://` URL with a host. */
export function smtpUrl(value: string): string {
  const url = parseUrl(value);
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new Error(`"${redactUrl(value)}" must be an smtp:// or smtps:// URL`);
  }
  return value;
}

/** `host:port`, as Kafka brokers are given. */
export function hostPort(value: string): string {
  const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) > 65535) throw new Error(`"${value}" is not host:port`);
  return value;
}

/** A JSON value checked against a zod schema; the message names the path at fault. */
export function json<S extends z.ZodType>(schema: S, shape: string) {
  return (value: string): z.output<S> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new Error(`must be ${shape}`);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      // A bad record key is reported as a wrapper around the key's own issue; say the inner one.
      const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      const path = issue.path.map(String).join('.');
      throw new Error(path ? `${path}: ${message}` : `must be ${shape}: ${message}`);
    }
    return result.data;
  };
}
