//! Accounts: the first admin, sign-up, sign-in, API tokens, instance settings.

use std::net::IpAddr;

use embargo_core::id::{TokenId, UserId};
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::private::Private;
use embargo_core::text::{Email, MAX_SHORT_CHARS, one_line};
use embargo_core::user::{Membership, TokenScope, TokenScopes, User};
use embargo_store::StoreExt;
use embargo_store::sessions::{Session, SessionStage};
use embargo_store::settings::Setting;
use embargo_store::users::ApiToken;
use serde_json::json;

use crate::audit::record;
use crate::entropy::NewIds;
use crate::factors::FactorProof;
use crate::secret::{Token, TokenKind, check_password, hash_password, hash_token, token_kind, verify_password};
use crate::throttle::SignInKeys;
use crate::{App, AppError, require};

/// A successful sign-in.
#[derive(Debug)]
pub struct SignedIn {
    /// Who signed in.
    pub user: User,
    /// Their new session.
    pub session: Token,
    /// The account had been locked by throttling before this sign-in. The
    /// hook for second factors (issue 12, item 3): where one is enrolled, such
    /// a sign-in must pass it before the session is used.
    pub after_lock: bool,
}

/// What it takes to make an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The sign-in address.
    pub email: String,
    /// The display name.
    pub name: String,
    /// The password, at least 10 characters.
    pub password: Private<String>,
}

/// What became of an account asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// An administrator made it.
    Created(User),
    /// A sign-up: a mail goes to the address (whether or not it has an account).
    ConfirmByMail,
}

/// Instance-wide settings an administrator may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    /// Whether reporters may create accounts themselves (off on a new instance).
    pub signup_open: bool,
    /// The organisation whose channels `/.well-known/security.txt` lists,
    /// when the instance has several (its only one otherwise).
    pub security_txt_org: Option<String>,
    /// Whether security-team members and administrators must use a second
    /// factor; those without one enrol at their next sign-in.
    pub second_factor_required: bool,
    /// Whether the audit log's signed checkpoint is mailed to the
    /// administrators every day, so that copies live outside the server.
    pub checkpoint_mail: bool,
}

/// The signed-in user and their teams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    /// The user.
    pub user: User,
    /// Their security-team memberships.
    pub memberships: Vec<Membership>,
    /// The token's scopes; `None` for a browser session.
    pub scopes: Option<TokenScopes>,
}

/// A checked new account, with its password already hashed.
pub(crate) struct CheckedAccount {
    pub(crate) email: Email,
    pub(crate) name: String,
    pub(crate) password_hash: String,
}

pub(crate) async fn check_account(account: NewAccount) -> Result<CheckedAccount, AppError> {
    let email: Email = account.email.parse()?;
    let name = one_line("name", &account.name, MAX_SHORT_CHARS)?;
    check_password(account.password.expose(), &[email.as_str(), name.as_str()])?;
    let password_hash = hash_password(account.password).await?;
    Ok(CheckedAccount { email, name, password_hash })
}

impl App {
    fn user_from(&self, account: &CheckedAccount, is_admin: bool) -> Result<User, AppError> {
        Ok(User {
            id: self.entropy.user_id()?,
            email: account.email.clone(),
            name: account.name.clone(),
            is_admin,
            created_at: self.now(),
            banned_at: None,
        })
    }

    /// Whether the instance still waits for its first administrator.
    pub async fn setup_pending(&self) -> Result<bool, AppError> {
        let mut reader = self.store.reader().await?;
        Ok(!reader.users().await?.iter().any(|u| u.is_admin))
    }

