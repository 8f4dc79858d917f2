-- Health advisories already sent as notifications: one row per person, kind (heat, cold, air)
-- and local day. The row is claimed before the notification is sent, so a person is told of a
-- kind at most once a day, however many instances or rounds look.

CREATE TABLE advisory_notices (
  user_id uuid NOT NULL,
  kind text NOT NULL,
  local_date text NOT NULL,
  level text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, kind, local_date)
);

CREATE INDEX advisory_notices_sent_at ON advisory_notices (sent_at);
