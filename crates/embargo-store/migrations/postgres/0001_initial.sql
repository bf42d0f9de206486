-- Embargo schema, PostgreSQL dialect. Keep the same version numbers as ../sqlite.
-- Stored JSON is TEXT (never queried into); sealed private text is BYTEA
-- (see src/seal.rs).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    banned_at     TIMESTAMPTZ
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id         UUID PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE organisations (
    id              UUID PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    advisory_prefix TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE org_members (
    org_id     UUID NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE projects (
    id             UUID PRIMARY KEY,
    org_id         UUID NOT NULL REFERENCES organisations (id),
    slug           TEXT NOT NULL,
    name           TEXT NOT NULL,
    repository_url TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE project_packages (
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    ecosystem  TEXT NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (project_id, ecosystem, name)
);

CREATE TABLE project_members (
    project_id UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE release_lines (
    project_id     UUID NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL,
    released_on    DATE,
    end_of_life_on DATE,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE reports (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organisations (id),
    project_id    UUID NOT NULL REFERENCES projects (id),
    reporter_id   UUID REFERENCES users (id),
    channel       TEXT NOT NULL,
    content       BYTEA NOT NULL,
    state         TEXT NOT NULL,
    team          TEXT NOT NULL,
    assignee_id   UUID REFERENCES users (id),
    duplicate_of  UUID REFERENCES reports (id),
    followup_hash BYTEA NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX reports_project ON reports (project_id, created_at);
CREATE INDEX reports_org ON reports (org_id, created_at);
CREATE INDEX reports_reporter ON reports (reporter_id);

CREATE TABLE report_states (
    report_id  UUID NOT NULL REFERENCES reports (id),
    seq        BIGINT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    reason     BYTEA,
    actor_id   UUID REFERENCES users (id),
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (report_id, seq)
);

CREATE TABLE messages (
    id          UUID PRIMARY KEY,
    report_id   UUID NOT NULL REFERENCES reports (id),
    author_id   UUID REFERENCES users (id),
    author_role TEXT NOT NULL,
    visibility  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    body        BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_report ON messages (report_id, created_at);

CREATE TABLE advisory_counters (
    prefix TEXT NOT NULL,
    year   BIGINT NOT NULL,
    last   BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE advisories (
    id                 TEXT PRIMARY KEY,
    org_id             UUID NOT NULL REFERENCES organisations (id),
    project_id         UUID NOT NULL REFERENCES projects (id),
    report_id          UUID UNIQUE REFERENCES reports (id),
    state              TEXT NOT NULL,
    draft              BYTEA NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    first_published_at TIMESTAMPTZ,
    withdrawn_at       TIMESTAMPTZ
);
CREATE INDEX advisories_project ON advisories (project_id);

CREATE TABLE advisory_revisions (
    advisory_id  TEXT NOT NULL REFERENCES advisories (id),
    number       BIGINT NOT NULL,
    content      TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (advisory_id, number)
);

CREATE TABLE audit_events (
    seq       BIGINT PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash      BYTEA NOT NULL
);

CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);

CREATE TABLE jobs (
    id          UUID PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    run_at      TIMESTAMPTZ NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    lease_until TIMESTAMPTZ,
    leased_by   TEXT,
    last_error  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    done_at     TIMESTAMPTZ
);
CREATE INDEX jobs_due ON jobs (done_at, run_at);
