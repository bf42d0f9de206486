-- Issue 15: quoted phrases and `cve:` search. The index gains two kinds of
-- term, kept as keyed hashes like the words: pairs of adjacent words
-- (`overflow in`, for phrases) under the sources that already exist, and the
-- CVE ids of the advisory drafted from a report (`cve:cve-2026-1234`) under
-- the source `advisory` (the team's only, like `team`; replaced whenever the
-- advisory is saved). Every report not already waiting is queued to be
-- indexed again (`search_queue`, migration 1530; terms it holds already stay).
INSERT INTO search_queue (report_id)
    SELECT id FROM reports
    WHERE id NOT IN (SELECT report_id FROM search_queue);
