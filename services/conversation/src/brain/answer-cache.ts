import { createHash } from 'node:crypto';
import type { Cache, Metrics } from '@tend/platform';
import { digitsForSpokenNumbers } from '../understanding/spoken-numbers.js';
import type { IntentName } from '../understanding/understand.js';

/** Answers that say something about the person's own record: cached per person, dropped when it changes. */
const personal = new Set<IntentName>(['query_vitals', 'list_doses', 'list_medications', 'query_adherence', 'greeting']);
/** Answers that are the same for everyone. */
const shared = new Set<IntentName>(['help', 'thanks', 'medical_advice', 'weather', 'calendar', 'unknown']);
const ttlMs = 30 * 60_000;
const filler =
  /\b(please|hey|hi|tend|can you|could you|would you|tell me|show me|i want to know|just|um|uh|so|ok|okay)\b|请|帮我|一下/g;

/**
 * The response cache for common questions (30 minutes). A question is looked up by its
 * normalised words — case, punctuation, numbers in words and filler removed — so near-duplicates
 * ("What can you do?", "hey tend, what can you do") share an answer. Answers about a person's
 * record are keyed by that person and a generation number that any change to their record bumps,
 * so they are never served to someone else nor after the data changed. Only answers to questions
 * are kept: an intent that writes is never answered from here. Each look-up is counted as
 * `tend_cache_requests_total{cache="conversation-answers"}`, so a hit can be seen from outside.
 */
export class AnswerCache {
  constructor(
    private readonly cache: Cache,
    private readonly metrics?: Metrics,
  ) {}

  /** Whether answers of `intent` may be kept at all. */
  static keeps(intent: string): boolean {
    return personal.has(intent as IntentName) || shared.has(intent as IntentName);
  }

  async get(personId: string, locale: string, text: string): Promise<{ text: string; intent: string } | undefined> {
    const [personalKey, sharedKey] = await this.#keys(personId, locale, text);
    const found =
      (await this.cache.get(personalKey).catch(() => undefined)) ??
      (await this.cache.get(sharedKey).catch(() => undefined));
    this.metrics?.cacheRequests.inc({ cache: 'conversation-answers', result: found === undefined ? 'miss' : 'hit' });
    return found === undefined ? undefined : (JSON.parse(found) as { text: string; intent: string });
  }

  async set(personId: string, locale: string, text: string, answer: { text: string; intent: string }): Promise<void> {
    if (!AnswerCache.keeps(answer.intent)) return;
    const [personalKey, sharedKey] = await this.#keys(personId, locale, text);
    const key = personal.has(answer.intent as IntentName) ? personalKey : sharedKey;
    await this.cache.set(key, JSON.stringify(answer), ttlMs).catch(() => undefined);
  }

  /** Forgets every cached answer about `personId` (their record changed). */
  async forget(personId: string): Promise<void> {
    await this.cache.set(generationKey(personId), String(Date.now()), 24 * 3_600_000).catch(() => undefined);
  }

  async #keys(personId: string, locale: string, text: string): Promise<[string, string]> {
    const question = normalise(text);
    const generation = (await this.cache.get(generationKey(personId)).catch(() => undefined)) ?? '0';
    const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);
    return [
      `conversation:answer:${personId}:${generation}:${digest(`${locale}|${question}`)}`,
      `conversation:answer:shared:${digest(`${locale}|${question}`)}`,
    ];
  }
}

/** A question reduced to the words that matter. */
export function normalise(text: string): string {
  return digitsForSpokenNumbers(text.toLowerCase())
    .replace(filler, ' ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function generationKey(personId: string): string {
  return `conversation:answers-generation:${personId}`;
}
