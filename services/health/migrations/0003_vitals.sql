-- Vital-sign readings, partitioned by month of measured_at. Partitions are created by the
-- service (ahead of time at start, and on demand for a reading in a month without one), never
-- here: this migration only makes the parent. Values are in the kind's canonical UCUM unit.

CREATE TABLE vitals (
  id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- REST name of the kind: blood_pressure, heart_rate, weight, glucose, spo2, temperature, sleep, steps.
  kind text NOT NULL,
  value double precision,
  systolic double precision,
  diastolic double precision,
  unit text NOT NULL,
  loinc text NOT NULL,
  measured_at timestamptz NOT NULL,
  period_start timestamptz,
  source text NOT NULL,
  -- AES-256-GCM envelope of the free-text note; null when there is none.
  note_encrypted text,
  recorded_by_user_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The partition key must be part of every unique constraint.
  PRIMARY KEY (id, measured_at),
  CHECK ((kind = 'blood_pressure') = (value IS NULL)),
  CHECK ((kind = 'blood_pressure') = (systolic IS NOT NULL AND diastolic IS NOT NULL))
) PARTITION BY RANGE (measured_at);

-- Lists and summaries: one person's readings of a kind in a period, newest first.
CREATE INDEX vitals_user_kind_time ON vitals (user_id, kind, measured_at DESC, id DESC);
-- Lists of every kind.
CREATE INDEX vitals_user_time ON vitals (user_id, measured_at DESC, id DESC);

-- Retries of RecordVital / BatchRecordVitals with the same key return the first result (24 h).
CREATE TABLE vital_idempotency_keys (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  idempotency_key text NOT NULL,
  vital_ids uuid[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, idempotency_key)
);
