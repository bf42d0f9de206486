//! Users, browser sessions and API tokens.

use std::fmt;
use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{OrgId, ProjectId, TokenId, UserId};
use embargo_core::private::Private;
use embargo_core::text::Email;
use embargo_core::user::{Membership, TeamScope, TokenScopes, User};

use crate::StoreError;
use crate::handle::Handle;
use crate::sessions::Session;
use crate::sql::{Conn, RowRead, query};

/// The SHA-256 of a secret token. Only hashes are stored, never the tokens.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A user with their password hash, for signing in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// The Argon2id PHC string, if the user has a password.
    pub password_hash: Option<Private<String>>,
}

/// An API token's record (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Its id.
    pub id: TokenId,
    /// Whose it is.
    pub user_id: UserId,
    /// A label chosen by the user.
    pub name: String,
    /// What it may be used for.
    pub scopes: TokenScopes,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// Reading users, sessions and tokens.
#[async_trait::async_trait]
pub trait UserReads {
    /// A user by id.
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError>;
    /// A user by sign-in address.
    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>, StoreError>;
    /// A user and their password hash, for signing in.
    async fn credentials(&mut self, email: &Email) -> Result<Option<Credentials>, StoreError>;
    /// Every user, by address.
    async fn users(&mut self) -> Result<Vec<User>, StoreError>;
    /// How many users exist.
    async fn count_users(&mut self) -> Result<u64, StoreError>;
    /// The user of a live session that has passed every sign-in step.
    async fn session_user(&mut self, hash: &TokenHash, now: Timestamp) -> Result<Option<UserId>, StoreError>;
    /// A live (not expired, not revoked) API token.
    async fn api_token(&mut self, hash: &TokenHash, now: Timestamp) -> Result<Option<ApiToken>, StoreError>;
    /// A user's API tokens, newest first.
    async fn api_tokens(&mut self, user: UserId) -> Result<Vec<ApiToken>, StoreError>;
    /// A user's security-team memberships.
    async fn memberships(&mut self, user: UserId) -> Result<Vec<Membership>, StoreError>;
}

/// Changing users, sessions and tokens.
#[async_trait::async_trait]
pub trait UserWrites {
    /// Adds a user; `Conflict` if the address is taken.
    async fn insert_user(&mut self, user: &User, password_hash: Option<String>) -> Result<(), StoreError>;
    /// Replaces a user's password hash.
    async fn set_password(&mut self, user: UserId, password_hash: String) -> Result<(), StoreError>;
    /// Grants or removes instance administration.
    async fn set_admin(&mut self, user: UserId, is_admin: bool) -> Result<(), StoreError>;
    /// Bans (with the time) or unbans a user.
    async fn set_banned(&mut self, user: UserId, banned_at: Option<Timestamp>) -> Result<(), StoreError>;
    /// Records a new browser session.
    async fn insert_session(&mut self, session: &Session, hash: &TokenHash) -> Result<(), StoreError>;
    /// Ends a session; `false` if there was none.
    async fn delete_session(&mut self, hash: &TokenHash) -> Result<bool, StoreError>;
    /// Records a new API token.
    async fn insert_api_token(&mut self, token: &ApiToken, hash: &TokenHash) -> Result<(), StoreError>;
    /// Revokes one of `user`'s tokens; `false` if there was no such live token.
    async fn revoke_api_token(&mut self, id: TokenId, user: UserId, now: Timestamp) -> Result<bool, StoreError>;
}

const USER_COLUMNS: &str = "id, email, name, is_admin, created_at, banned_at";

fn user_from(row: &impl RowRead) -> Result<User, StoreError> {
    Ok(User {
        id: UserId::from_uuid(row.uuid("id")?),
        email: row.parsed("email")?,
        name: row.text("name")?,
        is_admin: row.bool("is_admin")?,
        created_at: row.time("created_at")?,
        banned_at: row.opt_time("banned_at")?,
    })
}

