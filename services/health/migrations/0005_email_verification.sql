-- E-mail ownership. An address counts as the person's only once they proved they receive mail at
-- it (a code sent to it) or the OIDC provider that created the account vouched for it; an OIDC
-- identity is never linked into an account on the strength of an unproven address.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- The verification messages: the outbox the e-mail channel drains (sent_at), and the code each
-- one carries, kept only as a hash. The message text (address and code) is sealed like every
-- other contact detail.
CREATE TABLE email_verifications (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email_hash bytea NOT NULL,
  code_hash bytea NOT NULL,
  message_encrypted text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  sent_at timestamptz,
  used_at timestamptz
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, created_at DESC);
CREATE INDEX email_verifications_unsent ON email_verifications (created_at) WHERE sent_at IS NULL;
