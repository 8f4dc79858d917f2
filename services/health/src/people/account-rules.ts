import { ValidationError, isKnownTimeZone } from '@tend/core';

/** Shortest password accepted: 10 characters (NIST SP 800-63B asks for at least 8). */
export const minPasswordLength = 10;
/** Longest password accepted; bounds the hashing work one request can ask for. */
export const maxPasswordLength = 128;

/**
 * The password rules: 10–128 characters, not all of one character class (only letters, only
 * digits…) and not one character repeated. Deliberately no composition puzzle beyond that — long
 * passphrases are the better passwords. Returns the problem, or undefined when the password is
 * acceptable, so the caller can name its own field.
 */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < minPasswordLength) return `must be at least ${minPasswordLength} characters`;
  if (length > maxPasswordLength) return `must be at most ${maxPasswordLength} characters`;
  if (new Set(password).size === 1) return 'must not be one character repeated';
  if (/^\p{L}+$/u.test(password) || /^\p{N}+$/u.test(password))
    return 'must mix character classes (e.g. letters with digits, spaces or symbols)';
  return undefined;
}

/** Throws a ValidationError naming `field` when the password breaks the rules. */
export function checkPassword(field: string, password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw ValidationError.field(field, problem);
}

// A pragmatic address check (the WHATWG <input type=email> grammar): one @, a dotless-or-dotted
// host of letters, digits and hyphens. Whether the mailbox exists is the gateway's concern.
const emailPattern =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * An e-mail as accounts store and compare it: trimmed and lower-cased, so "Ada@Example.org " and
 * "ada@example.org" are one account and share one blind index. Throws a ValidationError naming
 * `field` when it is not an address.
 */
export function normaliseEmail(field: string, email: string): string {
  const normalised = email.trim().toLowerCase();
  if (!normalised) throw ValidationError.field(field, 'is required');
  if (normalised.length > 254 || !emailPattern.test(normalised))
    throw ValidationError.field(field, 'is not an e-mail address');
  return normalised;
}

/**
 * Whether `zone` is an IANA time zone this runtime knows. Checked by building a formatter, which
 * also accepts links such as "Asia/Calcutta" that `Intl.supportedValuesOf` leaves out.
 */
export function isTimeZone(zone: string): boolean {
  return zone.length > 0 && zone.length <= 64 && isKnownTimeZone(zone);
}

/** The time zone as stored: canonical spelling from `Intl`, so "europe/paris" becomes "Europe/Paris". */
export function checkTimeZone(field: string, zone: string): string {
  if (!isTimeZone(zone)) throw ValidationError.field(field, 'is not an IANA time zone (e.g. "Europe/Paris")');
  return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
}

/** The languages Tend speaks. */
export type Locale = 'en' | 'zh';

/** Throws a ValidationError naming `field` unless the locale is "en" or "zh". */
export function checkLocale(field: string, locale: string): Locale {
  if (locale === 'en' || locale === 'zh') return locale;
  throw ValidationError.field(field, 'must be "en" or "zh"');
}

/** A display name trimmed, 1–100 characters, with no control characters (it is spoken and shown). */
export function checkDisplayName(field: string, name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw ValidationError.field(field, 'is required');
  if ([...trimmed].length > 100) throw ValidationError.field(field, 'must be at most 100 characters');
  if (/\p{Cc}/u.test(trimmed)) throw ValidationError.field(field, 'must not contain control characters');
  return trimmed;
}

/**
 * A birth date "YYYY-MM-DD" that exists on the calendar, is not after `today` (the person's
 * own date is unknown here, so UTC's date plus one day of slack) and not before 1900.
 */
export function checkBirthDate(field: string, date: string, now: Date): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw ValidationError.field(field, 'must be a date "YYYY-MM-DD"');
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  if (parsed.getUTCFullYear() !== year || parsed.getUTCMonth() !== month - 1 || parsed.getUTCDate() !== day)
    throw ValidationError.field(field, 'is not a calendar date');
  if (parsed.getTime() > now.getTime() + 24 * 60 * 60 * 1000) throw ValidationError.field(field, 'is in the future');
  if (year < 1900) throw ValidationError.field(field, 'is before 1900');
  return date;
}

/** Conditions or allergies: at most 50 entries, each trimmed, non-empty and at most 200 characters. */
export function checkHealthList(field: string, values: readonly string[]): string[] {
  if (values.length > 50) throw ValidationError.field(field, 'must have at most 50 entries');
  return values.map((value, index) => {
    const trimmed = value.trim();
    if (!trimmed) throw ValidationError.field(`${field}[${index}]`, 'must not be empty');
    if ([...trimmed].length > 200) throw ValidationError.field(`${field}[${index}]`, 'must be at most 200 characters');
    return trimmed;
  });
}
