//! Sealing private text at rest, and the instance's secret key.
//!
//! Private columns hold `E1 ‖ key id (4) ‖ nonce (24) ‖ XChaCha20-Poly1305
//! ciphertext`, with the table, row id and column as associated data, so a
//! sealed value copied to another row or column does not open. The sealing
//! key and the audit-chain key are both derived from one instance secret.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::StoreError;

const MAGIC: &[u8; 2] = b"E1";
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = MAGIC.len() + KEY_ID_LEN + NONCE_LEN;

/// Bytes of a search term's keyed hash the index keeps (migration 1550; 16
/// before it). Two different terms share a hash with odds of about one in
/// 2^64 per pair, so a search is as exact as before, and every index row is
/// 8 bytes shorter.
pub(crate) const SEARCH_TERM_BYTES: usize = 8;

/// The instance secret: 32 random bytes, kept outside the database
/// (`secret.key` in the data directory, or `EMBARGO_SECRET_KEY`).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Wraps 32 bytes made by the caller's random source.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    /// The key as base64, for writing the key file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// HMAC-SHA256(secret, purpose): one independent key per purpose (RFC 2104).
    fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.0, purpose.as_bytes())
    }
}

/// HMAC-SHA256 with a 32-byte key. The key is zero-padded to the block size,
/// exactly as RFC 2104 section 2 does, so construction cannot fail.
pub(crate) fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut mac = keyed_mac(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 keyed with `key`, before any message (see [`hmac_sha256`]).
fn keyed_mac(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    for (padded, byte) in block.iter_mut().zip(key) {
        *padded = *byte;
    }
    <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into())
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Why a secret key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the secret key must be 32 bytes written as base64 (44 characters)")]
pub struct InvalidSecretKey;

impl FromStr for SecretKey {
    type Err = InvalidSecretKey;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = STANDARD.decode(s.trim()).map_err(|_| InvalidSecretKey)?;
        let array: [u8; 32] = bytes.try_into().map_err(|_| InvalidSecretKey)?;
        Ok(SecretKey(array))
    }
}

/// Where a sealed value lives; bound into the ciphertext as associated data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    pub(crate) table: &'static str,
    pub(crate) column: &'static str,
    pub(crate) row: &'a str,
}

/// Seals and opens private columns; keys the audit chain.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    key_id: [u8; KEY_ID_LEN],
    audit_key: [u8; 32],
    checkpoint_key: [u8; 32],
    /// HMAC-SHA256 keyed with the search key, its key blocks already hashed:
    /// each search term clones it (a report's index holds hundreds of terms,
    /// and keying anew hashed two more blocks for each).
    search_mac: Hmac<Sha256>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(<redacted>)")
    }
}

impl Sealer {
    /// Derives the sealing and audit keys from the instance secret.
    pub fn new(secret: &SecretKey) -> Self {
        let seal_key = secret.derive("embargo/seal/v1");
        let key_id_full = secret.derive("embargo/key-id/v1");
        let mut key_id = [0u8; KEY_ID_LEN];
        key_id.copy_from_slice(key_id_full.get(..KEY_ID_LEN).unwrap_or(&[0; KEY_ID_LEN]));
        Sealer {
            cipher: XChaCha20Poly1305::new(&seal_key.into()),
            key_id,
            audit_key: secret.derive("embargo/audit/v1"),
            checkpoint_key: secret.derive("embargo/audit-checkpoint/v1"),
            search_mac: keyed_mac(&secret.derive("embargo/search/v1")),
        }
    }

    /// The key that makes the audit chain unforgeable without the secret.
    pub(crate) fn audit_key(&self) -> &[u8; 32] {
        &self.audit_key
    }

    /// The key that signs audit checkpoints (see [`crate::checkpoint`]).
    pub(crate) fn checkpoint_key(&self) -> &[u8; 32] {
        &self.checkpoint_key
    }

    /// A search term as the index holds it: HMAC-SHA256 under the search key
    /// (derived from the instance secret), cut to [`SEARCH_TERM_BYTES`] bytes.
    /// Without the secret the index says only which reports share a term,
    /// never what it is.
    pub(crate) fn search_term(&self, term: &str) -> Vec<u8> {
        let mut mac = self.search_mac.clone();
        mac.update(term.as_bytes());
        mac.finalize().into_bytes().get(..SEARCH_TERM_BYTES).map(<[u8]>::to_vec).unwrap_or_default()
    }

