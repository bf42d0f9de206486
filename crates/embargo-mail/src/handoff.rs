//! The mail handoff: `embargo serve` takes mail from `embargo-mailgate` (an
//! MTA's pipe, one process per message) over a Unix socket in the data
//! directory, files each through [`crate::ingest`], and answers with the exit
//! code and line `embargo mail ingest` gives for the same mail.
//!
//! The gate is a small program that starts in about a millisecond, where
//! `embargo mail ingest` must load the whole application and open the
//! database for each mail. Who may hand mail over is who may open the socket:
//! it is made readable and writable by its owner only, in the data directory.
//!
//! The exchange, one mail per connection:
//!
//! ```text
//! gate:   embargo-mail 1\n
//!         sender SENDER\n          (at most once; absent when unknown)
//!         recipient RECIPIENT\n    (any number, at most 50)
//!         \n
//!         the mail's bytes, then the gate shuts its side down
//! serve:  CODE TEXT\n              (CODE: 0, 65, 67 or 75, as `mail ingest` exits)
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use embargo_app::App;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;

use crate::inbound::{Envelope, Limits};
use crate::{IngestError, Ingested, ingest};

/// The first line of every handoff.
pub const GREETING: &str = "embargo-mail 1";
/// The socket's file name in the data directory.
pub const SOCKET_NAME: &str = "mail.sock";
/// The most mails filed at once; further gates wait in the listen queue.
const AT_ONCE: usize = 32;
/// The longest header line read.
const MAX_LINE: u64 = 4096;
/// The most recipients one mail may name (as the SMTP listener allows).
const MAX_RECIPIENTS: usize = 50;
/// How long a gate may take to send its mail.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// sysexits.h codes, which MTAs (Postfix pipe, Exim, sendmail) act on.
pub mod exit {
    /// The mail was filed or dropped on purpose.
    pub const OK: u8 = 0;
    /// The mail is refused; the MTA bounces it.
    pub const DATAERR: u8 = 65;
    /// No project takes mail for its address.
    pub const NOUSER: u8 = 67;
    /// Try again later: the MTA keeps the mail.
    pub const TEMPFAIL: u8 = 75;
}

/// The exit code and the line `embargo mail ingest` and the handoff give for an outcome.
pub fn verdict(outcome: &Result<Ingested, IngestError>) -> (u8, String) {
    match outcome {
        Ok(Ingested::Filed(report)) => (exit::OK, format!("filed as report {report}")),
        Ok(Ingested::Replied(report, message)) => (exit::OK, format!("filed as message {message} on report {report}")),
        Ok(Ingested::Duplicate) => (exit::OK, "already filed: nothing stored".to_owned()),
        Ok(Ingested::Dropped(reason)) => (exit::OK, format!("machine mail ({reason:?}): dropped without an answer")),
        Err(e) => {
            let code = match e {
                IngestError::Temporary(_) => exit::TEMPFAIL,
                IngestError::NoProject(_) => exit::NOUSER,
                IngestError::Refused(_) | IngestError::Banned(_) | IngestError::Invalid(_) => exit::DATAERR,
            };
            (code, e.to_string())
        }
    }
}

/// Why the socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Another server answers on it.
    #[error("another server already takes mail at {0}")]
    InUse(String),
    /// The file system refused.
    #[error("cannot listen for mail at {path}: {source}")]
    Io {
        /// The socket's path.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
}

/// Opens the socket at `path`, owner-only. A socket left by a server that
/// stopped is replaced; one another server answers on is not.
pub async fn bind(path: &Path) -> Result<UnixListener, BindError> {
    let io = |source| BindError::Io { path: path.display().to_string(), source };
    if path.exists() {
        if UnixStream::connect(path).await.is_ok() {
            return Err(BindError::InUse(path.display().to_string()));
        }
        std::fs::remove_file(path).map_err(io)?;
    }
    let listener = UnixListener::bind(path).map_err(io)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    Ok(listener)
}

/// Takes handed-over mail on `listener` until `stop` turns true, then removes the socket at `path`.
pub async fn serve(
    app: App,
    listener: UnixListener,
    path: std::path::PathBuf,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(AT_ONCE));
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a mail handoff");
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let app = app.clone();
        tokio::spawn(async move {
            if let Err(e) = take_one(&app, stream, limits).await {
                tracing::debug!(error = %e, "a mail handoff ended with an error");
            }
            drop(permit);
        });
    }
    let _ = std::fs::remove_file(&path);
}

