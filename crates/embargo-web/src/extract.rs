//! Extractors that answer their rejections as [`ApiError`]s, and the one
//! that tells who is asking.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use embargo_app::Credential;
use embargo_core::permission::Actor;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The name of the browser session cookie.
pub const SESSION_COOKIE: &str = "embargo_session";

/// A JSON body; refuses unknown fields, wrong types and bad syntax alike.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        // serde also reads a struct from an array (`[null, null]` as its fields in
        // order); every request body of this API is an object, as the document says.
        if !value.is_object() {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "the body must be a JSON object",
            ));
        }
        let value = serde_json::from_value(value)
            .map_err(|e| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", e.to_string()))?;
        Ok(Json(value))
    }
}

/// Path parameters; a segment that does not parse is "not found".
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// Query parameters; unknown ones and wrong types are a clear 400.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// The credential presented with a request: a bearer token wins over the cookie.
pub fn credential(parts: &Parts) -> Result<Option<Credential>, ApiError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| unauthenticated())?;
        let (scheme, token) = value.split_once(' ').ok_or_else(unauthenticated)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(unauthenticated());
        }
        return Ok(Some(Credential::Bearer(token.trim().to_owned())));
    }
    Ok(session_cookie(&parts.headers).map(Credential::Session))
}

/// The session cookie's value, if sent.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    crate::cookies::cookie(headers, SESSION_COOKIE)
}

fn unauthenticated() -> ApiError {
    ApiError::from(embargo_app::AppError::Unauthenticated)
}

/// A report id taken from a path or a form: text that is no report id names
/// nothing, so it is answered as not found, like an unknown id.
pub(crate) fn report_id(text: &str) -> Result<embargo_core::id::ReportId, embargo_app::AppError> {
    text.trim().parse().map_err(|_| embargo_app::AppError::NotFound)
}

/// An advisory id taken from a path or a form (see [`report_id`]).
pub(crate) fn advisory_id(text: &str) -> Result<embargo_core::id::AdvisoryId, embargo_app::AppError> {
    text.trim().parse().map_err(|_| embargo_app::AppError::NotFound)
}

/// An invitation's id taken from a path or a form (see [`report_id`]).
pub(crate) fn collaborator_id(text: &str) -> Result<embargo_core::id::CollaboratorId, embargo_app::AppError> {
    text.trim().parse().map_err(|_| embargo_app::AppError::NotFound)
}

/// Who is asking: anonymous, a follow-up token's holder, or a user.
#[derive(Debug, Clone)]
pub struct CurrentActor(pub Actor);

impl FromRequestParts<AppState> for CurrentActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let credential = credential(parts)?;
        Ok(CurrentActor(state.app.authenticate(credential.as_ref()).await?))
    }
}

/// The client's network address: the peer of the connection (`serve` runs with
/// connect info). Behind a reverse proxy this is the proxy's address, so
/// address limits then count everyone together; `None` when the server was
/// started without connect info (in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddr(peer.map(|info| info.0.ip())))
    }
}

/// Distinguishes a field set to `null` (`Some(None)`) from a field left out (`None`).
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// A policy file in the body (`Content-Type: application/toml` or `text/plain`).
#[derive(Debug, Clone)]
pub struct TomlBody(pub String);

impl<S> FromRequest<S> for TomlBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if !matches!(essence.as_str(), "application/toml" | "text/plain" | "text/x-toml") {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the policy file as TOML with Content-Type: application/toml",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                crate::error::too_large()
            } else {
                ApiError::new(e.status(), "bad_request", e.body_text())
            }
        })?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            ApiError::new(axum::http::StatusCode::BAD_REQUEST, "invalid_toml", "the policy file is not UTF-8 text")
        })?;
        Ok(TomlBody(text))
    }
}
