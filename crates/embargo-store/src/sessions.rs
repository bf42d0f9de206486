//! Browser sessions as their holders see them: listed, ended one by one or
//! all at once, and moved through the sign-in steps (password, then second
//! factor or its enrolment).

use std::fmt;
use std::ops::DerefMut;
use std::str::FromStr;

use embargo_core::Timestamp;
use embargo_core::id::{SessionId, UserId};

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};
use crate::users::TokenHash;

/// How far a session has come through signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Every step passed: the session acts as its user.
    Complete,
    /// The password matched; the second factor is still to be given.
    SecondFactor,
    /// The password matched; a second factor is required and must be enrolled first.
    Enrolment,
}

impl SessionStage {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionStage::Complete => "complete",
            SessionStage::SecondFactor => "second_factor",
            SessionStage::Enrolment => "enrolment",
        }
    }
}

impl fmt::Display for SessionStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored stage name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown session stage {0:?}")]
pub struct UnknownStage(String);

impl FromStr for SessionStage {
    type Err = UnknownStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "complete" => Ok(SessionStage::Complete),
            "second_factor" => Ok(SessionStage::SecondFactor),
            "enrolment" => Ok(SessionStage::Enrolment),
            other => Err(UnknownStage(other.chars().take(40).collect())),
        }
    }
}

/// A browser session's record (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Its id, for listing and ending it.
    pub id: SessionId,
    /// Whose it is.
    pub user_id: UserId,
    /// How far signing in has come.
    pub stage: SessionStage,
    /// When it began.
    pub created_at: Timestamp,
    /// When it ends by itself.
    pub expires_at: Timestamp,
    /// When its holder last proved a second factor, if ever.
    pub factor_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, user_id, stage, created_at, expires_at, factor_at";

fn session_from(row: &impl RowRead) -> Result<Session, StoreError> {
    Ok(Session {
        id: SessionId::from_uuid(row.uuid("id")?),
        user_id: UserId::from_uuid(row.uuid("user_id")?),
        stage: row.parsed("stage")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
        factor_at: row.opt_time("factor_at")?,
    })
}

/// Reading sessions.
#[async_trait::async_trait]
pub trait SessionReads {
    /// A live session (at any stage) by the hash of its token.
    async fn session(&mut self, hash: &TokenHash, now: Timestamp) -> Result<Option<Session>, StoreError>;
    /// A user's live sessions, newest first.
    async fn sessions(&mut self, user: UserId, now: Timestamp) -> Result<Vec<Session>, StoreError>;
}

/// Changing sessions.
#[async_trait::async_trait]
pub trait SessionWrites {
    /// Moves a session to `stage`, recording when a second factor was proven;
    /// `false` if there is no such session.
    async fn advance_session(
        &mut self,
        hash: &TokenHash,
        stage: SessionStage,
        factor_at: Option<Timestamp>,
    ) -> Result<bool, StoreError>;
    /// Counts a wrong second-factor code sent with a session; answers the count so far.
    async fn count_factor_failure(&mut self, hash: &TokenHash) -> Result<i64, StoreError>;
    /// Ends one of `user`'s sessions; `false` if they have no such session.
    async fn end_session(&mut self, user: UserId, id: SessionId) -> Result<bool, StoreError>;
    /// Ends every session of `user` but `keep`; answers how many ended.
    async fn end_sessions(&mut self, user: UserId, keep: Option<SessionId>) -> Result<u64, StoreError>;
    /// Revokes every live API token of `user`; answers how many.
    async fn revoke_api_tokens(&mut self, user: UserId, at: Timestamp) -> Result<u64, StoreError>;
}

#[async_trait::async_trait]
impl<H> SessionReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn session(&mut self, hash: &TokenHash, now: Timestamp) -> Result<Option<Session>, StoreError> {
        const SQL: &str =
            const_format::concatcp!("SELECT ", COLUMNS, " FROM sessions WHERE token_hash = $1 AND expires_at > $2");
        self.fetch_optional(query(SQL).bind(hash.0.as_slice()).bind(now)).await?.map(|r| session_from(&r)).transpose()
    }

    async fn sessions(&mut self, user: UserId, now: Timestamp) -> Result<Vec<Session>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            COLUMNS,
            " FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id"
        );
        self.fetch_all(query(SQL).bind(user).bind(now)).await?.iter().map(session_from).collect()
    }
}

#[async_trait::async_trait]
impl<H> SessionWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn advance_session(
        &mut self,
        hash: &TokenHash,
        stage: SessionStage,
        factor_at: Option<Timestamp>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query("UPDATE sessions SET stage = $1, factor_at = COALESCE($2, factor_at) WHERE token_hash = $3")
                    .bind(stage.as_str())
                    .bind(factor_at)
                    .bind(hash.0.as_slice()),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn count_factor_failure(&mut self, hash: &TokenHash) -> Result<i64, StoreError> {
        self.execute(
            query("UPDATE sessions SET failures = failures + 1 WHERE token_hash = $1").bind(hash.0.as_slice()),
        )
        .await?;
        let row = self
            .fetch_optional(query("SELECT failures FROM sessions WHERE token_hash = $1").bind(hash.0.as_slice()))
            .await?;
        row.map(|r| r.int("failures")).transpose().map(Option::unwrap_or_default)
    }

    async fn end_session(&mut self, user: UserId, id: SessionId) -> Result<bool, StoreError> {
        let ended =
            self.execute(query("DELETE FROM sessions WHERE user_id = $1 AND id = $2").bind(user).bind(id)).await?;
        Ok(ended > 0)
    }

    async fn end_sessions(&mut self, user: UserId, keep: Option<SessionId>) -> Result<u64, StoreError> {
        match keep {
            Some(keep) => {
                self.execute(query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2").bind(user).bind(keep)).await
            }
            None => self.execute(query("DELETE FROM sessions WHERE user_id = $1").bind(user)).await,
        }
    }

    async fn revoke_api_tokens(&mut self, user: UserId, at: Timestamp) -> Result<u64, StoreError> {
        self.execute(
            query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(at)
                .bind(user),
        )
        .await
    }
}
