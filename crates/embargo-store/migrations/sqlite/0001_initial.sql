-- Embargo schema, SQLite dialect. Keep the same version numbers as ../postgres.
-- Timestamps are TEXT in the fixed form YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC), so
-- that text order is time order; ids are hyphenated UUID text; sealed private
-- text is BLOB (see src/seal.rs).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    banned_at     TEXT
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE organisations (
    id              TEXT PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    advisory_prefix TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE org_members (
    org_id     TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE projects (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organisations (id),
    slug           TEXT NOT NULL,
    name           TEXT NOT NULL,
    repository_url TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE project_packages (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    ecosystem  TEXT NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (project_id, ecosystem, name)
);

CREATE TABLE project_members (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE release_lines (
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL,
    released_on    TEXT,
    end_of_life_on TEXT,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE reports (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    project_id    TEXT NOT NULL REFERENCES projects (id),
    reporter_id   TEXT REFERENCES users (id),
    channel       TEXT NOT NULL,
    content       BLOB NOT NULL,
    state         TEXT NOT NULL,
    team          TEXT NOT NULL,
    assignee_id   TEXT REFERENCES users (id),
    duplicate_of  TEXT REFERENCES reports (id),
    followup_hash BLOB NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX reports_project ON reports (project_id, created_at);
CREATE INDEX reports_org ON reports (org_id, created_at);
CREATE INDEX reports_reporter ON reports (reporter_id);

CREATE TABLE report_states (
    report_id  TEXT NOT NULL REFERENCES reports (id),
    seq        INTEGER NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    reason     BLOB,
    actor_id   TEXT REFERENCES users (id),
    at         TEXT NOT NULL,
    PRIMARY KEY (report_id, seq)
);

CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    report_id   TEXT NOT NULL REFERENCES reports (id),
    author_id   TEXT REFERENCES users (id),
    author_role TEXT NOT NULL,
    visibility  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    body        BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX messages_report ON messages (report_id, created_at);

CREATE TABLE advisory_counters (
    prefix TEXT NOT NULL,
    year   INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE advisories (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organisations (id),
    project_id         TEXT NOT NULL REFERENCES projects (id),
    report_id          TEXT UNIQUE REFERENCES reports (id),
    state              TEXT NOT NULL,
    draft              BLOB NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    first_published_at TEXT,
    withdrawn_at       TEXT
);
CREATE INDEX advisories_project ON advisories (project_id);

CREATE TABLE advisory_revisions (
    advisory_id  TEXT NOT NULL REFERENCES advisories (id),
    number       INTEGER NOT NULL,
    content      TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (advisory_id, number)
);

CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB NOT NULL
);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    run_at      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_until TEXT,
    leased_by   TEXT,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    done_at     TEXT
);
CREATE INDEX jobs_due ON jobs (done_at, run_at);
