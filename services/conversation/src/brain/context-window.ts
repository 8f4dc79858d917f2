/** One earlier message of a conversation. */
export interface PastMessage {
  role: 'user' | 'assistant';
  text: string;
}

/** What of a conversation's past goes to the model with a new turn. */
export interface ContextWindow {
  /** The newest messages, oldest first, within the token budget. */
  recent: PastMessage[];
  /** The older ones condensed to one line (empty when everything fit). */
  earlier: string;
}

/** A token is about four characters of English (and about one of Chinese, which this overcounts). */
const approximateTokens = (text: string) => Math.ceil(text.length / 4);

/**
 * Fits a conversation's past into `budgetTokens`: the newest messages whole, as many as fit,
 * and a rolling summary of the rest — what the person said earlier, most recent first, cut to a
 * fixed length — so a long conversation keeps its thread at a bounded cost per turn.
 */
export function contextWindow(pastNewestFirst: readonly PastMessage[], budgetTokens = 1500): ContextWindow {
  const recent: PastMessage[] = [];
  let used = 0;
  let i = 0;
  for (; i < pastNewestFirst.length; i++) {
    const cost = approximateTokens(pastNewestFirst[i]!.text);
    if (used + cost > budgetTokens) break;
    used += cost;
    recent.unshift(pastNewestFirst[i]!);
  }
  const older = pastNewestFirst
    .slice(i)
    .filter((m) => m.role === 'user')
    .map((m) => m.text.replace(/\s+/g, ' ').trim());
  let earlier = older.length === 0 ? '' : `Earlier the person said: ${older.join(' | ')}`;
  if (earlier.length > 600) earlier = `${earlier.slice(0, 597)}…`;
  return { recent, earlier };
}
