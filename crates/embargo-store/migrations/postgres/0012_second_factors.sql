-- Second factors (TOTP with recovery codes) and sessions one can list and end.
--
-- Sessions get an id (to list and end them), a stage (a password alone opens
-- a session that still waits for the second factor or its enrolment) and the
-- time the second factor was last proven, and how many wrong codes it was sent. Sessions made before have no id:
-- they end, and their holders sign in again.
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN id UUID;
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'complete';
ALTER TABLE sessions ADD COLUMN factor_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- One TOTP secret per user (RFC 6238), sealed; unconfirmed until a first code matches.
-- last_step is the last time step accepted, so a code is never accepted twice.
CREATE TABLE totp_factors (
    user_id      UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    last_step    BIGINT NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored as SHA-256 hashes.
CREATE TABLE recovery_codes (
    user_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- Self sign-up is off unless an administrator turns it on (it used to be on
-- when unset): instances that already have accounts keep what they had.
INSERT INTO settings (key, value)
SELECT 'signup_open', 'true'
WHERE EXISTS (SELECT 1 FROM users)
  AND NOT EXISTS (SELECT 1 FROM settings WHERE key = 'signup_open');
