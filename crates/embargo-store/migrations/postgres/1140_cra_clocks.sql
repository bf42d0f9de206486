-- Cyber Resilience Act reporting clocks (issue 11): a report flagged as an
-- actively exploited vulnerability or a severe incident, when the
-- organisation became aware (UTC, with the offset it was given in), an
-- explicit time a corrective or mitigating measure became available, and the
-- team's details for ENISA (JSON, sealed); each stage's filing with ENISA's
-- reference.
CREATE TABLE cra_clocks (
    report_id        UUID PRIMARY KEY REFERENCES reports (id),
    kind             TEXT NOT NULL,
    aware_at         TIMESTAMPTZ NOT NULL,
    aware_offset     BIGINT NOT NULL,
    fix_available_at TIMESTAMPTZ,
    details          BYTEA NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL
);
CREATE TABLE cra_filings (
    report_id   UUID NOT NULL REFERENCES cra_clocks (report_id),
    stage       TEXT NOT NULL,
    filed_at    TIMESTAMPTZ NOT NULL,
    reference   TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_id, stage)
);
