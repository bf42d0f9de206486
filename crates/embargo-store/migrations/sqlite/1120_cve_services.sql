-- CVE Services (issue 11): an organisation's credentials for MITRE's CVE
-- Services (the API key sealed at rest; the CNA's org UUID as CVE Services
-- answered it when the credentials were checked), the ids it reserved there
-- (an id given to an advisory is also in cve_assignments), and every call
-- made for it: a reservation, a publication, an update or a rejection, each
-- an operation run by leased jobs, with its outcome.
CREATE TABLE cve_services (
    org_id      TEXT PRIMARY KEY REFERENCES organisations (id),
    url         TEXT NOT NULL,
    short_name  TEXT NOT NULL,
    api_user    TEXT NOT NULL,
    api_key     BLOB NOT NULL,
    cna_org_id  TEXT NOT NULL,
    pool_size   INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);

CREATE TABLE cve_reserved_ids (
    cve_id       TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    operation_id TEXT NOT NULL,
    reserved_at  TEXT NOT NULL
);
CREATE INDEX cve_reserved_ids_org ON cve_reserved_ids (org_id, reserved_at);

CREATE TABLE cve_operations (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations (id),
    advisory_id  TEXT REFERENCES advisories (id),
    kind         TEXT NOT NULL,
    cve_id       TEXT,
    source       TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status  INTEGER,
    last_error   TEXT,
    finished_at  TEXT
);
CREATE INDEX cve_operations_advisory ON cve_operations (advisory_id, created_at);
