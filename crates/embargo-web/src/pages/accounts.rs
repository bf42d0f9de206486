//! Signing in and out, signing up, the first administrator's setup, and the
//! private links (follow-up and share) that open one report.

use super::Path;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use embargo_app::secret::{TokenKind, token_kind};
use embargo_app::{AppError, Credential, NewAccount};
use embargo_core::permission::Actor;
use embargo_core::private::Private;

use super::form::apply_errors;
use super::render::capitalised;
use super::{
    Field, FieldKind, FieldsExt, FormData, LINK_COOKIE, LINK_MAX_AGE, Nav, PageError, Viewer, html_status,
    message_page, see_other,
};
use crate::cookies::{cookie, set_cookie};
use crate::extract::ClientAddr;
use crate::{AppState, SESSION_COOKIE};

#[derive(askama::Template)]
#[template(path = "account_form.html")]
struct AccountForm {
    nav: Nav,
    title: &'static str,
    lede: String,
    action: String,
    submit: &'static str,
    errors: Vec<String>,
    fields: Vec<Field>,
    hidden: Vec<(&'static str, String)>,
    footer: Vec<(String, String)>,
}

impl AccountForm {
    fn respond(self, status: StatusCode) -> Response {
        html_status(status, &self)
    }
}

/// Where to go after signing in: a local path only, never another site.
pub(crate) fn next_path(next: &str) -> Option<String> {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.contains("://");
    ok.then(|| next.to_owned())
}

fn login_fields(email: &str) -> Vec<Field> {
    vec![
        Field::new("email", "Email address", FieldKind::Email).value(email).required().autocomplete("username"),
        Field::new("password", "Password", FieldKind::Password).required().autocomplete("current-password"),
    ]
}

fn login_page(
    nav: Nav,
    email: &str,
    next: Option<String>,
    errors: Vec<String>,
    signup: bool,
    sso: Option<&str>,
) -> AccountForm {
    let mut footer = Vec::new();
    if let Some(name) = sso {
        footer.push((format!("Sign in with {name}"), super::sso::start_link(next.as_deref())));
    }
    if signup {
        footer.push(("No account? Create one".to_owned(), "/signup".to_owned()));
    }
    footer
        .push(("Sent a report without an account? Open the private link from your receipt.".to_owned(), String::new()));
    AccountForm {
        nav,
        title: "Sign in",
        lede: "Security team members and reporters with an account sign in here.".to_owned(),
        action: "/login".to_owned(),
        submit: "Sign in",
        errors,
        fields: login_fields(email),
        hidden: next.map(|n| vec![("next", n)]).unwrap_or_default(),
        footer,
    }
}

/// `GET /login`
pub(crate) async fn login_form(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let next = FormData::from_query(query.as_deref()).opt("next").and_then(|n| next_path(&n));
    let signup = state.app.settings().await?.signup_open;
    Ok(login_page(viewer.nav(false), "", next, Vec::new(), signup, state.app.sso_name()).respond(StatusCode::OK))
}

pub(crate) fn session_response(state: &AppState, token: &str, to: &str) -> Response {
    let mut response = see_other(to);
    let max_age = state.config.session_ttl.whole_seconds();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, set_cookie(&state.config, SESSION_COOKIE, token, max_age));
    headers.append(header::SET_COOKIE, set_cookie(&state.config, LINK_COOKIE, "", 0));
    response
}

