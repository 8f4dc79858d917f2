-- Reminders written out ahead of their time. A few minutes before a reminder falls due the
-- scheduler renders its message, picks its channels (quiet hours as at its time) and assigns
-- the ids of its notification, deliveries and live event; at its time one statement per batch
-- writes them all from these rows. Anything that would change the message (the schedule, the
-- text, the recipient's preferences) sets it back to NULL, and it is rendered again.
ALTER TABLE reminders ADD COLUMN prepared jsonb;
-- The pending reminders still to render, soonest first.
CREATE INDEX reminders_unprepared ON reminders (fire_at) WHERE state = 'pending' AND prepared IS NULL;
