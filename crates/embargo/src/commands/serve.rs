//! `embargo serve`: the HTTP server and the job worker.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use std::sync::Arc;

use embargo_app::{App, LogNotifier, Notifier, Subscribers};
use embargo_mail::outbound::MailNotifier;
use embargo_web::WebConfig;

use crate::config::{Config, MetricsAt, ensure_data_dir};

/// Starts the server and runs until interrupted.
pub async fn run(config: Config, demo: bool, smtp_listen: Option<String>) -> anyhow::Result<ExitCode> {
    ensure_data_dir(&config.data_dir)?;
    config.check_private_files()?;
    let smtp = config.settings.mail.smtp_listen(smtp_listen.as_deref())?;
    let notifier = notifier(&config)?;
    let app = super::open(&config, true).await?;
    let slots = crate::config::password_hash_slots();
    embargo_app::secret::limit_password_hashing(slots);
    tracing::info!(slots, "password hashing runs at most this many at once");
    if demo {
        match super::demo::load(&app).await? {
            Some(accounts) => {
                println!("Demo loaded: three organisations with their policies, projects and reports.");
                println!("  administrator: {}  password {}", accounts.admin.0, accounts.admin.1);
                println!("  security team: {}  password {}", accounts.team.0, accounts.team.1);
                println!("  reporter:      {}  password {}", accounts.reporter.0, accounts.reporter.1);
            }
            None => println!("Demo already loaded."),
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (setting listen)", config.listen))?;
    let smtp_listener = match smtp {
        Some(addr) => Some(
            embargo_mail::listener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for SMTP on {addr} (--smtp-listen)"))?,
        ),
        None => None,
    };
    println!("Embargo is running at {}", config.public_url);
    println!("  data directory: {}", config.data_dir.display());
    println!("  database:       {}", config.database);
    if let Some(token) = app.issue_setup_token().await? {
        print_setup(&config.public_url, token.expose());
    }
    let web = WebConfig {
        max_body_bytes: config.settings.max_body_bytes,
        secure_cookies: config.secure_cookies,
        public_url: config.public_url.clone(),
        session_ttl: time::Duration::days(i64::from(config.settings.session_days)),
        metrics: match config.metrics {
            MetricsAt::Main => Some(embargo_web::install_metrics()?),
            MetricsAt::Off | MetricsAt::Listen(_) => None,
        },
        public_cache: config.settings.performance.public_cache(),
    };
    if let MetricsAt::Listen(addr) = config.metrics {
        let handle = embargo_web::install_metrics()?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (setting metrics_listen)"))?;
        println!("  metrics:        http://{addr}/metrics");
        let router = embargo_web::metrics_router(app.clone(), handle);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "the metrics listener failed");
            }
        });
    } else if config.metrics == MetricsAt::Main {
        println!("  metrics:        {}/metrics", config.public_url);
    }
    let router = embargo_web::router(app.clone(), web);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(work_jobs(app.clone(), Subscribers::standard(notifier), stopped.clone()));
    let indexer = tokio::spawn(index_search(app.clone(), stopped.clone()));
    if let Some(smtp_listener) = smtp_listener {
        if let Ok(addr) = smtp_listener.local_addr() {
            println!("  SMTP:           {addr}");
        }
        let limits = config.settings.mail.limits();
        tokio::spawn(embargo_mail::listener::serve(app.clone(), smtp_listener, limits, stopped.clone()));
    }
    let handoff = mail_handoff(&config, &app, stopped).await;
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server failed")?;
    let _ = stop.send(true);
    let _ = worker.await;
    let _ = indexer.await;
    if let Some(handoff) = handoff {
        let _ = handoff.await;
    }
    app.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Takes mail from `embargo-mailgate` on the socket in the data directory
/// (`embargo_mail::handoff`). Without it, the gate runs `embargo mail
/// ingest` itself: mail is still filed, only slower, so a socket that cannot
/// be opened is said and the server runs on.
async fn mail_handoff(
    config: &Config,
    app: &App,
    stopped: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let path = config.data_dir.join(embargo_mail::handoff::SOCKET_NAME);
    match embargo_mail::handoff::bind(&path).await {
        Ok(listener) => {
            println!("  mail handoff:   {} (embargo-mailgate)", path.display());
            let limits = config.settings.mail.limits();
            Some(tokio::spawn(embargo_mail::handoff::serve(app.clone(), listener, path, limits, stopped)))
        }
        Err(why) => {
            tracing::warn!(problem = %why, "embargo-mailgate will run `embargo mail ingest` for each mail");
            None
        }
    }
}

fn print_setup(public_url: &str, token: &str) {
    println!();
    println!("No administrator exists yet. Create the first one in your browser:");
    println!();
    println!("  {public_url}/setup?token={token}");
    println!();
    println!("or with the API, using the one-time token {token}:");
    println!(
        "  curl -X POST {public_url}/api/v1/setup -H 'Content-Type: application/json' \\\n    \
         -d '{{\"token\": \"{token}\", \"email\": \"you@example.org\", \"name\": \"Your Name\", \"password\": \"…\"}}'"
    );
    println!();
    println!("or, from this machine:  embargo admin user create --email you@example.org --admin");
    println!("A new token is printed at each start until an administrator exists.");
    println!();
}

