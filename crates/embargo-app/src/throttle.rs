//! Sign-in throttling (issue 12): failed attempts are counted per account and
//! per client address in the database (so every replica shares the counts);
//! a locked key is refused with [`AppError::Throttled`] before any password
//! is hashed. The rules are `embargo_core::throttle`'s.

use std::net::IpAddr;

use embargo_core::throttle::{self, ThrottleRule, ThrottleScope};
use embargo_store::StoreExt;
use sha2::{Digest, Sha256};

use crate::{App, AppError};

/// The keys one sign-in attempt is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignInKeys {
    account: String,
    address: Option<String>,
}

/// What the gate found before the password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gate {
    /// The account had been locked (the lock has ended): a successful
    /// sign-in must then also pass the second factor where one is enrolled.
    pub(crate) after_lock: bool,
}

/// The SHA-256 of the trimmed, lower-cased address, in hex: counters key on
/// it so that their table holds no addresses people typed.
pub(crate) fn email_digest(email: &str) -> String {
    Sha256::digest(email.trim().to_lowercase().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl SignInKeys {
    /// The account key hashes the lower-cased address (the table then holds
    /// no addresses people typed), known account or not.
    pub(crate) fn new(email: &str, client: Option<IpAddr>) -> Self {
        SignInKeys { account: format!("account:{}", email_digest(email)), address: client.map(throttle::address_key) }
    }

    fn each(&self) -> impl Iterator<Item = (&str, ThrottleRule, ThrottleScope)> {
        std::iter::once((self.account.as_str(), throttle::ACCOUNT, ThrottleScope::Account))
            .chain(self.address.as_deref().map(|a| (a, throttle::CLIENT_ADDRESS, ThrottleScope::ClientAddress)))
    }
}

impl App {
    /// Refuses the attempt while its account or address is locked.
    pub(crate) async fn sign_in_gate(&self, keys: &SignInKeys) -> Result<Gate, AppError> {
        let now = self.now();
        let mut reader = self.store.reader().await?;
        let mut after_lock = false;
        for (key, _, scope) in keys.each() {
            let Some(state) = reader.throttle_state(key).await? else { continue };
            if let Some(retry_after) = throttle::retry_after(state.locked_until, now) {
                return Err(AppError::Throttled { scope, retry_after });
            }
            after_lock |= scope == ThrottleScope::Account && state.locked_until.is_some();
        }
        Ok(Gate { after_lock })
    }

    /// Counts a failed attempt under each key, locking those over their limit.
    pub(crate) async fn sign_in_failed(&self, keys: &SignInKeys) -> Result<(), AppError> {
        let now = self.now();
        let keys = keys.clone();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    for (key, rule, _) in keys.each() {
                        let failures = tx.count_failure(key, now, now - rule.window).await?;
                        if let Some(lock) = rule.lock_after(failures) {
                            tx.lock_key(key, now + lock).await?;
                        }
                    }
                    // Forget what no window or lock needs any more.
                    tx.prune_throttle(now - throttle::ACCOUNT.window.max(throttle::CLIENT_ADDRESS.window), now).await?;
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    /// Forgets the account's failures after a successful sign-in (the
    /// address keeps its count: one good password does not vouch for a network).
    pub(crate) async fn sign_in_succeeded(&self, keys: &SignInKeys) -> Result<(), AppError> {
        let account = keys.account.clone();
        self.store.write(move |tx| Box::pin(async move { Ok::<_, AppError>(tx.clear_key(&account).await?) })).await
    }
}
