-- Embargo ends and scheduled publications (issue 10): instants in UTC with
-- the UTC offset (seconds) the team gave them, so everyone sees both.
CREATE TABLE report_embargoes (
    report_id   UUID PRIMARY KEY REFERENCES reports (id),
    until_at    TIMESTAMPTZ NOT NULL,
    utc_offset  BIGINT NOT NULL,
    set_at      TIMESTAMPTZ NOT NULL
);
-- One schedule per advisory; `outcome` (published or refused) is set once,
-- in the transaction that acts, so a schedule acts at most once whichever
-- replica's job runner takes it.
CREATE TABLE advisory_schedules (
    advisory_id TEXT PRIMARY KEY REFERENCES advisories (id),
    publish_at  TIMESTAMPTZ NOT NULL,
    utc_offset  BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    outcome     TEXT,
    settled_at  TIMESTAMPTZ
);
