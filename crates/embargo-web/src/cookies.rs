//! Cookies: reading one from a request, and setting one the safe way.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::WebConfig;

/// A cookie's value from the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` when served
/// over HTTPS; `max_age` 0 deletes it. Values are tokens we made, so they
/// are always valid header text; anything else becomes a deleting cookie.
pub(crate) fn set_cookie(config: &WebConfig, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if config.secure_cookies { "; Secure" } else { "" };
    let value = if value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') { value } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("embargo_invalid=; Max-Age=0"))
}
