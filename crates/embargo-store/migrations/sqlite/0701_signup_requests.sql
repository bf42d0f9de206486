-- Sign-up waits for its address to be confirmed by mail (issue 12). A row
-- per request, whatever the address: the mail says whether it already has an
-- account, the answer to the request never does. The confirmation token is
-- kept as its SHA-256 (to look it up) and sealed (for the mail, until sent).
CREATE TABLE signup_requests (
    id            TEXT PRIMARY KEY,
    token_hash    BLOB NOT NULL UNIQUE,
    token         BLOB,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX signup_requests_expiry ON signup_requests (expires_at);
