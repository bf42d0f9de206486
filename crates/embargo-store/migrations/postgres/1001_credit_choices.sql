-- A finder's choice about their credit (issue 10, item 4): decline it, or
-- the name to show. `finder` is `report:ID` (the reporter of that report) or
-- `collaborator:ID` (a co-finder the team invited); `report_id` is the report
-- the choice was made on. The chosen name is sealed until published.
CREATE TABLE credit_choices (
    finder     TEXT PRIMARY KEY,
    report_id  UUID NOT NULL REFERENCES reports (id),
    declined   BOOLEAN NOT NULL,
    name       BYTEA,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX credit_choices_report ON credit_choices (report_id);
