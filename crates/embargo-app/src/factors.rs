//! Second factors: TOTP (RFC 6238) with single-use recovery codes, the
//! sign-in step that asks for them, enrolment (also when an instance
//! requires a factor of team members and administrators), and the "recent
//! second factor" that sensitive actions such as making an API token need.
//!
//! A password alone opens a session at [`SessionStage::SecondFactor`] (or
//! [`SessionStage::Enrolment`]); such a session acts as nobody until the
//! step is done, so every permission check stays in one place.

use embargo_core::Timestamp;
use embargo_core::id::UserId;
use embargo_core::permission::{Actor, FactorRule, UserActor};
use embargo_core::policy::resolve;
use embargo_core::private::Private;
use embargo_core::user::{TeamScope, User};
use embargo_store::Reader;
use embargo_store::factors::TotpFactor;
use embargo_store::sessions::{Session, SessionStage};
use embargo_store::settings::Setting;
use embargo_store::users::TokenHash;
use embargo_store::{StoreExt, Writer};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::record;
use crate::entropy::EntropyExt;
use crate::secret::{TokenKind, hash_token, token_kind};
use crate::{App, AppError};

/// How long a proven second factor counts as recent (for making API tokens).
pub const RECENT_FACTOR: time::Duration = time::Duration::minutes(15);

/// How long a session that waits for its second factor lasts.
const PENDING_TTL: time::Duration = time::Duration::minutes(15);

/// How many wrong codes a session waiting for its second factor may send
/// before it ends (the password must then be given again).
pub const MAX_CODE_FAILURES: i64 = 5;

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;

/// The issuer shown in authenticator apps.
const ISSUER: &str = "Embargo";

/// What it takes to set up an authenticator app: shown once, while enrolling.
#[derive(Clone)]
pub struct TotpEnrolment {
    /// The secret in base32 (RFC 4648), for typing into an app.
    pub secret_base32: Private<String>,
    /// The `otpauth://totp/...` URI (for a QR code or a password manager).
    pub uri: Private<String>,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment(<redacted>)")
    }
}

/// Fresh recovery codes, shown once.
#[derive(Clone)]
pub struct RecoveryCodes(pub Vec<Private<String>>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.0.len())
    }
}

/// A user's second factors, as their account page shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorStatus {
    /// An authenticator app (TOTP) is set up and confirmed.
    pub totp: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u64,
    /// The instance requires this user to have a second factor.
    pub required: bool,
    /// How many WebAuthn keys (passkeys, security keys) are registered.
    pub security_keys: usize,
}

/// Proof of a recent second factor that a sensitive action asks for: the
/// browser session it came with, and a code typed with it.
#[derive(Debug, Clone, Default)]
pub struct FactorProof {
    /// The session cookie sent with the request, if any.
    pub session: Option<Private<String>>,
    /// A TOTP or recovery code sent with the request, if any.
    pub code: Option<Private<String>>,
}

/// The stored hash of a recovery code: case, spaces and dashes do not matter.
pub(crate) fn recovery_hash(code: &str) -> TokenHash {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    TokenHash(Sha256::digest(format!("embargo-recovery:{normal}").as_bytes()).into())
}

/// Six digits (spaces allowed) are a TOTP code; anything else may be a recovery code.
fn totp_code(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn totp(secret: &[u8], account: &str) -> Result<totp_rs::Totp, AppError> {
    // RFC 6238 defaults, as every authenticator app reads them: SHA-1, 6 digits,
    // 30-second steps; one step of skew either way for clocks that drift.
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AppError::Internal(format!("cannot build a TOTP: {e}")))
}

fn enrolment(secret: &[u8], user: &User) -> Result<TotpEnrolment, AppError> {
    let generator = totp(secret, user.email.as_str())?;
    let uri = generator.to_url().map_err(|e| AppError::Internal(format!("cannot write a TOTP URI: {e}")))?;
    Ok(TotpEnrolment {
        secret_base32: Private::new(totp_rs::Secret::from(secret.to_vec()).to_base32()),
        uri: Private::new(uri),
    })
}

fn unix_seconds(at: Timestamp) -> u64 {
    u64::try_from(at.unix_timestamp()).unwrap_or(0)
}

