//! OpenPGP with rPGP (RFC 9580, and RFC 4880 as GnuPG writes it): reading
//! keys, making a key pair, decrypting and verifying what arrives,
//! encrypting what goes out, and clear-signing what is published
//! ([`OpenPgpSigner`], which the binary hands to the app).

use std::io::Cursor;

use embargo_app::{ClearSigner, SignError};
use embargo_core::Timestamp;
use embargo_core::private::Private;
use embargo_store::mail::SignatureState;
use pgp::composed::{
    CleartextSignedMessage, Deserializable, DetachedSignature, EncryptionCaps, KeyType, Message, MessageBuilder,
    SecretKeyParamsBuilder, SignedPublicKey, SignedSecretKey, SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{Signature, SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::{KeyDetails, KeyVersion, Password, SigningKey};
use rand_core_06::OsRng;

/// The most bytes a decrypted message may hold (a decompression bomb stops here).
const MAX_PLAINTEXT: usize = 16 * 1024 * 1024;

/// What went wrong with OpenPGP data. Never carries plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PgpError {
    /// The key could not be read.
    #[error("not an OpenPGP {expected}: {reason}")]
    BadKey {
        /// `public key` or `secret key`.
        expected: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// The key cannot encrypt (no encryption subkey).
    #[error("the key {fingerprint} has no key that may encrypt")]
    CannotEncrypt {
        /// Its fingerprint.
        fingerprint: String,
    },
    /// The key cannot sign (neither its primary key nor a subkey may).
    #[error("the key {fingerprint} has no key that may sign")]
    CannotSign {
        /// Its fingerprint.
        fingerprint: String,
    },
    /// None of our keys opens the message.
    #[error("the message is encrypted to a key this instance does not hold")]
    NoKey,
    /// The encrypted data is damaged or not OpenPGP.
    #[error("the encrypted part cannot be read: {0}")]
    Malformed(String),
    /// The decrypted content is larger than allowed.
    #[error("the decrypted message is larger than {MAX_PLAINTEXT} bytes")]
    TooLarge,
    /// Making a key or encrypting failed.
    #[error("OpenPGP operation failed: {0}")]
    Failed(String),
}

/// A key read from armor: its fingerprint and both armored forms.
#[derive(Debug, Clone)]
pub struct KeyMaterial {
    /// The primary key's fingerprint, upper-case hex.
    pub fingerprint: String,
    /// The armored public key.
    pub public_key: String,
    /// The armored secret key, when a secret key was read.
    pub secret_key: Option<Private<String>>,
}

fn fingerprint_of(key: &impl KeyDetails) -> String {
    format!("{:X}", key.fingerprint())
}

/// Reads an armored public key (a transferable public key).
pub fn read_public_key(armored: &str) -> Result<KeyMaterial, PgpError> {
    let bad = |reason: String| PgpError::BadKey { expected: "public key", reason };
    let (key, _) = SignedPublicKey::from_string(armored).map_err(|e| bad(e.to_string()))?;
    key.verify_bindings().map_err(|e| bad(e.to_string()))?;
    let public_key = key.to_armored_string(Default::default()).map_err(|e| bad(e.to_string()))?;
    Ok(KeyMaterial { fingerprint: fingerprint_of(&key), public_key, secret_key: None })
}

/// Reads an armored secret key, which must not be protected by a passphrase
/// (it is sealed at rest instead).
pub fn read_secret_key(armored: &Private<String>) -> Result<KeyMaterial, PgpError> {
    let bad = |reason: String| PgpError::BadKey { expected: "secret key", reason };
    let (key, _) = SignedSecretKey::from_string(armored.expose()).map_err(|e| bad(e.to_string()))?;
    key.verify_bindings().map_err(|e| bad(e.to_string()))?;
    let public = key.to_public_key();
    let public_key = public.to_armored_string(Default::default()).map_err(|e| bad(e.to_string()))?;
    let secret = key.to_armored_string(Default::default()).map_err(|e| bad(e.to_string()))?;
    Ok(KeyMaterial { fingerprint: fingerprint_of(&public), public_key, secret_key: Some(Private::new(secret)) })
}

/// Makes a new key pair for an organisation or a project: Ed25519 primary key for signing,
/// Curve25519 subkey for encryption (the kinds GnuPG makes by default).
pub fn generate_key(user_id: &str) -> Result<KeyMaterial, PgpError> {
    let failed = |e: String| PgpError::Failed(e);
    let mut encryption = SubkeyParamsBuilder::default();
    encryption
        .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
        .can_sign(false)
        .can_encrypt(EncryptionCaps::All)
        .can_authenticate(false);
    let mut params = SecretKeyParamsBuilder::default();
    params
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .can_encrypt(EncryptionCaps::None)
        .primary_user_id(user_id.into())
        .subkeys(vec![encryption.build().map_err(|e| failed(e.to_string()))?]);
    let params = params.build().map_err(|e| failed(e.to_string()))?;
    let key = params.generate(OsRng).map_err(|e| failed(e.to_string()))?;
    let secret = key.to_armored_string(Default::default()).map_err(|e| failed(e.to_string()))?;
    read_secret_key(&Private::new(secret))
}

/// A signature check: the result and the signer's fingerprint (or issuer id).
pub type SignatureCheck = (SignatureState, String);

/// Secret keys to decrypt with.
#[derive(Debug, Default)]
pub struct Keyring {
    secret: Vec<SignedSecretKey>,
    public: Vec<SignedPublicKey>,
}

impl Keyring {
    /// Reads the armored keys; unreadable ones are skipped with a warning.
    pub fn new(secret: &[Private<String>], public: &[String]) -> Keyring {
        let mut ring = Keyring::default();
        for armored in secret {
            match SignedSecretKey::from_string(armored.expose()) {
                Ok((key, _)) => {
                    ring.public.push(key.to_public_key());
                    ring.secret.push(key);
                }
                Err(e) => tracing::warn!(error = %e, "a stored secret key cannot be read"),
            }
        }
        for armored in public {
            match SignedPublicKey::from_string(armored) {
                Ok((key, _)) => ring.public.push(key),
                Err(e) => tracing::warn!(error = %e, "a stored public key cannot be read"),
            }
        }
        ring
    }

    /// Decrypts an OpenPGP message (armored or binary); answers the plaintext
    /// and, when it was signed inside, the signature check.
    pub fn decrypt(&self, data: &[u8]) -> Result<(Private<Vec<u8>>, Option<SignatureCheck>), PgpError> {
        let message = if data.trim_ascii_start().starts_with(b"-----BEGIN PGP") {
            Message::from_armor(Cursor::new(data)).map(|(m, _)| m)
        } else {
            Message::from_bytes(Cursor::new(data))
        }
        .map_err(|e| PgpError::Malformed(e.to_string()))?;
        if self.secret.is_empty() {
            return Err(PgpError::NoKey);
        }
        let passwords: Vec<Password> = self.secret.iter().map(|_| Password::empty()).collect();
        let mut message = message
            .decrypt_with_keys(passwords.iter().collect(), self.secret.iter().collect())
            .map_err(|_| PgpError::NoKey)?;
        let mut depth = 0;
        while message.is_compressed() {
            depth += 1;
            if depth > 4 {
                return Err(PgpError::Malformed("compressed too many times".into()));
            }
            message = message.decompress().map_err(|e| PgpError::Malformed(e.to_string()))?;
        }
        let mut plaintext = Vec::new();
        {
            use std::io::Read;
            let mut limited = (&mut message).take(u64::try_from(MAX_PLAINTEXT + 1).unwrap_or(u64::MAX));
            limited.read_to_end(&mut plaintext).map_err(|e| PgpError::Malformed(e.to_string()))?;
        }
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(PgpError::TooLarge);
        }
        let signature = if message.is_signed() { Some(self.check_message(&message)) } else { None };
        Ok((Private::new(plaintext), signature))
    }

    fn check_message(&self, message: &Message<'_>) -> (SignatureState, String) {
        for key in &self.public {
            if let Ok(signature) = message.verify(&key.primary_key) {
                return (SignatureState::Good, signer_of(signature, key));
            }
            for sub in &key.public_subkeys {
                if let Ok(signature) = message.verify(&sub.key) {
                    return (SignatureState::Good, signer_of(signature, key));
                }
            }
        }
        (SignatureState::UnknownKey, String::from("unknown"))
    }

    /// Checks a detached signature (PGP/MIME `multipart/signed`) over `content`.
    pub fn check_detached(&self, signature: &[u8], content: &[u8]) -> SignatureCheck {
        let parsed = DetachedSignature::from_armor_single(Cursor::new(signature))
            .map(|(s, _)| s)
            .or_else(|_| DetachedSignature::from_bytes(Cursor::new(signature)));
        let Ok(detached) = parsed else {
            return (SignatureState::Bad, String::from("unreadable signature"));
        };
        self.check_signature(&detached.signature, |key| match key {
            KeyRef::Primary(k) => detached.verify(k, content).is_ok(),
            KeyRef::Sub(k) => detached.verify(k, content).is_ok(),
        })
    }

    /// Checks an inline cleartext-signed text; answers the check and the signed text.
    pub fn check_cleartext(&self, armored: &str) -> Option<((SignatureState, String), String)> {
        let (message, _) = CleartextSignedMessage::from_string(armored).ok()?;
        let signature = message.signatures().first()?.clone();
        let check = self.check_signature(&signature, |key| match key {
            KeyRef::Primary(k) => message.verify(k).is_ok(),
            KeyRef::Sub(k) => message.verify(k).is_ok(),
        });
        Some((check, message.signed_text()))
    }

    fn check_signature(
        &self,
        signature: &Signature,
        verifies: impl Fn(KeyRef<'_>) -> bool,
    ) -> (SignatureState, String) {
        let issuers: Vec<String> = signature
            .issuer_fingerprint()
            .iter()
            .map(|f| format!("{f:X}"))
            .chain(signature.issuer_key_id().iter().map(|k| k.as_ref().iter().map(|b| format!("{b:02X}")).collect()))
            .collect();
        for key in &self.public {
            let names_key = issuers.is_empty()
                || std::iter::once(fingerprint_of(key))
                    .chain(key.public_subkeys.iter().map(|s| fingerprint_of(&s.key)))
                    .any(|fp| issuers.iter().any(|i| fp.ends_with(i.as_str())));
            if !names_key {
                continue;
            }
            if verifies(KeyRef::Primary(&key.primary_key))
                || key.public_subkeys.iter().any(|s| verifies(KeyRef::Sub(&s.key)))
            {
                return (SignatureState::Good, fingerprint_of(key));
            }
            return (SignatureState::Bad, fingerprint_of(key));
        }
        (SignatureState::UnknownKey, issuers.first().cloned().unwrap_or_else(|| "unknown".into()))
    }
}

/// A primary key or a subkey, to verify with.
enum KeyRef<'a> {
    Primary(&'a pgp::packet::PublicKey),
    Sub(&'a pgp::packet::PublicSubkey),
}

fn signer_of(_signature: &Signature, key: &SignedPublicKey) -> String {
    fingerprint_of(key)
}

/// Encrypts `plaintext` to a recipient's public key; answers ASCII armor.
pub fn encrypt(public_key: &str, plaintext: &[u8]) -> Result<String, PgpError> {
    let (key, _) = SignedPublicKey::from_string(public_key)
        .map_err(|e| PgpError::BadKey { expected: "public key", reason: e.to_string() })?;
    let subkey = key
        .public_subkeys
        .iter()
        .find(|s| {
            s.key.algorithm().can_encrypt()
                && s.signatures.iter().any(|sig| sig.key_flags().encrypt_comms() || sig.key_flags().encrypt_storage())
        })
        .ok_or_else(|| PgpError::CannotEncrypt { fingerprint: fingerprint_of(&key) })?;
    let mut builder = MessageBuilder::from_bytes("", plaintext.to_vec()).seipd_v1(OsRng, SymmetricKeyAlgorithm::AES256);
    builder.encrypt_to_key(OsRng, &subkey.key).map_err(|e| PgpError::Failed(e.to_string()))?;
    builder.to_armored_string(OsRng, Default::default()).map_err(|e| PgpError::Failed(e.to_string()))
}

/// Clear-signs `text` (RFC 4880 section 7; RFC 9580 section 7) with an
/// unprotected secret key, as made at `created`: with its newest signing
/// subkey if it has one, else with the primary key if that may sign (as
/// GnuPG chooses). Answers the armored cleartext-signed message.
///
/// The final line ending of `text` is not signed but becomes the one before
/// `-----BEGIN PGP SIGNATURE-----` (section 7.1), as GnuPG writes it, so the
/// signed message holds `text` exactly and ends in a single line ending.
pub fn clear_sign(secret_key: &Private<String>, text: &str, created: Timestamp) -> Result<String, PgpError> {
    let bad = |reason: String| PgpError::BadKey { expected: "secret key", reason };
    let failed = |e: pgp::errors::Error| PgpError::Failed(e.to_string());
    let (key, _) = SignedSecretKey::from_string(secret_key.expose()).map_err(|e| bad(e.to_string()))?;
    let created = u32::try_from(created.unix_timestamp())
        .map(pgp::types::Timestamp::from_secs)
        .map_err(|_| PgpError::Failed(format!("{created} cannot be a signature time")))?;
    let text = text.strip_suffix('\n').map_or(text, |t| t.strip_suffix('\r').unwrap_or(t));
    let subkey = key
        .secret_subkeys
        .iter()
        .rev()
        .find(|s| s.key.algorithm().can_sign() && s.signatures.iter().any(|sig| sig.key_flags().sign()));
    let protected = || bad("it is protected by a passphrase (import it without one: it is sealed at rest)".into());
    let message = match subkey {
        Some(subkey) if subkey.key.secret_params().is_encrypted() => return Err(protected()),
        Some(subkey) => sign_text(&subkey.key, text, created),
        None if !primary_may_sign(&key) => {
            return Err(PgpError::CannotSign { fingerprint: fingerprint_of(&key.primary_key) });
        }
        None if key.primary_key.secret_params().is_encrypted() => return Err(protected()),
        None => sign_text(&key.primary_key, text, created),
    }
    .map_err(failed)?;
    message.to_armored_string(Default::default()).map_err(failed)
}

/// Whether the primary key may make signatures: its self-signatures say so,
/// or (old keys) say nothing about it and its algorithm can sign.
fn primary_may_sign(key: &SignedSecretKey) -> bool {
    let mut self_signatures =
        key.details.direct_signatures.iter().chain(key.details.users.iter().flat_map(|u| u.signatures.iter()));
    let flagged = self_signatures.clone().any(|sig| sig.key_flags().sign());
    let silent = self_signatures.all(|sig| sig.key_flags() == Default::default());
    key.primary_key.algorithm().can_sign() && (flagged || silent)
}

/// A cleartext signature over `text` (a text signature, type 0x01) by `key`.
fn sign_text(
    key: &impl SigningKey,
    text: &str,
    created: pgp::types::Timestamp,
) -> pgp::errors::Result<CleartextSignedMessage> {
    let mut config = SignatureConfig::from_key(OsRng, key, SignatureType::Text)?;
    config.hashed_subpackets = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(created))?,
        Subpacket::regular(SubpacketData::IssuerFingerprint(key.fingerprint()))?,
    ];
    // RFC 9580 section 5.2.3.12: v4 keys also name their key id; v6 keys must not.
    if key.version() <= KeyVersion::V4 {
        config.unhashed_subpackets = vec![Subpacket::regular(SubpacketData::IssuerKeyId(key.legacy_key_id()))?];
    }
    CleartextSignedMessage::new(text, config, key, &Password::empty())
}

/// The OpenPGP signer the binary hands to the app (`App::with_signer`), so
/// that what the app publishes is signed without it knowing OpenPGP.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenPgpSigner;

impl ClearSigner for OpenPgpSigner {
    fn clear_sign(&self, secret_key: &Private<String>, text: &str, now: Timestamp) -> Result<String, SignError> {
        clear_sign(secret_key, text, now).map_err(|error| match error {
            PgpError::BadKey { reason, .. } => SignError::BadKey { reason },
            PgpError::CannotSign { fingerprint } => SignError::CannotSign { fingerprint },
            PgpError::CannotEncrypt { .. }
            | PgpError::NoKey
            | PgpError::Malformed(_)
            | PgpError::TooLarge
            | PgpError::Failed(_) => SignError::Failed { reason: error.to_string() },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_encrypts_and_decrypts_and_keeps_its_fingerprint() {
        let key = generate_key("Flask security <security@flask.example>").unwrap();
        assert_eq!(key.fingerprint.len(), 40);
        let again = read_public_key(&key.public_key).unwrap();
        assert_eq!(again.fingerprint, key.fingerprint);
        let armored = encrypt(&key.public_key, b"the PIN is 1234").unwrap();
        assert!(armored.starts_with("-----BEGIN PGP MESSAGE-----"));
        assert!(!armored.contains("PIN"));
        let ring = Keyring::new(&[key.secret_key.clone().unwrap()], &[]);
        let (plain, signature) = ring.decrypt(armored.as_bytes()).unwrap();
        assert_eq!(plain.expose().as_slice(), b"the PIN is 1234");
        assert_eq!(signature, None);
    }

    #[test]
    fn a_message_for_another_key_is_not_ours() {
        let ours = generate_key("a <a@example.org>").unwrap();
        let theirs = generate_key("b <b@example.org>").unwrap();
        let armored = encrypt(&theirs.public_key, b"secret").unwrap();
        let ring = Keyring::new(&[ours.secret_key.unwrap()], &[]);
        assert_eq!(ring.decrypt(armored.as_bytes()).unwrap_err(), PgpError::NoKey);
        assert!(matches!(Keyring::default().decrypt(b"garbage"), Err(PgpError::Malformed(_))));
    }

    #[test]
    fn a_clear_signed_text_verifies_reads_as_the_text_and_fails_once_altered() {
        let key = generate_key("Pallets security <security@pallets.example>").unwrap();
        let secret = key.secret_key.clone().unwrap();
        let text = "Contact: mailto:security@pallets.example\nExpires: 2027-05-04T00:00:00.000Z\n";
        let at = time::macros::datetime!(2026-11-22 06:00 UTC);
        let signed = clear_sign(&secret, text, at).unwrap();
        let body = format!("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{text}-----BEGIN PGP SIGNATURE-----\n");
        assert!(signed.starts_with(&body), "{signed}");
        assert!(signed.ends_with("-----END PGP SIGNATURE-----\n"), "{signed}");
        let ring = Keyring::new(&[], std::slice::from_ref(&key.public_key));
        let ((state, signer), signed_text) = ring.check_cleartext(&signed).unwrap();
        assert_eq!((state, signer.as_str()), (SignatureState::Good, key.fingerprint.as_str()));
        assert_eq!(format!("{}\n", signed_text.replace("\r\n", "\n")), text, "signed with CRLF line ends (7.1)");
        let (message, _) = CleartextSignedMessage::from_string(&signed).unwrap();
        let created = message.signatures()[0].created().unwrap();
        assert_eq!(i64::from(created.as_secs()), at.unix_timestamp(), "the time given, not the clock's");
        let altered = signed.replace("2027-05-04", "2099-05-04");
        assert_eq!(ring.check_cleartext(&altered).unwrap().0.0, SignatureState::Bad);
    }

    #[test]
    fn a_key_that_may_not_sign_is_named() {
        let mut params = SecretKeyParamsBuilder::default();
        params
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(false)
            .can_encrypt(EncryptionCaps::None)
            .primary_user_id("certify only <c@example.org>".into());
        let key = params.build().unwrap().generate(OsRng).unwrap();
        let armored = Private::new(key.to_armored_string(Default::default()).unwrap());
        let fingerprint = fingerprint_of(&key.primary_key);
        let at = time::macros::datetime!(2026-11-22 06:00 UTC);
        assert_eq!(clear_sign(&armored, "x\n", at).unwrap_err(), PgpError::CannotSign { fingerprint });
        assert!(matches!(clear_sign(&Private::new("hello".into()), "x", at), Err(PgpError::BadKey { .. })));
    }

    #[test]
    fn keys_that_are_not_keys_are_refused() {
        assert!(matches!(read_public_key("hello"), Err(PgpError::BadKey { .. })));
        assert!(matches!(read_secret_key(&Private::new("hello".into())), Err(PgpError::BadKey { .. })));
    }
}
