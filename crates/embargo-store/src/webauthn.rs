//! WebAuthn passkeys and security keys: each user's registered keys, and
//! the server side of a ceremony in progress (kept in the database, so any
//! replica can finish what another began, and never in a cookie).

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{SessionId, UserId};
use uuid::Uuid;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// A registered key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnKey {
    /// The key's id (for removing it).
    pub id: Uuid,
    /// Whose it is.
    pub user_id: UserId,
    /// The name its owner gave it.
    pub name: String,
    /// The credential id the authenticator made (unique across users).
    pub credential_id: Vec<u8>,
    /// The credential as webauthn-rs serialises it: public key and counter, nothing secret.
    pub credential: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last signed its owner in.
    pub last_used_at: Option<Timestamp>,
}

/// Which ceremony a stored state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// Registering a new key.
    Register,
    /// Signing in with a key.
    Authenticate,
}

impl CeremonyKind {
    const fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Register => "register",
            CeremonyKind::Authenticate => "authenticate",
        }
    }
}

/// The server side of a ceremony in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// The session it was begun in.
    pub session_id: SessionId,
    /// Registration or sign-in.
    pub kind: CeremonyKind,
    /// The user it is for.
    pub user_id: UserId,
    /// The name for the key being registered (empty for a sign-in).
    pub name: String,
    /// The webauthn-rs state, serialised.
    pub state: String,
    /// After this it can no longer be finished.
    pub expires_at: Timestamp,
}

/// Reading WebAuthn keys.
#[async_trait::async_trait]
pub trait WebauthnReads {
    /// The user's keys, oldest first.
    async fn webauthn_keys(&mut self, user: UserId) -> Result<Vec<WebauthnKey>, StoreError>;
    /// Whether any user has registered this credential id.
    async fn webauthn_credential_known(&mut self, credential_id: &[u8]) -> Result<bool, StoreError>;
}

/// Changing WebAuthn keys and ceremonies.
#[async_trait::async_trait]
pub trait WebauthnWrites {
    /// Stores a newly registered key.
    async fn insert_webauthn_key(&mut self, key: &WebauthnKey) -> Result<(), StoreError>;
    /// Records a sign-in with a key: its updated credential (counter) and when.
    async fn use_webauthn_key(&mut self, id: Uuid, credential: &str, at: Timestamp) -> Result<(), StoreError>;
    /// Removes one of the user's keys; `false` if the user has no such key.
    async fn delete_webauthn_key(&mut self, user: UserId, id: Uuid) -> Result<bool, StoreError>;
    /// Stores a ceremony's state, replacing one of the same kind in the same session,
    /// and drops ceremonies that expired.
    async fn put_ceremony(&mut self, ceremony: &Ceremony, now: Timestamp) -> Result<(), StoreError>;
    /// Takes (removes and answers) the session's ceremony of `kind`, if it has not expired.
    async fn take_ceremony(
        &mut self,
        session: SessionId,
        kind: CeremonyKind,
        now: Timestamp,
    ) -> Result<Option<Ceremony>, StoreError>;
}

const KEY_COLUMNS: &str = "id, user_id, name, credential_id, credential, created_at, last_used_at";

fn key_from<R: RowRead>(row: &R) -> Result<WebauthnKey, StoreError> {
    Ok(WebauthnKey {
        id: row.uuid("id")?,
        user_id: UserId::from_uuid(row.uuid("user_id")?),
        name: row.text("name")?,
        credential_id: row.bytes("credential_id")?,
        credential: row.text("credential")?,
        created_at: row.time("created_at")?,
        last_used_at: row.opt_time("last_used_at")?,
    })
}

#[async_trait::async_trait]
impl<H> WebauthnReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn webauthn_keys(&mut self, user: UserId) -> Result<Vec<WebauthnKey>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            KEY_COLUMNS,
            " FROM webauthn_keys WHERE user_id = $1 ORDER BY created_at, id"
        );
        self.fetch_all(query(SQL).bind(user)).await?.iter().map(key_from).collect()
    }

    async fn webauthn_credential_known(&mut self, credential_id: &[u8]) -> Result<bool, StoreError> {
        let row = self
            .fetch_optional(query("SELECT 1 AS one FROM webauthn_keys WHERE credential_id = $1").bind(credential_id))
            .await?;
        Ok(row.is_some())
    }
}

#[async_trait::async_trait]
impl<H> WebauthnWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_webauthn_key(&mut self, key: &WebauthnKey) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO webauthn_keys (id, user_id, name, credential_id, credential, created_at, last_used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(key.id)
            .bind(key.user_id)
            .bind(key.name.as_str())
            .bind(key.credential_id.as_slice())
            .bind(key.credential.as_str())
            .bind(key.created_at)
            .bind(key.last_used_at),
        )
        .await
        .map(drop)
    }

    async fn use_webauthn_key(&mut self, id: Uuid, credential: &str, at: Timestamp) -> Result<(), StoreError> {
        self.execute(
            query("UPDATE webauthn_keys SET credential = $1, last_used_at = $2 WHERE id = $3")
                .bind(credential)
                .bind(at)
                .bind(id),
        )
        .await
        .map(drop)
    }

    async fn delete_webauthn_key(&mut self, user: UserId, id: Uuid) -> Result<bool, StoreError> {
        let n =
            self.execute(query("DELETE FROM webauthn_keys WHERE user_id = $1 AND id = $2").bind(user).bind(id)).await?;
        Ok(n > 0)
    }

    async fn put_ceremony(&mut self, ceremony: &Ceremony, now: Timestamp) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM webauthn_ceremonies WHERE expires_at < $1").bind(now)).await?;
        self.execute(
            query(
                "INSERT INTO webauthn_ceremonies (session_id, kind, user_id, name, state, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (session_id, kind) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, \
                 state = excluded.state, expires_at = excluded.expires_at",
            )
            .bind(ceremony.session_id)
            .bind(ceremony.kind.as_str())
            .bind(ceremony.user_id)
            .bind(ceremony.name.as_str())
            .bind(ceremony.state.as_str())
            .bind(ceremony.expires_at),
        )
        .await
        .map(drop)
    }

    async fn take_ceremony(
        &mut self,
        session: SessionId,
        kind: CeremonyKind,
        now: Timestamp,
    ) -> Result<Option<Ceremony>, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "SELECT user_id, name, state, expires_at FROM webauthn_ceremonies \
                     WHERE session_id = $1 AND kind = $2",
                )
                .bind(session)
                .bind(kind.as_str()),
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        self.execute(
            query("DELETE FROM webauthn_ceremonies WHERE session_id = $1 AND kind = $2")
                .bind(session)
                .bind(kind.as_str()),
        )
        .await?;
        let ceremony = Ceremony {
            session_id: session,
            kind,
            user_id: UserId::from_uuid(row.uuid("user_id")?),
            name: row.text("name")?,
            state: row.text("state")?,
            expires_at: row.time("expires_at")?,
        };
        Ok((ceremony.expires_at >= now).then_some(ceremony))
    }
}
