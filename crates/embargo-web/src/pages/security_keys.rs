//! Passkeys and security keys (WebAuthn) on the pages: adding a named key
//! (from the account page, or while a required factor is set up at sign-in),
//! removing one, and the sign-in step with a key.
//!
//! The WebAuthn call itself needs script (`/assets/webauthn.js`, no inline
//! script, so the pages keep their Content-Security-Policy); the forms say
//! so when script is off, and codes keep working.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use embargo_app::{AppError, FactorProof, WebauthnOptions};
use embargo_core::private::Private;
use embargo_store::sessions::SessionStage;

use super::security::{FactorStep, codes_page, next_path, private_nav, second_factor_page, sign_in_again};
use super::{Field, FieldKind, FormData, PageError, Path, Viewer, html_status, message_page, see_other};
use crate::AppState;
use crate::extract::session_cookie;

/// The script that makes the WebAuthn call.
const SCRIPT: &str = include_str!("../../assets/webauthn.js");

/// `GET /assets/webauthn.js`
pub(crate) async fn script() -> Response {
    super::assets::asset(SCRIPT, "text/javascript; charset=utf-8")
}

/// A form whose button asks the browser for a key (see `webauthn.js`).
#[derive(Debug, Clone)]
pub(crate) struct KeyStep {
    /// `register` or `authenticate`.
    pub(crate) mode: &'static str,
    /// The server's options for the browser, as JSON.
    pub(crate) options: String,
    /// Where the answer is posted.
    pub(crate) action: &'static str,
    /// Other hidden fields (such as `next`).
    pub(crate) hidden: Vec<(&'static str, String)>,
    /// The button's text.
    pub(crate) button: &'static str,
    /// What the form says while script is off.
    pub(crate) no_script: &'static str,
}

impl KeyStep {
    /// The sign-in step with a key.
    pub(crate) fn sign_in(options: WebauthnOptions, next: Option<String>) -> Self {
        KeyStep {
            mode: "authenticate",
            options: options.0,
            action: "/login/second-factor/webauthn",
            hidden: next.map(|n| vec![("next", n)]).unwrap_or_default(),
            button: "Use your passkey or security key",
            no_script: "Signing in with a passkey or security key needs JavaScript, which is off or blocked \
                        in this browser. Enter a code below instead, or turn JavaScript on and reload.",
        }
    }

    fn register(options: WebauthnOptions) -> Self {
        KeyStep {
            mode: "register",
            options: options.0,
            action: "/account/webauthn/finish",
            hidden: Vec::new(),
            button: "Use your key now",
            no_script: "Adding a passkey or security key needs JavaScript, which is off or blocked in this \
                        browser. Turn it on and reload, or set up an authenticator app instead.",
        }
    }
}

fn name_field(value: &str) -> Field {
    Field::new("name", "Name of the key", FieldKind::Text)
        .in_form("key")
        .hint("So you can tell your keys apart, such as \"Blue YubiKey\" or \"Laptop\". 1 to 60 characters.")
        .value(value)
        .required()
}

const UNAVAILABLE: &str = "Passkeys and security keys need the instance's public_url to name it by a domain \
                           name (such as https://security.example.org), not an IP address. Ask an administrator, \
                           or set up an authenticator app instead.";

/// The page that asks for a key's name (and shows what went wrong).
fn name_page(fields: Vec<Field>, errors: Vec<String>, status: StatusCode) -> Response {
    let mut page = FactorStep::new(
        private_nav(),
        "Add a passkey or security key",
        "A passkey on this device or a security key such as a YubiKey signs you in after your password, \
         instead of a code. Name it, then follow your browser's prompt.",
    )
    .form("/account/webauthn", "Continue", fields);
    page.errors = errors;
    page.footer = vec![("Back to your account".to_owned(), "/account#security-keys".to_owned())];
    html_status(status, &page)
}

/// A session that may add a key: a complete one, or one that must enrol a factor.
async fn enrolling(state: &AppState, headers: &HeaderMap) -> Result<Option<String>, PageError> {
    let Some(token) = session_cookie(headers) else {
        return Ok(None);
    };
    match state.app.sign_in_stage(&token).await? {
        Some(SessionStage::Complete | SessionStage::Enrolment) => Ok(Some(token)),
        _ => Ok(None),
    }
}

/// `GET /account/webauthn`: name a new key.
pub(crate) async fn add_form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    if enrolling(&state, &headers).await?.is_none() {
        return Ok(see_other("/login?next=/account"));
    }
    if !state.app.webauthn_available() {
        return Ok(message_page("Keys are not available here", UNAVAILABLE));
    }
    Ok(name_page(vec![name_field("")], Vec::new(), StatusCode::OK))
}