    /// While no administrator exists, makes a new one-time setup token
    /// (replacing any earlier one) and returns it; afterwards `None`.
    pub async fn issue_setup_token(&self) -> Result<Option<Token>, AppError> {
        if !self.setup_pending().await? {
            return Ok(None);
        }
        let token = Token::generate(TokenKind::Setup, self.entropy.as_ref())?;
        let hash = hex(&token.hash().0);
        let now = self.now();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.set_setting(Setting::SetupTokenHash, Some(hash)).await?;
                    record(tx, now, &Actor::Operator, "setup.token_issued", "instance:setup".into(), json!({})).await
                })
            })
            .await?;
        Ok(Some(token))
    }

    /// Creates the first administrator with the one-time setup token, and signs them in.
    pub async fn complete_setup(&self, token: &str, account: NewAccount) -> Result<(User, Token), AppError> {
        if token_kind(token) != Some(TokenKind::Setup) {
            return Err(AppError::NotFound);
        }
        let presented = hex(&hash_token(token).0);
        let account = check_account(account).await?;
        let user = self.user_from(&account, true)?;
        let session = Token::generate(TokenKind::Session, self.entropy.as_ref())?;
        let (now, ttl) = (self.now(), self.config.session_ttl);
        let (stored, session_hash) = (user.clone(), session.hash());
        let session_id = self.entropy.session_id()?;
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let expected = tx.setting(Setting::SetupTokenHash).await?;
                    let admin_exists = tx.users().await?.iter().any(|u| u.is_admin);
                    if admin_exists || expected.as_deref() != Some(presented.as_str()) {
                        return Err(AppError::NotFound);
                    }
                    if tx.user_by_email(&stored.email).await?.is_some() {
                        return Err(AppError::Conflict { what: "an account with this email address" });
                    }
                    tx.insert_user(&stored, Some(account.password_hash)).await?;
                    tx.set_setting(Setting::SetupTokenHash, None).await?;
                    let record_of = Session {
                        id: session_id,
                        user_id: stored.id,
                        stage: SessionStage::Complete,
                        created_at: now,
                        expires_at: now + ttl,
                        factor_at: None,
                    };
                    tx.insert_session(&record_of, &session_hash).await?;
                    let actor = Actor::Anonymous;
                    record(tx, now, &actor, "setup.completed", format!("user:{}", stored.id), json!({"admin": true}))
                        .await
                })
            })
            .await?;
        Ok((user, session))
    }

    /// The instance settings.
    pub async fn settings(&self) -> Result<InstanceSettings, AppError> {
        let mut reader = self.store.reader().await?;
        // Off unless an administrator turned it on: reporters can always report without an account.
        let signup_open = reader.setting(Setting::SignupOpen).await?.is_some_and(|v| v == "true");
        let security_txt_org = reader.setting(Setting::SecurityTxtOrg).await?;
        let second_factor_required = reader.setting(Setting::SecondFactorRequired).await?.is_some_and(|v| v == "true");
        let checkpoint_mail = reader.setting(Setting::CheckpointMailDue).await?.is_some();
        Ok(InstanceSettings { signup_open, security_txt_org, second_factor_required, checkpoint_mail })
    }

    /// Changes the instance settings (administrators).
    pub async fn update_settings(
        &self,
        actor: &Actor,
        settings: InstanceSettings,
    ) -> Result<InstanceSettings, AppError> {
        require(actor, Action::ManageInstance)?;
        if let Some(org) = &settings.security_txt_org {
            let refused = || AppError::invalid("security_txt_org", "the slug of an organisation");
            let slug: embargo_core::text::Slug = org.parse().map_err(|_| refused())?;
            self.organisation(&slug).await.map_err(|_| refused())?;
        }
        let (now, actor, stored) = (self.now(), actor.clone(), settings.clone());
        let entropy = std::sync::Arc::clone(&self.entropy);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    crate::timers::set_checkpoint_mail(tx, entropy.as_ref(), now, stored.checkpoint_mail).await?;
                    tx.set_setting(Setting::SignupOpen, Some(stored.signup_open.to_string())).await?;
                    tx.set_setting(Setting::SecurityTxtOrg, stored.security_txt_org.clone()).await?;
                    let required = stored.second_factor_required.to_string();
                    tx.set_setting(Setting::SecondFactorRequired, Some(required)).await?;
                    let details = json!({
                        "signup_open": stored.signup_open,
                        "security_txt_org": stored.security_txt_org,
                        "second_factor_required": stored.second_factor_required,
                        "checkpoint_mail": stored.checkpoint_mail,
                    });
                    record(tx, now, &actor, "settings.updated", "instance:settings".into(), details).await
                })
            })
            .await?;
        Ok(settings)
    }

    /// An account asked for over the API: an administrator makes one (an
    /// administrator's too), anyone else signs up for an ordinary one.
    /// The account is made at once for an administrator ([`Registered::Created`]);
    /// a sign-up waits for its address to be confirmed by mail ([`Registered::ConfirmByMail`]).
    pub async fn register(&self, actor: &Actor, account: NewAccount, is_admin: bool) -> Result<Registered, AppError> {
        match decide(actor, Action::ManageInstance) {
            Decision::Allow => Ok(Registered::Created(self.create_user(actor, account, is_admin).await?)),
            Decision::Forbidden | Decision::Hidden if is_admin => Err(AppError::Forbidden),
            Decision::Forbidden | Decision::Hidden => {
                self.sign_up(account).await?;
                Ok(Registered::ConfirmByMail)
            }
        }
    }

    /// An administrator (or the operator) makes an account.
    pub async fn create_user(&self, actor: &Actor, account: NewAccount, is_admin: bool) -> Result<User, AppError> {
        require(actor, Action::ManageInstance)?;
        let account = check_account(account).await?;
        self.insert_user(actor, account, is_admin, "user.created").await
    }

    async fn insert_user(
        &self,
        actor: &Actor,
        account: CheckedAccount,
        is_admin: bool,
        action: &'static str,
    ) -> Result<User, AppError> {
        let user = self.user_from(&account, is_admin)?;
        let (stored, now, actor) = (user.clone(), self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if tx.user_by_email(&stored.email).await?.is_some() {
                        return Err(AppError::Conflict { what: "an account with this email address" });
                    }
                    tx.insert_user(&stored, Some(account.password_hash)).await?;
                    record(tx, now, &actor, action, format!("user:{}", stored.id), json!({"admin": is_admin})).await
                })
            })
            .await?;
        Ok(user)
    }

    /// Every account (administrators).
    pub async fn users(&self, actor: &Actor) -> Result<Vec<User>, AppError> {
        require(actor, Action::ManageInstance)?;
        Ok(self.store.reader().await?.users().await?)
    }

    /// A user by address (administrators and the operator).
    pub async fn user_by_email(&self, actor: &Actor, email: &str) -> Result<User, AppError> {
        require(actor, Action::ManageInstance)?;
        let email: Email = email.parse()?;
        self.store.reader().await?.user_by_email(&email).await?.ok_or(AppError::NotFound)
    }

    /// Bans a user for repeatedly ignoring the policy (administrators), or lifts the ban.
    /// A banned user may read their reports but neither submit nor reply.
    pub async fn set_banned(&self, actor: &Actor, user: UserId, banned: bool) -> Result<User, AppError> {
        require(actor, Action::ManageInstance)?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let existing = tx.user(user).await?.ok_or(AppError::NotFound)?;
                    let banned_at = if banned { Some(existing.banned_at.unwrap_or(now)) } else { None };
                    tx.set_banned(user, banned_at).await?;
                    let action = if banned { "user.banned" } else { "user.unbanned" };
                    record(tx, now, &actor, action, format!("user:{user}"), json!({})).await?;
                    Ok(User { banned_at, ..existing })
                })
            })
            .await
    }

    /// Signs in with address and password; answers a new session token.
    pub async fn sign_in(&self, email: &str, password: Private<String>) -> Result<(User, Token), AppError> {
        let signed = self.sign_in_from(email, password, None).await?;
        Ok((signed.user, signed.session))
    }

    /// Signs in from a client address (counted for throttling, with the
    /// account): while either is locked the attempt is refused with
    /// [`AppError::Throttled`] before any password is checked.
    pub async fn sign_in_from(
        &self,
        email: &str,
        password: Private<String>,
        client: Option<IpAddr>,
    ) -> Result<SignedIn, AppError> {
        let keys = SignInKeys::new(email, client);
        let gate = self.sign_in_gate(&keys).await?;
        let user = match self.check_credentials(email, password).await? {
            Some(user) => user,
            None => {
                self.sign_in_failed(&keys).await?;
                return Err(AppError::BadCredentials);
            }
        };
        self.sign_in_succeeded(&keys).await?;
        let (user, session) = self.start_session(user, gate.after_lock).await?;
        Ok(SignedIn { user, session, after_lock: gate.after_lock })
    }

    /// The account whose password this is, if any (constant work for unknown addresses).
    async fn check_credentials(&self, email: &str, password: Private<String>) -> Result<Option<User>, AppError> {
        let Ok(email) = email.parse::<Email>() else {
            verify_password(password, None).await?;
            return Ok(None);
        };
        let credentials = self.store.reader().await?.credentials(&email).await?;
        let (user, hash) = match credentials {
            Some(c) => (Some(c.user), c.password_hash),
            None => (None, None),
        };
        let valid = verify_password(password, hash).await?;
        Ok(user.filter(|_| valid))
    }

    pub(crate) async fn start_session(&self, user: User, after_lock: bool) -> Result<(User, Token), AppError> {
        // The step after the password: a second factor, or its enrolment, may still be due. Where one
        // is enrolled it is always asked for, so a sign-in after a lock needs it too.
        let stage = self.stage_after_password(self.store.reader().await?.as_mut(), &user).await?;
        let record_of = self.new_session(user.id, stage)?;
        let session = Token::generate(TokenKind::Session, self.entropy.as_ref())?;
        let (now, hash, id) = (self.now(), session.hash(), user.id);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.insert_session(&record_of, &hash).await?;
                    let actor = Actor::Anonymous;
                    let details = json!({"stage": stage.as_str(), "after_lock": after_lock});
                    record(tx, now, &actor, "session.created", format!("user:{id}"), details).await
                })
            })
            .await?;
        Ok((user, session))
    }

    /// Ends a browser session.
    pub async fn sign_out(&self, session: &str) -> Result<(), AppError> {
        let (hash, now) = (hash_token(session), self.now());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if tx.delete_session(&hash).await? {
                        record(tx, now, &Actor::Anonymous, "session.ended", "session".into(), json!({})).await?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await
    }

    /// The signed-in user and their teams.
    pub async fn me(&self, actor: &Actor) -> Result<Me, AppError> {
        let user_actor = actor.user().ok_or(AppError::Unauthenticated)?;
        let mut reader = self.store.reader().await?;
        let user = reader.user(user_actor.id).await?.ok_or(AppError::Unauthenticated)?;
        let memberships = reader.memberships(user.id).await?;
        Ok(Me { user, memberships, scopes: user_actor.scopes.clone() })
    }

    /// Makes an API token for the signed-in user. A token can only make
    /// tokens with scopes it has itself. A user with a second factor (or who
    /// must have one) proves it recently: see [`FactorProof`].
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        name: &str,
        scopes: &[String],
        expires_in_days: Option<u32>,
        proof: &FactorProof,
    ) -> Result<(ApiToken, Token), AppError> {
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        let name = one_line("name", name, 100)?;
        let scopes: TokenScopes = scopes
            .iter()
            .map(|s| s.parse::<TokenScope>())
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::invalid("scopes", "a list of read, report, triage, publish, admin"))?;
        if scopes.is_empty() {
            return Err(AppError::invalid("scopes", "at least one of read, report, triage, publish, admin"));
        }
        if let Some(own) = &user.scopes
            && scopes.iter().any(|s| !own.contains(s))
        {
            return Err(AppError::Forbidden);
        }
        let days = expires_in_days.unwrap_or(90);
        if !(1..=3650).contains(&days) {
            return Err(AppError::invalid("expires_in_days", "a number of days from 1 to 3650"));
        }
        self.require_recent_factor(user.id, proof).await?;
        let now = self.now();
        let token = Token::generate(TokenKind::Api, self.entropy.as_ref())?;
        let api = ApiToken {
            id: self.entropy.token_id()?,
            user_id: user.id,
            name,
            scopes,
            created_at: now,
            expires_at: Some(now + time::Duration::days(i64::from(days))),
            revoked_at: None,
        };
        let (stored, hash, actor) = (api.clone(), token.hash(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.insert_api_token(&stored, &hash).await?;
                    let details = json!({"scopes": stored.scopes.to_string()});
                    record(tx, now, &actor, "token.created", format!("token:{}", stored.id), details).await
                })
            })
            .await?;
        Ok((api, token))
    }

    /// The signed-in user's API tokens.
    pub async fn api_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, AppError> {
        let user = actor.user().ok_or(AppError::Unauthenticated)?;
        Ok(self.store.reader().await?.api_tokens(user.id).await?)
    }

    /// Revokes one of the signed-in user's API tokens.
    pub async fn revoke_api_token(&self, actor: &Actor, id: TokenId) -> Result<(), AppError> {
        let user = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if !tx.revoke_api_token(id, user, now).await? {
                        return Err(AppError::NotFound);
                    }
                    record(tx, now, &actor, "token.revoked", format!("token:{id}"), json!({})).await
                })
            })
            .await
    }
}

/// Lower-case hex, for storing token hashes in settings.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
