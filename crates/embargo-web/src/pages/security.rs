//! The account's security pages: the second sign-in step, setting up an
//! authenticator app (also when the instance requires one at sign-in), and
//! the account page with sessions, API tokens, recovery codes and password.
//! Every form works without JavaScript.

use super::Path;
use super::security_keys::KeyStep;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use embargo_app::{AppError, FactorProof, RecoveryCodes, TotpEnrolment};
use embargo_core::id::{SessionId, TokenId};
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_core::user::TokenScope;
use embargo_store::sessions::SessionStage;

use super::form::apply_errors;
use super::{Field, FieldKind, FieldsExt, FormData, Nav, PageError, Viewer, html_status, see_other, when};
use crate::AppState;
use crate::extract::session_cookie;

/// A step of signing in or of setting up a factor.
#[derive(askama::Template)]
#[template(path = "factor_step.html")]
pub(crate) struct FactorStep {
    nav: Nav,
    title: &'static str,
    lede: String,
    /// The setup key and `otpauth:` URI while setting up an app.
    setup: Option<(String, String)>,
    /// Fresh recovery codes, shown once.
    codes: Vec<String>,
    continue_to: String,
    action: &'static str,
    submit: &'static str,
    pub(crate) errors: Vec<String>,
    fields: Vec<Field>,
    hidden: Vec<(&'static str, String)>,
    pub(crate) footer: Vec<(String, String)>,
    /// A form that asks the browser for a passkey or security key.
    pub(crate) key: Option<KeyStep>,
}

impl FactorStep {
    pub(crate) fn new(nav: Nav, title: &'static str, lede: impl Into<String>) -> Self {
        FactorStep {
            nav,
            title,
            lede: lede.into(),
            setup: None,
            codes: Vec::new(),
            continue_to: String::new(),
            action: "",
            submit: "",
            errors: Vec::new(),
            fields: Vec::new(),
            hidden: Vec::new(),
            footer: Vec::new(),
            key: None,
        }
    }

    pub(crate) fn form(mut self, action: &'static str, submit: &'static str, fields: Vec<Field>) -> Self {
        self.action = action;
        self.submit = submit;
        self.fields = fields;
        self
    }
}

fn code_field(id_prefix: &str) -> Field {
    Field::new("code", "Code", FieldKind::Text)
        .in_form(id_prefix)
        .hint("The 6-digit code your authenticator app shows now, or one of your recovery codes.")
        .required()
        .autocomplete("one-time-code")
}

pub(crate) fn private_nav() -> Nav {
    Nav { private: true, ..Nav::default() }
}

/// Where to go after signing in: a local path only, never another site.
pub(crate) fn next_path(next: &str) -> Option<String> {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.contains("://");
    ok.then(|| next.to_owned())
}

/// Where the login form sends a session that still has a step to take.
pub(crate) fn after_password(stage: SessionStage, next: Option<&str>) -> Option<String> {
    let query = next.map(|n| form_urlencoded::Serializer::new(String::new()).append_pair("next", n).finish());
    let with = |path: &str| match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    match stage {
        SessionStage::Complete => None,
        SessionStage::SecondFactor => Some(with("/login/second-factor")),
        SessionStage::Enrolment => Some(with("/login/enrol")),
    }
}

async fn stage(state: &AppState, headers: &HeaderMap) -> Result<Option<(String, SessionStage)>, PageError> {
    let Some(token) = session_cookie(headers) else {
        return Ok(None);
    };
    Ok(state.app.sign_in_stage(&token).await?.map(|s| (token, s)))
}

/// The step after the password: a key (when the user has one) and a code.
pub(crate) async fn second_factor_page(
    state: &AppState,
    token: &str,
    next: Option<String>,
    errors: Vec<String>,
    code: Option<Field>,
) -> Result<FactorStep, PageError> {
    let key = state.app.begin_key_sign_in(token).await?;
    let lede = if key.is_some() {
        "Your password was right. Use your passkey or security key, or enter a code from your authenticator \
         app or a recovery code, to finish signing in."
    } else {
        "Your password was right. Enter the code from your authenticator app to finish signing in."
    };
    let mut page = FactorStep::new(private_nav(), "Enter your second factor", lede).form(
        "/login/second-factor",
        "Continue",
        vec![code.unwrap_or_else(|| code_field("login"))],
    );
    page.errors = errors;
    page.key = key.map(|options| KeyStep::sign_in(options, next.clone()));
    page.hidden = next.map(|n| vec![("next", n)]).unwrap_or_default();
    page.footer = vec![
        ("Lost your app or key? Enter one of your recovery codes instead.".to_owned(), String::new()),
        ("Start again".to_owned(), "/login".to_owned()),
    ];
    Ok(page)
}

/// The page after too many wrong answers ended the waiting session.
pub(crate) fn sign_in_again() -> Response {
    let mut page = FactorStep::new(
        private_nav(),
        "Sign in again",
        "Too many wrong codes were entered, so signing in starts again from the password.",
    );
    page.footer = vec![("Sign in".to_owned(), "/login".to_owned())];
    html_status(StatusCode::UNAUTHORIZED, &page)
}

/// `GET /login/second-factor`: the step after the password.
pub(crate) async fn second_factor_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let next = FormData::from_query(query.as_deref()).opt("next").and_then(|n| next_path(&n));
    match stage(&state, &headers).await? {
        Some((token, SessionStage::SecondFactor)) => {
            Ok(html_status(StatusCode::OK, &second_factor_page(&state, &token, next, Vec::new(), None).await?))
        }
        _ => Ok(see_other("/login")),
    }
}

