import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;

/** `conversation.conversations` (migrations 0001, 0002, 0003). */
export interface ConversationsTable {
  id: string;
  user_id: string;
  title: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The model's summary of the older messages; '' until there is one. */
  summary: ColumnType<string, string | undefined, string>;
  /** The time of the newest message the summary covers. */
  summary_through: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Whether `title` and `summary` are sealed (field cipher); false only for rows from before 0003. */
  sealed: ColumnType<boolean, boolean | undefined, boolean>;
}

/** `conversation.chat_messages` (migrations 0001, 0003), partitioned by month of `created_at`. */
export interface ChatMessagesTable {
  id: string;
  conversation_id: string;
  user_id: string;
  role: 'user' | 'assistant';
  text: string;
  mode: 'llm' | 'basic' | null;
  intent: string | null;
  created_at: Timestamp;
  /** Whether `text` is sealed (field cipher); false only for rows from before 0003. */
  sealed: ColumnType<boolean, boolean | undefined, boolean>;
}

/** The conversation service's schema. */
export interface ConversationTables {
  conversations: ConversationsTable;
  chat_messages: ChatMessagesTable;
}
