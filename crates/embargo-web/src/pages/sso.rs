//! Single sign-on pages (issue 12, item 2): `GET /login/sso` sends the
//! browser to the identity provider with a short-lived binding cookie;
//! `GET /login/sso/callback` is where the provider sends it back. Both are
//! plain links and redirects: no script.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use embargo_app::AppError;
use embargo_app::sso::{ProviderError, SsoCallback, SsoRefusal};

use super::accounts::{next_path, session_response};
use super::{FormData, PageError, see_other};
use crate::AppState;
use crate::cookies::{cookie, set_cookie};
use crate::extract::ClientAddr;

/// The cookie that binds a sign-in under way to the browser that started it.
pub(crate) const SSO_COOKIE: &str = "embargo_sso";

/// The sign-in link, keeping where the person wanted to go.
pub(crate) fn start_link(next: Option<&str>) -> String {
    match next {
        Some(next) => {
            let query = form_urlencoded::Serializer::new(String::new()).append_pair("next", next).finish();
            format!("/login/sso?{query}")
        }
        None => "/login/sso".to_owned(),
    }
}

/// The status a refusal is answered with.
pub(crate) fn refusal_status(refusal: &SsoRefusal) -> StatusCode {
    match refusal {
        SsoRefusal::NotConfigured => StatusCode::NOT_FOUND,
        SsoRefusal::Expired | SsoRefusal::StateMismatch => StatusCode::BAD_REQUEST,
        SsoRefusal::Failed(ProviderError::Unreachable(_)) => StatusCode::BAD_GATEWAY,
        SsoRefusal::Provider(_)
        | SsoRefusal::Failed(ProviderError::Rejected(_))
        | SsoRefusal::NoEmail
        | SsoRefusal::UnverifiedEmail
        | SsoRefusal::NoAccount => StatusCode::FORBIDDEN,
    }
}

/// `GET /login/sso`: starts a sign-in at the provider (404 when none is set up).
pub(crate) async fn start(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let next = FormData::from_query(query.as_deref()).opt("next").and_then(|n| next_path(&n));
    let started = state.app.begin_sso(next, client).await?;
    let mut response = see_other(&started.url);
    let max_age = embargo_app::sso::SSO_PENDING_TTL.whole_seconds();
    let cookie = set_cookie(&state.config, SSO_COOKIE, started.binding.expose(), max_age);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `GET /login/sso/callback`: the provider's answer; signs in, or says why not.
pub(crate) async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let form = FormData::from_query(query.as_deref());
    let answer = SsoCallback { state: form.opt("state"), code: form.opt("code"), error: form.opt("error") };
    let binding = cookie(&headers, SSO_COOKIE);
    let signed = match state.app.finish_sso(binding.as_deref(), answer).await {
        Ok(signed) => signed,
        Err(AppError::SsoRefused(refusal)) => {
            let status = refusal_status(&refusal);
            let mut response = PageError::sso(status, refusal.to_string()).into_response();
            // A refusal after the pending sign-in was taken leaves nothing to bind.
            if !matches!(refusal, SsoRefusal::StateMismatch) {
                response.headers_mut().append(header::SET_COOKIE, set_cookie(&state.config, SSO_COOKIE, "", 0));
            }
            return Ok(response);
        }
        Err(e) => return Err(e.into()),
    };
    let session = signed.signed.session;
    let next = signed.next_path;
    let stage = state.app.sign_in_stage(session.expose()).await?;
    let to = stage.and_then(|s| super::security::after_password(s, next.as_deref()));
    let to = to.as_deref().or(next.as_deref()).unwrap_or("/reports");
    let mut response = session_response(&state, session.expose(), to);
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&state.config, SSO_COOKIE, "", 0));
    Ok(response)
}
