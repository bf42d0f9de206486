-- Intake limits shared by every replica (issue 12): new reports counted per
-- key ('address:', 'account:', 'email:' and a SHA-256 of the lower-cased
-- address, or 'project:') in a fixed window that starts with its first report.
CREATE TABLE intake_counts (
    key          TEXT PRIMARY KEY,
    reports      INTEGER NOT NULL,
    window_start TEXT NOT NULL
);
CREATE INDEX intake_counts_window ON intake_counts (window_start);
