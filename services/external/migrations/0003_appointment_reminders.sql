-- Reminders already sent for an appointment's version (its sequence) at each offset before its
-- start. The row is claimed before the notification is sent, so two instances never both send.

CREATE TABLE appointment_reminders (
  appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
  sequence integer NOT NULL,
  offset_minutes integer NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (appointment_id, sequence, offset_minutes)
);
