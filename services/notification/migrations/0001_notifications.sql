-- The notification service's own schema: the scheduler's reminders, the in-app inbox, the
-- delivery record of each channel and each person's preferences.

-- Each reminder's next occurrence, materialised from the health service's schedules. The due
-- time lives here: the dispatcher claims due rows with FOR UPDATE SKIP LOCKED, so processes
-- share the work, and fires each in the transaction that writes its notification.
CREATE TABLE reminders (
  -- The health service's stable id (a digest of kind, medication, time, recipient), or one
  -- derived from it for the scheduler's own follow-ups.
  id text PRIMARY KEY,
  -- 'dose_due', 'missed_dose_alert', 'dose_follow_up' (appointments later).
  kind text NOT NULL,
  recipient_user_id uuid NOT NULL,
  patient_user_id uuid NOT NULL,
  -- What the reminder is about (a medication id), for cancelling on changes.
  subject_id text NOT NULL,
  -- The reminder this one follows up (a follow-up's dose reminder); it lives while that does.
  parent_id text,
  fire_at timestamptz NOT NULL,
  scheduled_at timestamptz NOT NULL,
  -- Names, dose, local time and zone, language: what the message is written from.
  payload jsonb NOT NULL,
  -- 'pending' | 'fired' | 'missed' | 'cancelled'
  state text NOT NULL DEFAULT 'pending',
  fired_at timestamptz,
  -- True when it fired more than a minute after fire_at.
  late boolean NOT NULL DEFAULT false,
  notification_id uuid,
  updated_at timestamptz NOT NULL
);
CREATE INDEX reminders_due ON reminders (fire_at) WHERE state = 'pending';
CREATE INDEX reminders_recipient ON reminders (recipient_user_id, fire_at);
CREATE INDEX reminders_parent ON reminders (parent_id) WHERE parent_id IS NOT NULL;

-- One message to one person. Unique per (person, idempotency key): a redelivered event, a
-- retried call or a second scheduler process never writes it twice.
CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  kind text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  idempotency_key text NOT NULL,
  -- Whether it is in the person's in-app inbox.
  in_app boolean NOT NULL,
  created_at timestamptz NOT NULL,
  read_at timestamptz,
  UNIQUE (user_id, idempotency_key)
);
CREATE INDEX notifications_inbox ON notifications (user_id, created_at DESC, id DESC) WHERE in_app;
CREATE INDEX notifications_unread ON notifications (user_id) WHERE in_app AND read_at IS NULL;

-- Each channel's delivery of a notification: queued -> sent -> delivered | failed.
CREATE TABLE deliveries (
  id uuid PRIMARY KEY,
  notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  channel text NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_error text,
  updated_at timestamptz NOT NULL,
  UNIQUE (notification_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'queued';

CREATE TABLE preferences (
  user_id uuid PRIMARY KEY,
  -- { "<kind>": ["in_app", "push", ...] } for kinds set; defaults for the rest.
  channels jsonb NOT NULL,
  quiet_start text,
  quiet_end text,
  language text NOT NULL DEFAULT '',
  time_zone text NOT NULL DEFAULT '',
  follow_up_minutes integer NOT NULL DEFAULT 30,
  updated_at timestamptz NOT NULL
);
