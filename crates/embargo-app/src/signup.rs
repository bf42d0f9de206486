//! Sign-up confirmed by mail, without telling anyone whether an address has
//! an account (issue 12). A request is answered the same way whatever the
//! address (the password is hashed and a row written either way); the mail to
//! the address either carries the confirmation link or says that the address
//! already has an account. Confirming makes the account and signs in.

use std::sync::Arc;

use embargo_core::id::SignupId;
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_core::text::Email;
use embargo_core::user::User;
use embargo_store::StoreExt;
use embargo_store::signups::SignupRequest;
use serde_json::json;

use crate::accounts::{NewAccount, check_account};
use crate::audit::record;
use crate::entropy::NewIds;
use crate::events::{Event, emit};
use crate::secret::{Token, TokenKind, hash_token, token_kind};
use crate::{App, AppError};

/// How long a confirmation link works.
pub const SIGNUP_LINK_TTL: time::Duration = time::Duration::days(1);

/// The most sign-up mails one address gets within [`SIGNUP_LINK_TTL`]
/// (issue 12): further requests are answered the same way and send nothing,
/// so nobody can flood an address with mail from this instance.
pub const SIGNUP_MAILS_PER_ADDRESS: u64 = 3;

/// What the mail to a sign-up's address says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignupMailKind {
    /// The link that confirms the address (`/signup/confirm/TOKEN`).
    Confirm {
        /// The token of the link.
        token: Private<String>,
    },
    /// The address has an account already: sign in instead (no link).
    AlreadyRegistered,
}

/// The mail a sign-up request calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupMail {
    /// The request.
    pub request: SignupId,
    /// Where it goes.
    pub email: Email,
    /// The name given.
    pub name: String,
    /// What it says.
    pub kind: SignupMailKind,
}

impl App {
    /// A reporter asks for an account, when the instance allows it. The
    /// answer is the same whether or not the address has an account: a mail
    /// goes to it (through the job queue) with a confirmation link, or saying
    /// that it has one.
    pub async fn sign_up(&self, account: NewAccount) -> Result<(), AppError> {
        if !self.settings().await?.signup_open {
            return Err(AppError::SignupClosed);
        }
        let account = check_account(account).await?;
        let now = self.now();
        let request = SignupRequest {
            id: self.entropy.signup_id()?,
            email: account.email,
            name: account.name,
            password_hash: account.password_hash,
            created_at: now,
            expires_at: now + SIGNUP_LINK_TTL,
        };
        let token = Token::generate(TokenKind::Signup, self.entropy.as_ref())?;
        let (hash, entropy) = (token.hash(), Arc::clone(&self.entropy));
        let token = Private::new(token.expose().to_owned());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.prune_signup_requests(now).await?;
                    let recent = tx.signup_requests_for(&request.email, now - SIGNUP_LINK_TTL).await?;
                    if recent >= SIGNUP_MAILS_PER_ADDRESS {
                        // The same answer as any other request: only the mail is held back.
                        let details = json!({"limit": SIGNUP_MAILS_PER_ADDRESS});
                        return record(tx, now, &Actor::Anonymous, "signup.capped", "signup".into(), details).await;
                    }
                    tx.insert_signup_request(&request, &token, &hash).await?;
                    let subject = format!("signup:{}", request.id);
                    record(tx, now, &Actor::Anonymous, "signup.requested", subject, json!({})).await?;
                    emit(tx, entropy.as_ref(), now, &Event::SignupRequested { request: request.id }).await
                })
            })
            .await
    }

    /// The mail sign-up request `id` calls for; `None` once it is gone or its
    /// link was sent (a retried job sends no second link).
    pub async fn signup_mail(&self, id: SignupId) -> Result<Option<SignupMail>, AppError> {
        let mut reader = self.store.reader().await?;
        let Some((request, token)) = reader.signup_request(id).await? else { return Ok(None) };
        let Some(token) = token else { return Ok(None) };
        let kind = match reader.user_by_email(&request.email).await? {
            Some(_) => SignupMailKind::AlreadyRegistered,
            None => SignupMailKind::Confirm { token },
        };
        Ok(Some(SignupMail { request: id, email: request.email, name: request.name, kind }))
    }

    /// Forgets the sealed token of request `id` once its mail went out.
    pub async fn signup_mail_sent(&self, id: SignupId) -> Result<(), AppError> {
        self.store.write(move |tx| Box::pin(async move { Ok::<_, AppError>(tx.clear_signup_token(id).await?) })).await
    }

    /// Whether `token` is a sign-up link that still works (the page asks before confirming).
    pub async fn signup_link_valid(&self, token: &str) -> Result<bool, AppError> {
        if token_kind(token) != Some(TokenKind::Signup) {
            return Ok(false);
        }
        Ok(self.store.reader().await?.signup_by_token(&hash_token(token), self.now()).await?.is_some())
    }

    /// Confirms a sign-up with the token of its mail: makes the account and
    /// signs it in. An unknown or expired link is "not found"; an address
    /// that got an account meanwhile is a conflict (told only to whoever
    /// holds the mail).
    pub async fn confirm_sign_up(&self, token: &str) -> Result<(User, Token), AppError> {
        if token_kind(token) != Some(TokenKind::Signup) {
            return Err(AppError::NotFound);
        }
        let (hash, now, id) = (hash_token(token), self.now(), self.entropy.user_id()?);
        let user = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let request = tx.signup_by_token(&hash, now).await?.ok_or(AppError::NotFound)?;
                    tx.delete_signup_request(request.id).await?;
                    if tx.user_by_email(&request.email).await?.is_some() {
                        // Nothing else changes; the request is spent either way.
                        return Ok(Err(AppError::Conflict { what: "an account with this email address" }));
                    }
                    let user = User {
                        id,
                        email: request.email,
                        name: request.name,
                        is_admin: false,
                        created_at: now,
                        banned_at: None,
                    };
                    tx.insert_user(&user, Some(request.password_hash)).await?;
                    let details = json!({"signup": request.id.to_string()});
                    record(tx, now, &Actor::Anonymous, "user.signed_up", format!("user:{id}"), details).await?;
                    Ok::<_, AppError>(Ok(user))
                })
            })
            .await??;
        self.start_session(user, false).await
    }
}
