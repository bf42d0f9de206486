-- Issue 15: a search index cheaper to write (store `search.rs` says why each
-- choice). It replaces migration 1501's `report_terms`, whose rows named a
-- report by its 36-character id and were written to two B-trees; the index is
-- rebuilt from the reports, which are all queued again (`search_queue`).
--
-- A report is named in the index by `search_reports.key`, given the first
-- time it is indexed. A source is a number: 0 text (the report's content and
-- reporter-visible messages: the only one a reporter's search matches),
-- 1 internal (internal notes), 2 team (the team's fields), 3 advisory (the
-- CVE ids of the advisory drafted from the report). A term is the first 8
-- bytes of its HMAC-SHA256 under a key derived from the instance secret,
-- never text, so a dump shows none of the indexed words.
--
-- Text terms (sources 0 and 1) are only ever added, so `report_terms` has no
-- index by report and no foreign key (each would be a second lookup per row;
-- the table is rebuildable). The replaceable terms (`cwe:`, `cve:`; sources
-- 2 and 3) are few and live in `report_field_terms`, indexed by report for
-- their replacement.
DROP TABLE report_terms;
CREATE TABLE search_reports (
    key       INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE REFERENCES reports (id)
);
CREATE TABLE report_terms (
    term   BLOB NOT NULL,
    report INTEGER NOT NULL,
    source INTEGER NOT NULL,
    PRIMARY KEY (term, report, source)
) WITHOUT ROWID;
CREATE TABLE report_field_terms (
    term   BLOB NOT NULL,
    report INTEGER NOT NULL REFERENCES search_reports (key),
    source INTEGER NOT NULL,
    PRIMARY KEY (term, report, source)
) WITHOUT ROWID;
CREATE INDEX report_field_terms_report ON report_field_terms (report, source);
INSERT INTO search_queue (report_id)
    SELECT id FROM reports
    WHERE id NOT IN (SELECT report_id FROM search_queue);
