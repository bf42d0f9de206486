-- CVE Services reservations lost in a crash (issue 11): before Embargo asks
-- CVE Services for ids it notes the intent (when, how many, as which CVE
-- Services user, for which operation). The intent is closed in the
-- transaction that stores the answer; one left open (no answer, or a crash
-- before the answer was stored) is reconciled by a leased job that lists the
-- organisation's RESERVED ids and adopts those its user reserved at or after
-- the intent that Embargo does not know (`outcome` says what was adopted).
CREATE TABLE cve_reservation_intents (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    operation_id TEXT NOT NULL,
    api_user     TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    requested_at TEXT NOT NULL,
    closed_at    TEXT,
    outcome      TEXT
);
CREATE INDEX cve_reservation_intents_open ON cve_reservation_intents (org_id, closed_at, requested_at);
