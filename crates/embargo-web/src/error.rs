//! The one error response of the HTTP layer: `{"error": CODE, "message": TEXT}`
//! (plus `fields` for invalid input). A 5xx reveals nothing; its cause is
//! logged with the request id.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use embargo_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code (`not_found`, `invalid_input`, `illegal_transition`, ...).
    pub error: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// For `invalid_input`: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name in the request.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
    /// Seconds for `Retry-After` (429).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), fields: Vec::new(), retry_after: None }
    }

    /// Nothing here (also for things the caller may not see).
    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found")
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The per-field problems of an `invalid_input` error.
    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let status = match &error {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthenticated | AppError::BadCredentials | AppError::BadSecondFactor => {
                StatusCode::UNAUTHORIZED
            }
            AppError::SecondFactorRequired => StatusCode::FORBIDDEN,
            AppError::Forbidden | AppError::SignupClosed | AppError::ChannelClosed | AppError::Banned(_) => {
                StatusCode::FORBIDDEN
            }
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Advisory(embargo_core::advisory::AdvisoryError::Incomplete { .. }) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::IllegalTransition(_)
            | AppError::Advisory(_)
            | AppError::Conflict { .. }
            | AppError::CveUnavailable(_) => StatusCode::CONFLICT,
            AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::SsoRefused(refusal) => crate::pages::sso_refusal_status(refusal),
        };
        let retry_after = match &error {
            AppError::Throttled { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let fields = match &error {
            AppError::Invalid(errors) => {
                errors.0.iter().map(|e| FieldError { field: e.field(), message: e.to_string() }).collect()
            }
            _ => Vec::new(),
        };
        let message = match &error {
            AppError::Internal(cause) | AppError::Unavailable(cause) => {
                tracing::error!(code = error.code(), cause = %cause, "request failed");
                error.to_string()
            }
            _ => error.to_string(),
        };
        ApiError { status, code: error.code(), message, fields, retry_after }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                e.body_text().replace("Failed to deserialize the JSON body into the target type: ", ""),
            ),
            JsonRejection::JsonSyntaxError(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                e.body_text().replace("Failed to parse the request body as JSON: ", "the body is not valid JSON: "),
            ),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            other => ApiError::new(other.status(), "bad_request", other.body_text()),
        }
    }
}

/// The body is over the configured limit.
pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the request body is larger than this server accepts",
    )
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // A path segment that does not parse names nothing that exists.
        ApiError::not_found()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthenticated = self.status == StatusCode::UNAUTHORIZED;
        let body = ErrorBody { error: self.code, message: self.message, fields: self.fields };
        let mut response = (self.status, Json(body)).into_response();
        if unauthenticated {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
