import { createHash, randomUUID } from 'node:crypto';
import type { CacheAside } from '@tend/cache';
import { chatPlaces, type ChatSeal } from '../store/chat-seal.js';
import { digitsForSpokenNumbers } from '../understanding/spoken-numbers.js';
import type { IntentName } from '../understanding/understand.js';

/** Answers that say something about the person's own record: cached per person, dropped when it changes. */
const personal = new Set<IntentName>(['query_vitals', 'list_doses', 'list_medications', 'query_adherence', 'greeting']);
/**
 * Answers that are the same for everyone. Not weather (it is the person's own place) nor calendar
 * (the person's own appointments, which change without touching their health record): those
 * are never cached.
 */
const shared = new Set<IntentName>(['help', 'thanks', 'medical_advice', 'unknown']);
const ttlMs = 30 * 60_000;
const generationTtlMs = 24 * 3_600_000;
/** The owner shared answers are sealed for. */
const sharedOwner = 'shared';
const filler =
  /\b(please|hey|hi|tend|can you|could you|would you|tell me|show me|i want to know|just|um|uh|so|ok|okay)\b|请|帮我|一下/g;

/** The caches an {@link AnswerCache} keeps its answers and per-person generations in. */
export interface AnswerCacheDeps {
  /** Answers about one person; look-ups counted as `tend_cache_requests_total{cache="conversation-answers"}`. */
  answers: CacheAside;
  /** Answers the same for everyone, asked after a personal miss and counted under a name of their own. */
  sharedAnswers: CacheAside;
  /** Each person's generation number, bumped by any change to their record. */
  generations: CacheAside;
  /** Answers are cached sealed, bound to their key and person. */
  seal: ChatSeal;
}

interface CachedAnswer {
  text: string;
  intent: string;
}

/**
 * The response cache for common questions (30 minutes). A question is looked up by its
 * normalised words — case, punctuation, numbers in words and filler removed — so near-duplicates
 * ("What can you do?", "hey tend, what can you do") share an answer. Answers about a person's
 * record are keyed by that person and a generation number that any change to their record
 * replaces, so they are never served to someone else nor after the data changed; a generation
 * the cache lost is replaced too, never reset. Only answers to questions are kept: an intent that
 * writes is never answered from here. Answers are sealed like the chat history they come from.
 * Each question is counted once as `tend_cache_requests_total{cache="conversation-answers"}`
 * (its shared look-up, after a miss there, as `conversation-shared-answers`), so a hit can be
 * seen from outside; a failing cache is a miss, never an error.
 */
export class AnswerCache {
  constructor(private readonly deps: AnswerCacheDeps) {}

  /** Whether answers of `intent` may be kept at all. */
  static keeps(intent: string): boolean {
    return personal.has(intent as IntentName) || shared.has(intent as IntentName);
  }

  async get(personId: string, locale: string, text: string): Promise<CachedAnswer | undefined> {
    const [personalKey, sharedKey] = await this.#keys(personId, locale, text);
    return (
      (await this.#lookup(this.deps.answers, personalKey, personId)) ??
      (await this.#lookup(this.deps.sharedAnswers, sharedKey, sharedOwner))
    );
  }

  async set(personId: string, locale: string, text: string, answer: CachedAnswer): Promise<void> {
    if (!AnswerCache.keeps(answer.intent)) return;
    const [personalKey, sharedKey] = await this.#keys(personId, locale, text);
    const [cache, key, owner] = personal.has(answer.intent as IntentName)
      ? [this.deps.answers, personalKey, personId]
      : [this.deps.sharedAnswers, sharedKey, sharedOwner];
    const sealed = this.deps.seal.seal(answer.text, chatPlaces.cachedAnswer(key, owner));
    await cache.set(key, { text: sealed, intent: answer.intent }, ttlMs);
  }

  /** Forgets every cached answer about `personId` (their record changed). */
  async forget(personId: string): Promise<void> {
    await this.deps.generations.set(generationKey(personId), randomUUID(), generationTtlMs);
  }

  async #lookup(cache: CacheAside, key: string, owner: string): Promise<CachedAnswer | undefined> {
    // Opened while decoding: a value that does not open (tampered, or another key's) is a miss.
    return cache.lookup(key, (json) => {
      const { text, intent } = json as CachedAnswer;
      return { text: this.deps.seal.open(text, chatPlaces.cachedAnswer(key, owner)), intent };
    });
  }

  async #keys(personId: string, locale: string, text: string): Promise<[string, string]> {
    const question = normalise(text);
    const generation = await this.deps.generations.get({
      key: generationKey(personId),
      ttlMs: generationTtlMs,
      load: () => Promise.resolve(randomUUID()),
    });
    const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);
    return [
      `conversation:sealed-answer:${personId}:${generation}:${digest(`${locale}|${question}`)}`,
      `conversation:sealed-answer:shared:${digest(`${locale}|${question}`)}`,
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
