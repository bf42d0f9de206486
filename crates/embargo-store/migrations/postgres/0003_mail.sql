-- The e-mail channel: which address files into which project, reply-address
-- tokens, Message-IDs seen and sent (dedupe and threading), OpenPGP keys,
-- and which notifications went to whom.

-- A project's security address; '*' is the instance's catch-all.
CREATE TABLE mail_routes (
    address    TEXT PRIMARY KEY,
    project_id UUID NOT NULL REFERENCES projects (id),
    created_at TIMESTAMPTZ NOT NULL
);

-- One per report that mail concerns: the secret token of its reply address,
-- and (sealed) the follow-up token the receipt hands over, cleared once sent.
CREATE TABLE mail_threads (
    report_id     UUID PRIMARY KEY REFERENCES reports (id),
    reply_token   TEXT NOT NULL UNIQUE,
    receipt_token BYTEA,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Every Message-ID received or sent; received mail without one is keyed by a
-- hash of its bytes. Signature results and refused parts of inbound mail.
CREATE TABLE mail_message_ids (
    message_id  TEXT PRIMARY KEY,
    report_id   UUID REFERENCES reports (id),
    direction   TEXT NOT NULL,
    message_ref UUID REFERENCES messages (id),
    encrypted   BOOLEAN NOT NULL DEFAULT FALSE,
    signature   TEXT,
    signer      TEXT,
    refused     BYTEA,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX mail_message_ids_report ON mail_message_ids (report_id, created_at);

-- OpenPGP keys: a project's key pair (the secret part sealed) or a
-- recipient's public key, owned by 'project:ID' or 'email:ADDRESS'.
CREATE TABLE openpgp_keys (
    owner       TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    secret_key  BYTEA,
    created_at  TIMESTAMPTZ NOT NULL
);

-- One row per notification mail delivered, so a retried job skips the
-- recipients it already reached.
CREATE TABLE mail_sent (
    job_id     UUID NOT NULL,
    recipient  TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sent_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, recipient)
);
CREATE INDEX mail_sent_recipient ON mail_sent (recipient, sent_at);
