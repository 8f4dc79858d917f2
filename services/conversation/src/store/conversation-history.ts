import { NotFoundError, ValidationError, type Clock, type Ids } from '@tend/core';
import { type CacheAside } from '@tend/cache';
import type { PageRequest } from '@tend/proto/tend/common/v1/common';
import type { ConversationSummary, PastMessage } from '../brain/context-window.js';
import { newestFirstPage } from '../pages.js';
import { chatPlaces, type ChatSeal } from './chat-seal.js';
import type { ConversationStore, StoredConversation, StoredMessage, TurnWrite } from './conversation-store.js';

/** Recent messages kept per conversation for the model's context, and for how long. */
const recentLimit = 40;
const recentTtlMs = 3_600_000;
/** Who a conversation belongs to, its title and summary: asked on every turn, cached a day. */
const conversationTtlMs = 24 * 3_600_000;
// Cached values are sealed as the rows are; the prefixes name that form.
const recentKey = (conversationId: string) => `conversation:sealed-recent:${conversationId}`;
const conversationKey = (conversationId: string) => `conversation:sealed-meta:${conversationId}`;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A conversation as the turn uses it: its owner, title and summary, in plaintext. */
export interface ConversationMeta {
  userId: string;
  title: string;
  summary?: ConversationSummary;
}

/** A conversation's row as cached: its values still sealed. */
interface CachedConversation {
  id: string;
  user_id: string;
  title: string;
  summary: string;
  through?: string;
  sealed: boolean;
}

/** A recent message as cached: its text still sealed. */
type CachedMessage = Pick<StoredMessage, 'id' | 'user_id' | 'role' | 'text' | 'sealed'> & { at: string };

/** A conversation's recent messages, newest first: in plaintext for the turn, and as cached. */
export interface RecentMessages {
  past: PastMessage[];
  stored: readonly CachedMessage[];
}

/** None yet: a new conversation's. */
export const noRecentMessages: RecentMessages = { past: [], stored: [] };

/** A message of a turn about to be written, in plaintext. */
export interface TurnMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  mode: 'llm' | 'basic' | null;
  intent: string | null;
  at: Date;
}

export interface ConversationHistoryDeps {
  store: ConversationStore;
  seal: ChatSeal;
  /** Conversations and recent messages, cached sealed. */
  cache: CacheAside;
  clock: Clock;
  ids: Ids;
}

/**
 * A person's conversations as the turn and the handlers use them: plaintext in and out, sealed
 * (field cipher) in the database and in the cache alike. Reads go through the cache (a day for
 * a conversation's owner and title, an hour for its recent messages); a turn writes its messages
 * through to both.
 */
export class ConversationHistory {
  constructor(private readonly deps: ConversationHistoryDeps) {}

  /** Throws unless `id` names one of the person's conversations; someone else's is "not found" too. */
  async own(userId: string, id: string): Promise<ConversationMeta> {
    if (!uuidPattern.test(id)) throw ValidationError.field('conversation_id', 'must be a conversation id (UUID)');
    const cached = await this.deps.cache.get<CachedConversation | undefined>({
      key: conversationKey(id),
      ttlMs: conversationTtlMs,
      load: async () => {
        const row = await this.deps.store.findConversation(id);
        return row && cachedConversation(row);
      },
    });
    if (cached?.user_id !== userId) throw new NotFoundError('conversation', id);
    const { seal } = this.deps;
    const title = cached.sealed ? seal.open(cached.title, chatPlaces.title(id, userId)) : cached.title;
    const summary = cached.sealed ? seal.open(cached.summary, chatPlaces.summary(id, userId)) : cached.summary;
    return { userId, title, ...(cached.through && { summary: { text: summary, through: cached.through } }) };
  }

  /** The conversation `id` of the person, or a new one titled after its first words when `id` is empty. */
  async open(userId: string, id: string, firstText: string): Promise<{ id: string; meta: ConversationMeta }> {
    if (id) return { id, meta: await this.own(userId, id) };
    const created = await this.create(userId, titleOf(firstText));
    return { id: created.id, meta: { userId, title: created.title } };
  }

  /** A new conversation of the person. */
  async create(userId: string, title: string): Promise<{ id: string; title: string; at: Date }> {
    const id = this.deps.ids.uuid();
    const at = this.deps.clock.now();
    const sealedTitle = this.deps.seal.seal(title, chatPlaces.title(id, userId));
    await this.deps.store.insertConversation({ id, userId, title: sealedTitle, at });
    await this.deps.cache.set(
      conversationKey(id),
      { id, user_id: userId, title: sealedTitle, summary: '', sealed: true } satisfies CachedConversation,
      conversationTtlMs,
    );
    return { id, title, at };
  }

