-- Message text, conversation titles and summaries are sealed with the field cipher, each value
-- bound to its table, column, row and owner. Rows written before this are plaintext
-- (`sealed` false) until the service seals them at start-up; every row written since is sealed.
ALTER TABLE conversations ADD COLUMN sealed boolean NOT NULL DEFAULT false;
ALTER TABLE chat_messages ADD COLUMN sealed boolean NOT NULL DEFAULT false;
-- The start-up step finds what is left to seal without reading the whole history.
CREATE INDEX conversations_unsealed ON conversations (id) WHERE NOT sealed;
CREATE INDEX chat_messages_unsealed ON chat_messages (id) WHERE NOT sealed;
-- Retention deletes conversations by their last activity.
CREATE INDEX conversations_updated ON conversations (updated_at);
