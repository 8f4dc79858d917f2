import type { Cache, SchemaDatabase } from '@tend/platform';
import { z } from 'zod';
import type { ConversationTables } from './db/tables.js';

const userDeleted = z.object({ userId: z.uuid() });

/**
 * What a `tend.health.user.deleted` event erases here: every conversation of the person, their
 * messages and summaries, and the cached copies of their recent messages. Idempotent, so a
 * redelivered event erases nothing more. Returns the number of conversations erased.
 */
export async function eraseConversationsOf(
  db: SchemaDatabase<ConversationTables>,
  cache: Cache,
  data: unknown,
  recentKey: (conversationId: string) => string,
): Promise<number> {
  const parsed = userDeleted.safeParse(data);
  if (!parsed.success) return 0;
  const { userId } = parsed.data;
  const erased = await db.transaction(async (trx) => {
    await trx.deleteFrom('chat_messages').where('user_id', '=', userId).execute();
    return trx.deleteFrom('conversations').where('user_id', '=', userId).returning('id').execute();
  });
  if (erased.length > 0) await cache.delete(...erased.map((c) => recentKey(c.id))).catch(() => undefined);
  return erased.length;
}
