-- Live events written ahead. A reminder written ahead (0004) now has its live event in the outbox
-- too, held until its due time: the outbox relay publishes a row with a deliver_at only from then
-- (under a row lock), so at the due time nothing is left to write, only the publish. Taking a
-- reminder back before its time deletes its held event with its notification.
ALTER TABLE outbox ADD COLUMN deliver_at timestamptz;
-- Events to publish now: the relay's usual scan, which must not walk past a peak of held rows.
CREATE INDEX outbox_ready ON outbox (seq) WHERE published_at IS NULL AND deliver_at IS NULL;
-- Held events, in the order they fall due.
CREATE INDEX outbox_held ON outbox (deliver_at, seq) WHERE published_at IS NULL AND deliver_at IS NOT NULL;
-- An event written ahead by the notification it announces: for taking it back, and for finding
-- that it went out while being taken back.
CREATE INDEX outbox_held_subject ON outbox ((event->>'subject')) WHERE deliver_at IS NOT NULL;
