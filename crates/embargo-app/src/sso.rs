//! Single sign-on with OpenID Connect (issue 12, item 2): the instance's one
//! identity provider, configured by the operator.
//!
//! The protocol (discovery, the authorization code flow with PKCE, the ID
//! token's checks) is done by an [`IdentityProvider`] (`embargo-outbound`,
//! on the `openidconnect` crate); this module keeps what Embargo decides:
//!
//! - **State, nonce and PKCE verifier stay server-side**, in the database (so
//!   any replica finishes a sign-in another started), found by the hash of a
//!   short-lived cookie that binds them to the browser that started it. A
//!   callback whose `state` differs is refused and changes nothing; a
//!   callback is taken once.
//! - **Which account**: the provider's `(iss, sub)` once linked. Otherwise
//!   an account with the same address is linked only when the provider says
//!   the address is verified (`email_verified` true); an unverified or
//!   missing address is refused with a message. A new account (without a
//!   password) is made on first sign-in when `create_accounts` allows it.
//! - **Second factor**: a sign-in through the provider is a first factor
//!   only. Embargo's own step follows, exactly as after a password (a TOTP
//!   code where one is enrolled, enrolment where the instance or the
//!   organisation's policy requires one). The provider's `amr`/`acr` claims
//!   are not taken as a second factor: they are the provider's word about
//!   its own sign-in, not something Embargo can check.
//! - **Groups**: where a group claim and a mapping are configured, the
//!   provider's groups make the person a member of the mapped teams at each
//!   sign-in; memberships the mapping granted are taken back when the group
//!   goes. Memberships given by hand are never touched, and no group can make
//!   anyone an administrator.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use embargo_core::Timestamp;
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_core::text::{Email, MAX_SHORT_CHARS, one_line};
use embargo_core::throttle::{self, ThrottleScope};
use embargo_core::user::{Membership, TeamScope, User};
use embargo_store::StoreExt;
use embargo_store::oidc::PendingSignIn;
use serde_json::json;

use crate::accounts::SignedIn;
use crate::audit::record;
use crate::entropy::{EntropyExt as _, NewIds as _};
use crate::organisations::TeamRef;
use crate::secret::hash_token;
use crate::{App, AppError};

/// How long a sign-in sent to the provider may take to come back.
pub const SSO_PENDING_TTL: time::Duration = time::Duration::minutes(10);

/// What the authorization request carries (all made by Embargo, kept in the database).
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The `state` parameter.
    pub state: String,
    /// The `nonce` parameter, echoed in the ID token.
    pub nonce: String,
    /// The PKCE code verifier; its S256 challenge goes in the request.
    pub pkce_verifier: Private<String>,
}

/// An authorization code to redeem, and what the ID token must match.
#[derive(Debug, Clone)]
pub struct Redemption {
    /// The code the provider sent back.
    pub code: Private<String>,
    /// The nonce of the request.
    pub nonce: String,
    /// The PKCE code verifier of the request.
    pub pkce_verifier: Private<String>,
    /// The current time, for the ID token's expiry.
    pub now: Timestamp,
}

/// The person, as the provider's checked ID token names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// The `iss` claim.
    pub issuer: String,
    /// The `sub` claim.
    pub subject: String,
    /// The `email` claim.
    pub email: Option<String>,
    /// The `email_verified` claim (false when absent).
    pub email_verified: bool,
    /// The `name` claim.
    pub name: Option<String>,
    /// The configured group claim's values (none when not configured or absent).
    pub groups: Vec<String>,
}

/// Why the provider could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Discovery, the token endpoint or the key set did not answer as they should.
    #[error("the identity provider did not answer: {0}")]
    Unreachable(String),
    /// The provider refused the code, or its ID token failed a check
    /// (signature, issuer, audience, expiry, nonce).
    #[error("the identity provider's answer was refused: {0}")]
    Rejected(String),
}

/// The protocol side of single sign-on (OpenID Connect).
#[async_trait::async_trait]
pub trait IdentityProvider: Send + Sync + std::fmt::Debug {
    /// The provider's authorization URL for `request` (after discovery).
    async fn authorization_url(&self, request: &AuthorizationRequest) -> Result<String, ProviderError>;
    /// Redeems a code at the token endpoint and checks the ID token.
    async fn redeem(&self, redemption: Redemption) -> Result<VerifiedIdentity, ProviderError>;
}

