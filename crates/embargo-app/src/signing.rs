//! Clear-signing what the instance publishes for an organisation: its
//! `/.well-known/security.txt` carries an OpenPGP cleartext signature
//! (RFC 9116 section 2.3; RFC 4880 section 7) made with the organisation's
//! key pair from the key store, when the instance holds one.
//!
//! The OpenPGP code lives in `embargo-mail`, which this crate may not use
//! (ARCHITECTURE.md): the binary hands an implementation of [`ClearSigner`]
//! to [`App::with_signer`]. Without one, everything is served unsigned.
//!
//! A signature is made once and kept (`SignedCache`) for as long as the text
//! and the key stay the same: the text changes when the policy does, and
//! once a day with its `Expires` date. An RSA key signs slowly, and a public,
//! unauthenticated URL should not cost a private-key operation per request.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use embargo_core::Timestamp;
use embargo_core::private::Private;
use embargo_store::mail::StoredKey;

use crate::App;

/// Makes OpenPGP cleartext signatures (RFC 4880 section 7).
pub trait ClearSigner: Send + Sync + fmt::Debug {
    /// Signs `text` with an armored, unprotected secret key, giving `now` as
    /// the signature's creation time; answers the whole cleartext-signed
    /// message, from `-----BEGIN PGP SIGNED MESSAGE-----` to the end of the
    /// signature. May take milliseconds (RSA): call it off the async threads.
    fn clear_sign(&self, secret_key: &Private<String>, text: &str, now: Timestamp) -> Result<String, SignError>;

    /// A detached signature over a file's exact bytes (binary, RFC 4880
    /// section 5.2.1 type 0x00), armored: what `gpg --verify FILE.asc FILE`
    /// checks. Same key and time rules as [`ClearSigner::clear_sign`].
    fn sign_file(&self, secret_key: &Private<String>, content: &[u8], now: Timestamp) -> Result<String, SignError>;
}

/// Why a text could not be signed. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The secret key cannot be read, or is protected by a passphrase.
    #[error("the secret key cannot be used: {reason}")]
    BadKey {
        /// What the OpenPGP library said.
        reason: String,
    },
    /// Neither the primary key nor any subkey may sign.
    #[error("the key {fingerprint} has no key that may sign")]
    CannotSign {
        /// The primary key's fingerprint.
        fingerprint: String,
    },
    /// The signature could not be made.
    #[error("the signature could not be made: {reason}")]
    Failed {
        /// What the OpenPGP library said.
        reason: String,
    },
}

/// The last signed text, reused while the text and the key are the same.
#[derive(Debug, Default)]
pub(crate) struct SignedCache(Mutex<Option<Signed>>);

#[derive(Debug)]
struct Signed {
    fingerprint: String,
    text: String,
    signed: String,
}

impl SignedCache {
    fn get(&self, fingerprint: &str, text: &str) -> Option<String> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.as_ref().filter(|s| s.fingerprint == fingerprint && s.text == text).map(|s| s.signed.clone())
    }

    fn put(&self, fingerprint: String, text: String, signed: String) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(Signed { fingerprint, text, signed });
    }
}

/// Runs the signer on a blocking thread.
pub(crate) async fn sign_blocking(
    signer: Arc<dyn ClearSigner>,
    secret_key: Private<String>,
    text: String,
    now: Timestamp,
) -> Result<String, SignError> {
    tokio::task::spawn_blocking(move || signer.clear_sign(&secret_key, &text, now))
        .await
        .unwrap_or_else(|e| Err(SignError::Failed { reason: e.to_string() }))
}

/// Runs [`ClearSigner::sign_file`] on a blocking thread.
pub(crate) async fn sign_file_blocking(
    signer: Arc<dyn ClearSigner>,
    secret_key: Private<String>,
    content: Vec<u8>,
    now: Timestamp,
) -> Result<String, SignError> {
    tokio::task::spawn_blocking(move || signer.sign_file(&secret_key, &content, now))
        .await
        .unwrap_or_else(|e| Err(SignError::Failed { reason: e.to_string() }))
}

impl App {
    /// Wires the OpenPGP signer that clear-signs what is published for an
    /// organisation holding a key pair (its security.txt).
    #[must_use]
    pub fn with_signer(mut self, signer: Arc<dyn ClearSigner>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// `text` clear-signed with an organisation's key pair from the key
    /// store, when a signer is wired and `key` holds a secret key; else
    /// `text` as it is. A key that cannot sign is logged and the text served
    /// unsigned: a missing security.txt would help nobody.
    pub(crate) async fn clear_signed(&self, key: Option<StoredKey>, text: String) -> String {
        let Some(signer) = self.signer.clone() else {
            return text;
        };
        let Some((fingerprint, secret_key)) = key.and_then(|k| Some((k.fingerprint, k.secret_key?))) else {
            return text;
        };
        if let Some(signed) = self.signed.get(&fingerprint, &text) {
            return signed;
        }
        // Two requests that miss together both sign; either result is right.
        match sign_blocking(signer, secret_key, text.clone(), self.now()).await {
            Ok(signed) => {
                self.signed.put(fingerprint, text, signed.clone());
                signed
            }
            Err(error) => {
                tracing::error!(%error, %fingerprint, "the organisation's key cannot sign: security.txt served unsigned");
                text
            }
        }
    }
}
