//! Instance settings kept in the database, so every replica sees the same.

use std::ops::DerefMut;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// A setting's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Whether reporters may create accounts themselves (`true`/`false`).
    SignupOpen,
    /// The hash of the one-time token that creates the first admin.
    SetupTokenHash,
    /// The organisation whose channels `/.well-known/security.txt` lists.
    SecurityTxtOrg,
    /// Whether security-team members and administrators must use a second factor (`true`/`false`).
    SecondFactorRequired,
    /// When the next daily audit checkpoint mail to the administrators is due
    /// (Unix seconds); absent when the mail is off. A checkpoint timer runs
    /// only when its due time is this one, so turning the mail off and on
    /// never sends it twice.
    CheckpointMailDue,
}

impl Setting {
    fn key(self) -> &'static str {
        match self {
            Setting::SignupOpen => "signup_open",
            Setting::SetupTokenHash => "setup_token_hash",
            Setting::SecurityTxtOrg => "security_txt_org",
            Setting::SecondFactorRequired => "second_factor_required",
            Setting::CheckpointMailDue => "checkpoint_mail_due",
        }
    }
}

/// Reading settings.
#[async_trait::async_trait]
pub trait SettingReads {
    /// The setting's value, if set.
    async fn setting(&mut self, key: Setting) -> Result<Option<String>, StoreError>;
}

/// Changing settings.
#[async_trait::async_trait]
pub trait SettingWrites {
    /// Sets the value, or removes the setting when `value` is `None`.
    async fn set_setting(&mut self, key: Setting, value: Option<String>) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<H> SettingReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn setting(&mut self, key: Setting) -> Result<Option<String>, StoreError> {
        let row = self.fetch_optional(query("SELECT value FROM settings WHERE key = $1").bind(key.key())).await?;
        row.map(|r| r.text("value")).transpose()
    }
}

#[async_trait::async_trait]
impl<H> SettingWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn set_setting(&mut self, key: Setting, value: Option<String>) -> Result<(), StoreError> {
        match value {
            Some(value) => {
                self.execute(
                    query(
                        "INSERT INTO settings (key, value) VALUES ($1, $2) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(key.key())
                    .bind(value),
                )
                .await?;
            }
            None => {
                self.execute(query("DELETE FROM settings WHERE key = $1").bind(key.key())).await?;
            }
        }
        Ok(())
    }
}
