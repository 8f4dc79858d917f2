import { z } from 'zod';
import type { ConversationHistory } from './store/conversation-history.js';

const userDeleted = z.object({ userId: z.uuid() });

/**
 * What a `tend.health.user.deleted` event erases here: every conversation of the person, their
 * messages and summaries, and every cached copy of them. Idempotent, so a redelivered event
 * erases nothing more. Returns the number of conversations erased.
 */
export async function eraseConversationsOf(history: ConversationHistory, data: unknown): Promise<number> {
  const parsed = userDeleted.safeParse(data);
  if (!parsed.success) return 0;
  return history.erase(parsed.data.userId);
}