    fn aad(place: Place<'_>) -> Vec<u8> {
        format!("{}\u{1f}{}\u{1f}{}", place.table, place.row, place.column).into_bytes()
    }

    /// Seals `plaintext` for `place`.
    pub(crate) fn seal(&self, place: Place<'_>, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let nonce = XNonce::generate();
        let aad = Self::aad(place);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: &aad })
            .map_err(|_| StoreError::Other(format!("cannot seal {}.{}", place.table, place.column)))?;
        let mut out = Vec::with_capacity(HEADER_LEN + ciphertext.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens a value sealed for `place`.
    pub(crate) fn open(&self, place: Place<'_>, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let fail = |why: &str| {
            StoreError::Other(format!("cannot open {}.{} of {}: {why}", place.table, place.column, place.row))
        };
        let (magic, rest) = sealed.split_at_checked(MAGIC.len()).ok_or_else(|| fail("too short"))?;
        if magic != MAGIC {
            return Err(fail("not a sealed value"));
        }
        let (key_id, rest) = rest.split_at_checked(KEY_ID_LEN).ok_or_else(|| fail("too short"))?;
        if key_id != self.key_id {
            return Err(fail("sealed with another secret key"));
        }
        let (nonce, ciphertext) = rest.split_at_checked(NONCE_LEN).ok_or_else(|| fail("too short"))?;
        let nonce = XNonce::try_from(nonce).map_err(|_| fail("bad nonce"))?;
        let aad = Self::aad(place);
        self.cipher.decrypt(&nonce, Payload { msg: ciphertext, aad: &aad }).map_err(|_| fail("tampered or misplaced"))
    }

    /// Seals UTF-8 text.
    pub(crate) fn seal_text(&self, place: Place<'_>, text: &str) -> Result<Vec<u8>, StoreError> {
        self.seal(place, text.as_bytes())
    }

    /// Opens UTF-8 text.
    pub(crate) fn open_text(&self, place: Place<'_>, sealed: &[u8]) -> Result<String, StoreError> {
        String::from_utf8(self.open(place, sealed)?)
            .map_err(|_| StoreError::corrupt(place.column, "sealed text is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&SecretKey::from_bytes([byte; 32]))
    }

    const PLACE: Place<'static> = Place { table: "messages", column: "body", row: "m1" };

    #[test]
    fn sealed_text_opens_only_in_its_place_with_its_key() {
        let s = sealer(7);
        let sealed = s.seal_text(PLACE, "exploit: ../../etc/passwd").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"exploit"), "plaintext must not appear");
        assert_eq!(s.open_text(PLACE, &sealed).unwrap(), "exploit: ../../etc/passwd");
        assert!(s.open_text(Place { row: "m2", ..PLACE }, &sealed).is_err(), "moved to another row");
        assert!(s.open_text(Place { column: "title", ..PLACE }, &sealed).is_err(), "moved to another column");
        assert!(sealer(8).open_text(PLACE, &sealed).is_err(), "another instance's key");
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(s.open_text(PLACE, &tampered).is_err(), "tampered");
        assert!(s.open_text(PLACE, b"E1").is_err(), "truncated");
    }

    #[test]
    fn two_seals_of_the_same_text_differ() {
        let s = sealer(1);
        assert_ne!(s.seal_text(PLACE, "same").unwrap(), s.seal_text(PLACE, "same").unwrap());
    }

    #[test]
    fn secret_keys_parse_from_base64_only_at_full_length() {
        let key = SecretKey::from_bytes([3; 32]);
        assert_eq!(key.to_base64().parse::<SecretKey>(), Ok(key));
        assert_eq!("c2hvcnQ=".parse::<SecretKey>(), Err(InvalidSecretKey));
        assert_eq!("not base64!".parse::<SecretKey>(), Err(InvalidSecretKey));
        assert_eq!(format!("{:?}", SecretKey::from_bytes([3; 32])), "SecretKey(<redacted>)");
    }
}
