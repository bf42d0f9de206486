//! WebAuthn passkeys and security keys as a second factor (webauthn-rs):
//! registering a named key (also while a required factor is being set up at
//! sign-in), listing and removing keys, and the sign-in step with a key.
//!
//! The relying party is the host of `public_url`, which must be a domain
//! name (browsers refuse IP addresses). The server side of each ceremony is
//! kept in the database, keyed by the session it was begun in, so any
//! replica finishes it; nothing of it goes into a cookie.

use embargo_core::Timestamp;
use embargo_core::id::UserId;
use embargo_core::permission::Actor;
use embargo_store::sessions::{Session, SessionStage};
use embargo_store::users::TokenHash;
use embargo_store::webauthn::{Ceremony, CeremonyKind, WebauthnKey};
use embargo_store::{StoreExt, Writer};
use serde_json::json;
use uuid::Uuid;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url,
    Webauthn, WebauthnBuilder,
};

use crate::audit::record;
use crate::factors::{FactorProof, RecoveryCodes, factor_required, recovery_hash, user_actor_for_audit};
use crate::secret::hash_token;
use crate::{App, AppError};

/// How long a begun ceremony may be finished (the browser's own timeout is 5 minutes).
const CEREMONY_TTL: time::Duration = time::Duration::minutes(10);

/// The longest name a key may have, in characters.
const MAX_NAME: usize = 60;

/// Options for the browser's WebAuthn call, as JSON (`navigator.credentials.create`
/// or `.get`, with binary fields in unpadded base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnOptions(pub String);

/// A registered key, as its owner's account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityKeyView {
    /// The key's id.
    pub id: Uuid,
    /// The name its owner gave it.
    pub name: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last signed its owner in.
    pub last_used_at: Option<Timestamp>,
}

/// A checked key name: trimmed, 1 to 60 characters, no control characters.
fn key_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::invalid("name", "a name for the key of 1 to 60 characters, such as \"Blue YubiKey\""));
    }
    Ok(name.to_owned())
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {e}"))
}

/// The key's stored credential, read back.
fn passkey(key: &WebauthnKey) -> Result<Passkey, AppError> {
    serde_json::from_str(&key.credential).map_err(|e| internal("a stored WebAuthn key cannot be read", e))
}

/// Makes a session a complete one that has just proven a factor (a waiting
/// one is replaced, with a new lifetime from now).
async fn complete_session(
    tx: &mut dyn Writer,
    current: Session,
    hash: &TokenHash,
    now: Timestamp,
    ttl: time::Duration,
) -> Result<(), AppError> {
    if current.stage == SessionStage::Complete {
        tx.advance_session(hash, SessionStage::Complete, Some(now)).await?;
        return Ok(());
    }
    tx.end_session(current.user_id, current.id).await?;
    let full = Session {
        stage: SessionStage::Complete,
        created_at: now,
        expires_at: now + ttl,
        factor_at: Some(now),
        ..current
    };
    tx.insert_session(&full, hash).await?;
    Ok(())
}

impl App {
    /// The relying party, from `public_url`; `None` when its host is not a domain name.
    fn relying_party(&self) -> Option<Webauthn> {
        let origin = Url::parse(&self.config.public_url).ok()?;
        let rp_id = origin.domain()?.to_owned();
        WebauthnBuilder::new(&rp_id, &origin).ok()?.rp_name("Embargo").build().ok()
    }

    fn relying_party_or_err(&self) -> Result<Webauthn, AppError> {
        self.relying_party().ok_or_else(|| {
            AppError::Unavailable(
                "security keys need public_url to name the instance by a domain name (such as \
                 https://security.example.org or http://localhost:8080), not an IP address"
                    .to_owned(),
            )
        })
    }

    /// Whether keys can be used on this instance (`public_url` names a domain).
    pub fn webauthn_available(&self) -> bool {
        self.relying_party().is_some()
    }

    /// The signed-in user's keys, oldest first.
    pub async fn security_keys(&self, actor: &Actor) -> Result<Vec<SecurityKeyView>, AppError> {
        let user_id = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let keys = self.store.reader().await?.webauthn_keys(user_id).await?;
        Ok(keys
            .into_iter()
            .map(|k| SecurityKeyView { id: k.id, name: k.name, created_at: k.created_at, last_used_at: k.last_used_at })
            .collect())
    }