/// `POST /login/second-factor`
pub(crate) async fn second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let next = next_path(&form.get("next"));
    let Some((token, SessionStage::SecondFactor)) = stage(&state, &headers).await? else {
        return Ok(see_other("/login"));
    };
    match state.app.verify_second_factor(&token, Private::new(form.get("code"))).await {
        Ok(()) => Ok(see_other(next.as_deref().unwrap_or("/reports"))),
        Err(e @ AppError::BadSecondFactor) => {
            if state.app.sign_in_stage(&token).await?.is_none() {
                // Too many wrong codes ended the session: the password is asked again.
                return Ok(sign_in_again());
            }
            let mut field = code_field("login");
            field.error = Some(e.to_string());
            let page = second_factor_page(&state, &token, next, Vec::new(), Some(field)).await?;
            Ok(html_status(StatusCode::UNAUTHORIZED, &page))
        }
        Err(AppError::Unauthenticated) => Ok(see_other("/login")),
        Err(e) => Err(e.into()),
    }
}

/// `GET /login/enrol`: a second factor is required and must be set up first.
pub(crate) async fn enrol_form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    match stage(&state, &headers).await? {
        Some((_, SessionStage::Enrolment)) => {
            let mut page = FactorStep::new(
                private_nav(),
                "Set up a second factor",
                "Your password was right. This instance, or the policy of a security team you are on, \
                 requires security-team members and administrators to use a second factor, \
                 so set up an authenticator app or add a passkey or security key to finish signing in. \
                 Any app for time-based codes (TOTP) works, as do most password managers.",
            )
            .form("/account/totp", "Set up an authenticator app", Vec::new());
            page.footer = vec![
                ("Add a passkey or security key instead".to_owned(), "/account/webauthn".to_owned()),
                ("Not now: sign out".to_owned(), "/login".to_owned()),
            ];
            Ok(html_status(StatusCode::OK, &page))
        }
        _ => Ok(see_other("/login")),
    }
}

/// `POST /account/totp`: begins setting up an authenticator app.
pub(crate) async fn begin_totp(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let Some(token) = session_cookie(&headers) else {
        return Ok(see_other("/login?next=/account"));
    };
    match state.app.begin_totp(&token).await {
        Ok(_) => Ok(see_other("/account/totp")),
        Err(AppError::Conflict { .. }) => Ok(see_other("/account#second-factor")),
        Err(AppError::Unauthenticated) => Ok(see_other("/login?next=/account")),
        Err(e) => Err(e.into()),
    }
}

fn setup_page(enrolment: &TotpEnrolment, errors: Vec<String>, fields: Vec<Field>) -> FactorStep {
    let mut page = FactorStep::new(
        private_nav(),
        "Set up your authenticator app",
        "Add Embargo to the app, then enter the code it shows to check that both agree.",
    )
    .form("/account/totp/confirm", "Turn on", fields);
    page.setup = Some((enrolment.secret_base32.expose().clone(), enrolment.uri.expose().clone()));
    page.errors = errors;
    page
}

