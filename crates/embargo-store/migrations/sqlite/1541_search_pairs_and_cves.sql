-- Issue 15: quoted phrases and `cve:` search. The index gains two kinds of
-- term, kept as keyed hashes like the words: pairs of adjacent words
-- (`overflow in`, for phrases) under the sources that already exist, and the
-- CVE ids of the advisory drafted from a report (`cve:cve-2026-1234`) under
-- the source `advisory` (the team's only, like `team`; replaced whenever the
-- advisory is saved). Every report is indexed again by the store when it
-- opens (`search_backfill`; terms it holds already stay). `WHERE TRUE`: SQLite reads
-- an `ON CONFLICT` right after `FROM reports` as a join constraint.
INSERT INTO search_backfill (report_id)
    SELECT id FROM reports WHERE TRUE
    ON CONFLICT DO NOTHING;
