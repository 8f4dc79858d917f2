-- Appointment notes and calendar passwords are bound to their row and owner (the GCM additional
-- data names table, column, row id and person), so a value copied to another row or person no
-- longer opens. Values sealed before were bound to one place for both columns; the service
-- re-seals them at start-up (appointments/sealed-values.ts) and sets these flags. A row written
-- by an older version keeps false until the next start binds it.
ALTER TABLE appointments ADD COLUMN notes_bound boolean NOT NULL DEFAULT false;
ALTER TABLE calendar_connections ADD COLUMN password_bound boolean NOT NULL DEFAULT false;
CREATE INDEX appointments_notes_unbound ON appointments (id) WHERE notes_encrypted IS NOT NULL AND NOT notes_bound;
