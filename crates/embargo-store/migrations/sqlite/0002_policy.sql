-- Policies, response deadlines, attachments, sharing with interested
-- parties, and CVE ids taken from an organisation's pool.

CREATE TABLE org_policies (
    org_id     TEXT PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE project_policies (
    project_id TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

ALTER TABLE reports ADD COLUMN acknowledge_due TEXT;
ALTER TABLE reports ADD COLUMN triage_due TEXT;
ALTER TABLE reports ADD COLUMN fix_due TEXT;
ALTER TABLE reports ADD COLUMN disclosure_due TEXT;

CREATE TABLE report_attachments (
    id         TEXT PRIMARY KEY,
    report_id  TEXT NOT NULL REFERENCES reports (id),
    message_id TEXT REFERENCES messages (id),
    content    BLOB NOT NULL,
    size       INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX report_attachments_report ON report_attachments (report_id, created_at);

CREATE TABLE report_shares (
    id         TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    report_id  TEXT NOT NULL REFERENCES reports (id),
    party      BLOB NOT NULL,
    platform   TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX report_shares_report ON report_shares (report_id);

CREATE TABLE cve_assignments (
    cve_id      TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations (id),
    advisory_id TEXT NOT NULL REFERENCES advisories (id),
    assigned_at TEXT NOT NULL
);
