-- A finder's choice about their credit (issue 10, item 4): decline it, or
-- the name to show. `finder` is `report:ID` (the reporter of that report) or
-- `collaborator:ID` (a co-finder the team invited); `report_id` is the report
-- the choice was made on. The chosen name is sealed until published.
CREATE TABLE credit_choices (
    finder     TEXT PRIMARY KEY,
    report_id  TEXT NOT NULL REFERENCES reports (id),
    declined   INTEGER NOT NULL,
    name       BLOB,
    updated_at TEXT NOT NULL
);
CREATE INDEX credit_choices_report ON credit_choices (report_id);