/// How the instance uses its provider.
#[derive(Debug, Clone)]
pub struct SsoSettings {
    /// The provider's name on the sign-in page ("Sign in with {name}").
    pub display_name: String,
    /// Whether a first sign-in without an account makes one.
    pub create_accounts: bool,
    /// Provider groups and the team each makes its members part of.
    pub groups: Vec<(String, TeamRef)>,
}

/// Single sign-on, wired: the provider and the settings.
#[derive(Debug, Clone)]
pub(crate) struct Sso {
    pub(crate) provider: Arc<dyn IdentityProvider>,
    pub(crate) settings: SsoSettings,
}

/// Why a single sign-on was refused; the message is shown to the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoRefusal {
    /// Single sign-on is not configured here.
    #[error("single sign-on is not set up on this instance")]
    NotConfigured,
    /// No sign-in under way for this browser (expired, used, or never started).
    #[error("this sign-in has expired or was already used; start again from the sign-in page")]
    Expired,
    /// The `state` sent back is not the one sent.
    #[error("this sign-in did not come back as it was sent; start again from the sign-in page")]
    StateMismatch,
    /// The provider answered with an error (the person declined, for example).
    #[error("the identity provider did not sign you in ({0})")]
    Provider(String),
    /// The provider could not be reached, or its answer failed a check.
    #[error("{0}")]
    Failed(ProviderError),
    /// The provider gave no e-mail address.
    #[error("the identity provider gave no e-mail address; ask its administrator to release the email scope")]
    NoEmail,
    /// The provider did not confirm the address, so no account is linked to it.
    #[error(
        "the identity provider has not verified your e-mail address, so it cannot be linked to an account here; \
         verify it with the provider, or sign in with your password"
    )]
    UnverifiedEmail,
    /// No account has the address, and single sign-on makes none.
    #[error("no account here uses this e-mail address; ask an administrator to create one")]
    NoAccount,
}

/// A sign-in sent to the provider: where the browser goes, and the cookie that binds it.
#[derive(Debug)]
pub struct SsoStart {
    /// The provider's authorization URL.
    pub url: String,
    /// The binding cookie's value.
    pub binding: Private<String>,
}

/// What the provider sent back to the callback.
#[derive(Debug, Clone, Default)]
pub struct SsoCallback {
    /// `state`
    pub state: Option<String>,
    /// `code`
    pub code: Option<String>,
    /// `error`, when the provider signed no one in.
    pub error: Option<String>,
}

/// A single sign-on that went through.
#[derive(Debug)]
pub struct SsoSignedIn {
    /// The sign-in (the session may still wait for a second factor).
    pub signed: SignedIn,
    /// Where the person wanted to go.
    pub next_path: Option<String>,
}

fn refused(reason: SsoRefusal) -> AppError {
    AppError::SsoRefused(reason)
}

/// A random value for a protocol parameter (256 bits, URL-safe).
fn random_text(app: &App) -> Result<String, AppError> {
    Ok(URL_SAFE_NO_PAD.encode(app.entropy.bytes::<32>()?))
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    hash_token(a).0 == hash_token(b).0
}

impl App {
    /// The same application with single sign-on through `provider`.
    pub fn with_sso(mut self, provider: Arc<dyn IdentityProvider>, settings: SsoSettings) -> Self {
        self.sso = Some(Arc::new(Sso { provider, settings }));
        self
    }

    /// The provider's display name, when single sign-on is set up.
    pub fn sso_name(&self) -> Option<&str> {
        self.sso.as_ref().map(|s| s.settings.display_name.as_str())
    }

    fn sso(&self) -> Result<&Sso, AppError> {
        self.sso.as_deref().ok_or(refused(SsoRefusal::NotConfigured))
    }