/// A user as the audit log names them (the log keeps the id only).
pub(crate) fn user_actor_for_audit(user: UserId) -> Actor {
    Actor::User(UserActor::named(user))
}

/// Checks a code against the user's confirmed factor inside a transaction:
/// a TOTP code is accepted once (its step is recorded), a recovery code is used up.
async fn check_code(tx: &mut dyn Writer, user: &User, code: &str, now: Timestamp) -> Result<bool, AppError> {
    let factor = tx.totp_factor(user.id).await?.filter(|f| f.confirmed_at.is_some());
    if let Some(digits) = totp_code(code) {
        let Some(factor) = factor else {
            return Ok(false);
        };
        let generator = totp(factor.secret.expose(), user.email.as_str())?;
        let Some(step) = generator.check(&digits, unix_seconds(now)) else {
            return Ok(false);
        };
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        return Ok(tx.use_totp_step(user.id, step).await?);
    }
    if code.trim().is_empty() {
        return Ok(false);
    }
    let used = tx.use_recovery_code(user.id, &recovery_hash(code), now).await?;
    if used {
        let actor = user_actor_for_audit(user.id);
        record(tx, now, &actor, "second_factor.recovery_code_used", format!("user:{}", user.id), json!({})).await?;
    }
    Ok(used)
}

/// Whether `user` must have a second factor: the instance setting asks it
/// of administrators and security-team members, an organisation's or a
/// project's policy (`conduct.team_second_factor`) of its own team. Core's
/// `second_factor_required` decides.
pub(crate) async fn factor_required(reader: &mut dyn Reader, user: &User) -> Result<bool, AppError> {
    let mut rule = FactorRule {
        instance: reader.setting(Setting::SecondFactorRequired).await?.is_some_and(|v| v == "true"),
        ..FactorRule::default()
    };
    for membership in reader.memberships(user.id).await? {
        match membership.scope {
            TeamScope::Organisation(org) => {
                if resolve(&reader.org_policy(org).await?, None).conduct.team_second_factor.value {
                    rule.orgs.push(org);
                }
            }
            TeamScope::Project(id) => {
                let Some(project) = reader.project(id).await? else { continue };
                let org = reader.org_policy(project.org_id).await?;
                if resolve(&org, Some(&reader.project_policy(id).await?)).conduct.team_second_factor.value {
                    rule.projects.push(id);
                }
            }
        }
    }
    let actor = Actor::User(crate::auth::user_actor(reader, user, None).await?);
    Ok(embargo_core::permission::second_factor_required(&actor, &rule))
}

/// Whether the user has a second factor in use: a confirmed authenticator
/// app or at least one WebAuthn key.
pub(crate) async fn has_factor(reader: &mut dyn Reader, user: UserId) -> Result<bool, AppError> {
    if reader.totp_factor(user).await?.is_some_and(|f| f.confirmed_at.is_some()) {
        return Ok(true);
    }
    Ok(!reader.webauthn_keys(user).await?.is_empty())
}

impl App {
    /// The step a session starts at once the password matched.
    pub(crate) async fn stage_after_password(
        &self,
        reader: &mut dyn Reader,
        user: &User,
    ) -> Result<SessionStage, AppError> {
        if has_factor(reader, user.id).await? {
            return Ok(SessionStage::SecondFactor);
        }
        if factor_required(reader, user).await? {
            return Ok(SessionStage::Enrolment);
        }
        Ok(SessionStage::Complete)
    }

    /// A new session's record for `user` at `stage` (a waiting one lasts minutes, not days).
    pub(crate) fn new_session(&self, user: UserId, stage: SessionStage) -> Result<Session, AppError> {
        use crate::entropy::NewIds as _;
        let now = self.now();
        let ttl = match stage {
            SessionStage::Complete => self.config.session_ttl,
            SessionStage::SecondFactor | SessionStage::Enrolment => PENDING_TTL,
        };
        Ok(Session {
            id: self.entropy.session_id()?,
            user_id: user,
            stage,
            created_at: now,
            expires_at: now + ttl,
            factor_at: None,
        })
    }