/// Reads one handoff, files it and answers.
async fn take_one(app: &App, stream: UnixStream, limits: Limits) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let request = tokio::time::timeout(READ_TIMEOUT, read_request(BufReader::new(read), limits)).await;
    let (code, line) = match request {
        Err(_) => (exit::TEMPFAIL, "the mail was not sent in time".to_owned()),
        Ok(Err(refusal)) => (exit::DATAERR, refusal),
        Ok(Ok((envelope, raw))) => verdict(&ingest(app, &raw, &envelope, limits).await),
    };
    write.write_all(format!("{code} {line}\n").as_bytes()).await?;
    write.shutdown().await
}

/// The envelope and the mail (at most `limits.max_bytes` and one byte more,
/// so that a larger mail is refused by [`ingest`] as too large), or why the
/// request is not a handoff.
async fn read_request<R: AsyncRead + Unpin>(
    mut reader: BufReader<R>,
    limits: Limits,
) -> Result<(Envelope, Vec<u8>), String> {
    let mut envelope = Envelope::default();
    let mut first = true;
    loop {
        let mut line = Vec::new();
        (&mut reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| format!("cannot read the handoff: {e}"))?;
        let Some(line) = line.strip_suffix(b"\n") else {
            return Err("the handoff ended before its mail".to_owned());
        };
        let line = std::str::from_utf8(line).map_err(|_| "a handoff line is not UTF-8".to_owned())?;
        if first {
            if line != GREETING {
                return Err(format!("not a mail handoff (expected {GREETING:?})"));
            }
            first = false;
            continue;
        }
        match line.split_once(' ') {
            None if line.is_empty() => break,
            Some(("sender", sender)) if envelope.sender.is_none() => envelope.sender = Some(sender.to_owned()),
            Some(("recipient", _)) if envelope.recipients.len() >= MAX_RECIPIENTS => {
                return Err(format!("more than {MAX_RECIPIENTS} recipients"));
            }
            Some(("recipient", recipient)) => envelope.recipients.push(recipient.to_owned()),
            _ => return Err(format!("not a handoff line: {line:?}")),
        }
    }
    let cap = u64::try_from(limits.max_bytes).unwrap_or(u64::MAX).saturating_add(1);
    let mut raw = Vec::new();
    reader.take(cap).read_to_end(&mut raw).await.map_err(|e| format!("cannot read the mail: {e}"))?;
    Ok((envelope, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(bytes: &[u8]) -> Result<(Envelope, Vec<u8>), String> {
        read_request(BufReader::new(bytes), Limits { max_bytes: 16, ..Limits::default() }).await
    }

    #[tokio::test]
    async fn a_handoff_gives_its_envelope_and_its_mail() {
        let (envelope, raw) = parse(
            b"embargo-mail 1\nsender a@x.org\nrecipient s@y.org\nrecipient t@y.org\n\nSubject: hi\n\nbody and more",
        )
        .await
        .expect("a handoff");
        assert_eq!(envelope.sender.as_deref(), Some("a@x.org"));
        assert_eq!(envelope.recipients, ["s@y.org", "t@y.org"]);
        assert_eq!(raw, b"Subject: hi\n\nbody", "the mail is cut one byte past the limit, so ingest refuses it");
    }

    #[tokio::test]
    async fn anything_else_is_refused_with_its_reason() {
        for (bytes, reason) in [
            (&b"HELO x\n\nmail"[..], "not a mail handoff"),
            (b"embargo-mail 1\nsender a\nsender b\n\n", "not a handoff line"),
            (b"embargo-mail 1\nbcc someone\n\n", "not a handoff line"),
            (b"embargo-mail 1\nsender a@x.org", "ended before its mail"),
            (b"embargo-mail 1\n\xff\n\n", "not UTF-8"),
        ] {
            let refused = parse(bytes).await.expect_err("refused");
            assert!(refused.contains(reason), "{refused:?} should say {reason:?}");
        }
        let many: String = (0..=MAX_RECIPIENTS).map(|i| format!("recipient r{i}@y.org\n")).collect();
        let refused = parse(format!("embargo-mail 1\n{many}\n").as_bytes()).await.expect_err("refused");
        assert!(refused.contains("more than 50 recipients"), "{refused}");
    }
}