    /// Starts a sign-in at the provider: state, nonce and PKCE verifier are
    /// made and kept in the database under the hash of a new binding cookie.
    /// Starts are counted per client address ([`throttle::SSO_STARTS`]), so a
    /// flood of starts gets [`AppError::Throttled`] instead of filling the
    /// table of pending sign-ins.
    pub async fn begin_sso(&self, next_path: Option<String>, client: Option<IpAddr>) -> Result<SsoStart, AppError> {
        let sso = self.sso()?;
        let key = client.map(|address| format!("sso:{}", throttle::address_key(address)));
        if let Some(key) = &key {
            let mut reader = self.store.reader().await?;
            if let Some(state) = reader.throttle_state(key).await?
                && let Some(retry_after) = throttle::retry_after(state.locked_until, self.now())
            {
                return Err(AppError::Throttled { scope: ThrottleScope::ClientAddress, retry_after });
            }
        }
        let request = AuthorizationRequest {
            state: random_text(self)?,
            nonce: random_text(self)?,
            pkce_verifier: Private::new(random_text(self)?),
        };
        let url = sso.provider.authorization_url(&request).await.map_err(|e| refused(SsoRefusal::Failed(e)))?;
        let binding = random_text(self)?;
        let now = self.now();
        let pending = PendingSignIn {
            state: request.state,
            nonce: request.nonce,
            verifier: request.pkce_verifier,
            next_path,
            created_at: now,
            expires_at: now + SSO_PENDING_TTL,
        };
        let hash = hash_token(&binding);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.insert_oidc_pending(&hash, &pending).await?;
                    if let Some(key) = key {
                        let starts = tx.count_failure(&key, now, now - throttle::SSO_STARTS.window).await?;
                        if let Some(lock) = throttle::SSO_STARTS.lock_after(starts) {
                            tx.lock_key(&key, now + lock).await?;
                        }
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(SsoStart { url, binding: Private::new(binding) })
    }

    /// Finishes a sign-in that came back from the provider: checks the
    /// binding cookie and `state`, takes the pending sign-in (once), redeems
    /// the code, finds, links or makes the account, applies the group
    /// mapping, and starts a session (which may still wait for a second factor).
    pub async fn finish_sso(&self, binding: Option<&str>, callback: SsoCallback) -> Result<SsoSignedIn, AppError> {
        let sso = self.sso()?;
        let binding = hash_token(binding.ok_or(refused(SsoRefusal::Expired))?);
        let now = self.now();
        let pending =
            self.store.reader().await?.oidc_pending(&binding, now).await?.ok_or(refused(SsoRefusal::Expired))?;
        let state = callback.state.unwrap_or_default();
        if !same_secret(&state, &pending.state) {
            tracing::warn!("single sign-on refused: the state does not match");
            return Err(refused(SsoRefusal::StateMismatch));
        }
        let taken = self.store.write(move |tx| Box::pin(async move { tx.take_oidc_pending(&binding).await })).await?;
        if !taken {
            return Err(refused(SsoRefusal::Expired));
        }
        if let Some(error) = callback.error {
            let error: String = error.chars().filter(|c| c.is_ascii_graphic()).take(60).collect();
            return Err(refused(SsoRefusal::Provider(error)));
        }
        let code = callback.code.filter(|c| !c.is_empty()).ok_or(refused(SsoRefusal::Provider("no code".into())))?;
        let redemption =
            Redemption { code: Private::new(code), nonce: pending.nonce, pkce_verifier: pending.verifier, now };
        let identity = sso.provider.redeem(redemption).await.map_err(|e| {
            tracing::warn!(error = %e, "single sign-on refused");
            refused(SsoRefusal::Failed(e))
        })?;
        let user = self.sso_account(sso, &identity).await?;
        let (user, session) = self.start_session(user, false).await?;
        Ok(SsoSignedIn { signed: SignedIn { user, session, after_lock: false }, next_path: pending.next_path })
    }

    /// The account for a checked identity: linked, linked by verified
    /// address, or made; then the group mapping applied. One transaction.
    async fn sso_account(&self, sso: &Sso, identity: &VerifiedIdentity) -> Result<User, AppError> {
        let email = match (&identity.email, identity.email_verified) {
            (None, _) => None,
            (Some(text), verified) => {
                Some((text.parse::<Email>().map_err(|_| refused(SsoRefusal::NoEmail))?, verified))
            }
        };
        let name =
            identity.name.as_deref().and_then(|n| one_line("name", n, MAX_SHORT_CHARS).ok()).filter(|n| !n.is_empty());
        let teams = self.mapped_teams(sso, &identity.groups).await?;
        let mapping_configured = !sso.settings.groups.is_empty();
        let new_id = self.entropy.user_id()?;
        let (now, identity, create) = (self.now(), identity.clone(), sso.settings.create_accounts);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let (issuer, subject) = (identity.issuer.as_str(), identity.subject.as_str());
                    let linked = match tx.oidc_identity(issuer, subject).await? {
                        Some(id) => tx.user(id).await?,
                        None => None,
                    };
                    let user = match linked {
                        Some(user) => {
                            tx.touch_oidc_identity(issuer, subject, now).await?;
                            user
                        }
                        None => {
                            let (email, verified) = email.ok_or(refused(SsoRefusal::NoEmail))?;
                            if !verified {
                                return Err(refused(SsoRefusal::UnverifiedEmail));
                            }
                            let user = match tx.user_by_email(&email).await? {
                                Some(user) => user,
                                None if create => {
                                    let fallback = email.as_str().split('@').next().unwrap_or_default().to_owned();
                                    let user = User {
                                        id: new_id,
                                        name: name.unwrap_or(fallback),
                                        email,
                                        is_admin: false,
                                        created_at: now,
                                        banned_at: None,
                                    };
                                    tx.insert_user(&user, None).await?;
                                    let details = json!({"admin": false, "via": "oidc"});
                                    let subject = format!("user:{}", user.id);
                                    record(tx, now, &Actor::Anonymous, "user.created", subject, details).await?;
                                    user
                                }
                                None => return Err(refused(SsoRefusal::NoAccount)),
                            };
                            tx.insert_oidc_identity(issuer, subject, user.id, now).await?;
                            let details = json!({"issuer": issuer});
                            let actor = Actor::Anonymous;
                            record(tx, now, &actor, "oidc.linked", format!("user:{}", user.id), details).await?;
                            user
                        }
                    };
                    if mapping_configured {
                        sync_teams(tx, &user, &teams, now).await?;
                    }
                    Ok(user)
                })
            })
            .await
    }

    /// The teams the mapping gives to `groups` (teams that do not exist are logged and skipped).
    async fn mapped_teams(&self, sso: &Sso, groups: &[String]) -> Result<Vec<TeamScope>, AppError> {
        let mut teams = Vec::new();
        for (group, team) in &sso.settings.groups {
            if !groups.contains(group) {
                continue;
            }
            let scope = match team {
                TeamRef::Organisation(org) => self.organisation(org).await.map(|o| TeamScope::Organisation(o.id)),
                TeamRef::Project(org, project) => {
                    self.project(org, project).await.map(|(_, p)| TeamScope::Project(p.id))
                }
            };
            match scope {
                Ok(scope) if !teams.contains(&scope) => teams.push(scope),
                Ok(_) => {}
                Err(AppError::NotFound) => tracing::warn!(group, "oidc group mapping names a team that does not exist"),
                Err(e) => return Err(e),
            }
        }
        Ok(teams)
    }
}

/// Makes the user a member of `teams`, and takes back memberships the
/// mapping granted earlier that `teams` no longer holds.
async fn sync_teams(
    tx: &mut dyn embargo_store::Writer,
    user: &User,
    teams: &[TeamScope],
    now: Timestamp,
) -> Result<(), AppError> {
    let granted = tx.oidc_memberships(user.id).await?;
    for scope in granted.iter().filter(|s| !teams.contains(s)) {
        tx.delete_oidc_membership(user.id, *scope).await?;
        if tx.remove_member(user.id, *scope).await? {
            let details = json!({"team": crate::organisations::team_subject(*scope), "via": "oidc"});
            record(tx, now, &Actor::Anonymous, "member.removed", format!("user:{}", user.id), details).await?;
        }
    }
    for scope in teams {
        let membership = Membership { user_id: user.id, scope: *scope, created_at: now };
        if tx.add_member(&membership).await? {
            tx.insert_oidc_membership(user.id, *scope, now).await?;
            let details = json!({"team": crate::organisations::team_subject(*scope), "via": "oidc"});
            record(tx, now, &Actor::Anonymous, "member.added", format!("user:{}", user.id), details).await?;
        }
    }
    Ok(())
}
