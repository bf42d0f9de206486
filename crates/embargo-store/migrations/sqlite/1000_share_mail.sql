-- Interested parties hear by mail (issue 10, item 7). A share's link token is
-- sealed in `link` until the mail carried it, then forgotten; `mailed_at`
-- says when it went out. The first and last time the link was used are kept
-- for the team.
ALTER TABLE report_shares ADD COLUMN link BLOB;
ALTER TABLE report_shares ADD COLUMN mailed_at TEXT;
ALTER TABLE report_shares ADD COLUMN first_opened_at TEXT;
ALTER TABLE report_shares ADD COLUMN last_opened_at TEXT;
