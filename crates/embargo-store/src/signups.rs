//! Sign-up requests waiting for their address to be confirmed by mail
//! (issue 12). The confirmation token is stored as its SHA-256, to look it
//! up, and sealed, for the mail that carries it (and forgotten once sent).

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::SignupId;
use embargo_core::private::Private;
use embargo_core::text::Email;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};
use crate::users::TokenHash;

/// A request to sign up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupRequest {
    /// Its id.
    pub id: SignupId,
    /// The address to confirm, which becomes the account's.
    pub email: Email,
    /// The display name.
    pub name: String,
    /// The chosen password's Argon2id hash (PHC string).
    pub password_hash: String,
    /// When it was asked for.
    pub created_at: Timestamp,
    /// When its link stops working.
    pub expires_at: Timestamp,
}

/// Reading sign-up requests.
#[async_trait::async_trait]
pub trait SignupReads {
    /// The request `id`, with its token while the mail carrying it has not gone out.
    async fn signup_request(
        &mut self,
        id: SignupId,
    ) -> Result<Option<(SignupRequest, Option<Private<String>>)>, StoreError>;
    /// The request whose token hashes to `hash`, unless it expired by `now`.
    async fn signup_by_token(&mut self, hash: &TokenHash, now: Timestamp) -> Result<Option<SignupRequest>, StoreError>;
    /// How many requests for `email` (in any letter case) were made at or after `since`.
    async fn signup_requests_for(&mut self, email: &Email, since: Timestamp) -> Result<u64, StoreError>;
}

/// Changing sign-up requests.
#[async_trait::async_trait]
pub trait SignupWrites {
    /// Stores a request with its token (hashed and sealed).
    async fn insert_signup_request(
        &mut self,
        request: &SignupRequest,
        token: &Private<String>,
        hash: &TokenHash,
    ) -> Result<(), StoreError>;
    /// Forgets the sealed token once the mail carrying it went out.
    async fn clear_signup_token(&mut self, id: SignupId) -> Result<(), StoreError>;
    /// Removes a request (confirmed, or refused).
    async fn delete_signup_request(&mut self, id: SignupId) -> Result<(), StoreError>;
    /// Removes every request that expired by `now`.
    async fn prune_signup_requests(&mut self, now: Timestamp) -> Result<u64, StoreError>;
}

const COLUMNS: &str = "id, email, name, password_hash, created_at, expires_at";

fn request_from(row: &impl RowRead) -> Result<SignupRequest, StoreError> {
    Ok(SignupRequest {
        id: SignupId::from_uuid(row.uuid("id")?),
        email: row.parsed("email")?,
        name: row.text("name")?,
        password_hash: row.text("password_hash")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
    })
}

fn place(row: &str) -> Place<'_> {
    Place { table: "signup_requests", column: "token", row }
}

#[async_trait::async_trait]
impl<H> SignupReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn signup_request(
        &mut self,
        id: SignupId,
    ) -> Result<Option<(SignupRequest, Option<Private<String>>)>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", COLUMNS, ", token FROM signup_requests WHERE id = $1");
        let Some(row) = self.fetch_optional(query(SQL).bind(id)).await? else { return Ok(None) };
        let request = request_from(&row)?;
        let token = match row.opt_bytes("token")? {
            Some(sealed) => Some(Private::new(self.sealer.open_text(place(&id.to_string()), &sealed)?)),
            None => None,
        };
        Ok(Some((request, token)))
    }

    async fn signup_by_token(&mut self, hash: &TokenHash, now: Timestamp) -> Result<Option<SignupRequest>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            COLUMNS,
            " FROM signup_requests WHERE token_hash = $1 AND expires_at > $2"
        );
        let row = self.fetch_optional(query(SQL).bind(hash.0.as_slice()).bind(now)).await?;
        row.map(|r| request_from(&r)).transpose()
    }

    async fn signup_requests_for(&mut self, email: &Email, since: Timestamp) -> Result<u64, StoreError> {
        let sql = "SELECT COUNT(*) AS n FROM signup_requests WHERE LOWER(email) = LOWER($1) AND created_at >= $2";
        let row = self.fetch_optional(query(sql).bind(email.as_str()).bind(since)).await?;
        let count = match row {
            Some(row) => row.int("n")?,
            None => 0,
        };
        u64::try_from(count).map_err(|_| StoreError::corrupt("signup_requests", "a negative count"))
    }
}

#[async_trait::async_trait]
impl<H> SignupWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_signup_request(
        &mut self,
        request: &SignupRequest,
        token: &Private<String>,
        hash: &TokenHash,
    ) -> Result<(), StoreError> {
        let sealed = self.sealer.seal_text(place(&request.id.to_string()), token.expose())?;
        self.execute(
            query(
                "INSERT INTO signup_requests \
                 (id, token_hash, token, email, name, password_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(request.id)
            .bind(hash.0.as_slice())
            .bind(sealed)
            .bind(request.email.as_str())
            .bind(request.name.as_str())
            .bind(request.password_hash.as_str())
            .bind(request.created_at)
            .bind(request.expires_at),
        )
        .await
        .map(drop)
    }

    async fn clear_signup_token(&mut self, id: SignupId) -> Result<(), StoreError> {
        self.execute(query("UPDATE signup_requests SET token = NULL WHERE id = $1").bind(id)).await.map(drop)
    }

    async fn delete_signup_request(&mut self, id: SignupId) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM signup_requests WHERE id = $1").bind(id)).await.map(drop)
    }

    async fn prune_signup_requests(&mut self, now: Timestamp) -> Result<u64, StoreError> {
        self.execute(query("DELETE FROM signup_requests WHERE expires_at <= $1").bind(now)).await
    }
}