/// `GET /account/totp`: the setup begun and not yet confirmed.
pub(crate) async fn totp_form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let Some(token) = session_cookie(&headers) else {
        return Ok(see_other("/login?next=/account"));
    };
    match state.app.pending_totp(&token).await {
        Ok(Some(enrolment)) => {
            Ok(html_status(StatusCode::OK, &setup_page(&enrolment, Vec::new(), vec![code_field("setup")])))
        }
        Ok(None) => Ok(see_other("/account#second-factor")),
        Err(AppError::Unauthenticated) => Ok(see_other("/login?next=/account")),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn codes_page(codes: &RecoveryCodes, continue_to: &str, title: &'static str) -> FactorStep {
    let mut page = FactorStep::new(
        private_nav(),
        title,
        "Signing in now asks for a code from your authenticator app after your password.",
    );
    page.codes = codes.0.iter().map(|c| c.expose().clone()).collect();
    page.continue_to = continue_to.to_owned();
    page
}

/// `POST /account/totp/confirm`: the first code turns the app on.
pub(crate) async fn confirm_totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(token) = session_cookie(&headers) else {
        return Ok(see_other("/login?next=/account"));
    };
    match state.app.confirm_totp(&token, Private::new(form.get("code"))).await {
        Ok(codes) => Ok(html_status(StatusCode::OK, &codes_page(&codes, "/account", "Your authenticator app is on"))),
        Err(e @ (AppError::BadSecondFactor | AppError::Invalid(_))) => {
            let Some(enrolment) = state.app.pending_totp(&token).await? else {
                return Ok(see_other("/account#second-factor"));
            };
            let mut field = code_field("setup");
            field.error = Some(e.to_string());
            Ok(html_status(StatusCode::UNPROCESSABLE_ENTITY, &setup_page(&enrolment, Vec::new(), vec![field])))
        }
        Err(AppError::Conflict { .. }) => Ok(see_other("/account#second-factor")),
        Err(AppError::Unauthenticated) => Ok(see_other("/login?next=/account")),
        Err(e) => Err(e.into()),
    }
}

/// A signed-in user; anyone else is sent to the sign-in page.
pub(crate) fn signed_in(viewer: &Viewer) -> Option<&Actor> {
    match &viewer.actor {
        actor @ Actor::User(_) => Some(actor),
        _ => None,
    }
}

/// Where a viewer who is not signed in goes.
pub(super) fn to_sign_in() -> Response {
    see_other("/login?next=/account")
}

struct SessionRow {
    id: String,
    created: String,
    expires: String,
    factor: String,
    current: bool,
}

struct KeyRow {
    id: String,
    name: String,
    added: String,
    used: String,
}

struct TokenRow {
    id: String,
    name: String,
    scopes: String,
    created: String,
    ends: String,
    live: bool,
}

#[derive(askama::Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Nav,
    notice: String,
    new_token: Option<String>,
    totp: bool,
    required: bool,
    recovery_codes_left: u64,
    sessions: Vec<SessionRow>,
    tokens: Vec<TokenRow>,
    codes_fields: Vec<Field>,
    remove_fields: Vec<Field>,
    password_fields: Vec<Field>,
    token_fields: Vec<Field>,
    errors: Vec<String>,
    failed: Option<&'static str>,
    /// Passkeys and security keys.
    keys: Vec<KeyRow>,
    /// Whether keys can be used (`public_url` names a domain).
    keys_available: bool,
    key_fields: Vec<Field>,
    /// The time zone dates are shown in, and its form.
    zone: String,
    zone_fields: Vec<Field>,
}

/// The forms of the account page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AccountForm {
    Codes,
    Remove,
    Password,
    Token,
    Key,
    Zone,
}

impl AccountForm {
    const fn name(self) -> &'static str {
        match self {
            AccountForm::Codes => "codes",
            AccountForm::Remove => "remove",
            AccountForm::Password => "password",
            AccountForm::Token => "token",
            AccountForm::Key => "key",
            AccountForm::Zone => "zone",
        }
    }
}

fn zone_fields(value: String) -> Vec<Field> {
    vec![
        Field::of_form("zone", "time_zone", "Time zone", FieldKind::Text)
            .hint("An IANA time zone name, such as Europe/Berlin, America/New_York or UTC.")
            .value(value)
            .required(),
    ]
}

fn password_fields() -> Vec<Field> {
    vec![
        Field::of_form("password", "current_password", "Current password", FieldKind::Password)
            .required()
            .autocomplete("current-password"),
        Field::of_form("password", "new_password", "New password", FieldKind::Password)
            .hint("At least 10 characters. A few unrelated words make a strong password that is easy to remember.")
            .required()
            .autocomplete("new-password"),
    ]
}