/// `POST /account/webauthn`: begins adding the named key; the page that
/// follows makes the browser's call.
pub(crate) async fn begin(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(token) = enrolling(&state, &headers).await? else {
        return Ok(see_other("/login?next=/account"));
    };
    if !state.app.webauthn_available() {
        return Ok(message_page("Keys are not available here", UNAVAILABLE));
    }
    let name = form.get("name");
    match state.app.begin_key_registration(&token, &name).await {
        Ok(options) => {
            let mut page = FactorStep::new(
                private_nav(),
                "Use your key",
                format!(
                    "Press the button, then touch your security key or confirm on this device to add \"{}\".",
                    name.trim()
                ),
            );
            page.key = Some(KeyStep::register(options));
            page.footer = vec![("Cancel".to_owned(), "/account#security-keys".to_owned())];
            Ok(html_status(StatusCode::OK, &page))
        }
        Err(e @ AppError::Invalid(_)) => {
            let mut fields = vec![name_field(&name)];
            let errors = super::form::apply_errors(&mut fields, &e);
            Ok(name_page(fields, errors, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Unauthenticated) => Ok(see_other("/login?next=/account")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/webauthn/finish`: the browser's answer adds the key.
pub(crate) async fn finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(token) = enrolling(&state, &headers).await? else {
        return Ok(see_other("/login?next=/account"));
    };
    if !state.app.webauthn_available() {
        return Ok(message_page("Keys are not available here", UNAVAILABLE));
    }
    match state.app.finish_key_registration(&token, &form.get("credential")).await {
        Ok(Some(codes)) => Ok(html_status(StatusCode::OK, &codes_page(&codes, "/account", "Your key is added"))),
        Ok(None) => Ok(see_other("/account#security-keys")),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let mut field = name_field("");
            field.error = Some(match &e {
                AppError::Conflict { .. } => "This key is already added to an account.".to_owned(),
                _ => "The key's answer was missing or could not be checked (JavaScript must be on). \
                      Name the key and try again."
                    .to_owned(),
            });
            Ok(name_page(vec![field], Vec::new(), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::Unauthenticated) => Ok(see_other("/login?next=/account")),
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/webauthn/{id}/remove`: with a recent second factor; other sessions end.
pub(crate) async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(actor) = super::security::signed_in(&viewer) else {
        return Ok(see_other("/login?next=/account"));
    };
    let id: uuid::Uuid = id.parse().map_err(|_| PageError::not_found())?;
    let proof =
        FactorProof { session: session_cookie(&headers).map(Private::new), code: form.opt("code").map(Private::new) };
    let result = state.app.remove_security_key(actor, id, &proof).await;
    super::security::after_key_form(&state, &viewer, &headers, &form, result).await
}

/// `POST /login/second-factor/webauthn`: the sign-in step with a key.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let next = next_path(&form.get("next"));
    let Some(token) = session_cookie(&headers) else {
        return Ok(see_other("/login"));
    };
    if state.app.sign_in_stage(&token).await? != Some(SessionStage::SecondFactor) {
        return Ok(see_other("/login"));
    }
    match state.app.verify_key(&token, &form.get("credential")).await {
        Ok(()) => Ok(see_other(next.as_deref().unwrap_or("/reports"))),
        Err(AppError::BadSecondFactor) => {
            if state.app.sign_in_stage(&token).await?.is_none() {
                return Ok(sign_in_again());
            }
            let page = second_factor_page(
                &state,
                &token,
                next,
                vec!["Your key's answer was not accepted. Try the key again, or enter a code.".to_owned()],
                None,
            )
            .await?;
            Ok(html_status(StatusCode::UNAUTHORIZED, &page))
        }
        Err(AppError::Unauthenticated) => Ok(see_other("/login")),
        Err(e) => Err(e.into()),
    }
}
