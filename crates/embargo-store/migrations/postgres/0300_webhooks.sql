-- Outgoing webhooks (issue 11): URLs an organisation or a project subscribes
-- to events, each with a signing secret sealed at rest, and every event's
-- delivery to each with the outcome of its last attempt. Payloads hold ids,
-- states and public data only, so they are kept as they were sent.
CREATE TABLE webhooks (
    id         UUID PRIMARY KEY,
    org_id     UUID NOT NULL REFERENCES organisations (id),
    project_id UUID REFERENCES projects (id),
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (org_id, project_id);

CREATE TABLE webhook_deliveries (
    id              UUID PRIMARY KEY,
    webhook_id      UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    source_job      UUID NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_attempt_at TIMESTAMPTZ,
    response_status BIGINT,
    response_body   TEXT,
    last_error      TEXT,
    next_attempt_at TIMESTAMPTZ,
    UNIQUE (webhook_id, source_job)
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, created_at);
