import { z } from 'zod';

/**
 * The length of a text as people count it: code points, so an emoji or a character outside the
 * Basic Multilingual Plane counts once, not as the two UTF-16 units `String.length` sees. Every
 * limit on a text field is in these units, at the gateway and in the services alike.
 */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * An `Idempotency-Key` (HTTP header, `idempotency_key` in the contracts): the gateway and the
 * services accept the same lengths, so a key that passes one passes the other.
 */
export const idempotencyKeyChars = { min: 1, max: 200 } as const;

/** How a text limit reads in an error: "must be 1 to 200 characters", "must be at most 1000 characters". */
export function textLimitMessage(min: number, max: number): string {
  return min > 0 ? `must be ${min} to ${max} characters` : `must be at most ${max} characters`;
}

/** Whether a text is within `[min, max]` code points. */
export function isTextWithin(text: string, min: number, max: number): boolean {
  const length = codePointLength(text);
  return length >= min && length <= max;
}

/** Why a text is refused for holding NUL, in the words the services use too. */
export const nulTextMessage = 'must not contain NUL characters';

/**
 * A zod string within `[min, max]` code points (trimmed first when `trim`), refused with the
 * same message the services give, so a client sees one wording whichever side checked, and
 * documented in OpenAPI with `minLength`/`maxLength`. It holds no NUL (U+0000): no one writes
 * one, and PostgreSQL's text cannot store it; the document says so with a `pattern`.
 */
export function boundedText({ min = 0, max, trim = false }: { min?: number; max: number; trim?: boolean }) {
  const base = trim ? z.string().trim() : z.string();
  // JSON Schema counts string length in code points too, so the OpenAPI document states the
  // same limit the refinement checks.
  return base
    .refine((text) => isTextWithin(text, min, max), { message: textLimitMessage(min, max) })
    .refine((text) => !text.includes('\u0000'), { message: nulTextMessage })
    .meta({ ...(min > 0 && { minLength: min }), maxLength: max, pattern: '^[^\\u0000]*$' });
}
