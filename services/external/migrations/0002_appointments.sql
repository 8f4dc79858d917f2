-- A person's appointments (visits to a clinician) and the secret of their iCalendar feed.
-- Times are instants; time_zone is the zone the person gave the local times in, so the feed and
-- the agent show them as entered. Notes are an AES-256-GCM envelope "<key id>:<iv>:<ct+tag>".

CREATE TABLE appointments (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  clinician text NOT NULL DEFAULT '' CHECK (char_length(clinician) <= 200),
  location text NOT NULL DEFAULT '' CHECK (char_length(location) <= 300),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  time_zone text NOT NULL,
  notes_encrypted text,
  sequence integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX appointments_user_start ON appointments (user_id, starts_at, id);

CREATE TABLE calendar_feeds (
  user_id uuid PRIMARY KEY,
  -- SHA-256 of the token, hex: a leaked table does not open anyone's feed.
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
