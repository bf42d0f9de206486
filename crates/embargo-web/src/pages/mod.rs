//! Server-rendered pages: every step the JSON API offers, as forms that
//! post and answer with a page. They work without JavaScript; the one small
//! script only adds copy buttons.
//!
//! Handlers translate between forms and `embargo_app` calls, like the API
//! handlers do; who may do what is decided below this layer.

mod accounts;
mod admin;
mod advisories;
mod assets;
mod audit;
mod cra;
mod cve_services;
mod finders;
mod forges;
mod form;
mod intake;
mod lab;
mod policy_editor;
mod public;
mod queue;
mod render;
mod reports;
mod security;
mod security_keys;
mod sso;
mod team;
mod views;
mod zones;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use embargo_app::secret::{TokenKind, token_kind};
use embargo_app::{AppError, Credential};
use embargo_core::permission::{Action, Actor, Decision, decide, on_a_team};

pub(crate) use form::{Field, FieldKind, FieldsExt, FormData};
pub(crate) use render::{markdown, when};
pub(crate) use sso::refusal_status as sso_refusal_status;

use crate::AppState;
use crate::cookies::cookie;

/// The cookie holding a follow-up or share link's token, for pages.
pub(crate) const LINK_COOKIE: &str = "embargo_link";

/// How long a browser keeps a private link: a year (the link lasts as long as its report).
pub(crate) const LINK_MAX_AGE: i64 = 365 * 24 * 3600;

/// What the page header needs to know about the viewer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nav {
    /// The signed-in user's name.
    pub(crate) user_name: Option<String>,
    /// Instance administrator.
    pub(crate) admin: bool,
    /// On some security team.
    pub(crate) team: bool,
    /// Has reports to see (signed in or holding a link).
    pub(crate) reports: bool,
    /// The page shows private data.
    pub(crate) private: bool,
}

/// The viewer of a page: a session, a follow-up or share link, or nobody.
/// An expired or unknown credential is simply anonymous here.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    /// Who is asking: the signed-in user, else the private link's holder.
    pub(crate) actor: Actor,
    /// The private link's holder when a user is also signed in: a report
    /// page falls back to it when the user may not see the report.
    pub(crate) link: Option<Actor>,
    /// The name shown in the header.
    pub(crate) name: Option<String>,
}

impl Viewer {
    /// The header for a page; `private` marks pages that show private data.
    pub(crate) fn nav(&self, private: bool) -> Nav {
        Nav {
            user_name: self.name.clone(),
            admin: decide(&self.actor, Action::ManageInstance) == Decision::Allow,
            team: on_a_team(&self.actor),
            reports: matches!(self.actor, Actor::User(_) | Actor::FollowUp(_) | Actor::Collaborator(_)),
            private,
        }
    }

    /// The actors to try for a report: the viewer, then their private link.
    pub(crate) fn report_actors(&self) -> impl Iterator<Item = &Actor> {
        std::iter::once(&self.actor).chain(self.link.iter())
    }
}

async fn actor_of(state: &AppState, credential: Option<Credential>) -> Result<Actor, PageError> {
    match state.app.authenticate(credential.as_ref()).await {
        Ok(actor) => Ok(actor),
        Err(AppError::Unauthenticated) => Ok(Actor::Anonymous),
        Err(e) => Err(PageError::from(e)),
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let session = actor_of(state, crate::extract::session_cookie(headers).map(Credential::Session)).await?;
        let link_token = cookie(headers, LINK_COOKIE)
            .filter(|t| matches!(token_kind(t), Some(TokenKind::FollowUp | TokenKind::Share | TokenKind::Invitation)));
        let link = match link_token {
            Some(token) => Some(actor_of(state, Some(Credential::Bearer(token))).await?),
            None => None,
        }
        .filter(|a| !matches!(a, Actor::Anonymous));
        let (actor, link) = match (session, link) {
            (Actor::Anonymous, Some(link)) => (link, None),
            (session, link) => (session, link),
        };
        let name = match &actor {
            Actor::User(_) => state.app.me(&actor).await.ok().map(|me| me.user.name),
            Actor::FollowUp(_) => Some("Reporter (private link)".to_owned()),
            Actor::Interested(_) => Some("Shared copy".to_owned()),
            Actor::Collaborator(_) => Some("Invited (private link)".to_owned()),
            Actor::Anonymous | Actor::Operator => None,
        };
        Ok(Viewer { actor, link, name })
    }
}

