-- The evidence lab's signal per report, kept up to date in the transaction
-- that changes a run or a grounding check, so that the queue filters and
-- sorts by it in SQL over every report (not a window of the newest).
-- Counts are of release-line runs (fix runs say nothing about the report);
-- `outcome` is reproduced | not_reproduced | not_run; `flagged` is core's
-- grounding rule (at least 3 names, more than half not found).
-- A report the lab never touched has no row (read as not_run, not flagged).
CREATE TABLE lab_signals (
    report_id      UUID PRIMARY KEY REFERENCES reports (id),
    vulnerable     BIGINT NOT NULL,
    not_vulnerable BIGINT NOT NULL,
    inconclusive   BIGINT NOT NULL,
    pending        BIGINT NOT NULL,
    names          BIGINT NOT NULL,
    missing        BIGINT NOT NULL,
    outcome        TEXT NOT NULL,
    flagged        BOOLEAN NOT NULL
);
CREATE INDEX lab_signals_outcome ON lab_signals (outcome);

INSERT INTO lab_signals (report_id, vulnerable, not_vulnerable, inconclusive, pending, names, missing, outcome, flagged)
SELECT id, v, nv, inc, p, n, m,
       CASE WHEN v > 0 THEN 'reproduced' WHEN nv + inc > 0 THEN 'not_reproduced' ELSE 'not_run' END,
       (n >= 3 AND m * 2 > n)
FROM (
    SELECT r.id,
        (SELECT COUNT(*) FROM lab_runs x WHERE x.report_id = r.id AND x.purpose = 'line' AND x.result = 'vulnerable') AS v,
        (SELECT COUNT(*) FROM lab_runs x WHERE x.report_id = r.id AND x.purpose = 'line' AND x.result = 'not_vulnerable') AS nv,
        (SELECT COUNT(*) FROM lab_runs x WHERE x.report_id = r.id AND x.purpose = 'line'
            AND x.result IS NOT NULL AND x.result NOT IN ('vulnerable', 'not_vulnerable')) AS inc,
        (SELECT COUNT(*) FROM lab_runs x WHERE x.report_id = r.id AND x.purpose = 'line' AND x.result IS NULL) AS p,
        (SELECT COUNT(*) FROM lab_grounding g WHERE g.report_id = r.id) AS n,
        (SELECT COUNT(*) FROM lab_grounding g WHERE g.report_id = r.id AND NOT g.found) AS m
    FROM reports r
    WHERE EXISTS (SELECT 1 FROM lab_runs x WHERE x.report_id = r.id AND x.purpose = 'line')
       OR EXISTS (SELECT 1 FROM lab_grounding g WHERE g.report_id = r.id)
) counted;
