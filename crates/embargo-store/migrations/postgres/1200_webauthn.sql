-- WebAuthn passkeys and security keys (issue 12).
--
-- A user's registered keys: the credential as webauthn-rs serialises it
-- (public key, counter; nothing secret), its id for lookups, and a name the
-- user chose.
CREATE TABLE webauthn_keys (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    credential_id BYTEA NOT NULL UNIQUE,
    credential    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX webauthn_keys_user ON webauthn_keys (user_id);

-- The server side of a ceremony in progress (a registration or a sign-in),
-- one of each kind per session, so any replica can finish it. Never in a cookie.
CREATE TABLE webauthn_ceremonies (
    session_id UUID NOT NULL,
    kind       TEXT NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    state      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, kind)
);
