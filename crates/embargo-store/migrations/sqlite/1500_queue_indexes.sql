-- Issue 15: the queue answers from indexes, whatever the number of reports.
-- The listing (store `reports.rs`, `listing.rs`) runs one branch per kind of
-- scope (an organisation's reports, a project's, a reporter's own), each
-- reading its index newest first from the keyset cursor and stopping after a
-- page. Every column a filter reads is in the index, so a branch never reads
-- a report's row (nor its sealed content) to decide whether it matches: only
-- the page's rows are read, by id.
--
-- The `_open` indexes hold open reports only. Their condition is core's open
-- states (`ReportState::is_closed`), written exactly as the listing writes it
-- (`open_states_sql`): a query uses a partial index only when its own
-- condition is the same. `crates/embargo-store/tests/it/queue_plans.rs`
-- fails if the two drift apart.
CREATE INDEX reports_queue_org ON reports (org_id, created_at, id, state, project_id, assignee_id);
CREATE INDEX reports_queue_org_state ON reports (org_id, state, created_at, id, project_id, assignee_id);
CREATE INDEX reports_queue_org_open ON reports (org_id, created_at, id, project_id, assignee_id, state)
    WHERE state IN ('new', 'acknowledged', 'triaging', 'needs_info', 'accepted', 'fixing', 'fixed');
CREATE INDEX reports_queue_project ON reports (project_id, created_at, id, state, org_id, assignee_id);
CREATE INDEX reports_queue_project_state ON reports (project_id, state, created_at, id, org_id, assignee_id);
CREATE INDEX reports_queue_project_open ON reports (project_id, created_at, id, org_id, assignee_id, state)
    WHERE state IN ('new', 'acknowledged', 'triaging', 'needs_info', 'accepted', 'fixing', 'fixed');
CREATE INDEX reports_queue_reporter ON reports (reporter_id, created_at, id, state, org_id, project_id, assignee_id);
CREATE INDEX reports_queue_assignee ON reports (assignee_id, created_at, id, state, org_id, project_id);

-- Prefixes of the indexes above.
DROP INDEX reports_project;
DROP INDEX reports_org;
DROP INDEX reports_reporter;
