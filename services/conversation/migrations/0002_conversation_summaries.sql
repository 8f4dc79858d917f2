-- A long conversation's older messages, condensed by the language model into a few sentences
-- that go to the model with each new turn. `summary_through` is the time of the newest message
-- the summary covers; newer messages that fall out of the window are condensed in their turn.
ALTER TABLE conversations
  ADD COLUMN summary text NOT NULL DEFAULT '',
  ADD COLUMN summary_through timestamptz;