/// After a successful POST: go and look (303 See Other).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An error shown as a page.
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
    login: bool,
    /// Seconds for `Retry-After` (429).
    retry_after: Option<u64>,
}

/// A page that only says something, in the error page's layout, answered 200.
pub(crate) fn message_page(title: &'static str, message: impl Into<String>) -> Response {
    PageError { status: StatusCode::OK, title, message: message.into(), login: false, retry_after: None }
        .into_response()
}

impl PageError {
    /// A refused single sign-on, with a link back to the sign-in page.
    pub(crate) fn sso(status: StatusCode, message: String) -> Self {
        PageError { status, title: "Single sign-on did not work", message, login: true, retry_after: None }
    }

    pub(crate) fn not_found() -> Self {
        PageError {
            status: StatusCode::NOT_FOUND,
            title: "Page not found",
            message: "There is nothing here, or you may not see it.".into(),
            login: false,
            retry_after: None,
        }
    }
}

/// Path parameters of a page: a segment that does not parse (a malformed
/// slug, say) names nothing, so it is the "page not found" page.
pub(crate) struct Path<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(_) => Err(PageError::not_found()),
        }
    }
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        let (status, title) = match &error {
            AppError::NotFound => return PageError::not_found(),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "Sign in to continue"),
            AppError::Forbidden | AppError::SignupClosed | AppError::ChannelClosed => {
                (StatusCode::FORBIDDEN, "Not allowed")
            }
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "Sign in to continue"),
            AppError::BadSecondFactor => (StatusCode::UNAUTHORIZED, "That code did not work"),
            AppError::SecondFactorRequired => (StatusCode::FORBIDDEN, "A second factor is needed"),
            AppError::Invalid(_) | AppError::Advisory(embargo_core::advisory::AdvisoryError::Incomplete { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "Something needs changing")
            }
            AppError::IllegalTransition(_)
            | AppError::Advisory(_)
            | AppError::Conflict { .. }
            | AppError::CveUnavailable(_) => (StatusCode::CONFLICT, "That cannot be done now"),
            AppError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts"),
            AppError::Banned(_) => (StatusCode::FORBIDDEN, "You may not report here"),
            AppError::Unavailable(cause) => {
                tracing::error!(cause = %cause, "page failed: database unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "Try again shortly")
            }
            AppError::Internal(cause) => {
                tracing::error!(cause = %cause, "page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
            }
            AppError::SsoRefused(refusal) => (sso::refusal_status(refusal), "Single sign-on did not work"),
        };
        let login = matches!(error, AppError::Unauthenticated);
        let retry_after = match error {
            AppError::Throttled { retry_after, .. } => Some(retry_after),
            _ => None,
        };
        PageError { status, title, message: error.to_string(), login, retry_after }
    }
}

/// The error page.
#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Nav,
    title: &'static str,
    message: String,
    login: bool,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage { nav: Nav::default(), title: self.title, message: self.message, login: self.login };
        let mut response = (self.status, html(&page)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}

/// Whether an error is the user's to fix on the page they came from (else it is an error page).
pub(crate) fn fixable(error: &AppError) -> bool {
    matches!(
        error,
        AppError::Invalid(_)
            | AppError::IllegalTransition(_)
            | AppError::Conflict { .. }
            | AppError::Advisory(_)
            | AppError::CveUnavailable(_)
    )
}

