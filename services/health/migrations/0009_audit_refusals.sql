-- Refused attempts are aggregated: one row per actor, subject, resource (and id) and action per hour,
-- counting its attempts, so a script repeating a refused call cannot add one row per try.
-- Allowed accesses keep one row each (attempts = 1, window_start null).
ALTER TABLE audit_events ADD COLUMN attempts integer NOT NULL DEFAULT 1 CHECK (attempts >= 1);
ALTER TABLE audit_events ADD COLUMN window_start timestamptz;
ALTER TABLE audit_events ADD COLUMN last_at timestamptz;
CREATE INDEX audit_events_refusal_window
  ON audit_events (actor_user_id, window_start, subject_user_id)
  WHERE NOT allowed AND window_start IS NOT NULL;
