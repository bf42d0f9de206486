//! Single sign-on with OpenID Connect (issue 12, item 2): sign-ins under way
//! (state, nonce and the sealed PKCE verifier, found by the hash of the
//! cookie that binds them to a browser), the provider's accounts linked to
//! ours, and the team memberships the provider's groups granted.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{OrgId, ProjectId, UserId};
use embargo_core::private::Private;
use embargo_core::user::TeamScope;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};
use crate::users::TokenHash;

/// A sign-in sent to the provider and not yet back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    /// The `state` sent with the authorization request.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier (RFC 7636), sent only with the token request.
    pub verifier: Private<String>,
    /// Where to go once signed in (a local path).
    pub next_path: Option<String>,
    /// When it started.
    pub created_at: Timestamp,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
}

/// Reading single sign-on records.
#[async_trait::async_trait]
pub trait OidcReads {
    /// The sign-in bound to the cookie hashing to `binding`, unless it expired by `now`.
    async fn oidc_pending(&mut self, binding: &TokenHash, now: Timestamp) -> Result<Option<PendingSignIn>, StoreError>;
    /// The account linked to the provider's `subject` at `issuer`.
    async fn oidc_identity(&mut self, issuer: &str, subject: &str) -> Result<Option<UserId>, StoreError>;
    /// The team memberships the provider's groups granted `user`.
    async fn oidc_memberships(&mut self, user: UserId) -> Result<Vec<TeamScope>, StoreError>;
}

/// Changing single sign-on records.
#[async_trait::async_trait]
pub trait OidcWrites {
    /// Stores a sign-in under way (the verifier sealed), and prunes expired ones.
    async fn insert_oidc_pending(&mut self, binding: &TokenHash, pending: &PendingSignIn) -> Result<(), StoreError>;
    /// Removes the sign-in bound to `binding`; `false` if it was already gone
    /// (used once, or by a concurrent request).
    async fn take_oidc_pending(&mut self, binding: &TokenHash) -> Result<bool, StoreError>;
    /// Links the provider's `subject` at `issuer` to `user`.
    async fn insert_oidc_identity(
        &mut self,
        issuer: &str,
        subject: &str,
        user: UserId,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// Notes a sign-in through a linked identity.
    async fn touch_oidc_identity(&mut self, issuer: &str, subject: &str, now: Timestamp) -> Result<(), StoreError>;
    /// Notes that the provider's groups granted `user` the membership `scope`.
    async fn insert_oidc_membership(
        &mut self,
        user: UserId,
        scope: TeamScope,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// Forgets that note (the membership itself is removed separately).
    async fn delete_oidc_membership(&mut self, user: UserId, scope: TeamScope) -> Result<(), StoreError>;
}

fn place(binding: &TokenHash) -> String {
    binding.0.iter().map(|b| format!("{b:02x}")).collect()
}

fn sealed_at(row: &str) -> Place<'_> {
    Place { table: "oidc_pending", column: "verifier", row }
}

#[async_trait::async_trait]
impl<H> OidcReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn oidc_pending(&mut self, binding: &TokenHash, now: Timestamp) -> Result<Option<PendingSignIn>, StoreError> {
        let sql = "SELECT state, nonce, verifier, next_path, created_at, expires_at FROM oidc_pending \
                   WHERE binding_hash = $1 AND expires_at > $2";
        let Some(row) = self.fetch_optional(query(sql).bind(binding.0.as_slice()).bind(now)).await? else {
            return Ok(None);
        };
        let row_name = place(binding);
        let verifier = self.sealer.open_text(sealed_at(&row_name), &row.bytes("verifier")?)?;
        Ok(Some(PendingSignIn {
            state: row.text("state")?,
            nonce: row.text("nonce")?,
            verifier: Private::new(verifier),
            next_path: row.opt_text("next_path")?,
            created_at: row.time("created_at")?,
            expires_at: row.time("expires_at")?,
        }))
    }

