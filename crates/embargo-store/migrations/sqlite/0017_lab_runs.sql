-- The evidence lab's runs: one row per (report, release line or fix ref),
-- queued by the app and claimed with a lease by `embargo lab worker`.
-- The output is sealed; `reason` is Embargo's own text (exit code, timeout).
CREATE TABLE lab_runs (
    id           TEXT PRIMARY KEY,
    report_id    TEXT NOT NULL REFERENCES reports (id),
    project_id   TEXT NOT NULL REFERENCES projects (id),
    line         TEXT NOT NULL,
    git_ref      TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    grounding    INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL,
    result       TEXT,
    reason       TEXT,
    output       BLOB,
    commit_id    TEXT,
    requested_by TEXT REFERENCES users (id),
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_until  TEXT,
    leased_by    TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX lab_runs_report ON lab_runs (report_id, created_at);
CREATE INDEX lab_runs_queue ON lab_runs (state, created_at);
