//! `embargo bench`'s job part (issue 15, item 5): do notices drain as fast as
//! intake makes them? Files `--notices` reports through the intake use case
//! into an SQLite database of its own (each report is one notice: the
//! reporter's receipt), then drains the outbox they made with the real job
//! runner (batches, `job_concurrency` at once) and the real mail transport
//! (lettre's pooled SMTP) into an SMTP sink inside the bench, on loopback.
//! Answers intake's rate, the drain's time and rate, and how many mails and
//! connections the sink saw.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use embargo_app::clock::SystemClock;
use embargo_app::entropy::OsEntropy;
use embargo_app::{App, AppConfig, Notifier, Subscribers};
use embargo_mail::outbound::{MailNotifier, OutboundConfig, Security};
use embargo_store::{DatabaseUrl, OpenOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// What draining the notices took.
#[derive(Debug, Clone, Copy)]
pub(super) struct Drain {
    /// Notices queued (reports filed).
    pub notices: u64,
    /// Jobs run at once.
    pub concurrency: usize,
    /// Reports filed per second through the intake use case.
    pub intake_rate: f64,
    /// From the first claim to an empty outbox.
    pub took: Duration,
    /// Mails the sink accepted in all (the demo's too).
    pub mails: u64,
    /// SMTP connections the sink accepted in all: the pool reuses them.
    pub connections: u64,
}

impl Drain {
    /// Notices drained per second.
    pub fn rate(&self) -> f64 {
        self.notices as f64 / self.took.as_secs_f64().max(1e-9)
    }

    /// The table `embargo bench` prints: a header and one line.
    pub fn table(&self) -> String {
        format!(
            "\n| background jobs | drain | sink | intake, same run | drain / intake |\n| --- | --- | --- | --- | --- |\n\
             | notices drained into a local SMTP sink (SQLite, {} queued, {} at once) | {:.0} notices/s ({:.2} s) | {} mails in all over {} connections | intake {:.0} reports/s | ×{:.2} |",
            self.notices,
            self.concurrency,
            self.rate(),
            self.took.as_secs_f64(),
            self.mails,
            self.connections,
            self.intake_rate,
            self.rate() / self.intake_rate.max(1e-9)
        )
    }
}

/// Counts what the sink received.
#[derive(Debug, Default)]
struct Counts {
    mails: AtomicU64,
    connections: AtomicU64,
}

/// An SMTP server that accepts every mail and keeps none (RFC 5321's
/// commands, just enough for lettre: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
async fn sink(listener: tokio::net::TcpListener, counts: Arc<Counts>) {
    while let Ok((stream, _)) = listener.accept().await {
        counts.connections.fetch_add(1, Ordering::Relaxed);
        let counts = Arc::clone(&counts);
        tokio::spawn(async move {
            if let Err(e) = session(stream, &counts).await {
                tracing::debug!(error = %e, "a sink session ended");
            }
        });
    }
}

async fn session(stream: tokio::net::TcpStream, counts: &Counts) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let verb: String = line.iter().take(4).map(|b| b.to_ascii_uppercase() as char).collect();
        match verb.as_str() {
            "EHLO" => write.write_all(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n").await?,
            "DATA" => {
                write.write_all(b"354 end with a dot\r\n").await?;
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                }
                counts.mails.fetch_add(1, Ordering::Relaxed);
                write.write_all(b"250 kept nowhere\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"250 ok\r\n").await?,
        }
    }
}

/// Files `notices` reports (`concurrency` at once) and drains the notices they make.
pub(super) async fn drain(notices: u64, concurrency: u64) -> anyhow::Result<Drain> {
    let scratch = std::env::temp_dir().join(format!("embargo-bench-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let result = drain_in(&scratch, notices, concurrency).await;
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

async fn drain_in(scratch: &std::path::Path, notices: u64, concurrency: u64) -> anyhow::Result<Drain> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.context("cannot start the SMTP sink")?;
    let port = listener.local_addr()?.port();
    let counts = Arc::new(Counts::default());
    let sink_task = tokio::spawn(sink(listener, Arc::clone(&counts)));

    let url = DatabaseUrl::Sqlite(scratch.join("jobs.db"));
    let store = embargo_store::open(OpenOptions { url, secret: super::random_key()?, create: true })
        .await
        .context("cannot open the jobs bench database")?;
    let config = AppConfig::default();
    let jobs_at_once = config.job_concurrency;
    let app = App::new(store, Arc::new(SystemClock), Arc::new(OsEntropy), config)
        .with_signer(Arc::new(embargo_mail::openpgp::OpenPgpSigner));
    let mail = MailNotifier::new(OutboundConfig {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        username: None,
        password: None,
        ca_file: None,
        from: "security@bench.invalid".parse().context("the bench's sender address")?,
        public_url: "http://127.0.0.1:8080".into(),
        link_only: false,
        // Every receipt goes to the one filer: none is held back.
        receipts_per_hour: u64::MAX,
    })?;
    let notifier: Arc<dyn Notifier> = Arc::new(mail);
    let subscribers = Subscribers::standard(notifier);
    let Some(accounts) = super::super::demo::load(&app).await? else {
        anyhow::bail!("the jobs bench database is not empty");
    };
    let filer = app.act_as(&accounts.admin.0).await?;
    // The demo's own notices go first, untimed.
    app.run_due_jobs("bench", &subscribers, u32::MAX).await?;

    crate::output::note(&format!("filing {notices} reports for the notices ({concurrency} at once)…"));
    let intake_rate = super::load(&app, &filer, 0, notices, concurrency).await?.filing;
    crate::output::note(&format!("draining their notices ({jobs_at_once} jobs at once)…"));
    let start = Instant::now();
    loop {
        let run = app.run_due_jobs("bench", &subscribers, u32::MAX).await?;
        if run.done + run.retried + run.abandoned == 0 {
            break;
        }
    }
    let took = start.elapsed();
    sink_task.abort();
    app.close().await;
    Ok(Drain {
        notices,
        concurrency: jobs_at_once,
        intake_rate,
        took,
        mails: counts.mails.load(Ordering::Relaxed),
        connections: counts.connections.load(Ordering::Relaxed),
    })
}
