-- (PostgreSQL) Policies, response deadlines, attachments, sharing with interested
-- parties, and CVE ids taken from an organisation's pool.

CREATE TABLE org_policies (
    org_id     UUID PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE project_policies (
    project_id UUID PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE reports ADD COLUMN acknowledge_due TIMESTAMPTZ;
ALTER TABLE reports ADD COLUMN triage_due TIMESTAMPTZ;
ALTER TABLE reports ADD COLUMN fix_due TIMESTAMPTZ;
ALTER TABLE reports ADD COLUMN disclosure_due TIMESTAMPTZ;

CREATE TABLE report_attachments (
    id         UUID PRIMARY KEY,
    report_id  UUID NOT NULL REFERENCES reports (id),
    message_id UUID REFERENCES messages (id),
    content    BYTEA NOT NULL,
    size       BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_attachments_report ON report_attachments (report_id, created_at);

CREATE TABLE report_shares (
    id         UUID PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    report_id  UUID NOT NULL REFERENCES reports (id),
    party      BYTEA NOT NULL,
    platform   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_shares_report ON report_shares (report_id);

CREATE TABLE cve_assignments (
    cve_id      TEXT PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations (id),
    advisory_id TEXT NOT NULL REFERENCES advisories (id),
    assigned_at TIMESTAMPTZ NOT NULL
);
