-- Reports filed by an import (issue 14): which source record each came
-- from, so that importing the same file again finds the report it made
-- instead of filing another, and an advisory linked to an imported report
-- may be revised by a later import.
CREATE TABLE imported_reports (
    project_id  UUID NOT NULL REFERENCES projects (id),
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    report_id   UUID NOT NULL UNIQUE REFERENCES reports (id),
    imported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, source, source_id)
);
