-- The grounding check of a report: each identifier it names (sealed: it
-- comes from the report) with whether the project's source at the checked
-- commit contains it, and where. Replaced as a whole by each new check.
CREATE TABLE lab_grounding (
    report_id  UUID NOT NULL REFERENCES reports (id),
    position   BIGINT NOT NULL,
    name       BYTEA NOT NULL,
    found      BOOLEAN NOT NULL,
    location   TEXT,
    git_ref    TEXT NOT NULL,
    commit_id  TEXT NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_id, position)
);
