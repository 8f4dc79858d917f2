import type { FieldCipher, Logger, SealContext } from '@tend/core';
import type { ConversationStore, StoredConversation, StoredMessage } from './conversation-store.js';

/**
 * Where each sealed value of a conversation lives, for the field cipher's additional data: a
 * message's text, a title or a summary copied into another row, column or person's history no
 * longer opens. Cached answers are bound to their cache key and person the same way.
 */
export const chatPlaces = {
  messageText: place('chat_messages', 'text'),
  title: place('conversations', 'title'),
  summary: place('conversations', 'summary'),
  cachedAnswer: place('answer_cache', 'answer'),
};

function place(table: string, column: string) {
  return (rowId: string, ownerId: string): SealContext => ({ table, column, rowId, ownerId });
}

/**
 * The field cipher as chat history uses it. An empty summary ("none yet") is stored as it is:
 * it says nothing, and `''` keeps meaning "no summary" in the column.
 */
export class ChatSeal {
  constructor(readonly cipher: FieldCipher) {}

  seal(plaintext: string, at: SealContext): string {
    return plaintext === '' ? '' : this.cipher.encrypt(plaintext, at);
  }

  open(sealed: string, at: SealContext): string {
    return sealed === '' ? '' : this.cipher.decrypt(sealed, at);
  }

  /** A stored message's text in plaintext (rows from before sealing are plaintext already). */
  messageText(row: Pick<StoredMessage, 'id' | 'user_id' | 'text' | 'sealed'>): string {
    return row.sealed ? this.open(row.text, chatPlaces.messageText(row.id, row.user_id)) : row.text;
  }

  /** A stored conversation's title in plaintext. */
  title(row: Pick<StoredConversation, 'id' | 'user_id' | 'title' | 'sealed'>): string {
    return row.sealed ? this.open(row.title, chatPlaces.title(row.id, row.user_id)) : row.title;
  }

  /** A stored conversation's summary in plaintext ('' when there is none). */
  summary(row: Pick<StoredConversation, 'id' | 'user_id' | 'summary' | 'sealed'>): string {
    return row.sealed ? this.open(row.summary, chatPlaces.summary(row.id, row.user_id)) : row.summary;
  }
}

/**
 * Seals every conversation and message stored in plaintext before sealing existed. Runs at
 * start-up after the migrations, in batches walked in id order; idempotent (a sealed row is never
 * selected, and each update only applies to a row still unsealed), so every replica may run it.
 * Returns how many rows it sealed.
 */
export async function sealPlaintextHistory(
  store: ConversationStore,
  seal: ChatSeal,
  logger?: Logger,
  batchSize = 500,
): Promise<number> {
  let sealed = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await store.unsealedConversations(after, batchSize);
    if (rows.length === 0) break;
    for (const row of rows) {
      await store.sealConversation(
        row.id,
        seal.seal(row.title, chatPlaces.title(row.id, row.user_id)),
        seal.seal(row.summary, chatPlaces.summary(row.id, row.user_id)),
      );
      sealed++;
    }
    after = rows.at(-1)!.id;
  }
  after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await store.unsealedMessages(after, batchSize);
    if (rows.length === 0) break;
    for (const row of rows) {
      await store.sealMessage(row, seal.seal(row.text, chatPlaces.messageText(row.id, row.user_id)));
      sealed++;
    }
    after = rows.at(-1)!.id;
  }
  if (sealed > 0) logger?.info({ rows: sealed }, 'chat history stored in plaintext is now sealed');
  return sealed;
}
