/** One earlier message of a conversation. */
export interface PastMessage {
  role: 'user' | 'assistant';
  text: string;
  /** When it was said (ISO 8601), so a summary knows which messages it covers. */
  at?: string;
}

/** The model's condensed account of a conversation's older messages. */
export interface ConversationSummary {
  text: string;
  /** The time of the newest message it covers (ISO 8601). */
  through: string;
}

/** What of a conversation's past goes to the model with a new turn. */
export interface ContextWindow {
  /** The newest messages, oldest first, within the token budget. */
  recent: PastMessage[];
  /** The older ones condensed: the summary, then what it does not cover yet (empty when everything fit). */
  earlier: string;
  /** Older messages outside the window that no summary covers yet, newest first. */
  unsummarized: PastMessage[];
}

/** A token is about four characters of English (and about one of Chinese, which this overcounts). */
const approximateTokens = (text: string) => Math.ceil(text.length / 4);
/** The most the extractive part of `earlier` may take. */
const maxExtractLength = 600;

/**
 * Fits a conversation's past into `budgetTokens`: the newest messages whole, as many as fit; the
 * model-written summary of older ones, when there is one; and, for older messages it does not
 * cover yet, what the person said, most recent first, cut to a fixed length. A long conversation
 * keeps its thread at a bounded cost per turn.
 */
export function contextWindow(
  pastNewestFirst: readonly PastMessage[],
  budgetTokens = 1500,
  summary?: ConversationSummary,
): ContextWindow {
  const recent: PastMessage[] = [];
  let used = 0;
  let i = 0;
  for (; i < pastNewestFirst.length; i++) {
    const cost = approximateTokens(pastNewestFirst[i]!.text);
    if (used + cost > budgetTokens) break;
    used += cost;
    recent.unshift(pastNewestFirst[i]!);
  }
  // ISO 8601 times in UTC compare as strings in time order.
  const unsummarized = pastNewestFirst.slice(i).filter((m) => !summary || m.at === undefined || m.at > summary.through);
  const said = unsummarized.filter((m) => m.role === 'user').map((m) => m.text.replace(/\s+/g, ' ').trim());
  let extract = said.length === 0 ? '' : `Earlier the person said: ${said.join(' | ')}`;
  if (extract.length > maxExtractLength) extract = `${extract.slice(0, maxExtractLength - 3)}…`;
  const summarized = summary?.text ? `Summary of the conversation before that: ${summary.text}` : '';
  return { recent, earlier: [summarized, extract].filter(Boolean).join('\n'), unsummarized };
}
