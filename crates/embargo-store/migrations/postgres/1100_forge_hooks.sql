-- Publish when the fix merges (issue 11): per project, the secret each forge
-- signs its webhook deliveries with (sealed at rest), the deliveries already
-- taken (a replayed delivery id changes nothing), each report's link to its
-- fix (a pull or merge request, its merge commit), and the repository and
-- branch Embargo polls for fix commits when the forge sends no webhooks.
CREATE TABLE forge_hooks (
    project_id UUID NOT NULL REFERENCES projects (id),
    forge      TEXT NOT NULL,
    secret     BYTEA NOT NULL,
    set_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, forge)
);

CREATE TABLE forge_deliveries (
    project_id  UUID NOT NULL REFERENCES projects (id),
    forge       TEXT NOT NULL,
    delivery    TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, forge, delivery)
);

CREATE TABLE report_fixes (
    report_id  UUID PRIMARY KEY REFERENCES reports (id),
    project_id UUID NOT NULL REFERENCES projects (id),
    url        TEXT,
    source     TEXT NOT NULL,
    merged_at  TIMESTAMPTZ,
    fix_commit TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX report_fixes_url ON report_fixes (project_id, url);

CREATE TABLE fix_polls (
    project_id  UUID PRIMARY KEY REFERENCES projects (id),
    repository  TEXT NOT NULL,
    branch      TEXT NOT NULL,
    last_commit TEXT,
    polled_at   TIMESTAMPTZ,
    last_error  TEXT,
    generation  TEXT NOT NULL,
    set_at TIMESTAMPTZ NOT NULL
);