/// The status of a page shown again with a problem on it.
pub(crate) fn form_status(error: &AppError) -> StatusCode {
    match error {
        AppError::Invalid(_) | AppError::Advisory(embargo_core::advisory::AdvisoryError::Incomplete { .. }) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        AppError::Forbidden | AppError::Banned(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    }
}

/// Renders a template; a template that cannot render is a 500 with a plain page.
pub(crate) fn html(template: &impl askama::Template) -> Response {
    match template.render() {
        Ok(body) => {
            let mut response = body.into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Renders a page with a status other than 200.
pub(crate) fn html_status(status: StatusCode, template: &impl askama::Template) -> Response {
    (status, html(template)).into_response()
}

/// The not-found page, for any path no route serves.
pub(crate) async fn not_found_page() -> PageError {
    PageError::not_found()
}

/// The page for a method a page does not accept (a form posted to a page that only shows).
pub(crate) fn method_not_allowed_page() -> Response {
    PageError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        title: "That cannot be done here",
        message: "This page does not accept that kind of request. Go back and use the form on the page.".into(),
        login: false,
        retry_after: None,
    }
    .into_response()
}

/// The page for a form posted from another site (or a browser that hides where it came from).
pub(crate) fn cross_site_page(_: tower_http::csrf::ProtectionError) -> Response {
    PageError {
        status: StatusCode::FORBIDDEN,
        title: "Form refused",
        message: "This form was sent from another site, so it was refused to protect your account. \
                  Open the page on this site and send the form again."
            .into(),
        login: false,
        retry_after: None,
    }
    .into_response()
}

/// Every page route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(public::home))
        .route("/assets/style.css", get(assets::stylesheet))
        .route("/assets/app.js", get(assets::script))
        .route("/advisories", get(public::advisories))
        .route("/advisories/{id}", get(public::advisory))
        .route("/advisories/{id}/edit", get(advisories::edit).post(advisories::save))
        .route("/advisories/{id}/publish", post(advisories::publish))
        .route("/advisories/{id}/schedule", post(advisories::schedule))
        .route("/advisories/{id}/withdraw", post(advisories::withdraw))
        .route("/advisories/{id}/cve", post(advisories::assign_cve))
        .route("/advisories/{id}/vex", post(advisories::state_not_affected))
        .route("/advisories/{id}/vex/{line}/remove", post(advisories::take_back_not_affected))
        .route("/login", get(accounts::login_form).post(accounts::login))
        .route("/login/second-factor", get(security::second_factor_form).post(security::second_factor))
        .route("/login/enrol", get(security::enrol_form))
        .route("/logout", post(accounts::logout))
        .route("/account", get(security::account))
        .route("/account/totp", get(security::totp_form).post(security::begin_totp))
        .route("/account/totp/confirm", post(security::confirm_totp))
        .route("/account/totp/remove", post(security::remove_totp))
        .route("/account/recovery-codes", post(security::recovery_codes))
        .route("/account/password", post(security::change_password))
        .route("/account/sessions/{id}/end", post(security::end_session))
        .route("/account/sessions/end-others", post(security::end_other_sessions))
        .route("/account/tokens", post(security::create_token))
        .route("/account/tokens/{id}/revoke", post(security::revoke_token))
        .route("/signup", get(accounts::signup_form).post(accounts::signup))
        .route("/signup/confirm/{token}", get(accounts::confirm_signup_form).post(accounts::confirm_signup))
        .route("/setup", get(accounts::setup_form).post(accounts::setup))
        .route("/follow/{token}", get(accounts::follow))
        .route("/shared/{token}", get(accounts::follow))
        .route("/reports", get(queue::list))
        .route("/reports/{id}", get(reports::show))
        .route("/reports/{id}/receipt", get(intake::receipt))
        .route("/reports/{id}/messages", post(reports::message))
        .route("/reports/{id}/transition", post(reports::transition))
        .route("/reports/{id}/team", post(reports::team_fields_save))
        .route("/reports/{id}/share", post(reports::share))
        .route("/reports/{id}/collaborators", post(reports::invite))
        .route("/reports/{id}/embargo", post(reports::embargo))
        .route("/reports/{id}/collaborators/{collaborator}/revoke", post(reports::revoke))
        .route("/reports/{id}/credit", post(finders::credit))
        .route("/reports/{id}/public-issue", post(finders::draft_public_issue))
        .route("/reports/{id}/public-issue/answer", post(finders::answer_public_issue))
        .route("/reports/{id}/public-issue/published", post(finders::mark_public_issue))
        .route("/reports/{id}/advisory", post(advisories::draft))
        .route("/reports/{id}/lab/runs", post(lab::queue_runs))
        .route("/reports/{id}/lab/accept", post(lab::accept))
        .route("/reports/{id}/lab/share", post(lab::share))
        .route("/reports/{id}/cra", post(cra::start))
        .route("/reports/{id}/cra/details", post(cra::details))
        .route("/reports/{id}/cra/stages/{stage}", post(cra::file))
        .route("/{org}/team/webhooks/{id}/deliveries/{delivery}/resend", post(team::resend_org_delivery))
        .route("/{org}/{project}/team/webhooks/{id}/deliveries/{delivery}/resend", post(team::resend_project_delivery))
        .route("/admin", get(admin::page))
        .route("/admin/organisations", post(admin::create_organisation))
        .route("/admin/projects", post(admin::create_project))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/users/{id}/ban", post(admin::ban))
        .route("/admin/users/{id}/sessions/end", post(admin::end_user_sessions))
        .route("/admin/settings", post(admin::settings))
        .route("/admin/audit", get(audit::page))
        .route("/{org}", get(public::organisation))
        .route("/{org}/policy", get(public::org_policy))
        .route("/{org}/policy/edit", get(policy_editor::org_form).post(policy_editor::org_save))
        .route("/{org}/report", get(public::choose_project))
        .route("/{org}/team", get(team::org_team))
        .route("/{org}/team/members", post(team::add_org_member))
        .route("/{org}/team/members/{user}/remove", post(team::remove_org_member))
        .route("/{org}/team/webhooks", post(team::add_org_webhook))
        .route("/{org}/team/webhooks/{id}/remove", post(team::remove_org_webhook))
        .route("/{org}/team/cve-services", get(cve_services::show).post(cve_services::save))
        .route("/{org}/{project}", get(public::project_policy))
        .route("/{org}/{project}/policy", get(public::project_policy))
        .route("/{org}/{project}/policy/edit", get(policy_editor::project_form).post(policy_editor::project_save))
        .route("/{org}/{project}/report", get(intake::form).post(intake::submit))
        .route("/{org}/{project}/team", get(team::project_team))
        .route("/{org}/{project}/team/members", post(team::add_member))
        .route("/{org}/{project}/team/members/{user}/remove", post(team::remove_member))
        .route("/{org}/{project}/team/release-lines", post(team::save_release_line))
        .route("/{org}/{project}/team/rotation", post(team::save_rotation))
        .route("/{org}/{project}/team/release-lines/{name}/remove", post(team::remove_release_line))
        .route("/{org}/{project}/team/webhooks", post(team::add_project_webhook))
        .route("/{org}/{project}/team/webhooks/{id}/remove", post(team::remove_project_webhook))
        .route("/{org}/{project}/team/forges", get(forges::forges).post(forges::set_forge_secret))
        .route("/{org}/{project}/team/fix-polling", post(forges::set_fix_polling))
        .route("/assets/webauthn.js", get(security_keys::script))
        .route("/account/webauthn", get(security_keys::add_form).post(security_keys::begin))
        .route("/account/webauthn/finish", post(security_keys::finish))
        .route("/account/webauthn/{id}/remove", post(security_keys::remove))
        .route("/login/second-factor/webauthn", post(security_keys::sign_in))
        .route("/login/sso", get(sso::start))
        .route("/login/sso/callback", get(sso::callback))
        .route("/account/time-zone", post(zones::account_zone))
        .route("/reports/{id}/time-zone", post(zones::report_zone))
}
