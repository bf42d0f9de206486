//! The sessions with the SMTP relay (issue 15, item 5): a small pool of
//! lettre connections on sockets with `TCP_NODELAY`.
//!
//! lettre writes a mail's content and the final `CRLF.CRLF` (RFC 5321
//! section 4.1.1.4) in two writes, then waits for the relay's answer. With
//! Nagle's algorithm on (lettre never turns it off), the kernel holds the
//! short second write until the first is acknowledged, and the relay, which
//! has nothing to say before the final dot, delays that acknowledgement (40
//! ms on Linux): every mail waited about 40 ms for nothing, which capped a
//! job runner at a few dozen mails a second. Here the socket is opened by
//! us, with `TCP_NODELAY`, and handed to lettre, which does the rest
//! (greeting, EHLO, STARTTLS, authentication, the transaction) as before.
//!
//! A relay reached with TLS from the first byte (`security = "tls"`, port
//! 465) is still connected by lettre itself (the TLS layer is lettre's), so
//! its sockets keep Nagle's algorithm; STARTTLS (the default) and plain
//! relays get `TCP_NODELAY`.
//!
//! Pooling is lettre's: a parked session is checked with `NOOP` before it is
//! used again, one idle longer than [`IDLE_TIMEOUT`] is closed instead, one
//! that failed is never parked, and at most [`MAX_IDLE`] are kept.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;

/// How long connecting to the relay may take (lettre's default).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// A parked session idle longer than this is closed rather than reused (lettre's default).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The most sessions parked (more than the job runner's default concurrency).
const MAX_IDLE: usize = 16;

/// How the relay is reached (lettre's `TlsParameters` have no `Debug`).
#[derive(Clone)]
pub(super) enum Reach {
    /// Plain SMTP.
    Plain,
    /// Plain SMTP, then STARTTLS (required).
    StartTls(TlsParameters),
    /// TLS from the first byte.
    Tls(TlsParameters),
}

/// Why a session could not be had or a mail not sent.
#[derive(Debug, thiserror::Error)]
pub(super) enum RelayError {
    /// The relay could not be reached (refused, unreachable, timed out).
    #[error("cannot connect to the mail relay: {0}")]
    Connect(std::io::Error),
    /// The session or the transaction failed (lettre's error: TLS, an SMTP reply, the network).
    #[error(transparent)]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// The relay and its parked sessions.
pub(super) struct Relay {
    host: String,
    port: u16,
    reach: Reach,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// Parked sessions and when each was parked. Never held across an `.await`.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No credentials, and lettre's sessions say nothing useful.
        f.debug_struct("Relay").field("host", &self.host).field("port", &self.port).finish_non_exhaustive()
    }
}

impl Relay {
    /// A relay at `host:port`; nothing is connected until a mail is sent.
    pub(super) fn new(host: String, port: u16, reach: Reach, credentials: Option<Credentials>) -> Self {
        Relay { host, port, reach, credentials, hello: ClientId::default(), idle: Mutex::new(Vec::new()) }
    }

    /// Sends `message` on a parked session or a new one.
    pub(super) async fn send(&self, message: &lettre::Message) -> Result<Response, RelayError> {
        self.send_raw(message.envelope(), &message.formatted()).await
    }

    async fn send_raw(&self, envelope: &Envelope, content: &[u8]) -> Result<Response, RelayError> {
        let mut session = self.session().await?;
        let sent = session.send(envelope, content).await;
        self.park(session).await;
        Ok(sent?)
    }

    /// Opens a session as a delivery does (TLS, credentials), says whether
    /// the relay answers `NOOP`, and parks it.
    pub(super) async fn check(&self) -> Result<bool, RelayError> {
        let mut session = self.connect().await?;
        let answers = session.test_connected().await;
        self.park(session).await;
        Ok(answers)
    }

    /// A parked session that still answers, else a new one.
    async fn session(&self) -> Result<AsyncSmtpConnection, RelayError> {
        loop {
            let parked = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let Some((mut session, since)) = parked else { break };
            if since.elapsed() < IDLE_TIMEOUT && session.test_connected().await {
                return Ok(session);
            }
            session.abort().await;
        }
        self.connect().await
    }

    /// Parks a session for the next mail, unless it failed or enough are parked.
    async fn park(&self, mut session: AsyncSmtpConnection) {
        if session.has_broken() {
            session.abort().await;
            return;
        }
        let refused = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push((session, Instant::now()));
                None
            } else {
                Some(session)
            }
        };
        if let Some(mut session) = refused {
            let _ = session.quit().await;
        }
    }

    /// Connects, greets, secures and authenticates a new session.
    async fn connect(&self) -> Result<AsyncSmtpConnection, RelayError> {
        let mut session = match &self.reach {
            Reach::Tls(tls) => {
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(CONNECT_TIMEOUT),
                    &self.hello,
                    Some(tls.clone()),
                    None,
                )
                .await?
            }
            Reach::Plain | Reach::StartTls(_) => {
                let socket = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
                )
                .await
                .map_err(|_| RelayError::Connect(std::io::ErrorKind::TimedOut.into()))?
                .map_err(RelayError::Connect)?;
                socket.set_nodelay(true).map_err(RelayError::Connect)?;
                let mut session = AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello).await?;
                if let Reach::StartTls(tls) = &self.reach {
                    session.starttls(tls.clone(), &self.hello).await?;
                }
                session
            }
        };
        if let Some(credentials) = &self.credentials {
            session.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(session)
    }
}
