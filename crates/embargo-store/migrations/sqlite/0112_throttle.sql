-- Sign-in throttling shared by every replica (issue 12): failed attempts per
-- key ('account:' and a SHA-256 of the lower-cased address, or 'address:' and
-- the client address) in a window, and until when the key is locked.
CREATE TABLE sign_in_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    locked_until TEXT
);
CREATE INDEX sign_in_throttle_window ON sign_in_throttle (window_start);
