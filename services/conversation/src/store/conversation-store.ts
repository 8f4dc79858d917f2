import { fileURLToPath } from 'node:url';
import { MonthlyPartitions, loadMigrations, type SchemaDatabase } from '@tend/db';
import { writeWithEvents, type OutboxEventInput } from '@tend/events';
import { type Clock, type Ids } from '@tend/core';
import type { Selectable } from 'kysely';
import type { ChatMessagesTable, ConversationTables, ConversationsTable } from '../db/tables.js';
import { olderThan, type PagePosition } from '../pages.js';

const migrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url));

/** A conversation row as stored: `title` and `summary` sealed unless `sealed` is false. */
export type StoredConversation = Selectable<ConversationsTable>;
/** A message row as stored: `text` sealed unless `sealed` is false. */
export type StoredMessage = Selectable<ChatMessagesTable>;
/** A message about to be written, its text already sealed. */
export type NewMessage = Pick<StoredMessage, 'id' | 'role' | 'text' | 'mode' | 'intent' | 'created_at'>;

/** One turn's write: the person's message and the reply, and the event that reports it. */
export interface TurnWrite {
  conversationId: string;
  userId: string;
  messages: readonly NewMessage[];
  /** The conversation's new activity time. */
  at: Date;
  event: OutboxEventInput;
}

/**
 * Every SQL statement of the conversation service: conversations, their messages (partitioned
 * by month) and the outbox. It stores values as it is given them: sealing is the caller's, so
 * this holds no key and no plaintext of its own.
 */
export class ConversationStore {
  readonly #partitions: MonthlyPartitions<ConversationTables>;

  constructor(
    readonly db: SchemaDatabase<ConversationTables>,
    private readonly clock: Clock,
    private readonly ids: Ids,
  ) {
    this.#partitions = new MonthlyPartitions(db, 'chat_messages', clock);
  }

  /** Applies the migrations and makes the partitions around now. */
  async migrate(): Promise<void> {
    await this.db.migrate(await loadMigrations(migrationsDir));
    await this.#partitions.ensureFor([]);
  }

  async insertConversation(row: { id: string; userId: string; title: string; at: Date }): Promise<void> {
    await this.db.primary
      .insertInto('conversations')
      .values({
        id: row.id,
        user_id: row.userId,
        title: row.title,
        created_at: row.at,
        updated_at: row.at,
        sealed: true,
      })
      .execute();
  }

  findConversation(id: string): Promise<StoredConversation | undefined> {
    return this.db.primary.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Stores a (sealed) summary unless a newer one is there already: folds finishing out of order
   * must not put an older summary back. Returns the row when it was stored.
   */
  saveSummary(id: string, summary: string, through: Date): Promise<StoredConversation | undefined> {
    return this.db.primary
      .updateTable('conversations')
      .set({ summary, summary_through: through })
      .where('id', '=', id)
      .where('sealed', '=', true)
      .where((eb) => eb.or([eb('summary_through', 'is', null), eb('summary_through', '<', through)]))
      .returningAll()
      .executeTakeFirst();
  }

  /** A conversation's newest `limit` messages, newest first. */
  recentMessages(conversationId: string, limit: number): Promise<StoredMessage[]> {
    return this.db.primary
      .selectFrom('chat_messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  }

  /**
   * Writes a turn as one statement: both messages, the conversation's activity time and the
   * event, atomic without a transaction's extra round trips.
   */
  async recordTurn(turn: TurnWrite): Promise<void> {
    await this.#partitions.ensureFor(turn.messages.map((m) => m.created_at));
    await this.db.writeStatement(async (primary) => {
      await writeWithEvents(
        primary,
        [
          primary.insertInto('chat_messages').values(
            turn.messages.map((message) => ({
              ...message,
              conversation_id: turn.conversationId,
              user_id: turn.userId,
              sealed: true,
            })),
          ),
          primary.updateTable('conversations').set({ updated_at: turn.at }).where('id', '=', turn.conversationId),
        ],
        [turn.event],
        { schema: this.db.schema, ids: this.ids, clock: this.clock },
      );
    });
  }

  /** A person's conversations after `after`, most recently active first. */
  conversationsPage(userId: string, after: PagePosition | undefined, take: number): Promise<StoredConversation[]> {
    let query = this.db.primary.selectFrom('conversations').selectAll().where('user_id', '=', userId);
    if (after) query = query.where(olderThan('updated_at', after));
    return query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(take).execute();
  }

  /** A person's messages of one conversation after `after`, newest first. */
  messagesPage(
    userId: string,
    conversationId: string,
    after: PagePosition | undefined,
    take: number,
  ): Promise<StoredMessage[]> {
    let query = this.db.primary
      .selectFrom('chat_messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('user_id', '=', userId);
    if (after) query = query.where(olderThan('created_at', after));
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(take).execute();
  }

  /** Deletes every conversation and message of a person; returns the conversations' ids. */
  async eraseOwner(userId: string): Promise<string[]> {
    const erased = await this.db.transaction(async (trx) => {
      await trx.deleteFrom('chat_messages').where('user_id', '=', userId).execute();
      return trx.deleteFrom('conversations').where('user_id', '=', userId).returning('id').execute();
    });
    return erased.map((row) => row.id);
  }

  /** Up to `limit` conversations written before values were sealed, after `afterId`. */
  unsealedConversations(afterId: string, limit: number): Promise<StoredConversation[]> {
    return this.db.primary
      .selectFrom('conversations')
      .selectAll()
      .where('sealed', '=', false)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Up to `limit` messages written before values were sealed, after `afterId`. */
  unsealedMessages(afterId: string, limit: number): Promise<StoredMessage[]> {
    return this.db.primary
      .selectFrom('chat_messages')
      .selectAll()
      .where('sealed', '=', false)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Replaces a plaintext conversation's title and summary with their sealed values, once. */
  async sealConversation(id: string, title: string, summary: string): Promise<void> {
    await this.db.primary
      .updateTable('conversations')
      .set({ title, summary, sealed: true })
      .where('id', '=', id)
      .where('sealed', '=', false)
      .execute();
  }

  /** Replaces a plaintext message's text with its sealed value, once. */
  async sealMessage(message: Pick<StoredMessage, 'id' | 'created_at'>, text: string): Promise<void> {
    await this.db.primary
      .updateTable('chat_messages')
      .set({ text, sealed: true })
      .where('id', '=', message.id)
      .where('created_at', '=', message.created_at)
      .where('sealed', '=', false)
      .execute();
  }
}
