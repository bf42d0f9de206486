-- The evidence lab (issue 17): reports whose team shares the lab's results
-- with the reporter (each release line's verdict, not the output). No row:
-- the reporter sees only whether their PoC reproduced.
CREATE TABLE lab_shares (
    report_id TEXT PRIMARY KEY REFERENCES reports (id),
    shared_by TEXT REFERENCES users (id),
    shared_at TEXT NOT NULL
);