fn token_fields(form: Option<&FormData>, totp: bool, keys: bool) -> Vec<Field> {
    let chosen = form.map(|f| f.all("scopes")).unwrap_or_else(|| vec!["read".to_owned()]);
    let options = TokenScope::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.as_str().to_owned(), chosen.iter().any(|c| c == s.as_str())))
        .collect();
    let mut fields = vec![
        Field::of_form("token", "name", "Name", FieldKind::Text)
            .hint("What will use it, such as the CI job or script.")
            .value(form.map(|f| f.get("name")).unwrap_or_default())
            .required(),
        Field::of_form("token", "scopes", "Scopes", FieldKind::Checkboxes(options)),
        Field::of_form("token", "expires_in_days", "Days until it stops working", FieldKind::Text)
            .hint("1 to 3650.")
            .value(form.map_or_else(|| "90".to_owned(), |f| f.get("expires_in_days"))),
    ];
    if totp {
        fields.push(code_field("token").hint(
            "The code your authenticator app shows now. Not needed within 15 minutes of entering one to sign in.",
        ));
    } else if keys {
        fields.push(code_field("token").hint(
            "Not needed within 15 minutes of signing in with your key: sign out and in again, \
             or enter one of your recovery codes.",
        ));
    }
    fields
}

async fn account_page(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    failed: Option<(AccountForm, &FormData, &AppError)>,
) -> Result<AccountPage, PageError> {
    let actor = &viewer.actor;
    let status = state.app.factor_status(actor).await?;
    let current = session_cookie(headers);
    let sessions = state
        .app
        .sessions(actor, current.as_deref())
        .await?
        .into_iter()
        .map(|v| SessionRow {
            id: v.session.id.to_string(),
            created: when(v.session.created_at),
            expires: when(v.session.expires_at),
            factor: v.session.factor_at.map_or_else(|| "Not used".to_owned(), |at| format!("Given {}", when(at))),
            current: v.current,
        })
        .collect();
    let now = state.app.now();
    let zone = state.app.time_zone(actor).await?;
    let tokens = state
        .app
        .api_tokens(actor)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name.clone(),
            scopes: t.scopes.to_string(),
            created: when(t.created_at),
            ends: t.expires_at.map_or_else(|| "Never".to_owned(), when),
            live: t.revoked_at.is_none() && t.expires_at.is_none_or(|at| at > now),
        })
        .collect();
    let mut page = AccountPage {
        nav: Nav { private: true, ..viewer.nav(true) },
        notice: String::new(),
        new_token: None,
        totp: status.totp,
        required: status.required,
        recovery_codes_left: status.recovery_codes_left,
        sessions,
        tokens,
        codes_fields: vec![code_field("codes")],
        remove_fields: vec![code_field("remove")],
        password_fields: password_fields(),
        token_fields: token_fields(None, status.totp, status.security_keys > 0),
        errors: Vec::new(),
        failed: None,
        keys: state
            .app
            .security_keys(actor)
            .await?
            .into_iter()
            .map(|k| KeyRow {
                id: k.id.to_string(),
                name: k.name,
                added: when(k.created_at),
                used: k.last_used_at.map_or_else(|| "Never".to_owned(), when),
            })
            .collect(),
        keys_available: state.app.webauthn_available(),
        key_fields: vec![
            Field::new("name", "Name of the key", FieldKind::Text)
                .in_form("key")
                .hint("Such as \"Blue YubiKey\" or \"Laptop\".")
                .required(),
        ],
        zone_fields: zone_fields(zone.name().to_owned()),
        zone: zone.name().to_owned(),
    };
    if let Some((which, form, error)) = failed {
        let fields = match which {
            AccountForm::Codes => &mut page.codes_fields,
            AccountForm::Remove => &mut page.remove_fields,
            AccountForm::Password => &mut page.password_fields,
            AccountForm::Token => {
                page.token_fields = token_fields(Some(form), status.totp, status.security_keys > 0);
                &mut page.token_fields
            }
            AccountForm::Key => &mut page.key_fields,
            AccountForm::Zone => {
                page.zone_fields = zone_fields(form.get("time_zone"));
                &mut page.zone_fields
            }
        };
        page.errors = match error {
            AppError::BadSecondFactor | AppError::SecondFactorRequired => {
                if let Some(code) = fields.iter_mut().find(|f| f.name == "code") {
                    code.error = Some(error.to_string());
                    Vec::new()
                } else {
                    vec![error.to_string()]
                }
            }
            other => apply_errors(fields, other),
        };
        page.failed = Some(which.name());
    }
    Ok(page)
}

/// `GET /account`
pub(crate) async fn account(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if signed_in(&viewer).is_none() {
        return Ok(to_sign_in());
    }
    Ok(html_status(StatusCode::OK, &account_page(&state, &viewer, &headers, None).await?))
}

