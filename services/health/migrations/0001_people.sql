-- People, their sign-in identities, caregiver links and the audit log of access by others.
-- Contact details and health notes are stored encrypted (AES-256-GCM envelope as text:
-- "<key id>:<iv>:<ciphertext+tag>", base64url parts); e-mail is found through a keyed hash.

CREATE TABLE users (
  id uuid PRIMARY KEY,
  -- HMAC-SHA256 of the lower-cased e-mail under the current blind-index key: look-ups without plaintext.
  email_hash bytea NOT NULL UNIQUE,
  email_encrypted text NOT NULL,
  password_hash text,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('user', 'caregiver', 'admin')),
  locale text NOT NULL CHECK (locale IN ('en', 'zh')),
  time_zone text NOT NULL,
  birth_date date,
  sex text CHECK (sex IN ('female', 'male', 'other', 'unknown')),
  conditions_encrypted text,
  allergies_encrypted text,
  emergency_contact_encrypted text,
  profile_updated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE oidc_identities (
  issuer text NOT NULL,
  subject text NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);

CREATE TABLE caregiver_links (
  id uuid PRIMARY KEY,
  patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  caregiver_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Scope names: read_vitals, read_medications, receive_missed_dose_alerts, log_doses, record_vitals.
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Last time the scopes changed (a re-grant replaces them).
  updated_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK (patient_id <> caregiver_id)
);
CREATE UNIQUE INDEX caregiver_links_active ON caregiver_links (patient_id, caregiver_id) WHERE revoked_at IS NULL;
CREATE INDEX caregiver_links_caregiver ON caregiver_links (caregiver_id) WHERE revoked_at IS NULL;
CREATE INDEX caregiver_links_patient_list ON caregiver_links (patient_id, created_at DESC, id DESC);
CREATE INDEX caregiver_links_caregiver_list ON caregiver_links (caregiver_id, created_at DESC, id DESC);

-- Kept when a person is deleted: who touched whose record stays on file.
CREATE TABLE audit_events (
  id uuid PRIMARY KEY,
  subject_user_id uuid NOT NULL,
  actor_user_id uuid,
  actor_role text NOT NULL,
  action text NOT NULL,
  resource text NOT NULL,
  resource_id text,
  trace_id text,
  -- False for a denied attempt.
  allowed boolean NOT NULL DEFAULT true,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_subject ON audit_events (subject_user_id, at DESC);
