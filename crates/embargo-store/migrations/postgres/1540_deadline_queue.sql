-- Issue 15: the deadline order ("deadline first") from indexes, with keyset
-- paging, like the newest-first order. `due_key` is the deadline that matters
-- in the report's state (core's `Deadlines::current`), kept by the store on
-- every write of a report (`reports.rs`, `due_key`); a report without one
-- holds the far-future sentinel below, so it sorts last on both backends
-- (SQLite and PostgreSQL place NULLs at opposite ends). The indexes read the
-- order soonest first, then newest first, with every filtered column inside.
ALTER TABLE reports ADD COLUMN due_key TIMESTAMPTZ NOT NULL DEFAULT '9999-12-31 23:59:59+00';
UPDATE reports SET due_key = COALESCE(CASE
    WHEN state = 'new' THEN acknowledge_due
    WHEN state IN ('acknowledged', 'triaging', 'needs_info') THEN triage_due
    WHEN state IN ('accepted', 'fixing') THEN COALESCE(fix_due, disclosure_due)
    WHEN state = 'fixed' THEN disclosure_due
END, '9999-12-31 23:59:59+00');
CREATE INDEX reports_deadline_org ON reports (org_id, due_key, created_at DESC, id DESC, state, project_id, assignee_id);
CREATE INDEX reports_deadline_project ON reports (project_id, due_key, created_at DESC, id DESC, state, org_id, assignee_id);
CREATE INDEX reports_deadline_assignee ON reports (assignee_id, due_key, created_at DESC, id DESC, state, org_id, project_id);