/// The process's mail transport: the configured relay (checked once, in the
/// background), else a notifier that only logs.
pub(super) fn notifier(config: &Config) -> anyhow::Result<Arc<dyn Notifier>> {
    Ok(match config.settings.mail.outbound(&config.public_url)? {
        Some(outbound) => {
            let mail = MailNotifier::new(outbound)?;
            // A wrong relay setting is said at start, not at the first report.
            let probe = mail.clone();
            tokio::spawn(async move {
                match probe.check().await {
                    Ok(()) => tracing::info!("the mail relay accepts our connection"),
                    Err(why) => tracing::warn!(problem = %why, "notifications cannot be sent until this is fixed"),
                }
            });
            Arc::new(mail)
        }
        None => Arc::new(LogNotifier),
    })
}

/// Runs due jobs every few seconds until told to stop.
async fn work_jobs(app: App, subscribers: Subscribers, mut stop: tokio::sync::watch::Receiver<bool>) {
    let worker = match app.worker_name("serve") {
        Ok(name) => name,
        Err(e) => {
            tracing::error!(error = %e, "cannot name the job worker: no jobs run");
            return;
        }
    };
    tracing::info!(worker = %worker, "job worker started");
    loop {
        let busy = match app.run_due_jobs(&worker, &subscribers, JOBS_PER_RUN).await {
            Ok(run) if run.done + run.retried + run.abandoned > 0 => {
                tracing::debug!(?run, "jobs run");
                // A full run means more may be due (a backlog after a burst): go on without waiting.
                run.done + run.retried + run.abandoned >= JOBS_PER_RUN
            }
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(error = %e, "running jobs failed");
                false
            }
        };
        if busy {
            if *stop.borrow() {
                return;
            }
            continue;
        }
        if !pause(Duration::from_secs(job_interval()), &mut stop).await {
            return;
        }
    }
}

/// The most jobs one run claims before the worker looks at the stop signal again.
const JOBS_PER_RUN: u32 = 1_000;

/// Seconds between job runs when nothing is due: 5, or `EMBARGO_JOB_INTERVAL_SECS` (tests make it 1).
fn job_interval() -> u64 {
    std::env::var("EMBARGO_JOB_INTERVAL_SECS").ok().and_then(|v| v.parse().ok()).filter(|n| *n >= 1).unwrap_or(5)
}

pub(super) async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

/// Reports the background indexer takes per transaction. Each holds about a
/// thousand terms (3–8 ms of the writer's time for a 2 KB report), and
/// whatever the writer is given meanwhile waits for the transaction: one at a
/// time keeps that wait short (issue 15: four at a time held a mail handed
/// over by `embargo-mailgate` up to 25 ms).
const BACKGROUND_INDEX_BATCH: u32 = 1;

/// How long the writer must have been asked for nothing before the indexer
/// takes it: longer than the gaps between mails handed over one after the
/// other, or between the requests of a flood of intake.
const INDEX_QUIET: Duration = Duration::from_millis(10);

/// The longest the indexer yields while reports wait: then it takes a batch
/// regardless, so that intake that never pauses delays the index (four
/// reports a second) but never stops it.
const INDEX_LONGEST_YIELD: Duration = Duration::from_millis(250);

/// Indexes new reports for search in the background, a batch at a time,
/// until told to stop. While reports wait, it takes the writer only when
/// nothing else asked for it for [`INDEX_QUIET`] (or once it has yielded
/// for [`INDEX_LONGEST_YIELD`]): indexing is housekeeping, and a search
/// catches up by itself. Yielding a fifth of the writer's time instead held
/// mail handed over one message after the other at 200–290 a second, where
/// it is filed at 340 without the indexer (issue 15).
async fn index_search(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let go_on = match app.index_pending_search(BACKGROUND_INDEX_BATCH).await {
            Ok(n) if n == u64::from(BACKGROUND_INDEX_BATCH) => yield_to_writes(&app, &mut stop).await,
            Ok(_) => pause(Duration::from_secs(1), &mut stop).await,
            Err(e) => {
                tracing::warn!(error = %e, "indexing new reports for search failed");
                pause(Duration::from_secs(5), &mut stop).await
            }
        };
        if !go_on {
            return;
        }
    }
}

/// Waits until the writer has been asked for nothing for [`INDEX_QUIET`], or
/// for [`INDEX_LONGEST_YIELD`] at most; `false` when told to stop meanwhile.
async fn yield_to_writes(app: &App, stop: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    let began = tokio::time::Instant::now();
    loop {
        let asked = app.writes_asked();
        if !pause(INDEX_QUIET, stop).await {
            return false;
        }
        if app.writes_asked() == asked || began.elapsed() >= INDEX_LONGEST_YIELD {
            return true;
        }
    }
}

/// Sleeps for `how_long`; `false` when told to stop meanwhile.
async fn pause(how_long: Duration, stop: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(how_long) => true,
        _ = stop.changed() => false,
    }
}
