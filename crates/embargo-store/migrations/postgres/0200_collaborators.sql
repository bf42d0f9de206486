-- People invited to work on one report (issue 10). The address is sealed; the
-- invitation link's token is stored as its hash, and sealed until the
-- invitation mail carried it. `user_id` names the account that had the
-- address when invited, which then sees the report under its own session.
CREATE TABLE report_collaborators (
    id            UUID PRIMARY KEY,
    report_id     UUID NOT NULL REFERENCES reports (id),
    token_hash    BYTEA NOT NULL UNIQUE,
    invite_token  BYTEA,
    email         BYTEA NOT NULL,
    user_id       UUID REFERENCES users (id),
    role          TEXT NOT NULL,
    sees_internal BOOLEAN NOT NULL,
    invited_by    UUID REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX report_collaborators_report ON report_collaborators (report_id);
CREATE INDEX report_collaborators_user ON report_collaborators (user_id);
