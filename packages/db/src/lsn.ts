/**
 * A PostgreSQL write-ahead-log position (`pg_lsn`), as a 64-bit unsigned integer.
 *
 * PostgreSQL prints an LSN as two hexadecimal halves, `'16/B374D848'`. Comparing those strings
 * (or the halves as JavaScript numbers glued together) goes wrong once the low half rolls over or
 * the high half grows, so every comparison in the read-your-writes logic goes through `bigint`.
 */
export type Lsn = bigint;

const lsnPattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Parses `'0/3000060'` into a 64-bit integer; throws on anything else. */
export function parseLsn(text: string): Lsn {
  const match = lsnPattern.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a PostgreSQL LSN (expected two hex numbers, like 0/3000060)`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Formats an LSN the way PostgreSQL prints it, e.g. `'0/3000060'`. */
export function formatLsn(lsn: Lsn): string {
  const high = lsn >> 32n;
  const low = lsn & 0xffffffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** Negative when `a` is before `b`, zero when equal, positive when after; a sort comparator. */
export function compareLsn(a: Lsn, b: Lsn): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