    /// Begins registering a key named `name` for the session's user (a complete
    /// session, or one that must enrol a factor): the options for the browser.
    pub async fn begin_key_registration(&self, session: &str, name: &str) -> Result<WebauthnOptions, AppError> {
        let name = key_name(name)?;
        let rp = self.relying_party_or_err()?;
        let (session, user) = self.enrolling_user(session).await?;
        let keys = self.store.reader().await?.webauthn_keys(user.id).await?;
        let exclude = keys.iter().map(|k| passkey(k).map(|p| p.cred_id().clone())).collect::<Result<Vec<_>, _>>()?;
        let (options, state) = rp
            .start_passkey_registration(user.id.as_uuid(), user.email.as_str(), &user.name, Some(exclude))
            .map_err(|e| internal("cannot begin a WebAuthn registration", e))?;
        let now = self.now();
        let ceremony = Ceremony {
            session_id: session.id,
            kind: CeremonyKind::Register,
            user_id: user.id,
            name,
            state: serde_json::to_string(&state).map_err(|e| internal("cannot keep a WebAuthn state", e))?,
            expires_at: now + CEREMONY_TTL,
        };
        self.store
            .write(move |tx| Box::pin(async move { tx.put_ceremony(&ceremony, now).await.map_err(AppError::from) }))
            .await?;
        let json = serde_json::to_string(&options).map_err(|e| internal("cannot write WebAuthn options", e))?;
        Ok(WebauthnOptions(json))
    }

