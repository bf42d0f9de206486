//! Embargo's HTTP layer: the JSON API under `/api/v1` (described by the
//! OpenAPI document at `/api/v1/openapi.json`), health checks, and the
//! middleware every response passes through.
//!
//! Handlers only translate: they parse requests into `embargo_app` calls and
//! the results into JSON. Who may do what is decided below this layer.

mod api;
mod error;
mod extract;
mod headers;
mod openapi;
mod osv_api;
mod published;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, middleware};
use embargo_app::App;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

pub use error::{ApiError, ErrorBody, FieldError};
pub use extract::SESSION_COOKIE;

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
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            max_body_bytes: 256 * 1024,
            secure_cookies: false,
            public_url: "http://127.0.0.1:8080".into(),
            session_ttl: time::Duration::days(14),
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
}

/// The whole HTTP application.
pub fn router(app: App, config: WebConfig) -> Router {
    let max_body = config.max_body_bytes;
    let state = AppState { app, config: Arc::new(config) };
    let (api, document) =
        OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).merge(api::routes()).split_for_parts();
    let document = Arc::new(document);
    Router::new()
        .merge(api)
        .route("/api/v1/openapi.json", get(move || openapi::serve(Arc::clone(&document))))
        .merge(osv_api::routes())
        .merge(published::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(headers::security_headers))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this method is not allowed here")
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error").into_response()
}
