//! Embargo's HTTP layer: the JSON API under `/api/v1` (described by the
//! OpenAPI document at `/api/v1/openapi.json`), health checks, and the
//! middleware every response passes through.
//!
//! Handlers only translate: they parse requests into `embargo_app` calls and
//! the results into JSON. Who may do what is decided below this layer.

mod api;
pub mod bodies;
mod cookies;
mod error;
mod extract;
mod headers;
mod openapi;
mod osv_api;
mod pages;
mod public_cache;
mod published;
mod request_id;
mod telemetry;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, middleware};
use embargo_app::App;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ErrorBody, FieldError};
pub use extract::SESSION_COOKIE;
pub use metrics_exporter_prometheus::PrometheusHandle;
pub use public_cache::PublicCacheConfig;
pub use telemetry::{MetricsError, install as install_metrics, metrics_router};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Whether cookies get the `Secure` flag (when served over HTTPS).
    pub secure_cookies: bool,
    /// The address people reach the instance at, for links (`https://security.example.org`).
    pub public_url: String,
    /// How long a browser session lasts.
    pub session_ttl: time::Duration,
    /// Serve `/metrics` on this router (off by default: metrics are never
    /// public unless the operator says so).
    pub metrics: Option<PrometheusHandle>,
    /// The public cache of published advisories (issue 15).
    pub public_cache: PublicCacheConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            max_body_bytes: 256 * 1024,
            secure_cookies: false,
            public_url: "http://127.0.0.1:8080".into(),
            session_ttl: time::Duration::days(14),
            metrics: None,
            public_cache: PublicCacheConfig::default(),
        }
    }
}

/// What every handler gets.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// The HTTP settings.
    pub config: Arc<WebConfig>,
    /// Answers kept for the public (`public_cache.rs`).
    public_cache: Arc<public_cache::PublicCache>,
    /// Makes `x-request-id`s (`request_id.rs`).
    request_ids: request_id::RequestIds,
}

/// The whole HTTP application.
pub fn router(app: App, config: WebConfig) -> Router {
    let max_body = config.max_body_bytes;
    let public_cache = Arc::new(public_cache::PublicCache::new(config.public_cache.clone()));
    let key = app.random_key().unwrap_or_else(|e| {
        // Ids then still differ within this process; only another process could repeat them.
        tracing::warn!(error = %e, "no randomness for the request ids' key");
        [0; 16]
    });
    let request_ids = request_id::RequestIds::new(key);
    let state = AppState { app, config: Arc::new(config), public_cache, request_ids: request_ids.clone() };
    let csrf = csrf_layer(&state.config.public_url);
    Router::new()
        .merge(api::routes())
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/metrics", get(telemetry::serve_on_main))
        .merge(osv_api::routes())
        .merge(published::routes())
        .merge(pages::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(csrf)
        .layer(middleware::from_fn(headers::security_headers))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(middleware::from_fn(telemetry::observe))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            let path = loggable_path(request.uri().path());
            tracing::info_span!("request", method = %request.method(), path = %path, request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_ids))
        // Outermost: a kept public answer skips the layers above, and adds what they would (`public_cache.rs`).
        .layer(middleware::from_fn_with_state(state.clone(), public_cache::serve))
        .with_state(state)
}

/// Whether a path belongs to the machine interfaces, which answer errors as JSON.
fn is_machine_path(path: &str) -> bool {
    ["/api/", "/osv/", "/.well-known/", "/healthz", "/readyz"].iter().any(|p| path.starts_with(p))
}

async fn not_found(uri: Uri) -> Response {
    if is_machine_path(uri.path()) {
        ApiError::not_found().into_response()
    } else {
        pages::not_found_page().await.into_response()
    }
}

async fn method_not_allowed(uri: Uri) -> Response {
    if is_machine_path(uri.path()) {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this method is not allowed here")
            .into_response()
    } else {
        pages::method_not_allowed_page()
    }
}

/// The path as logged: the secret of a private link never reaches the logs.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["/follow/", "/shared/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}[redacted]").into();
        }
    }
    path.into()
}

/// Cross-site request forgery protection for every state-changing request:
/// a browser's cross-site form post is refused (`Sec-Fetch-Site`, `Origin`);
/// non-browser clients (the CLI, scripts with tokens) send neither header.
fn csrf_layer(public_url: &str) -> CsrfLayer<fn(tower_http::csrf::ProtectionError) -> Response> {
    let origin = public_url
        .split_once("://")
        .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)))
        .unwrap_or_default();
    let layer = CsrfLayer::new();
    let layer = match layer.clone().add_trusted_origin(&origin) {
        Ok(with_origin) => with_origin,
        Err(e) => {
            tracing::warn!(error = ?e, public_url, "public_url is not an origin; only same-host form posts are accepted");
            layer
        }
    };
    layer.with_rejection_response(pages::cross_site_page as fn(tower_http::csrf::ProtectionError) -> Response)
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error").into_response()
}
