-- Conversations and their messages. Messages are partitioned by month of created_at; the service
-- creates partitions ahead at start (never here: this migration only makes the parent).
CREATE TABLE conversations (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  title text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX conversations_user ON conversations (user_id, updated_at DESC, id DESC);

CREATE TABLE chat_messages (
  id uuid NOT NULL,
  conversation_id uuid NOT NULL,
  user_id uuid NOT NULL,
  -- 'user' or 'assistant'
  role text NOT NULL,
  text text NOT NULL,
  -- Which brain answered ('llm' or 'basic'); null for the person's own messages.
  mode text,
  intent text,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, created_at DESC, id DESC);
