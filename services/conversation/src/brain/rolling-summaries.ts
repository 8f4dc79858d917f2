import type { Logger } from '@tend/core';
import type { ConversationSummary, PastMessage } from './context-window.js';
import type { LlmBrain } from './llm-brain.js';

/** Messages that must have fallen out of the window before the model is asked to fold them in. */
export const foldBatch = 6;

export interface RollingSummariesDeps {
  llm: LlmBrain;
  /** Runs a model call for a person: through the same fair queue and breaker as their turns. */
  run: <T>(personId: string, work: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  /** Stores a conversation's new summary (only if it is newer than the stored one). */
  save: (conversation: SummarizedConversation, summary: ConversationSummary) => Promise<void>;
  logger: Logger;
}

/** The conversation a summary is kept for. */
export interface SummarizedConversation {
  id: string;
  personId: string;
  locale: 'en' | 'zh';
  summary?: ConversationSummary;
}

/**
 * Keeps each long conversation's summary written by the language model. Once enough messages
 * have fallen out of the context window, they are folded into the summary after the turn, never
 * on its path: a turn never waits for it, and if the model fails, the window's extract of those
 * messages stands in until a later turn tries again. One fold runs per conversation at a time.
 */
export class RollingSummaries {
  /** The fold under way for each conversation. */
  readonly #folds = new Map<string, Promise<void>>();

  constructor(private readonly deps: RollingSummariesDeps) {}

  /** Folds `unsummarized` (newest first) into the conversation's summary when enough have gathered. */
  consider(conversation: SummarizedConversation, unsummarized: readonly PastMessage[]): void {
    const foldable = unsummarized.filter((m) => m.at !== undefined);
    if (foldable.length < foldBatch || this.#folds.has(conversation.id)) return;
    const fold = this.#fold(conversation, foldable).finally(() => this.#folds.delete(conversation.id));
    this.#folds.set(conversation.id, fold);
  }

  /** Waits for the folds under way (at shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#folds.values()]);
  }

  async #fold(conversation: SummarizedConversation, messages: readonly PastMessage[]): Promise<void> {
    try {
      const text = await this.deps.run(conversation.personId, (signal) =>
        this.deps.llm.summarize(conversation.summary?.text ?? '', messages, conversation.locale, signal),
      );
      await this.deps.save(conversation, { text, through: messages[0]!.at! });
    } catch (error) {
      this.deps.logger.warn({ err: error, conversationId: conversation.id }, 'conversation summary not updated');
    }
  }
}
