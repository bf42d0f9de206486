//! Security headers, set once for every response.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy of every response: our own resources only,
/// no inline script, never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers; private (non-public-cacheable) answers also get
/// `Cache-Control: no-store` unless the handler chose a cache policy.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    apply(response.headers_mut());
    response
}

/// The security headers of [`security_headers`], set on `headers`: the one
/// list, also used by the public cache for the answers it keeps, which it
/// serves before this middleware.
pub(crate) fn apply(headers: &mut HeaderMap) {
    const PAIRS: [(HeaderName, &str); 7] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    ];
    headers.reserve(PAIRS.len() + 1);
    for (name, value) in PAIRS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
