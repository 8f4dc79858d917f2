-- Caregiver access starts as an invitation the invitee accepts. An invitation names an address
-- (blind index and sealed copy), not an account, so inviting tells the patient nothing about
-- whether the address has one.
CREATE TABLE caregiver_invitations (
  id uuid PRIMARY KEY,
  patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email_hash bytea NOT NULL,
  email_encrypted text NOT NULL,
  scopes text[] NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn')),
  created_at timestamptz NOT NULL,
  -- Last time the scopes changed (inviting the same address again while pending replaces them).
  updated_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  answered_at timestamptz,
  link_id uuid REFERENCES caregiver_links (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX caregiver_invitations_pending ON caregiver_invitations (patient_id, email_hash)
  WHERE status = 'pending';
CREATE INDEX caregiver_invitations_invitee ON caregiver_invitations (email_hash) WHERE status = 'pending';
CREATE INDEX caregiver_invitations_patient_list ON caregiver_invitations (patient_id, created_at DESC, id DESC);
