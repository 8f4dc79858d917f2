/**
 * Checks a service's schema name once, where it is chosen, so it can be spliced into DDL and
 * used as a lock key without further thought: lower-case letters, digits and underscores, not
 * starting with a digit, at most 63 bytes (PostgreSQL's identifier limit), and not `pg_*` or
 * `information_schema`, which PostgreSQL reserves.
 */
export function validateSchemaName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(
      `"${name}" is not a usable schema name: use lower-case letters, digits and underscores, at most 63, not starting with a digit`,
    );
  }
  if (name.startsWith('pg_') || name === 'information_schema') {
    throw new Error(`"${name}" is reserved by PostgreSQL; choose another schema name`);
  }
  return name;
}

/** An identifier quoted for SQL text, for the few statements (DDL) that cannot take parameters. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
