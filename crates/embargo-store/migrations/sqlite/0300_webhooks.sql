-- Outgoing webhooks (issue 11): URLs an organisation or a project subscribes
-- to events, each with a signing secret sealed at rest, and every event's
-- delivery to each with the outcome of its last attempt. Payloads hold ids,
-- states and public data only, so they are kept as they were sent.
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organisations (id),
    project_id TEXT REFERENCES projects (id),
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (org_id, project_id);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    source_job      TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    response_status INTEGER,
    response_body   TEXT,
    last_error      TEXT,
    next_attempt_at TEXT,
    UNIQUE (webhook_id, source_job)
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, created_at);
