//! The built-in SMTP listener (RFC 5321) for small installs: `mailin` runs the
//! protocol, each finished message goes through [`crate::ingest`], and the
//! reply tells the sending MTA whether to retry (4xx) or bounce (5xx).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use embargo_app::App;
use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::inbound::{Envelope, Limits};
use crate::{IngestError, ingest};

/// The longest line read; longer ones are cut (RFC 5321 allows 1000 octets).
const MAX_LINE: u64 = 64 * 1024;

/// Collects one transaction's envelope and data.
struct Collector {
    limits: Limits,
    envelope: Envelope,
    data: Vec<u8>,
    too_large: bool,
    done: Finished,
}

/// A finished transaction, handed from the protocol handler to the session loop.
type Finished = Arc<Mutex<Option<(Envelope, Vec<u8>, bool)>>>;

impl Handler for Collector {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.envelope = Envelope { sender: Some(from.to_owned()), recipients: Vec::new() };
        mailin::response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if self.envelope.recipients.len() >= 50 {
            return Response::custom(452, "Too many recipients".into());
        }
        self.envelope.recipients.push(to.to_owned());
        mailin::response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> Response {
        self.data.clear();
        self.too_large = false;
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.data.len() + buf.len() > self.limits.max_bytes {
            self.too_large = true;
        } else {
            self.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let finished = (std::mem::take(&mut self.envelope), std::mem::take(&mut self.data), self.too_large);
        match self.done.lock() {
            Ok(mut done) => {
                *done = Some(finished);
                mailin::response::OK
            }
            Err(_) => mailin::response::INTERNAL_ERROR,
        }
    }
}

/// Accepts SMTP connections on `addr` until `stop` turns true.
pub async fn serve(
    app: App,
    listener: TcpListener,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let name = listener.local_addr().map(|a| a.ip().to_string()).unwrap_or_else(|_| "embargo".into());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot accept an SMTP connection");
                        continue;
                    }
                };
                let (app, name) = (app.clone(), name.clone());
                tokio::spawn(async move {
                    if let Err(e) = session(app, stream, peer, &name, limits).await {
                        tracing::debug!(error = %e, "SMTP session ended with an error");
                    }
                });
            }
            _ = stop.changed() => return Ok(()),
        }
    }
}

/// Binds the listener (so that a bad address fails at startup).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

async fn session(app: App, stream: TcpStream, peer: SocketAddr, name: &str, limits: Limits) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let done: Finished = Arc::default();
    let collector = Collector {
        limits,
        envelope: Envelope::default(),
        data: Vec::new(),
        too_large: false,
        done: Arc::clone(&done),
    };
    let mut session = SessionBuilder::new(name).build(peer.ip(), collector);
    write.write_all(&session.greeting().buffer()?).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader).take(MAX_LINE).read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        let finished = done.lock().ok().and_then(|mut d| d.take());
        if let Some((envelope, data, too_large)) = finished {
            let reply = if too_large {
                Response::custom(552, format!("Message larger than {} bytes", limits.max_bytes))
            } else {
                answer(ingest(&app, &data, &envelope, limits).await)
            };
            write.write_all(&reply.buffer()?).await?;
            continue;
        }
        match response.action {
            Action::Reply => write.write_all(&response.buffer()?).await?,
            Action::Close => {
                write.write_all(&response.buffer()?).await?;
                return Ok(());
            }
            Action::NoReply => {}
            Action::UpgradeTls => {
                write.write_all(&Response::custom(454, "TLS not available".into()).buffer()?).await?;
            }
        }
    }
}

/// The SMTP reply for an ingest's outcome.
fn answer(outcome: Result<crate::Ingested, IngestError>) -> Response {
    match outcome {
        Ok(_) => Response::custom(250, "Message accepted".into()),
        Err(IngestError::Temporary(_)) => Response::custom(451, "Local error, try again later".into()),
        Err(IngestError::NoProject(_)) => Response::custom(550, "No project takes mail for this address".into()),
        Err(e) => Response::custom(554, e.to_string()),
    }
}
