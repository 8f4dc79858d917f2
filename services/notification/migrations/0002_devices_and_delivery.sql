-- Where a person can be reached beyond the app, and what the delivery worker needs to send,
-- retry and give up.

-- A push subscription, a phone number or an e-mail address of a person. Phone numbers and
-- addresses receive nothing but their code until verified.
CREATE TABLE devices (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  -- 'push' | 'phone' | 'email'
  kind text NOT NULL,
  -- E.164 number, e-mail address, or push endpoint URL.
  address text NOT NULL,
  -- A push subscription's keys: { "p256dh": ..., "auth": ... }.
  push_keys jsonb,
  verified_at timestamptz,
  -- SHA-256 of the current verification code, its expiry and the wrong guesses so far.
  code_hash text,
  code_expires_at timestamptz,
  code_attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  UNIQUE (user_id, kind, address)
);
CREATE INDEX devices_user ON devices (user_id, kind);

-- A delivery being sent is claimed until this time; a process that dies holding it frees it then.
ALTER TABLE deliveries ADD COLUMN claimed_until timestamptz;
-- Failed for good after its retries: shown to admins.
ALTER TABLE deliveries ADD COLUMN dead_letter boolean NOT NULL DEFAULT false;
-- The provider's id of what it accepted (Twilio's message SID, the SMTP message id).
ALTER TABLE deliveries ADD COLUMN provider_ref text;
CREATE INDEX deliveries_dead ON deliveries (updated_at DESC) WHERE dead_letter;
CREATE INDEX deliveries_provider_ref ON deliveries (provider_ref) WHERE provider_ref IS NOT NULL;

-- Action links used once: the token's id is kept until long after it expired.
CREATE TABLE used_action_tokens (
  token_id text PRIMARY KEY,
  used_at timestamptz NOT NULL
);
