/**
 * Exact decimal arithmetic for summaries. Every double is a finite decimal, so sums of readings
 * kept exactly are the same whatever order they are added in and however they are grouped: a
 * month's sum of hourly rollups equals the sum of its readings to the last digit, and a deleted
 * reading taken away leaves the sum as if it had never been added. Only the final statistic is
 * rounded, once, to the nearest double.
 */

/** `num / 10^scale`, exactly. */
export interface Exact {
  num: bigint;
  scale: number;
}

/**
 * A unit conversion as exact numbers: a value in the canonical unit times `num / den`, plus
 * `offset`, is the value in the other unit; a rate of change (a trend) only scales.
 */
export interface LinearConversion {
  num: bigint;
  den: bigint;
  offset: Exact;
}

/** Zero. */
export const exactZero: Exact = Object.freeze({ num: 0n, scale: 0 });

/** The canonical unit itself. */
export const identityConversion: LinearConversion = Object.freeze({ num: 1n, den: 1n, offset: exactZero });

const view = new DataView(new ArrayBuffer(8));
const fractionMask = (1n << 52n) - 1n;

/** The exact decimal value of a finite double (what PostgreSQL's `vital_exact` computes). */
export function exactOf(x: number): Exact {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = biased === 0 ? bits & fractionMask : (bits & fractionMask) | (1n << 52n);
  let exponent = biased === 0 ? -1074 : biased - 1075;
  if (mantissa === 0n) return exactZero;
  while (exponent < 0 && (mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    exponent += 1;
  }
  const sign = negative ? -1n : 1n;
  if (exponent >= 0) return { num: sign * (mantissa << BigInt(exponent)), scale: 0 };
  // m·2^-k = m·5^k / 10^k
  return { num: sign * mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** A PostgreSQL numeric as text ("-12.3400"), exactly. */
export function parseExact(text: string): Exact {
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal: ${text}`);
  const fraction = match[3] ?? '';
  const num = BigInt(match[2]! + fraction);
  return { num: match[1] === '-' ? -num : num, scale: fraction.length };
}

const powersOfTen: bigint[] = [1n];

/** 10^k, remembered: sums align scales with it for every reading added. */
export function tenTo(k: number): bigint {
  for (let i = powersOfTen.length; i <= k; i++) powersOfTen.push(powersOfTen[i - 1]! * 10n);
  return powersOfTen[k]!;
}

/** `a + b`, exactly. */
export function addExact(a: Exact, b: Exact): Exact {
  if (a.scale === b.scale) return { num: a.num + b.num, scale: a.scale };
  const [fine, coarse] = a.scale > b.scale ? [a, b] : [b, a];
  return { num: fine.num + coarse.num * tenTo(fine.scale - coarse.scale), scale: fine.scale };
}

/** `a · k` for an integer k, exactly. */
export function scaleExact(a: Exact, k: bigint): Exact {
  return { num: a.num * k, scale: a.scale };
}

/** `a` as `num / 10^scale` with the given (larger or equal) scale. */
export function numeratorAt(a: Exact, scale: number): bigint {
  return a.num * tenTo(scale - a.scale);
}

const bitLength = (x: bigint): number => x.toString(2).length;

/**
 * The double nearest to `num / den` (ties to even), as a correctly rounded division would give:
 * the quotient is taken to 55 bits or more, and what is left over decides the last bit.
 */
export function nearestDouble(num: bigint, den: bigint): number {
  if (den === 0n) throw new RangeError('division by zero');
  if (num === 0n) return 0;
  const negative = num < 0n !== den < 0n;
  let n = num < 0n ? -num : num;
  let d = den < 0n ? -den : den;
  // Scale so the quotient has at least 55 bits: 53 to keep, a rounding bit and room.
  const shift = 55 - (bitLength(n) - bitLength(d));
  if (shift > 0) n <<= BigInt(shift);
  else d <<= BigInt(-shift);
  const quotient = n / d;
  const inexact = n % d !== 0n;
  const extra = bitLength(quotient) - 53;
  let kept = quotient >> BigInt(extra);
  const dropped = quotient & ((1n << BigInt(extra)) - 1n);
  const half = 1n << BigInt(extra - 1);
  if (dropped > half || (dropped === half && (inexact || (kept & 1n) === 1n))) kept += 1n;
  // kept ≤ 2^53, exact as a double; the power of two is exact for normal results (the only ones
  // statistics of readings give).
  const value = Number(kept) * 2 ** (extra - shift);
  return negative ? -value : value;
}

/** The double nearest to `a`. */
export function exactToNumber(a: Exact): number {
  return nearestDouble(a.num, tenTo(a.scale));
}