    /// The live session a cookie holds, at any stage.
    pub(crate) async fn live_session(&self, token: &str) -> Result<Option<Session>, AppError> {
        if token_kind(token) != Some(TokenKind::Session) {
            return Ok(None);
        }
        Ok(self.store.reader().await?.session(&hash_token(token), self.now()).await?)
    }

    /// How far a session cookie has come through signing in; `None` when it is not a live session.
    pub async fn sign_in_stage(&self, session: &str) -> Result<Option<SessionStage>, AppError> {
        Ok(self.live_session(session).await?.map(|s| s.stage))
    }

    /// The sign-in step after the password: a code from the authenticator app
    /// or a recovery code. On success the session acts as its user.
    pub async fn verify_second_factor(&self, session: &str, code: Private<String>) -> Result<(), AppError> {
        let Some(pending) = self.live_session(session).await? else {
            return Err(AppError::Unauthenticated);
        };
        if pending.stage != SessionStage::SecondFactor {
            return Err(AppError::Unauthenticated);
        }
        let (hash, now, user_id, pending_id) = (hash_token(session), self.now(), pending.user_id, pending.id);
        let ttl = self.config.session_ttl;
        let result = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let user = tx.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
                    if !check_code(tx, &user, code.expose(), now).await? {
                        return Err(AppError::BadSecondFactor);
                    }
                    // The waiting session becomes a full one: a new lifetime from now.
                    tx.end_session(user_id, pending.id).await?;
                    let full = Session {
                        stage: SessionStage::Complete,
                        created_at: now,
                        expires_at: now + ttl,
                        factor_at: Some(now),
                        ..pending
                    };
                    tx.insert_session(&full, &hash).await?;
                    let actor = user_actor_for_audit(user_id);
                    record(tx, now, &actor, "session.second_factor", format!("user:{user_id}"), json!({})).await
                })
            })
            .await;
        if matches!(result, Err(AppError::BadSecondFactor)) {
            self.count_factor_failure(session, user_id, pending_id).await?;
        }
        result
    }

    /// Counts a wrong answer to the second-factor step; the fifth ends the
    /// waiting session (guessing costs a password check every few tries).
    pub(crate) async fn count_factor_failure(
        &self,
        session: &str,
        user_id: UserId,
        pending_id: embargo_core::id::SessionId,
    ) -> Result<(), AppError> {
        let now = self.now();
        {
            let (hash, id) = (hash_token(session), pending_id);
            self.store
                .write(move |tx| {
                    Box::pin(async move {
                        if tx.count_factor_failure(&hash).await? >= MAX_CODE_FAILURES {
                            tx.end_session(user_id, id).await?;
                            let actor = user_actor_for_audit(user_id);
                            let details = json!({"reason": "too many wrong codes"});
                            record(tx, now, &actor, "session.ended", format!("session:{id}"), details).await?;
                        }
                        Ok::<_, AppError>(())
                    })
                })
                .await
        }
    }

    /// The user a session may enrol a factor for: a complete session, or one
    /// waiting for enrolment (never one waiting for an existing factor's code).
    pub(crate) async fn enrolling_user(&self, session: &str) -> Result<(Session, User), AppError> {
        let Some(session) = self.live_session(session).await? else {
            return Err(AppError::Unauthenticated);
        };
        match session.stage {
            SessionStage::Complete | SessionStage::Enrolment => {}
            SessionStage::SecondFactor => return Err(AppError::Unauthenticated),
        }
        let user = self.store.reader().await?.user(session.user_id).await?.ok_or(AppError::Unauthenticated)?;
        Ok((session, user))
    }

    /// Starts setting up an authenticator app: a new secret, not yet in use
    /// until [`App::confirm_totp`] sees a code made from it. Refused while a
    /// confirmed one exists (remove it first, with a code).
    pub async fn begin_totp(&self, session: &str) -> Result<TotpEnrolment, AppError> {
        let (_, user) = self.enrolling_user(session).await?;
        let secret: [u8; 20] = self.entropy.bytes()?;
        let enrolment = enrolment(&secret, &user)?;
        let factor = TotpFactor {
            user_id: user.id,
            secret: Private::new(secret.to_vec()),
            created_at: self.now(),
            confirmed_at: None,
            last_step: 0,
        };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if tx.totp_factor(factor.user_id).await?.is_some_and(|f| f.confirmed_at.is_some()) {
                        return Err(AppError::Conflict { what: "an authenticator app for this account" });
                    }
                    tx.put_totp_factor(&factor).await?;
                    Ok(())
                })
            })
            .await?;
        Ok(enrolment)
    }

    /// The authenticator-app setup begun with [`App::begin_totp`] and not yet
    /// confirmed, to show again; `None` when there is none.
    pub async fn pending_totp(&self, session: &str) -> Result<Option<TotpEnrolment>, AppError> {
        let (_, user) = self.enrolling_user(session).await?;
        let factor = self.store.reader().await?.totp_factor(user.id).await?;
        let Some(factor) = factor.filter(|f| f.confirmed_at.is_none()) else {
            return Ok(None);
        };
        enrolment(factor.secret.expose(), &user).map(Some)
    }

    /// Finishes setting up an authenticator app with a first code from it.
    /// Answers fresh recovery codes (shown once); every other session of the
    /// user ends, and this one counts as having just proven the factor.
    pub async fn confirm_totp(&self, session: &str, code: Private<String>) -> Result<RecoveryCodes, AppError> {
        let (current, user) = self.enrolling_user(session).await?;
        let codes = self.new_recovery_codes()?;
        let hashes: Vec<TokenHash> = codes.0.iter().map(|c| recovery_hash(c.expose())).collect();
        let (hash, now, ttl) = (hash_token(session), self.now(), self.config.session_ttl);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let Some(factor) = tx.totp_factor(user.id).await? else {
                        return Err(AppError::invalid("code", "a code, after starting to set up an app"));
                    };
                    if factor.confirmed_at.is_some() {
                        return Err(AppError::Conflict { what: "an authenticator app for this account" });
                    }
                    let generator = totp(factor.secret.expose(), user.email.as_str())?;
                    let step = totp_code(code.expose()).and_then(|digits| generator.check(&digits, unix_seconds(now)));
                    let Some(step) = step else {
                        return Err(AppError::BadSecondFactor);
                    };
                    tx.confirm_totp_factor(user.id, now).await?;
                    tx.use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await?;
                    tx.replace_recovery_codes(user.id, &hashes).await?;
                    let ended = tx.end_sessions(user.id, Some(current.id)).await?;
                    if current.stage == SessionStage::Enrolment {
                        tx.end_session(user.id, current.id).await?;
                        let full = Session {
                            stage: SessionStage::Complete,
                            created_at: now,
                            expires_at: now + ttl,
                            factor_at: Some(now),
                            ..current
                        };
                        tx.insert_session(&full, &hash).await?;
                    } else {
                        tx.advance_session(&hash, SessionStage::Complete, Some(now)).await?;
                    }
                    let actor = user_actor_for_audit(user.id);
                    let details = json!({"factor": "totp", "sessions_ended": ended});
                    record(tx, now, &actor, "second_factor.enrolled", format!("user:{}", user.id), details).await
                })
            })
            .await?;
        Ok(codes)
    }

    pub(crate) fn new_recovery_codes(&self) -> Result<RecoveryCodes, AppError> {
        // Crockford's base32 alphabet without look-alikes; 10 characters = 50 bits each.
        const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let bytes: [u8; 10] = self.entropy.bytes()?;
            let chars: String =
                bytes.iter().map(|b| char::from(ALPHABET.get(usize::from(b % 32)).copied().unwrap_or(b'0'))).collect();
            let (head, tail) = chars.split_at(5);
            codes.push(Private::new(format!("{head}-{tail}")));
        }
        Ok(RecoveryCodes(codes))
    }

    /// The signed-in user's second factors.
    pub async fn factor_status(&self, actor: &Actor) -> Result<FactorStatus, AppError> {
        let user_id = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let mut reader = self.store.reader().await?;
        let user = reader.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
        let totp = reader.totp_factor(user_id).await?.is_some_and(|f| f.confirmed_at.is_some());
        let recovery_codes_left = reader.recovery_codes_left(user_id).await?;
        let required = factor_required(reader.as_mut(), &user).await?;
        let security_keys = reader.webauthn_keys(user_id).await?.len();
        Ok(FactorStatus { totp, recovery_codes_left, required, security_keys })
    }

    /// Removes the signed-in user's authenticator app and recovery codes, with
    /// a code from it (or a recovery code). Refused when the instance requires
    /// a factor of this user. Every other session of the user ends.
    pub async fn remove_totp(
        &self,
        actor: &Actor,
        session: Option<&str>,
        code: Private<String>,
    ) -> Result<(), AppError> {
        let user_id = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let keep = match session {
            Some(token) => self.live_session(token).await?.filter(|s| s.user_id == user_id).map(|s| s.id),
            None => None,
        };
        let now = self.now();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let user = tx.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
                    // Refused when it is the last factor of a user who must have one.
                    if tx.webauthn_keys(user_id).await?.is_empty() && factor_required(&mut *tx, &user).await? {
                        return Err(AppError::SecondFactorRequired);
                    }
                    if !check_code(tx, &user, code.expose(), now).await? {
                        return Err(AppError::BadSecondFactor);
                    }
                    tx.delete_totp_factor(user_id).await?;
                    let ended = tx.end_sessions(user_id, keep).await?;
                    let actor = user_actor_for_audit(user_id);
                    let details = json!({"factor": "totp", "sessions_ended": ended});
                    record(tx, now, &actor, "second_factor.removed", format!("user:{user_id}"), details).await
                })
            })
            .await
    }

    /// Replaces the signed-in user's recovery codes, with a code from their app.
    pub async fn regenerate_recovery_codes(
        &self,
        actor: &Actor,
        code: Private<String>,
    ) -> Result<RecoveryCodes, AppError> {
        let user_id = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let codes = self.new_recovery_codes()?;
        let hashes: Vec<TokenHash> = codes.0.iter().map(|c| recovery_hash(c.expose())).collect();
        let now = self.now();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let user = tx.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
                    if !check_code(tx, &user, code.expose(), now).await? {
                        return Err(AppError::BadSecondFactor);
                    }
                    tx.replace_recovery_codes(user_id, &hashes).await?;
                    let actor = user_actor_for_audit(user_id);
                    record(
                        tx,
                        now,
                        &actor,
                        "second_factor.recovery_codes_replaced",
                        format!("user:{user_id}"),
                        json!({}),
                    )
                    .await
                })
            })
            .await?;
        Ok(codes)
    }

    /// Checks that the caller proved a second factor recently, when they have
    /// one or must have one: a session that passed the step within
    /// [`RECENT_FACTOR`], or a valid code sent along (which is then used up).
    pub(crate) async fn require_recent_factor(&self, user_id: UserId, proof: &FactorProof) -> Result<(), AppError> {
        let now = self.now();
        let mut reader = self.store.reader().await?;
        let user = reader.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
        let enrolled = has_factor(reader.as_mut(), user_id).await?;
        if !enrolled {
            return if factor_required(reader.as_mut(), &user).await? {
                Err(AppError::SecondFactorRequired)
            } else {
                Ok(())
            };
        }
        drop(reader);
        if let Some(token) = &proof.session
            && let Some(session) = self.live_session(token.expose()).await?
            && session.user_id == user_id
            && session.factor_at.is_some_and(|at| now - at <= RECENT_FACTOR)
        {
            return Ok(());
        }
        let Some(code) = proof.code.clone() else {
            return Err(AppError::SecondFactorRequired);
        };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if check_code(tx, &user, code.expose(), now).await? {
                        Ok(())
                    } else {
                        Err(AppError::BadSecondFactor)
                    }
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_told_apart() {
        assert_eq!(totp_code("123 456").as_deref(), Some("123456"));
        assert_eq!(totp_code("12345"), None);
        assert_eq!(totp_code("abcde-fghjk"), None);
        assert_eq!(recovery_hash("ABCDE-FGHJK"), recovery_hash("abcde fghjk"));
        assert_ne!(recovery_hash("abcde-fghjk"), recovery_hash("abcde-fghjm"));
    }

    #[test]
    fn totp_matches_rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B: the SHA-1 secret "12345678901234567890"; 6-digit codes
        // are the last six digits of the 8-digit vectors.
        let generator = totp(b"12345678901234567890", "alice@example.org").unwrap();
        for (time, code) in [(59_u64, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924")] {
            assert_eq!(generator.generate(time).to_string(), code, "at {time}");
        }
    }
}