/// The answer to one of the account page's forms.
pub(super) async fn after(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    which: AccountForm,
    form: &FormData,
    result: Result<(), AppError>,
    anchor: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/account#{anchor}"))),
        Err(e @ (AppError::Invalid(_) | AppError::BadSecondFactor | AppError::SecondFactorRequired)) => {
            let status = match e {
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::BadSecondFactor => StatusCode::UNAUTHORIZED,
                _ => StatusCode::FORBIDDEN,
            };
            Ok(html_status(status, &account_page(state, viewer, headers, Some((which, form, &e))).await?))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/totp/remove`
pub(crate) async fn remove_totp(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(actor) = signed_in(&viewer) else {
        return Ok(to_sign_in());
    };
    let current = session_cookie(&headers);
    let result = state.app.remove_totp(actor, current.as_deref(), Private::new(form.get("code"))).await;
    after(&state, &viewer, &headers, AccountForm::Remove, &form, result, "second-factor").await
}

/// `POST /account/recovery-codes`: new codes, shown once.
pub(crate) async fn recovery_codes(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(actor) = signed_in(&viewer) else {
        return Ok(to_sign_in());
    };
    match state.app.regenerate_recovery_codes(actor, Private::new(form.get("code"))).await {
        Ok(codes) => Ok(html_status(StatusCode::OK, &codes_page(&codes, "/account", "New recovery codes"))),
        Err(e) => after(&state, &viewer, &headers, AccountForm::Codes, &form, Err(e), "second-factor").await,
    }
}

/// `POST /account/password`: other sessions end.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(actor) = signed_in(&viewer) else {
        return Ok(to_sign_in());
    };
    let current = session_cookie(&headers);
    let result = state
        .app
        .change_password(
            actor,
            current.as_deref(),
            Private::new(form.get("current_password")),
            Private::new(form.get("new_password")),
        )
        .await;
    after(&state, &viewer, &headers, AccountForm::Password, &form, result, "password").await
}

/// `POST /account/sessions/{id}/end`
pub(crate) async fn end_session(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(actor) = signed_in(&viewer) else {
        return Ok(to_sign_in());
    };
    let id: SessionId = id.parse().map_err(|_| PageError::not_found())?;
    state.app.end_session(actor, id).await?;
    Ok(see_other("/account#sessions"))
}

/// `POST /account/sessions/end-others`
pub(crate) async fn end_other_sessions(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(actor) = signed_in(&viewer) else {
        return Ok(to_sign_in());
    };
    state.app.end_other_sessions(actor, session_cookie(&headers).as_deref()).await?;
    Ok(see_other("/account#sessions"))
}

/// `POST /account/tokens`: the secret is shown once, on the account page.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(actor) = signed_in(&viewer) else {
        return Ok(to_sign_in());
    };
    let days = form.get("expires_in_days");
    let days = match days.trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(days) => Some(days),
            Err(_) => {
                let e = AppError::invalid("expires_in_days", "a number of days from 1 to 3650");
                return after(&state, &viewer, &headers, AccountForm::Token, &form, Err(e), "tokens").await;
            }
        },
    };
    let proof =
        FactorProof { session: session_cookie(&headers).map(Private::new), code: form.opt("code").map(Private::new) };
    match state.app.create_api_token(actor, &form.get("name"), &form.all("scopes"), days, &proof).await {
        Ok((_, secret)) => {
            let mut page = account_page(&state, &viewer, &headers, None).await?;
            page.new_token = Some(secret.expose().to_owned());
            Ok(html_status(StatusCode::CREATED, &page))
        }
        Err(e) => after(&state, &viewer, &headers, AccountForm::Token, &form, Err(e), "tokens").await,
    }
}

/// `POST /account/tokens/{id}/revoke`
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(actor) = signed_in(&viewer) else {
        return Ok(to_sign_in());
    };
    let id: TokenId = id.parse().map_err(|_| PageError::not_found())?;
    state.app.revoke_api_token(actor, id).await?;
    Ok(see_other("/account#tokens"))
}

/// The answer to removing a key: back to the account page, or the page with
/// what went wrong in the keys section.
pub(crate) async fn after_key_form(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    form: &FormData,
    result: Result<(), AppError>,
) -> Result<Response, PageError> {
    match result {
        Err(AppError::SecondFactorRequired) => {
            let error = AppError::SecondFactorRequired;
            let mut page = account_page(state, viewer, headers, Some((AccountForm::Key, form, &error))).await?;
            page.errors = vec![
                "Removing a key needs a second factor given in the last 15 minutes, and your account \
                 must keep one when a second factor is required: sign out and sign in again with your \
                 key or code, or set up another factor first."
                    .to_owned(),
            ];
            Ok(html_status(StatusCode::FORBIDDEN, &page))
        }
        other => after(state, viewer, headers, AccountForm::Key, form, other, "security-keys").await,
    }
}
