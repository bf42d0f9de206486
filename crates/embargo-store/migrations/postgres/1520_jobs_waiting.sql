-- Issue 15, item 5: the job runner claims a batch in turns by kind (store
-- `jobs.rs`, `claim_jobs`), so a flood of one kind never starves the others.
-- The claim walks the kinds that have work waiting and takes the oldest due
-- jobs of each from this index, which holds only jobs not yet done: a claim
-- reads a few index entries per kind, whatever the size of the backlog and
-- however many done jobs the table keeps.
CREATE INDEX jobs_waiting ON jobs (kind, run_at, id) WHERE done_at IS NULL;
