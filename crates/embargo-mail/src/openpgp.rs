//! OpenPGP with rPGP (RFC 9580, and RFC 4880 as GnuPG writes it): reading
//! keys, making a key pair, decrypting and verifying what arrives,
//! encrypting what goes out, and clear-signing what is published
//! ([`OpenPgpSigner`], which the binary hands to the app).

use std::io::Cursor;
use std::sync::atomic::{AtomicBool, Ordering};

use embargo_app::{ClearSigner, SignError};
use embargo_core::Timestamp;
use embargo_core::private::Private;
use embargo_store::mail::SignatureState;
use pgp::composed::{
    CleartextSignedMessage, Deserializable, DetachedSignature, EncryptionCaps, KeyType, Message, MessageBuilder,
    SecretKeyParamsBuilder, SignedPublicKey, SignedPublicSubKey, SignedSecretKey, SubkeyParamsBuilder, SubpacketConfig,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{Signature, SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::CompressionAlgorithm;
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
    // The preferences say which algorithms others may use towards the key (RFC 9580
    // section 5.2.3.14-16). Without them GnuPG falls back to SHA-1 when it signs a
    // message it encrypts to the key, a signature Ed25519 refuses.
    params
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .can_encrypt(EncryptionCaps::None)
        .preferred_symmetric_algorithms(vec![SymmetricKeyAlgorithm::AES256, SymmetricKeyAlgorithm::AES128].into())
        .preferred_hash_algorithms(vec![HashAlgorithm::Sha512, HashAlgorithm::Sha256].into())
        .preferred_compression_algorithms(vec![CompressionAlgorithm::ZLIB, CompressionAlgorithm::ZIP].into())
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
    /// Whether anything asked the keyring to decrypt or check a signature
    /// (see [`Keyring::consulted`]).
    consulted: AtomicBool,
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

    /// Whether the keyring was asked to decrypt or to check a signature
    /// since it was made. A mail read with an empty keyring that never
    /// consulted it reads the same with every key: `embargo mail ingest`
    /// loads and parses the stored keys only for mail that needs them.
    pub fn consulted(&self) -> bool {
        self.consulted.load(Ordering::Relaxed)
    }

    fn consult(&self) {
        self.consulted.store(true, Ordering::Relaxed);
    }

    /// Decrypts an OpenPGP message (armored or binary); answers the plaintext
    /// and, when it was signed inside, the signature check.
    pub fn decrypt(&self, data: &[u8]) -> Result<(Private<Vec<u8>>, Option<SignatureCheck>), PgpError> {
        self.consult();
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

    /// Checks the signature inside a message as the other kinds are checked:
    /// against the key its issuer names, so that a signature by a known key
    /// that does not verify (altered, or made with a hash too weak for its
    /// key, such as SHA-1 with Ed25519) reads as bad, not as by an unknown key.
    fn check_message(&self, message: &Message<'_>) -> SignatureCheck {
        let Message::Signed { reader, .. } = message else {
            return (SignatureState::UnknownKey, String::from("unknown"));
        };
        let Some(signature) = reader.signature(0) else {
            return (SignatureState::Bad, String::from("unreadable signature"));
        };
        self.check_signature(signature, |key| match key {
            KeyRef::Primary(k) => message.verify(k).is_ok(),
            KeyRef::Sub(k) => message.verify(k).is_ok(),
        })
    }

    /// Checks a detached signature (PGP/MIME `multipart/signed`) over `content`.
    pub fn check_detached(&self, signature: &[u8], content: &[u8]) -> SignatureCheck {
        self.consult();
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
        self.consult();
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

/// The subkey of a recipient's public key that may encrypt.
fn encryption_subkey_of(public_key: &str) -> Result<SignedPublicSubKey, PgpError> {
    let (key, _) = SignedPublicKey::from_string(public_key)
        .map_err(|e| PgpError::BadKey { expected: "public key", reason: e.to_string() })?;
    key.public_subkeys
        .iter()
        .find(|s| {
            s.key.algorithm().can_encrypt()
                && s.signatures.iter().any(|sig| sig.key_flags().encrypt_comms() || sig.key_flags().encrypt_storage())
        })
        .cloned()
        .ok_or_else(|| PgpError::CannotEncrypt { fingerprint: fingerprint_of(&key) })
}

/// Encrypts `plaintext` to a recipient's public key; answers ASCII armor.
pub fn encrypt(public_key: &str, plaintext: &[u8]) -> Result<String, PgpError> {
    let subkey = encryption_subkey_of(public_key)?;
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
    let failed = |e: pgp::errors::Error| PgpError::Failed(e.to_string());
    let key = read_signing_key(secret_key)?;
    let created = signature_time(created)?;
    let text = text.strip_suffix('\n').map_or(text, |t| t.strip_suffix('\r').unwrap_or(t));
    let signer = Box::new(signer_of_key(&key)?);
    let message = sign_text(&signer, text, created).map_err(failed)?;
    message.to_armored_string(Default::default()).map_err(failed)
}

/// Reads an armored secret key to sign with.
fn read_signing_key(secret_key: &Private<String>) -> Result<SignedSecretKey, PgpError> {
    let (key, _) = SignedSecretKey::from_string(secret_key.expose())
        .map_err(|e| PgpError::BadKey { expected: "secret key", reason: e.to_string() })?;
    Ok(key)
}

/// A time as a signature's creation time (RFC 9580 section 5.2.3.11: seconds since 1970, 32 bits).
fn signature_time(created: Timestamp) -> Result<pgp::types::Timestamp, PgpError> {
    u32::try_from(created.unix_timestamp())
        .map(pgp::types::Timestamp::from_secs)
        .map_err(|_| PgpError::Failed(format!("{created} cannot be a signature time")))
}

/// The key that signs for `key`: its newest signing subkey if it has one,
/// else the primary key if that may sign (as GnuPG chooses). Refuses a key
/// protected by a passphrase (keys are sealed at rest instead).
fn signer_of_key(key: &SignedSecretKey) -> Result<&dyn SigningKey, PgpError> {
    let protected = || PgpError::BadKey {
        expected: "secret key",
        reason: "it is protected by a passphrase (import it without one: it is sealed at rest)".into(),
    };
    let subkey = key
        .secret_subkeys
        .iter()
        .rev()
        .find(|s| s.key.algorithm().can_sign() && s.signatures.iter().any(|sig| sig.key_flags().sign()));
    match subkey {
        Some(subkey) if subkey.key.secret_params().is_encrypted() => Err(protected()),
        Some(subkey) => Ok(&subkey.key),
        None if !primary_may_sign(key) => Err(PgpError::CannotSign { fingerprint: fingerprint_of(&key.primary_key) }),
        None if key.primary_key.secret_params().is_encrypted() => Err(protected()),
        None => Ok(&key.primary_key),
    }
}

/// The subpackets of our signatures: the creation time given (not the
/// library's clock) and the issuer's fingerprint, hashed; for v4 keys also
/// the key id, unhashed (RFC 9580 section 5.2.3.12: v6 keys must not).
fn subpackets(
    key: &dyn SigningKey,
    created: pgp::types::Timestamp,
) -> pgp::errors::Result<(Vec<Subpacket>, Vec<Subpacket>)> {
    let hashed = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(created))?,
        Subpacket::regular(SubpacketData::IssuerFingerprint(key.fingerprint()))?,
    ];
    let mut unhashed = Vec::new();
    if key.version() <= KeyVersion::V4 {
        unhashed.push(Subpacket::regular(SubpacketData::IssuerKeyId(key.legacy_key_id()))?);
    }
    Ok((hashed, unhashed))
}

/// A detached signature (RFC 3156 section 5, PGP/MIME `multipart/signed`)
/// over `content`, which must be the MIME entity exactly as sent, with CRLF
/// line endings. It is a text signature (type 0x01), so a relay or mailbox
/// that stores the mail with LF line endings does not break it. Answers the
/// armored signature.
pub fn sign_detached(secret_key: &Private<String>, content: &[u8], created: Timestamp) -> Result<String, PgpError> {
    let failed = |e: pgp::errors::Error| PgpError::Failed(e.to_string());
    let key = read_signing_key(secret_key)?;
    let created = signature_time(created)?;
    let signer = signer_of_key(&key)?;
    let (hashed, unhashed) = subpackets(signer, created).map_err(failed)?;
    let signature = DetachedSignature::sign_text_data_with_subpackets(
        OsRng,
        &Box::new(signer),
        &Password::empty(),
        HashAlgorithm::Sha256,
        content,
        SubpacketConfig::UserDefined { hashed, unhashed },
    )
    .map_err(failed)?;
    signature.to_armored_string(Default::default()).map_err(failed)
}

/// A detached binary signature (type 0x00) over a file's exact bytes, as
/// `gpg --verify FILE.asc FILE` checks it (a CSAF provider's `.asc` files,
/// CSAF 2.0 section 7.1.19). Answers the armored signature.
pub fn sign_file(secret_key: &Private<String>, content: &[u8], created: Timestamp) -> Result<String, PgpError> {
    let failed = |e: pgp::errors::Error| PgpError::Failed(e.to_string());
    let key = read_signing_key(secret_key)?;
    let created = signature_time(created)?;
    let signer = signer_of_key(&key)?;
    let (hashed, unhashed) = subpackets(signer, created).map_err(failed)?;
    let signature = DetachedSignature::sign_binary_data_with_subpackets(
        OsRng,
        &Box::new(signer),
        &Password::empty(),
        HashAlgorithm::Sha256,
        content,
        SubpacketConfig::UserDefined { hashed, unhashed },
    )
    .map_err(failed)?;
    signature.to_armored_string(Default::default()).map_err(failed)
}

/// Signs `plaintext` with our secret key and encrypts it to a recipient's
/// public key in one OpenPGP message (RFC 3156 section 6.2, the combined
/// method: the signature travels inside the encryption). Answers ASCII armor.
pub fn sign_and_encrypt(
    public_key: &str,
    secret_key: &Private<String>,
    plaintext: &[u8],
    created: Timestamp,
) -> Result<String, PgpError> {
    let failed = |e: pgp::errors::Error| PgpError::Failed(e.to_string());
    let key = read_signing_key(secret_key)?;
    let created = signature_time(created)?;
    let signer = signer_of_key(&key)?;
    let (hashed, unhashed) = subpackets(signer, created).map_err(failed)?;
    let recipient = encryption_subkey_of(public_key)?;
    let mut builder = MessageBuilder::from_bytes("", plaintext.to_vec()).seipd_v1(OsRng, SymmetricKeyAlgorithm::AES256);
    builder.sign_with_subpackets(
        signer,
        Password::empty(),
        HashAlgorithm::Sha256,
        SubpacketConfig::UserDefined { hashed, unhashed },
    );
    builder.encrypt_to_key(OsRng, &recipient.key).map_err(failed)?;
    builder.to_armored_string(OsRng, Default::default()).map_err(failed)
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
    (config.hashed_subpackets, config.unhashed_subpackets) = subpackets(key, created)?;
    CleartextSignedMessage::new(text, config, key, &Password::empty())
}

/// The OpenPGP signer the binary hands to the app (`App::with_signer`), so
/// that what the app publishes is signed without it knowing OpenPGP.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenPgpSigner;

impl ClearSigner for OpenPgpSigner {
    fn clear_sign(&self, secret_key: &Private<String>, text: &str, now: Timestamp) -> Result<String, SignError> {
        clear_sign(secret_key, text, now).map_err(sign_error)
    }

    fn sign_file(&self, secret_key: &Private<String>, content: &[u8], now: Timestamp) -> Result<String, SignError> {
        sign_file(secret_key, content, now).map_err(sign_error)
    }
}

fn sign_error(error: PgpError) -> SignError {
    match error {
        PgpError::BadKey { reason, .. } => SignError::BadKey { reason },
        PgpError::CannotSign { fingerprint } => SignError::CannotSign { fingerprint },
        PgpError::CannotEncrypt { .. }
        | PgpError::NoKey
        | PgpError::Malformed(_)
        | PgpError::TooLarge
        | PgpError::Failed(_) => SignError::Failed { reason: error.to_string() },
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
