import { ConfigError } from '@tend/core';

/**
 * Checks a PostgreSQL connection URL at boot, so a typo fails the start with a message naming the
 * variable (`DATABASE_URL`, `DATABASE_REPLICA_URLS`) instead of surfacing later as a connection
 * error. The URL itself is never echoed: it may hold a password, and a malformed one cannot be
 * redacted reliably. `position` names the entry in a list, e.g. `'entry 2 of 3'`.
 */
export function validatePostgresUrl(variable: string, value: string, position?: string): URL {
  const where = position ? `${position} ` : '';
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(variable, `${where}is not a valid URL; expected postgres://user:password@host:port/database`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      variable,
      `${where}must start with postgres:// or postgresql:// (it starts with ${url.protocol}//)`,
    );
  }
  if (!url.hostname)
    throw new ConfigError(variable, `${where}has no host; expected postgres://user:password@host:port/database`);
  if (url.pathname.length <= 1) {
    throw new ConfigError(
      variable,
      `${where}names no database (${describePostgresUrl(url)}); add /<database> after the host`,
    );
  }
  return url;
}

/** Validates every entry of a replica list, naming the failing entry by its position. */
export function validateReplicaUrls(variable: string, values: readonly string[]): URL[] {
  return values.map((value, index) =>
    validatePostgresUrl(variable, value, values.length > 1 ? `entry ${index + 1} of ${values.length}` : undefined),
  );
}

/**
 * A connection URL as it may appear in logs and on the admin page: user, host, port and database,
 * never the password (nor query parameters, which can carry `password=` too).
 */
export function describePostgresUrl(url: URL | string): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  const port = parsed.port ? `:${parsed.port}` : '';
  return `${parsed.protocol}//${user}${parsed.hostname}${port}${parsed.pathname}`;
}
