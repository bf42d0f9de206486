//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>,
//! `spec/standard-webhooks.md`, "Signature scheme"): the secret is `whsec_`
//! and the base64 of at least 24 random bytes; the signature is
//! `v1,` and the base64 of HMAC-SHA256, keyed with the decoded secret, over
//! `{webhook-id}.{webhook-timestamp}.{body}`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a secret.
pub(crate) const SECRET_PREFIX: &str = "whsec_";

/// A secret made of `bytes` (32 random bytes from the caller's source).
pub(crate) fn secret_from(bytes: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// Why a stored secret cannot sign.
#[derive(Debug, thiserror::Error)]
#[error("the webhook secret is not whsec_ and base64")]
pub(crate) struct BadSecret;

/// The `webhook-signature` header for one attempt.
pub(crate) fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, BadSecret> {
    let key = secret.strip_prefix(SECRET_PREFIX).ok_or(BadSecret)?;
    let key = STANDARD.decode(key).map_err(|_| BadSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_specifications_example() {
        // The example of the Standard Webhooks reference libraries' tests
        // (`python/standardwebhooks/tests/test_webhooks.py`, "test_sign_function").
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let signature = sign(secret, id, 1_614_265_330, body).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_without_its_prefix_or_base64_cannot_sign() {
        assert!(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}").is_err());
        assert!(sign("whsec_not base64!", "m", 1, "{}").is_err());
        assert!(secret_from(&[7; 32]).starts_with("whsec_"));
    }
}
