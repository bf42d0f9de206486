//! Second factors: a user's TOTP secret (sealed at rest) and their
//! single-use recovery codes (hashed).

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::UserId;
use embargo_core::private::Private;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};
use crate::users::TokenHash;

/// A user's TOTP factor (RFC 6238).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    /// Whose it is.
    pub user_id: UserId,
    /// The shared secret's bytes.
    pub secret: Private<Vec<u8>>,
    /// When enrolment began.
    pub created_at: Timestamp,
    /// When a first code matched; until then the factor is not in use.
    pub confirmed_at: Option<Timestamp>,
    /// The last time step whose code was accepted (0 for none), so no code is accepted twice.
    pub last_step: i64,
}

/// Reading second factors.
#[async_trait::async_trait]
pub trait FactorReads {
    /// The user's TOTP factor, confirmed or not.
    async fn totp_factor(&mut self, user: UserId) -> Result<Option<TotpFactor>, StoreError>;
    /// How many unused recovery codes the user has.
    async fn recovery_codes_left(&mut self, user: UserId) -> Result<u64, StoreError>;
}

/// Changing second factors.
#[async_trait::async_trait]
pub trait FactorWrites {
    /// Stores the user's TOTP factor, replacing any earlier one.
    async fn put_totp_factor(&mut self, factor: &TotpFactor) -> Result<(), StoreError>;
    /// Marks the factor confirmed.
    async fn confirm_totp_factor(&mut self, user: UserId, at: Timestamp) -> Result<bool, StoreError>;
    /// Records `step` as used, only if it is later than the last one used;
    /// `false` means the code was already used (a replay).
    async fn use_totp_step(&mut self, user: UserId, step: i64) -> Result<bool, StoreError>;
    /// Removes the user's TOTP factor and recovery codes; `false` if there was no factor.
    async fn delete_totp_factor(&mut self, user: UserId) -> Result<bool, StoreError>;
    /// Replaces the user's recovery codes with these hashes.
    async fn replace_recovery_codes(&mut self, user: UserId, hashes: &[TokenHash]) -> Result<(), StoreError>;
    /// Uses up a recovery code; `false` if it is not one of the user's unused codes.
    async fn use_recovery_code(&mut self, user: UserId, hash: &TokenHash, at: Timestamp) -> Result<bool, StoreError>;
}

fn place(row: &str) -> Place<'_> {
    Place { table: "totp_factors", column: "secret", row }
}

#[async_trait::async_trait]
impl<H> FactorReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn totp_factor(&mut self, user: UserId) -> Result<Option<TotpFactor>, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "SELECT user_id, secret, created_at, confirmed_at, last_step FROM totp_factors \
                     WHERE user_id = $1",
                )
                .bind(user),
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let row_id = user.to_string();
        let secret = self.sealer.open(place(&row_id), &row.bytes("secret")?)?;
        Ok(Some(TotpFactor {
            user_id: user,
            secret: Private::new(secret),
            created_at: row.time("created_at")?,
            confirmed_at: row.opt_time("confirmed_at")?,
            last_step: row.int("last_step")?,
        }))
    }

    async fn recovery_codes_left(&mut self, user: UserId) -> Result<u64, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL").bind(user),
            )
            .await?;
        let n = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[async_trait::async_trait]
impl<H> FactorWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn put_totp_factor(&mut self, factor: &TotpFactor) -> Result<(), StoreError> {
        let row_id = factor.user_id.to_string();
        let sealed = self.sealer.seal(place(&row_id), factor.secret.expose())?;
        self.execute(
            query(
                "INSERT INTO totp_factors (user_id, secret, created_at, confirmed_at, last_step) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, \
                 confirmed_at = excluded.confirmed_at, last_step = excluded.last_step",
            )
            .bind(factor.user_id)
            .bind(sealed)
            .bind(factor.created_at)
            .bind(factor.confirmed_at)
            .bind(factor.last_step),
        )
        .await
        .map(drop)
    }

    async fn confirm_totp_factor(&mut self, user: UserId, at: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute(query("UPDATE totp_factors SET confirmed_at = $1 WHERE user_id = $2").bind(at).bind(user))
            .await?;
        Ok(changed > 0)
    }

    async fn use_totp_step(&mut self, user: UserId, step: i64) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query("UPDATE totp_factors SET last_step = $1 WHERE user_id = $2 AND last_step < $1")
                    .bind(step)
                    .bind(user),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn delete_totp_factor(&mut self, user: UserId) -> Result<bool, StoreError> {
        self.execute(query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user)).await?;
        Ok(self.execute(query("DELETE FROM totp_factors WHERE user_id = $1").bind(user)).await? > 0)
    }

    async fn replace_recovery_codes(&mut self, user: UserId, hashes: &[TokenHash]) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user)).await?;
        for hash in hashes {
            self.execute(
                query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user)
                    .bind(hash.0.as_slice()),
            )
            .await?;
        }
        Ok(())
    }

    async fn use_recovery_code(&mut self, user: UserId, hash: &TokenHash, at: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "UPDATE recovery_codes SET used_at = $1 \
                     WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                )
                .bind(at)
                .bind(user)
                .bind(hash.0.as_slice()),
            )
            .await?;
        Ok(changed > 0)
    }
}
