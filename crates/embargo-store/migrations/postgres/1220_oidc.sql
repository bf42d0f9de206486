-- Single sign-on with OpenID Connect (issue 12, item 2).
--
-- A sign-in under way: its state, nonce and PKCE verifier stay in the
-- database (so any replica can finish it), found by the SHA-256 of the
-- short-lived cookie that binds it to one browser. The verifier is sealed.
-- A row is taken (deleted) when the sign-in comes back, or pruned once expired.
CREATE TABLE oidc_pending (
    binding_hash BYTEA PRIMARY KEY,
    state        TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    verifier     BYTEA NOT NULL,
    next_path    TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_pending_expiry ON oidc_pending (expires_at);

-- The provider's accounts linked to ours. (issuer, subject) names a person
-- at a provider for good (OpenID Connect Core 1.0, section 5.7); the e-mail
-- address does not, and is used only once, to link.
CREATE TABLE oidc_identities (
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);

-- Team memberships that the provider's groups granted, so that they are
-- taken back when the person leaves the group. Memberships given by hand
-- are never listed here, so single sign-on never removes them.
CREATE TABLE oidc_memberships (
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     UUID REFERENCES organisations (id) ON DELETE CASCADE,
    project_id UUID REFERENCES projects (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_memberships_user ON oidc_memberships (user_id);
