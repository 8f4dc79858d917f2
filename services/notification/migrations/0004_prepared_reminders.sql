-- Reminders written ahead of their time. A few minutes before a reminder falls due the
-- scheduler writes its notification and delivery records, dated at its due time (the inbox shows
-- a notification from its date, the senders take a delivery from its due time), and notes here
-- what firing it still needs; at its time one statement per batch enqueues the live events and
-- marks them fired. A reminder changed or cancelled before its time has that notification taken
-- back, and it is written again.
ALTER TABLE reminders ADD COLUMN prepared jsonb;
-- The pending reminders still to write, soonest first.
CREATE INDEX reminders_unprepared ON reminders (fire_at) WHERE state = 'pending' AND prepared IS NULL;
-- The notifications dated ahead, found when taking back those of changed reminders.
CREATE INDEX notifications_created ON notifications (created_at);
