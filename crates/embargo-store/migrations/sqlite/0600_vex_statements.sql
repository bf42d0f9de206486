-- VEX (issue 14): release lines a team states not affected by a published
-- advisory, with OpenVEX's justification and an optional impact statement.
CREATE TABLE vex_statements (
    advisory_id   TEXT NOT NULL REFERENCES advisories (id),
    line          TEXT NOT NULL,
    justification TEXT NOT NULL,
    impact        TEXT,
    stated_at     TEXT NOT NULL,
    PRIMARY KEY (advisory_id, line)
);