    /// Finishes registering a key with the browser's answer (JSON). Every other
    /// session of the user ends, and this one counts as having just proven a
    /// factor. A user without recovery codes gets ten, shown once.
    pub async fn finish_key_registration(
        &self,
        session: &str,
        credential: &str,
    ) -> Result<Option<RecoveryCodes>, AppError> {
        let rp = self.relying_party_or_err()?;
        let answer: RegisterPublicKeyCredential = serde_json::from_str(credential).map_err(|_| {
            AppError::invalid("credential", "the answer of a security key, as the page's script sends it")
        })?;
        let (current, user) = self.enrolling_user(session).await?;
        let codes = self.new_recovery_codes()?;
        let hashes: Vec<TokenHash> = codes.0.iter().map(|c| recovery_hash(c.expose())).collect();
        let (hash, now, ttl, key_id) = (hash_token(session), self.now(), self.config.session_ttl, self.new_uuid()?);
        let gave_codes = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let Some(ceremony) = tx.take_ceremony(current.id, CeremonyKind::Register, now).await? else {
                        return Err(AppError::invalid(
                            "credential",
                            "an answer within 10 minutes of starting to add the key: start again",
                        ));
                    };
                    let state: PasskeyRegistration = serde_json::from_str(&ceremony.state)
                        .map_err(|e| internal("a kept WebAuthn state cannot be read", e))?;
                    let key = rp.finish_passkey_registration(&answer, &state).map_err(|_| {
                        AppError::invalid("credential", "an answer the key signed for this page: start again")
                    })?;
                    let credential_id = key.cred_id().to_vec();
                    if tx.webauthn_credential_known(&credential_id).await? {
                        return Err(AppError::Conflict { what: "this security key" });
                    }
                    let stored = WebauthnKey {
                        id: key_id,
                        user_id: user.id,
                        name: ceremony.name.clone(),
                        credential_id,
                        credential: serde_json::to_string(&key).map_err(|e| internal("cannot keep a key", e))?,
                        created_at: now,
                        last_used_at: Some(now),
                    };
                    tx.insert_webauthn_key(&stored).await?;
                    let gave_codes = tx.recovery_codes_left(user.id).await? == 0;
                    if gave_codes {
                        tx.replace_recovery_codes(user.id, &hashes).await?;
                    }
                    let ended = tx.end_sessions(user.id, Some(current.id)).await?;
                    complete_session(tx, current, &hash, now, ttl).await?;
                    let actor = user_actor_for_audit(user.id);
                    let details = json!({"key": key_id, "name": ceremony.name, "sessions_ended": ended});
                    record(tx, now, &actor, "webauthn.key_added", format!("user:{}", user.id), details).await?;
                    Ok(gave_codes)
                })
            })
            .await?;
        Ok(gave_codes.then_some(codes))
    }

    /// Begins the sign-in step with a key, for a session waiting for its
    /// second factor: the options for the browser, or `None` when the user
    /// has no key (or keys cannot be used on this instance).
    pub async fn begin_key_sign_in(&self, session: &str) -> Result<Option<WebauthnOptions>, AppError> {
        let Some(rp) = self.relying_party() else {
            return Ok(None);
        };
        let Some(pending) = self.live_session(session).await? else {
            return Err(AppError::Unauthenticated);
        };
        if pending.stage != SessionStage::SecondFactor {
            return Err(AppError::Unauthenticated);
        }
        let keys = self.store.reader().await?.webauthn_keys(pending.user_id).await?;
        if keys.is_empty() {
            return Ok(None);
        }
        let passkeys = keys.iter().map(passkey).collect::<Result<Vec<_>, _>>()?;
        let (options, state) =
            rp.start_passkey_authentication(&passkeys).map_err(|e| internal("cannot begin a WebAuthn sign-in", e))?;
        let now = self.now();
        let ceremony = Ceremony {
            session_id: pending.id,
            kind: CeremonyKind::Authenticate,
            user_id: pending.user_id,
            name: String::new(),
            state: serde_json::to_string(&state).map_err(|e| internal("cannot keep a WebAuthn state", e))?,
            expires_at: now + CEREMONY_TTL,
        };
        self.store
            .write(move |tx| Box::pin(async move { tx.put_ceremony(&ceremony, now).await.map_err(AppError::from) }))
            .await?;
        let json = serde_json::to_string(&options).map_err(|e| internal("cannot write WebAuthn options", e))?;
        Ok(Some(WebauthnOptions(json)))
    }

    /// The sign-in step with a key: the browser's answer (JSON) to the options
    /// of [`App::begin_key_sign_in`]. On success the session acts as its user;
    /// a wrong answer counts like a wrong code.
    pub async fn verify_key(&self, session: &str, credential: &str) -> Result<(), AppError> {
        let Some(pending) = self.live_session(session).await? else {
            return Err(AppError::Unauthenticated);
        };
        if pending.stage != SessionStage::SecondFactor {
            return Err(AppError::Unauthenticated);
        }
        let (user_id, pending_id) = (pending.user_id, pending.id);
        let rp = self.relying_party();
        let answer: Option<PublicKeyCredential> = serde_json::from_str(credential).ok();
        let (hash, now, ttl) = (hash_token(session), self.now(), self.config.session_ttl);
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let ceremony = tx.take_ceremony(pending.id, CeremonyKind::Authenticate, now).await?;
                    let (Some(answer), Some(ceremony), Some(rp)) = (answer, ceremony, rp) else {
                        return Err(AppError::BadSecondFactor);
                    };
                    let state: PasskeyAuthentication = serde_json::from_str(&ceremony.state)
                        .map_err(|e| internal("a kept WebAuthn state cannot be read", e))?;
                    let outcome =
                        rp.finish_passkey_authentication(&answer, &state).map_err(|_| AppError::BadSecondFactor)?;
                    let keys = tx.webauthn_keys(user_id).await?;
                    let key = keys
                        .iter()
                        .find(|k| k.credential_id.as_slice() == outcome.cred_id().as_slice())
                        .ok_or(AppError::BadSecondFactor)?;
                    let mut updated = passkey(key)?;
                    updated.update_credential(&outcome);
                    let credential = serde_json::to_string(&updated).map_err(|e| internal("cannot keep a key", e))?;
                    tx.use_webauthn_key(key.id, &credential, now).await?;
                    let key_id = key.id;
                    complete_session(tx, pending, &hash, now, ttl).await?;
                    let actor = user_actor_for_audit(user_id);
                    let details = json!({"factor": "webauthn", "key": key_id});
                    record(tx, now, &actor, "session.second_factor", format!("user:{user_id}"), details).await
                })
            })
            .await;
        if matches!(result, Err(AppError::BadSecondFactor)) {
            self.count_factor_failure(session, user_id, pending_id).await?;
        }
        result
    }

    /// Removes one of the signed-in user's keys, with a recent second factor.
    /// Refused when it is the last factor of a user who must have one. Every
    /// other session of the user ends.
    pub async fn remove_security_key(&self, actor: &Actor, id: Uuid, proof: &FactorProof) -> Result<(), AppError> {
        let user_id: UserId = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let keys = self.store.reader().await?.webauthn_keys(user_id).await?;
        if !keys.iter().any(|k| k.id == id) {
            return Err(AppError::NotFound);
        }
        self.require_recent_factor(user_id, proof).await?;
        let keep = match &proof.session {
            Some(token) => self.live_session(token.expose()).await?.filter(|s| s.user_id == user_id).map(|s| s.id),
            None => None,
        };
        let now = self.now();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let user = tx.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
                    let keys = tx.webauthn_keys(user_id).await?;
                    let Some(key) = keys.iter().find(|k| k.id == id) else {
                        return Err(AppError::NotFound);
                    };
                    let totp = tx.totp_factor(user_id).await?.is_some_and(|f| f.confirmed_at.is_some());
                    if !totp && keys.len() == 1 && factor_required(&mut *tx, &user).await? {
                        return Err(AppError::SecondFactorRequired);
                    }
                    tx.delete_webauthn_key(user_id, id).await?;
                    let ended = tx.end_sessions(user_id, keep).await?;
                    let actor = user_actor_for_audit(user_id);
                    let details = json!({"key": id, "name": key.name, "sessions_ended": ended});
                    record(tx, now, &actor, "webauthn.key_removed", format!("user:{user_id}"), details).await
                })
            })
            .await
    }

    fn new_uuid(&self) -> Result<Uuid, AppError> {
        use crate::entropy::EntropyExt as _;
        self.entropy.uuid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_checked() {
        assert_eq!(key_name("  Blue YubiKey ").unwrap(), "Blue YubiKey");
        assert!(key_name("").is_err());
        assert!(key_name("   ").is_err());
        assert!(key_name(&"x".repeat(61)).is_err());
        assert!(key_name("tab\there").is_err());
    }
}
