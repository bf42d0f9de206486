-- Issue 15 (intake at the writer's ceiling): a new report's words are indexed
-- after its commit, not in it. `insert_report` queues the report here (one
-- row) and the store indexes queued reports a batch at a time, oldest first
-- (`seq`), in the background and before every search. The reports filed
-- before the index existed (`search_backfill`, migration 1501) wait here too.
CREATE TABLE search_queue (
    seq       INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id)
);
INSERT INTO search_queue (report_id) SELECT report_id FROM search_backfill;
DROP TABLE search_backfill;
