//! Calls to the outside world over HTTP (webhook receivers now; forges and
//! CVE Services next). The app says what to send; the binary wires in the
//! client that sends it (`embargo-outbound`, which refuses loopback and
//! private addresses unless the operator allows them), as it wires the mail
//! transport. Without one, every call fails for a retry.

use std::fmt;

/// One `POST` to send.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// Where to send it (`https://...`).
    pub url: String,
    /// Extra headers, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The body (JSON text).
    pub body: String,
}

impl fmt::Debug for OutboundRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a receiver's token: leave it out of logs.
        f.debug_struct("OutboundRequest").field("body_bytes", &self.body.len()).finish_non_exhaustive()
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    /// The HTTP status.
    pub status: u16,
    /// The start of the body, as text (at most [`RESPONSE_KEPT`] bytes).
    pub body: String,
}

/// How much of a response is kept.
pub const RESPONSE_KEPT: usize = 1024;

/// Why a call got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The call may not be made: a URL that does not parse, a scheme other
    /// than http(s), or an address that is loopback or private. Never retried.
    #[error("refused: {0}")]
    Refused(String),
    /// No answer (name resolution, connection, TLS, timeout). Worth a retry.
    #[error("failed: {0}")]
    Failed(String),
}

/// The HTTP method of an [`Outbound::call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET` (the body is not sent).
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
}

/// How much of a response [`Outbound::call`] keeps: enough for an API's JSON answer.
pub const CALL_RESPONSE_KEPT: usize = 256 * 1024;

/// Sends HTTP requests to the outside world.
#[async_trait::async_trait]
pub trait Outbound: Send + Sync + fmt::Debug {
    /// Sends `request` as a `POST` and answers what came back, whatever its status.
    async fn post(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError>;

    /// Sends `request` with `method` to an API (CVE Services) and answers what
    /// came back, whatever its status, keeping up to [`CALL_RESPONSE_KEPT`]
    /// bytes of the body. A client that only posts answers other methods with a failure.
    async fn call(&self, method: Method, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        match method {
            Method::Post => self.post(request).await,
            Method::Get | Method::Put => Err(OutboundError::Failed("this HTTP client makes POST requests only".into())),
        }
    }
}

/// The client of a process that was given none: every call fails for a retry.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoOutbound;

#[async_trait::async_trait]
impl Outbound for NoOutbound {
    async fn post(&self, _request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        Err(OutboundError::Failed("no outbound HTTP client is configured in this process".into()))
    }
}
