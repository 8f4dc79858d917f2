-- A person's CalDAV calendar and which appointment is which calendar object.
-- The password is an AES-256-GCM envelope "<key id>:<iv>:<ct+tag>" (the field cipher's keys).

CREATE TABLE calendar_connections (
  user_id uuid PRIMARY KEY,
  calendar_url text NOT NULL,
  username text NOT NULL,
  password_encrypted text NOT NULL,
  connected_at timestamptz NOT NULL,
  last_synced_at timestamptz,
  last_error text NOT NULL DEFAULT ''
);

-- One row per appointment that has a calendar object. No foreign key to appointments: the link
-- outlives a deleted appointment until the next sync has deleted the object too (and the other
-- way round), which is how deletes travel both ways.
CREATE TABLE calendar_links (
  user_id uuid NOT NULL,
  appointment_id uuid NOT NULL,
  -- Path of the object on the server, e.g. /ann/tend/1b2c….ics
  href text NOT NULL,
  -- The object's ETag when last synced: unchanged there if the server still reports it.
  etag text NOT NULL,
  -- The appointment's sequence when last synced: unchanged here if it still has it.
  sequence integer NOT NULL,
  PRIMARY KEY (user_id, appointment_id),
  UNIQUE (user_id, href)
);
