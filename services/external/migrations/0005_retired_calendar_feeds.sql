-- Feed tokens replaced or revoked: only their SHA-256, so a calendar still polling an old URL is
-- told 410 Gone (and stops) rather than 404. Kept a year after retirement, pruned on rotation.
CREATE TABLE retired_calendar_feeds (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL,
  retired_at timestamptz NOT NULL
);

CREATE INDEX retired_calendar_feeds_user ON retired_calendar_feeds (user_id, retired_at);
