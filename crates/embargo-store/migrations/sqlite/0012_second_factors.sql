-- Second factors (TOTP with recovery codes) and sessions one can list and end.
--
-- Sessions get an id (to list and end them), a stage (a password alone opens
-- a session that still waits for the second factor or its enrolment) and the
-- time the second factor was last proven, and how many wrong codes it was sent. Sessions made before have no id:
-- they end, and their holders sign in again.
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'complete';
ALTER TABLE sessions ADD COLUMN factor_at TEXT;
ALTER TABLE sessions ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- One TOTP secret per user (RFC 6238), sealed; unconfirmed until a first code matches.
-- last_step is the last time step accepted, so a code is never accepted twice.
CREATE TABLE totp_factors (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    confirmed_at TEXT,
    last_step    INTEGER NOT NULL DEFAULT 0
);

-- Single-use recovery codes, stored as SHA-256 hashes.
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
);

-- Self sign-up is off unless an administrator turns it on (it used to be on
-- when unset): instances that already have accounts keep what they had.
INSERT INTO settings (key, value)
SELECT 'signup_open', 'true'
WHERE EXISTS (SELECT 1 FROM users)
  AND NOT EXISTS (SELECT 1 FROM settings WHERE key = 'signup_open');
