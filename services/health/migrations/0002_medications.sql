-- Medications, the versions of their schedules, and the dose log. Scheduled doses are not
-- stored: they are expanded from the schedule versions in the person's time zone. Free text
-- (instructions, notes) is stored as an AES-256-GCM envelope "<key id>:<iv>:<ciphertext+tag>".

CREATE TABLE medications (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  rxnorm_code text NOT NULL DEFAULT '' CHECK (rxnorm_code ~ '^[0-9]{0,10}$'),
  dose double precision NOT NULL CHECK (dose > 0),
  dose_unit text NOT NULL,
  -- MedicationForm enum number.
  form integer NOT NULL DEFAULT 0,
  instructions_encrypted text,
  -- Local days "YYYY-MM-DD" in the person's zone, kept as text so no driver reads them as an
  -- instant in its own zone; ISO order makes the comparison a string comparison.
  start_date text NOT NULL CHECK (start_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  end_date text CHECK (end_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND end_date >= start_date),
  -- The current schedule; the versions below hold its history.
  active boolean NOT NULL DEFAULT true,
  times text[] NOT NULL DEFAULT '{}',
  days smallint[] NOT NULL DEFAULT '{}',
  as_needed boolean NOT NULL DEFAULT false,
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX medications_user_name ON medications (user_id, lower(name), id);
CREATE UNIQUE INDEX medications_idempotency ON medications (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Reminders scan active scheduled medications across people.
CREATE INDEX medications_scheduled ON medications (id) WHERE active AND NOT as_needed;

-- What the schedule was from effective_from until the next version of the same medication.
CREATE TABLE medication_schedule_versions (
  medication_id uuid NOT NULL REFERENCES medications (id) ON DELETE CASCADE,
  effective_from timestamptz NOT NULL,
  times text[] NOT NULL,
  days smallint[] NOT NULL,
  as_needed boolean NOT NULL,
  active boolean NOT NULL,
  start_date text NOT NULL,
  end_date text,
  PRIMARY KEY (medication_id, effective_from)
);

CREATE TABLE dose_log (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  medication_id uuid NOT NULL REFERENCES medications (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('taken', 'skipped', 'missed')),
  -- Null for an as-needed or extra dose.
  scheduled_at timestamptz,
  occurred_at timestamptz NOT NULL,
  source text NOT NULL CHECK (source IN ('voice', 'app', 'caregiver', 'system')),
  recorded_by_user_id uuid,
  note_encrypted text,
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- A scheduled dose has at most one log entry.
CREATE UNIQUE INDEX dose_log_scheduled ON dose_log (medication_id, scheduled_at) WHERE scheduled_at IS NOT NULL;
CREATE UNIQUE INDEX dose_log_idempotency ON dose_log (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX dose_log_user_time ON dose_log (user_id, occurred_at DESC, id DESC);
