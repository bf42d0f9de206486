//! Embargo's outbound HTTP client, the app's [`Outbound`]: reqwest 0.12 on
//! rustls, redirects never followed, a time limit per request, and no call
//! to a loopback, private, link-local or otherwise internal address unless
//! the operator allows it (`outbound_allow_private`). The check is made on
//! the addresses the name resolves to, and the request goes to the checked
//! address (the name is pinned to it), so a name that resolves to a public
//! address when checked and a private one when used cannot slip through.

mod address;
mod git;
pub mod oidc;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use embargo_app::outbound::{
    CALL_RESPONSE_KEPT, Method, Outbound, OutboundError, OutboundRequest, OutboundResponse, RESPONSE_KEPT,
};
use reqwest::Url;
use reqwest::redirect::Policy;

pub use address::is_public;
pub use git::GitPoller;

/// The client.
#[derive(Debug, Clone, Copy)]
pub struct HttpClient {
    /// Whether loopback and private addresses may be called (tests, closed networks).
    pub allow_private: bool,
    /// The longest a request may take, connection included.
    pub timeout: Duration,
}

impl HttpClient {
    /// A client with a 10-second limit.
    pub fn new(allow_private: bool) -> Self {
        HttpClient { allow_private, timeout: Duration::from_secs(10) }
    }

    /// The address to call for `url`: its host resolved, each address checked.
    async fn destination(&self, url: &Url) -> Result<(Option<String>, SocketAddr), OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::Refused(format!("the scheme {:?} is not http or https", url.scheme())));
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let host = url.host_str().ok_or_else(|| OutboundError::Refused("the URL has no host".into()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let (name, addresses) = match bare.parse::<IpAddr>() {
            Ok(ip) => (None, vec![SocketAddr::new(ip, port)]),
            Err(_) => {
                let found = tokio::time::timeout(self.timeout, tokio::net::lookup_host((bare, port)))
                    .await
                    .map_err(|_| OutboundError::Failed(format!("resolving {bare} took too long")))?
                    .map_err(|e| OutboundError::Failed(format!("cannot resolve {bare}: {e}")))?;
                (Some(bare.to_owned()), found.collect::<Vec<_>>())
            }
        };
        let Some(first) = addresses.first().copied() else {
            return Err(OutboundError::Failed("the name resolves to no address".into()));
        };
        if !self.allow_private
            && let Some(bad) = addresses.iter().find(|a| !is_public(a.ip()))
        {
            return Err(OutboundError::Refused(format!(
                "{} is a loopback, private or internal address (allowed only with outbound_allow_private)",
                bad.ip()
            )));
        }
        Ok((name, first))
    }
}

/// The most of an identity provider's answer read (metadata, key set, tokens).
const EXCHANGE_KEPT: usize = 1024 * 1024;

impl HttpClient {
    /// Sends one request as the OpenID Connect client needs it (any method,
    /// the body and headers as given) to the checked address, and reads at
    /// most 1 MiB of the answer. Redirects are answered, never followed.
    pub async fn exchange(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, OutboundError> {
        let url = Url::parse(&request.uri().to_string())
            .map_err(|e| OutboundError::Refused(format!("the URL does not parse: {e}")))?;
        let (name, address) = self.destination(&url).await?;
        let mut builder = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .no_proxy()
            .user_agent(concat!("Embargo/", env!("CARGO_PKG_VERSION"), " (single sign-on)"));
        if let Some(name) = &name {
            builder = builder.resolve(name, address);
        }
        let client = builder.build().map_err(|e| OutboundError::Failed(format!("no HTTP client: {e}")))?;
        let (parts, body) = request.into_parts();
        let mut call = client.request(parts.method, url).body(body);
        for (name, value) in &parts.headers {
            call = call.header(name, value);
        }
        let mut response = call.send().await.map_err(|e| OutboundError::Failed(describe(&e)))?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| OutboundError::Failed(describe(&e)))? {
            body.extend_from_slice(&chunk);
            if body.len() > EXCHANGE_KEPT {
                return Err(OutboundError::Refused("the answer is larger than 1 MiB".into()));
            }
        }
        answer.body(body).map_err(|e| OutboundError::Failed(format!("a malformed answer: {e}")))
    }
}

#[async_trait::async_trait]
impl Outbound for HttpClient {
    async fn post(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        self.send(Method::Post, request, RESPONSE_KEPT, "webhooks").await
    }

    async fn call(&self, method: Method, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        self.send(method, request, CALL_RESPONSE_KEPT, "api").await
    }
}

impl HttpClient {
    /// Sends one request to the checked address and keeps up to `kept` bytes of the answer.
    async fn send(
        &self,
        method: Method,
        request: OutboundRequest,
        kept: usize,
        purpose: &str,
    ) -> Result<OutboundResponse, OutboundError> {
        let url =
            Url::parse(&request.url).map_err(|e| OutboundError::Refused(format!("the URL does not parse: {e}")))?;
        let (name, address) = self.destination(&url).await?;
        let mut builder = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .no_proxy()
            .user_agent(format!("Embargo/{} ({purpose})", env!("CARGO_PKG_VERSION")));
        if let Some(name) = &name {
            builder = builder.resolve(name, address);
        }
        let client = builder.build().map_err(|e| OutboundError::Failed(format!("no HTTP client: {e}")))?;
        let mut call = match method {
            Method::Get => client.get(url),
            Method::Post => client.post(url).body(request.body),
            Method::Put => client.put(url).body(request.body),
        };
        for (name, value) in request.headers {
            call = call.header(name, value);
        }
        let mut response = call.send().await.map_err(|e| OutboundError::Failed(describe(&e)))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while body.len() < kept {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                // The status is the answer; a body cut short changes nothing.
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(kept);
        Ok(OutboundResponse { status, body: String::from_utf8_lossy(&body).into_owned() })
    }
}

/// A request error as one line, without the URL (it may hold a receiver's token).
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "the receiver did not answer in time"
    } else if error.is_connect() {
        "cannot connect to the receiver"
    } else {
        "the request failed"
    };
    let mut cause = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(e) = cause {
        detail = e.to_string();
        cause = e.source();
    }
    if detail.is_empty() { what.to_owned() } else { format!("{what}: {detail}") }
}

#[cfg(test)]
mod tests;
