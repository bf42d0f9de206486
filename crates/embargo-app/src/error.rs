//! The app's error type. Each variant has a stable snake_case code that API
//! clients may rely on; messages never contain private text.

use embargo_core::advisory::AdvisoryError;
use embargo_core::lifecycle::TransitionError;
use embargo_core::text::{FieldErrors, TextError};
use embargo_core::throttle::ThrottleScope;
use embargo_store::StoreError;

/// Why a use case was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing does not exist, or the caller may not know it exists.
    #[error("not found")]
    NotFound,
    /// A credential is needed (or the one presented is not valid).
    #[error("sign in or present a valid token")]
    Unauthenticated,
    /// The caller may see the thing but not do this to it.
    #[error("you may not do this")]
    Forbidden,
    /// Email and password do not match an account.
    #[error("the email address or password is wrong")]
    BadCredentials,
    /// One or more fields are not valid.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// The lifecycle refuses the transition.
    #[error("{0}")]
    IllegalTransition(TransitionError),
    /// The advisory may not be drafted or published now.
    #[error("{0}")]
    Advisory(AdvisoryError),
    /// The change conflicts with existing data.
    #[error("{what} already exists")]
    Conflict {
        /// What exists already (`an account with this email address`).
        what: &'static str,
    },
    /// This needs a second factor proven recently (or one enrolled first).
    #[error("this needs a second factor: enter a current code from your authenticator app")]
    SecondFactorRequired,
    /// The second-factor code is wrong, expired or already used.
    #[error(
        "the code is wrong, expired or already used; enter the current code from your app or an unused recovery code"
    )]
    BadSecondFactor,
    /// Reporters may not sign themselves up on this instance.
    #[error("self sign-up is closed on this instance; ask an administrator for an account")]
    SignupClosed,
    /// No CVE id can be taken for this advisory (and why).
    #[error("no CVE id can be assigned: {0}")]
    CveUnavailable(String),
    /// Intake through this channel is closed for the project.
    #[error("this project does not take reports through this channel")]
    ChannelClosed,
    /// Too many attempts: try again after `retry_after` seconds (HTTP 429 with `Retry-After`).
    #[error("{}", throttled_message(*scope, *retry_after))]
    Throttled {
        /// What was counted.
        scope: ThrottleScope,
        /// Seconds until an attempt may succeed.
        retry_after: u64,
    },
    /// The sender's account, or the account of the contact address they gave,
    /// is banned from reporting (issue 12): the message names the rule and
    /// whom to write to, and nothing about other reporters.
    #[error("{0}")]
    Banned(BanRefusal),
    /// The database cannot be reached; try again.
    #[error("the service is unavailable, try again shortly")]
    Unavailable(String),
    /// A bug or an unexpected failure; details go to the log only.
    #[error("internal error")]
    Internal(String),
    /// A single sign-on was refused (issue 12, item 2).
    #[error("{0}")]
    SsoRefused(crate::sso::SsoRefusal),
}

impl AppError {
    /// A single invalid field.
    pub fn invalid(field: &'static str, expected: &'static str) -> Self {
        AppError::Invalid(FieldErrors(vec![TextError::Malformed { field, expected }]))
    }

    /// The stable code clients rely on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::BadCredentials => "invalid_credentials",
            AppError::Invalid(_) => "invalid_input",
            AppError::IllegalTransition(_) => "illegal_transition",
            AppError::Advisory(e) => match e {
                AdvisoryError::ReportNotAccepted { .. } => "report_not_accepted",
                AdvisoryError::FixNotPublic { .. } => "fix_not_public",
                AdvisoryError::Withdrawn => "advisory_withdrawn",
                AdvisoryError::NotPublished => "advisory_not_published",
                AdvisoryError::Unchanged => "advisory_unchanged",
                AdvisoryError::Incomplete { .. } => "advisory_incomplete",
            },
            AppError::Conflict { .. } => "conflict",
            AppError::SignupClosed => "signup_closed",
            AppError::SecondFactorRequired => "second_factor_required",
            AppError::BadSecondFactor => "invalid_second_factor",
            AppError::ChannelClosed => "channel_closed",
            AppError::CveUnavailable(_) => "cve_unavailable",
            AppError::Throttled { .. } => "rate_limited",
            AppError::Banned(_) => "banned",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
            AppError::SsoRefused(_) => "sso_refused",
        }
    }
}

/// What a throttled caller is told: what was counted and when to try again.
fn throttled_message(scope: ThrottleScope, retry_after: u64) -> String {
    let what = match scope {
        ThrottleScope::Account => "too many failed sign-ins for this account",
        ThrottleScope::ClientAddress => "too many failed sign-ins from your network address",
        ThrottleScope::ReportsFromAddress => "too many reports from your network address",
        ThrottleScope::ReportsFromAccount => "too many reports from your account",
        ThrottleScope::ReportsFromEmail => "too many reports from your e-mail address",
        ThrottleScope::ReportsToProject => "this project is receiving too many reports right now",
    };
    let what = match scope {
        ThrottleScope::Account | ThrottleScope::ClientAddress => what.to_owned(),
        ThrottleScope::ReportsFromAddress
        | ThrottleScope::ReportsFromAccount
        | ThrottleScope::ReportsFromEmail
        | ThrottleScope::ReportsToProject => format!("{what}; nothing was filed"),
    };
    format!("{what}; try again in {}", wait_text(retry_after))
}

/// Why a banned reporter is refused, and whom they may write to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BanRefusal {
    /// The code of conduct of the project's policy (`conduct.code_of_conduct`).
    pub code_of_conduct: Option<String>,
    /// The policy's threshold (`conduct.ban_after`): reports declined as spam or out of scope.
    pub ban_after: Option<u32>,
    /// The project's security address, to appeal to; without one, the instance's administrators.
    pub appeal_to: Option<String>,
}

impl std::fmt::Display for BanRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("this account or e-mail address is banned from reporting on this instance")?;
        match (&self.code_of_conduct, self.ban_after) {
            (Some(code), Some(n)) => write!(
                f,
                " under the project's code of conduct ({code}), which allows a ban after {n} reports declined as spam or out of scope"
            )?,
            (Some(code), None) => write!(f, " under the project's code of conduct ({code})")?,
            (None, Some(n)) => write!(
                f,
                " under the project's policy, which allows a ban after {n} reports declined as spam or out of scope"
            )?,
            (None, None) => f.write_str(" by its administrators")?,
        }
        match &self.appeal_to {
            Some(address) => write!(f, "; to appeal, write to {address}"),
            None => f.write_str("; to appeal, write to the administrators of this instance"),
        }
    }
}

/// "45 seconds", "3 minutes".
fn wait_text(seconds: u64) -> String {
    match seconds {
        1 => "1 second".into(),
        0..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { .. } => AppError::Conflict { what: "a record with these details" },
            StoreError::Unavailable(why) => AppError::Unavailable(why),
            StoreError::Other(why) => AppError::Internal(why),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Invalid(errors)
    }
}

impl From<TextError> for AppError {
    fn from(error: TextError) -> Self {
        AppError::Invalid(FieldErrors(vec![error]))
    }
}

impl From<TransitionError> for AppError {
    fn from(error: TransitionError) -> Self {
        AppError::IllegalTransition(error)
    }
}

impl From<AdvisoryError> for AppError {
    fn from(error: AdvisoryError) -> Self {
        AppError::Advisory(error)
    }
}
