-- Issue 15: private search. A row says that a report holds a term (a word's
-- prefix of 3 to 12 characters, or `cwe:N`); the term is kept only as a keyed
-- hash (HMAC-SHA256 under a key derived from the instance secret, 16 bytes),
-- never as text, so a dump shows none of the indexed words. `source` says
-- what put it there: `text` (the report's content and reporter-visible
-- messages), `internal` (internal notes) or `team` (the team's fields,
-- replaced when they change). Only `text` matches for a reporter.
CREATE TABLE report_terms (
    term      BLOB NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    source    TEXT NOT NULL,
    PRIMARY KEY (term, report_id, source)
) WITHOUT ROWID;
CREATE INDEX report_terms_report ON report_terms (report_id, source);

-- The reports filed before this migration, waiting to be indexed: the store
-- indexes them when it opens (it holds the key), a batch per transaction,
-- and removes them from here.
CREATE TABLE search_backfill (
    report_id TEXT PRIMARY KEY REFERENCES reports (id)
);
INSERT INTO search_backfill (report_id) SELECT id FROM reports;
