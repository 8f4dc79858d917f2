-- Calendar identity, recurring series and the sync lease.
--
-- An appointment that came from a calendar (an .ics import or a CalDAV sync) keeps the event's
-- UID, so the same event imported again, or brought in by a sync, updates it instead of adding
-- a second one; the version it holds (SEQUENCE, LAST-MODIFIED) decides whether an incoming copy
-- is newer. Appointments made in Tend have no uid: their UID is "<id>@tend".
ALTER TABLE appointments
  ADD COLUMN uid text CHECK (char_length(uid) BETWEEN 1 AND 500),
  ADD COLUMN source_sequence integer NOT NULL DEFAULT 0,
  ADD COLUMN source_modified_at timestamptz,
  -- A series: {"rrule", "exdates", "moved", "zone"?} (see calendar/recurrence.ts); starts_at and
  -- ends_at are its first occurrence. Null for a single visit.
  ADD COLUMN recurrence jsonb,
  -- The end of the last occurrence (ends_at for a single visit); null for an endless series.
  -- A window query finds a series by it without expanding the rule.
  ADD COLUMN last_ends_at timestamptz;
UPDATE appointments SET last_ends_at = ends_at;
ALTER TABLE appointments
  ADD CONSTRAINT appointments_single_has_last_end CHECK (recurrence IS NOT NULL OR last_ends_at IS NOT NULL);
CREATE UNIQUE INDEX appointments_user_uid ON appointments (user_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX appointments_series ON appointments (user_id, starts_at) WHERE recurrence IS NOT NULL;

-- A reminder is per occurrence: a series is reminded before each visit. A single visit's row
-- keeps the epoch here.
ALTER TABLE appointment_reminders ADD COLUMN occurrence_start timestamptz NOT NULL DEFAULT 'epoch';
ALTER TABLE appointment_reminders DROP CONSTRAINT appointment_reminders_pkey;
ALTER TABLE appointment_reminders ADD PRIMARY KEY (appointment_id, sequence, offset_minutes, occurrence_start);

-- Who is syncing a person's calendar, until when. A lease row rather than an advisory lock:
-- a sync spends seconds on the calendar server's HTTP calls, and an advisory lock would pin a
-- pooled connection (or hold a transaction open) for all of it; a lease costs two short
-- statements, outlives no crashed instance longer than its expiry, and its owner is checked
-- again in the sync's final transaction, so an instance whose lease ran out writes nothing.
ALTER TABLE calendar_connections
  ADD COLUMN sync_owner text,
  ADD COLUMN sync_lease_until timestamptz;