  /** A conversation's recent messages, newest first: in plaintext, and as cached (sealed). */
  async recent(conversationId: string): Promise<RecentMessages> {
    const stored = await this.deps.cache.get<CachedMessage[]>({
      key: recentKey(conversationId),
      ttlMs: recentTtlMs,
      load: async () => (await this.deps.store.recentMessages(conversationId, recentLimit)).map(cachedMessage),
    });
    const past = stored.map((message) => ({
      role: message.role,
      text: this.deps.seal.messageText(message),
      at: message.at,
    }));
    return { past, stored };
  }

  /**
   * Stores a turn's messages (sealed) with its event, and puts them in front of the recent
   * messages the turn read, in the cache, so the next turn reads none of them from the database.
   * A turn that read none (`unread`: its brain has no use for them) drops the cached list instead.
   */
  async recordTurn(
    turn: Omit<TurnWrite, 'messages'> & { messages: readonly TurnMessage[] },
    recent: RecentMessages | 'unread',
  ): Promise<void> {
    const { seal } = this.deps;
    const sealed = turn.messages.map((message) => ({
      id: message.id,
      role: message.role,
      text: seal.seal(message.text, chatPlaces.messageText(message.id, turn.userId)),
      mode: message.mode,
      intent: message.intent,
      created_at: message.at,
    }));
    await this.deps.store.recordTurn({ ...turn, messages: sealed });
    if (recent === 'unread') return this.deps.cache.invalidate(recentKey(turn.conversationId));
    const newest = sealed
      .map((m) => ({
        id: m.id,
        user_id: turn.userId,
        role: m.role,
        text: m.text,
        sealed: true,
        at: m.created_at.toISOString(),
      }))
      .reverse();
    await this.deps.cache.set(
      recentKey(turn.conversationId),
      [...newest, ...recent.stored].slice(0, recentLimit),
      recentTtlMs,
    );
  }

  /** Stores the model's new summary of a person's conversation, unless a newer one is stored. */
  async saveSummary(conversationId: string, ownerId: string, summary: ConversationSummary): Promise<void> {
    const sealed = this.deps.seal.seal(summary.text, chatPlaces.summary(conversationId, ownerId));
    const saved = await this.deps.store.saveSummary(conversationId, sealed, new Date(summary.through));
    if (saved) await this.deps.cache.set(conversationKey(conversationId), cachedConversation(saved), conversationTtlMs);
  }

  /** One page of the person's conversations, most recently active first, titles in plaintext. */
  async conversations(userId: string, page: PageRequest | undefined) {
    const { items, nextCursor } = await newestFirstPage(
      page,
      (after, take) => this.deps.store.conversationsPage(userId, after, take),
      (row) => row.updated_at,
    );
    return { items: items.map((row) => ({ ...row, title: this.deps.seal.title(row) })), nextCursor };
  }

  /** One page of a conversation's messages, newest first, texts in plaintext. */
  async messages(userId: string, conversationId: string, page: PageRequest | undefined) {
    await this.own(userId, conversationId);
    const { items, nextCursor } = await newestFirstPage(
      page,
      (after, take) => this.deps.store.messagesPage(userId, conversationId, after, take),
      (row) => row.created_at,
    );
    return { items: items.map((row) => ({ ...row, text: this.deps.seal.messageText(row) })), nextCursor };
  }

  /**
   * Erases every conversation of a person, with their messages, summaries and every cached copy.
   * Idempotent: a repeated erasure finds nothing. Returns how many conversations went.
   */
  async erase(userId: string): Promise<number> {
    const erased = await this.deps.store.eraseOwner(userId);
    await this.deps.cache.invalidate(...erased.flatMap((id) => [recentKey(id), conversationKey(id)]));
    return erased.length;
  }
}

function cachedConversation(row: StoredConversation): CachedConversation {
  return {
    id: row.id,
    user_id: row.user_id,
    title: row.title,
    summary: row.summary,
    ...(row.summary_through && { through: new Date(row.summary_through).toISOString() }),
    sealed: row.sealed,
  };
}

function cachedMessage(row: StoredMessage): CachedMessage {
  return {
    id: row.id,
    user_id: row.user_id,
    role: row.role,
    text: row.text,
    sealed: row.sealed,
    at: new Date(row.created_at).toISOString(),
  };
}

/** A conversation's title from its first turn: the first words, at most 60 characters. */
function titleOf(text: string): string {
  const title = text.replace(/\s+/g, ' ').trim();
  return title.length <= 60 ? title || 'New conversation' : `${title.slice(0, 57).trimEnd()}…`;
}