/// `POST /login`
pub(crate) async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddr(client): ClientAddr,
    form: FormData,
) -> Result<Response, PageError> {
    let email = form.get("email");
    let next = next_path(&form.get("next"));
    match state.app.sign_in_from(email.trim(), Private::new(form.get("password")), client).await {
        Ok(signed) => {
            // The step after the password, when the account has (or must set up) a second factor.
            let session = signed.session;
            let stage = state.app.sign_in_stage(session.expose()).await?;
            let to = stage.and_then(|s| super::security::after_password(s, next.as_deref()));
            let to = to.as_deref().or(next.as_deref()).unwrap_or("/reports");
            Ok(session_response(&state, session.expose(), to))
        }
        Err(error @ AppError::Throttled { retry_after, .. }) => {
            let signup = state.app.settings().await?.signup_open;
            let errors = vec![format!("{}.", capitalised(&error.to_string()))];
            let mut response = login_page(viewer.nav(false), &email, next, errors, signup, state.app.sso_name())
                .respond(StatusCode::TOO_MANY_REQUESTS);
            response.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from(retry_after));
            Ok(response)
        }
        Err(AppError::BadCredentials) => {
            let signup = state.app.settings().await?.signup_open;
            let errors = vec!["The email address or password is wrong. Check both and try again.".to_owned()];
            Ok(login_page(viewer.nav(false), &email, next, errors, signup, state.app.sso_name())
                .respond(StatusCode::UNAUTHORIZED))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /logout`: ends the session and forgets any private link.
pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    if let Some(session) = cookie(&headers, SESSION_COOKIE) {
        state.app.sign_out(&session).await?;
    }
    let mut response = see_other("/");
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, set_cookie(&state.config, SESSION_COOKIE, "", 0));
    headers.append(header::SET_COOKIE, set_cookie(&state.config, LINK_COOKIE, "", 0));
    Ok(response)
}

/// What the e-mail field is for, said in its hint: a reporter hears of their
/// reports there; the first administrator signs in with it.
const REPORTER_EMAIL_HINT: &str = "We send updates on your reports here.";
const ADMIN_EMAIL_HINT: &str = "You sign in with it as this instance's first administrator.";

fn account_fields(form: &FormData, email_hint: &'static str) -> Vec<Field> {
    vec![
        Field::new("name", "Your name", FieldKind::Text)
            .hint("As the team and any credit should show it.")
            .value(form.get("name"))
            .required()
            .autocomplete("name"),
        Field::new("email", "Email address", FieldKind::Email)
            .hint(email_hint)
            .value(form.get("email"))
            .required()
            .autocomplete("email"),
        Field::new("password", "Password", FieldKind::Password)
            .hint("At least 10 characters, not a common one. A few unrelated words make a strong password that is easy to remember.")
            .required()
            .autocomplete("new-password"),
    ]
}

fn signup_page(nav: Nav, errors: Vec<String>, fields: Vec<Field>) -> AccountForm {
    AccountForm {
        nav,
        title: "Create an account",
        lede: "With an account you see all your reports in one place. You can also report without one.".to_owned(),
        action: "/signup".to_owned(),
        submit: "Create account",
        errors,
        fields,
        hidden: Vec::new(),
        footer: vec![("Already have an account? Sign in".to_owned(), "/login".to_owned())],
    }
}

/// `GET /signup`
pub(crate) async fn signup_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    if !state.app.settings().await?.signup_open {
        return Err(AppError::SignupClosed.into());
    }
    let form = FormData::default();
    Ok(signup_page(viewer.nav(false), Vec::new(), account_fields(&form, REPORTER_EMAIL_HINT)).respond(StatusCode::OK))
}

fn new_account(form: &FormData) -> NewAccount {
    NewAccount {
        email: form.get("email").trim().to_owned(),
        name: form.get("name"),
        password: Private::new(form.get("password")),
    }
}

/// `POST /signup`: asks for the account; a mail to the address carries the
/// link that confirms it. The page says the same whether or not the address
/// has an account.
pub(crate) async fn signup(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, PageError> {
    match state.app.sign_up(new_account(&form)).await {
        Ok(()) => Ok(message_page(
            "Check your mail",
            "We sent a mail to the address you gave. Open the link in it within 24 hours to finish creating \
             your account. No mail? Check the address and your spam folder, then try again.",
        )),
        Err(e @ AppError::Invalid(_)) => {
            let mut fields = account_fields(&form, REPORTER_EMAIL_HINT);
            let errors = apply_errors(&mut fields, &e);
            Ok(signup_page(viewer.nav(false), errors, fields).respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /signup/confirm/{token}`: the link of a sign-up mail asks before
/// making the account (a mail scanner that follows links changes nothing).
pub(crate) async fn confirm_signup_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if !state.app.signup_link_valid(&token).await? {
        return Err(expired_link());
    }
    let page = AccountForm {
        nav: viewer.nav(false),
        title: "Finish creating your account",
        lede: "Your address is confirmed by this link. Create the account to sign in.".to_owned(),
        action: format!("/signup/confirm/{token}"),
        submit: "Create my account",
        errors: Vec::new(),
        fields: Vec::new(),
        hidden: Vec::new(),
        footer: Vec::new(),
    };
    Ok(page.respond(StatusCode::OK))
}

/// `POST /signup/confirm/{token}`: makes the account and signs in.
pub(crate) async fn confirm_signup(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match state.app.confirm_sign_up(&token).await {
        Ok((_, session)) => Ok(session_response(&state, session.expose(), "/reports")),
        Err(AppError::NotFound) => Err(expired_link()),
        Err(e) => Err(e.into()),
    }
}

fn expired_link() -> PageError {
    let mut error = PageError::not_found();
    error.title = "This link does not work";
    error.message =
        "The link is unknown, was used already, or is more than 24 hours old. Sign up again for a new one, \
                     or sign in if you have an account."
            .into();
    error
}

fn setup_page(nav: Nav, token: String, errors: Vec<String>, fields: Vec<Field>) -> AccountForm {
    AccountForm {
        nav,
        title: "Set up Embargo",
        lede: "Create the first administrator. Administrators add organisations, projects and security teams."
            .to_owned(),
        action: "/setup".to_owned(),
        submit: "Create administrator",
        errors,
        fields,
        hidden: vec![("token", token)],
        footer: Vec::new(),
    }
}

fn setup_fields(form: &FormData, token_known: bool) -> Vec<Field> {
    let mut fields = Vec::new();
    if !token_known {
        fields.push(
            Field::new("token", "Setup token", FieldKind::Text)
                .hint("Printed by embargo serve when it started: it begins with embi_.")
                .value(form.get("token"))
                .required(),
        );
    }
    fields.extend(account_fields(form, ADMIN_EMAIL_HINT));
    fields
}

/// `GET /setup?token=...`: the first administrator (only while there is none).
pub(crate) async fn setup_form(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if !state.app.setup_pending().await? {
        return Ok(see_other("/login"));
    }
    let token = FormData::from_query(query.as_deref()).opt("token").unwrap_or_default();
    let form = FormData::default();
    let fields = setup_fields(&form, !token.is_empty());
    Ok(setup_page(viewer.nav(false), token, Vec::new(), fields).respond(StatusCode::OK))
}

/// `POST /setup`
pub(crate) async fn setup(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, PageError> {
    if !state.app.setup_pending().await? {
        return Ok(see_other("/login"));
    }
    let token = form.get("token").trim().to_owned();
    match state.app.complete_setup(&token, new_account(&form)).await {
        Ok((_, session)) => Ok(session_response(&state, session.expose(), "/admin")),
        Err(AppError::NotFound) => {
            let mut fields = setup_fields(&form, false);
            if let Some(f) = fields.iter_mut().find(|f| f.name == "token") {
                f.error = Some("This setup token is not valid: copy the latest one embargo serve printed.".into());
            }
            Ok(setup_page(viewer.nav(false), String::new(), Vec::new(), fields)
                .respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let mut fields = setup_fields(&form, true);
            let errors = apply_errors(&mut fields, &e);
            Ok(setup_page(viewer.nav(false), token, errors, fields).respond(StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /follow/{token}` and `GET /shared/{token}`: remembers the private
/// link (a follow-up, share or invitation link) in a cookie and opens its
/// report, so the token leaves the address bar.
pub(crate) async fn follow(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    if !matches!(token_kind(&token), Some(TokenKind::FollowUp | TokenKind::Share | TokenKind::Invitation)) {
        return Err(PageError::not_found());
    }
    let report = match state.app.authenticate(Some(&Credential::Bearer(token.clone()))).await {
        Ok(Actor::FollowUp(report) | Actor::Interested(report)) => report,
        Ok(Actor::Collaborator(grant)) => grant.report,
        Ok(_) | Err(AppError::Unauthenticated) => return Err(PageError::not_found()),
        Err(e) => return Err(e.into()),
    };
    let mut response = see_other(&format!("/reports/{report}"));
    // A private link lasts as long as the report; the cookie a year.
    let cookie = set_cookie(&state.config, LINK_COOKIE, &token, LINK_MAX_AGE);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response.into_response())
}