fn token_from(row: &impl RowRead) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: TokenId::from_uuid(row.uuid("id")?),
        user_id: UserId::from_uuid(row.uuid("user_id")?),
        name: row.text("name")?,
        scopes: row.parsed("scopes")?,
        created_at: row.time("created_at")?,
        expires_at: row.opt_time("expires_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}

#[async_trait::async_trait]
impl<H> UserReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", USER_COLUMNS, " FROM users WHERE id = $1");
        self.fetch_optional(query(SQL).bind(id)).await?.map(|r| user_from(&r)).transpose()
    }

    async fn user_by_email(&mut self, email: &Email) -> Result<Option<User>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", USER_COLUMNS, " FROM users WHERE email = $1");
        self.fetch_optional(query(SQL).bind(email.as_str())).await?.map(|r| user_from(&r)).transpose()
    }

    async fn credentials(&mut self, email: &Email) -> Result<Option<Credentials>, StoreError> {
        const SQL: &str =
            const_format::concatcp!("SELECT ", USER_COLUMNS, ", password_hash FROM users WHERE email = $1");
        let Some(row) = self.fetch_optional(query(SQL).bind(email.as_str())).await? else {
            return Ok(None);
        };
        Ok(Some(Credentials {
            user: user_from(&row)?,
            password_hash: row.opt_text("password_hash")?.map(Private::new),
        }))
    }

    async fn users(&mut self) -> Result<Vec<User>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", USER_COLUMNS, " FROM users ORDER BY email");
        self.fetch_all(query(SQL)).await?.iter().map(user_from).collect()
    }

    async fn count_users(&mut self) -> Result<u64, StoreError> {
        let row = self.fetch_optional(query("SELECT COUNT(*) AS n FROM users")).await?;
        let n = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn session_user(&mut self, hash: &TokenHash, now: Timestamp) -> Result<Option<UserId>, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "SELECT user_id FROM sessions \
                     WHERE token_hash = $1 AND expires_at > $2 AND stage = 'complete'",
                )
                .bind(hash.0.as_slice())
                .bind(now),
            )
            .await?;
        row.map(|r| r.uuid("user_id").map(UserId::from_uuid)).transpose()
    }

    async fn api_token(&mut self, hash: &TokenHash, now: Timestamp) -> Result<Option<ApiToken>, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "SELECT id, user_id, name, scopes, created_at, expires_at, revoked_at FROM api_tokens \
                     WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
                )
                .bind(hash.0.as_slice())
                .bind(now),
            )
            .await?;
        row.map(|r| token_from(&r)).transpose()
    }

    async fn api_tokens(&mut self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT id, user_id, name, scopes, created_at, expires_at, revoked_at FROM api_tokens \
                     WHERE user_id = $1 ORDER BY created_at DESC, id",
                )
                .bind(user),
            )
            .await?;
        rows.iter().map(token_from).collect()
    }

    async fn memberships(&mut self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT org_id, NULL AS project_id, created_at FROM org_members WHERE user_id = $1 \
                     UNION ALL \
                     SELECT NULL AS org_id, project_id, created_at FROM project_members WHERE user_id = $1",
                )
                .bind(user),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let scope = match (row.opt_uuid("org_id")?, row.opt_uuid("project_id")?) {
                    (Some(org), _) => TeamScope::Organisation(OrgId::from_uuid(org)),
                    (None, Some(project)) => TeamScope::Project(ProjectId::from_uuid(project)),
                    (None, None) => return Err(StoreError::corrupt("membership", "neither organisation nor project")),
                };
                Ok(Membership { user_id: user, scope, created_at: row.time("created_at")? })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl<H> UserWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_user(&mut self, user: &User, password_hash: Option<String>) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO users (id, email, name, password_hash, is_admin, created_at, banned_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(user.id)
            .bind(user.email.as_str())
            .bind(user.name.as_str())
            .bind(password_hash)
            .bind(user.is_admin)
            .bind(user.created_at)
            .bind(user.banned_at),
        )
        .await
        .map(drop)
    }

    async fn set_password(&mut self, user: UserId, password_hash: String) -> Result<(), StoreError> {
        self.execute_one(query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(password_hash).bind(user))
            .await
    }

    async fn set_admin(&mut self, user: UserId, is_admin: bool) -> Result<(), StoreError> {
        self.execute_one(query("UPDATE users SET is_admin = $1 WHERE id = $2").bind(is_admin).bind(user)).await
    }

    async fn set_banned(&mut self, user: UserId, banned_at: Option<Timestamp>) -> Result<(), StoreError> {
        self.execute_one(query("UPDATE users SET banned_at = $1 WHERE id = $2").bind(banned_at).bind(user)).await
    }

    async fn insert_session(&mut self, session: &Session, hash: &TokenHash) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO sessions (token_hash, id, user_id, stage, created_at, expires_at, factor_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(hash.0.as_slice())
            .bind(session.id)
            .bind(session.user_id)
            .bind(session.stage.as_str())
            .bind(session.created_at)
            .bind(session.expires_at)
            .bind(session.factor_at),
        )
        .await
        .map(drop)
    }

    async fn delete_session(&mut self, hash: &TokenHash) -> Result<bool, StoreError> {
        Ok(self.execute(query("DELETE FROM sessions WHERE token_hash = $1").bind(hash.0.as_slice())).await? > 0)
    }

    async fn insert_api_token(&mut self, token: &ApiToken, hash: &TokenHash) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO api_tokens (id, token_hash, user_id, name, scopes, created_at, expires_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(token.id)
            .bind(hash.0.as_slice())
            .bind(token.user_id)
            .bind(token.name.as_str())
            .bind(token.scopes.to_string())
            .bind(token.created_at)
            .bind(token.expires_at)
            .bind(token.revoked_at),
        )
        .await
        .map(drop)
    }

    async fn revoke_api_token(&mut self, id: TokenId, user: UserId, now: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(id)
                    .bind(user),
            )
            .await?;
        Ok(changed > 0)
    }
}