    async fn oidc_identity(&mut self, issuer: &str, subject: &str) -> Result<Option<UserId>, StoreError> {
        let sql = "SELECT user_id FROM oidc_identities WHERE issuer = $1 AND subject = $2";
        let row = self.fetch_optional(query(sql).bind(issuer).bind(subject)).await?;
        row.map(|r| Ok(UserId::from_uuid(r.uuid("user_id")?))).transpose()
    }

    async fn oidc_memberships(&mut self, user: UserId) -> Result<Vec<TeamScope>, StoreError> {
        let sql = "SELECT org_id, project_id FROM oidc_memberships WHERE user_id = $1";
        let rows = self.fetch_all(query(sql).bind(user)).await?;
        rows.iter()
            .map(|r| match (r.opt_uuid("org_id")?, r.opt_uuid("project_id")?) {
                (Some(org), None) => Ok(TeamScope::Organisation(OrgId::from_uuid(org))),
                (None, Some(project)) => Ok(TeamScope::Project(ProjectId::from_uuid(project))),
                _ => Err(StoreError::corrupt("oidc_memberships", "not one organisation or one project")),
            })
            .collect()
    }
}

fn scope_columns(scope: TeamScope) -> (Option<OrgId>, Option<ProjectId>) {
    match scope {
        TeamScope::Organisation(org) => (Some(org), None),
        TeamScope::Project(project) => (None, Some(project)),
    }
}

#[async_trait::async_trait]
impl<H> OidcWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_oidc_pending(&mut self, binding: &TokenHash, pending: &PendingSignIn) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM oidc_pending WHERE expires_at <= $1").bind(pending.created_at)).await?;
        let row_name = place(binding);
        let sealed = self.sealer.seal_text(sealed_at(&row_name), pending.verifier.expose())?;
        self.execute(
            query(
                "INSERT INTO oidc_pending (binding_hash, state, nonce, verifier, next_path, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(binding.0.as_slice())
            .bind(pending.state.as_str())
            .bind(pending.nonce.as_str())
            .bind(sealed)
            .bind(pending.next_path.as_deref())
            .bind(pending.created_at)
            .bind(pending.expires_at),
        )
        .await
        .map(drop)
    }

    async fn take_oidc_pending(&mut self, binding: &TokenHash) -> Result<bool, StoreError> {
        let sql = "DELETE FROM oidc_pending WHERE binding_hash = $1";
        Ok(self.execute(query(sql).bind(binding.0.as_slice())).await? > 0)
    }

    async fn insert_oidc_identity(
        &mut self,
        issuer: &str,
        subject: &str,
        user: UserId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO oidc_identities (issuer, subject, user_id, created_at, last_used_at) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(issuer)
            .bind(subject)
            .bind(user)
            .bind(now),
        )
        .await
        .map(drop)
    }

    async fn touch_oidc_identity(&mut self, issuer: &str, subject: &str, now: Timestamp) -> Result<(), StoreError> {
        let sql = "UPDATE oidc_identities SET last_used_at = $3 WHERE issuer = $1 AND subject = $2";
        self.execute(query(sql).bind(issuer).bind(subject).bind(now)).await.map(drop)
    }

    async fn insert_oidc_membership(
        &mut self,
        user: UserId,
        scope: TeamScope,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (org, project) = scope_columns(scope);
        let sql = "INSERT INTO oidc_memberships (user_id, org_id, project_id, created_at) VALUES ($1, $2, $3, $4)";
        self.execute(query(sql).bind(user).bind(org).bind(project).bind(now)).await.map(drop)
    }

    async fn delete_oidc_membership(&mut self, user: UserId, scope: TeamScope) -> Result<(), StoreError> {
        let q = match scope {
            TeamScope::Organisation(org) => {
                query("DELETE FROM oidc_memberships WHERE user_id = $1 AND org_id = $2").bind(user).bind(org)
            }
            TeamScope::Project(project) => {
                query("DELETE FROM oidc_memberships WHERE user_id = $1 AND project_id = $2").bind(user).bind(project)
            }
        };
        self.execute(q).await.map(drop)
    }
}
