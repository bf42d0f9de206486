//! `embargo bench`: loads reports through the product's own write path (the
//! intake use case, as `embargo report submit` files them) into a fresh
//! database, and times the work whose cost must not grow with the number of
//! reports: the team's queue and its filters, at a small size and at the
//! full size, side by side. Public reads (the advisory page, OSV) are timed
//! through the real router in process, beside a bare axum router answering
//! the same bytes, so the ratio says what Embargo's own work costs.
//!
//! A benchmark, not a test: CI runs it at a tiny size only, to keep it working.
//! Figures from a shared or busy machine are noisy: compare the ratios.
//!
//! Its subcommands are the parts `bench/run` (the whole benchmark, from
//! outside, beside the ceilings) drives: `load` fills a configured instance,
//! `bare` serves the same bytes as a public page with nothing else.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use embargo_app::clock::SystemClock;
use embargo_app::entropy::OsEntropy;
use embargo_app::{AdvisoryQuery, App, AppConfig, Envelope, ReportQuery};
use embargo_core::message::Channel;
use embargo_core::permission::Actor;
use embargo_core::report::Submission;
use embargo_store::seal::SecretKey;
use embargo_store::{DatabaseUrl, OpenOptions};
use tower::ServiceExt;

use crate::cli::{BenchArgs, BenchCommand};

mod bare;
mod load;

mod jobs;

mod search;

/// The projects of the demo instance the reports are spread over.
const PROJECTS: [&str; 4] = ["lanternworks/lantern", "lanternworks/wick", "orbit-lang/orbit", "harbor-relay/relay"];

/// Words the generated reports are made of (about 2 KB of body each).
const WORDS: [&str; 48] = [
    "attacker",
    "request",
    "header",
    "parser",
    "overflow",
    "buffer",
    "template",
    "injection",
    "escape",
    "session",
    "cookie",
    "token",
    "redirect",
    "upload",
    "archive",
    "path",
    "traversal",
    "symlink",
    "deserialise",
    "payload",
    "regex",
    "backtracking",
    "denial",
    "service",
    "memory",
    "leak",
    "race",
    "lock",
    "signature",
    "verify",
    "bypass",
    "admin",
    "privilege",
    "sandbox",
    "plugin",
    "config",
    "default",
    "credential",
    "hash",
    "timing",
    "cache",
    "poisoning",
    "proxy",
    "websocket",
    "origin",
    "cross",
    "site",
    "script",
];

/// A timing: median and 90th percentile of several rounds.
#[derive(Debug, Clone, Copy)]
struct Timing {
    p50: Duration,
    p90: Duration,
}

impl Timing {
    fn ms(d: Duration) -> String {
        format!("{:.2} ms", d.as_secs_f64() * 1000.0)
    }
}

/// Runs `work` `rounds` times (after two unmeasured rounds) and answers its timing.
async fn time<F, Fut>(rounds: u32, mut work: F) -> anyhow::Result<Timing>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..2 {
        work().await?;
    }
    let mut all = Vec::new();
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        work().await?;
        all.push(start.elapsed());
    }
    all.sort();
    let at = |q: f64| {
        let i = ((all.len() as f64 - 1.0) * q).round() as usize;
        all.get(i).copied().unwrap_or_default()
    };
    Ok(Timing { p50: at(0.5), p90: at(0.9) })
}

/// Report `n`'s submission: a title and about 2 KB of body, varied by `n`.
fn submission(n: u64) -> Submission {
    let word = |k: u64| WORDS.get(((n.wrapping_mul(2654435761) >> (k % 16)) as usize + k as usize) % WORDS.len());
    let mut body = String::with_capacity(2100);
    let mut k = 0;
    while body.len() < 2000 {
        body.push_str(word(k).copied().unwrap_or("report"));
        body.push(if k % 12 == 11 { '.' } else { ' ' });
        k += 1;
    }
    Submission {
        title: format!(
            "{} {} in the {} (bench {n})",
            word(1).unwrap_or(&"flaw"),
            word(2).unwrap_or(&"bug"),
            word(3).unwrap_or(&"code")
        ),
        body,
        versions_tested: Some("1.0.0".into()),
        versions_vulnerable: Some("1.0.0".into()),
        ..Submission::default()
    }
}

/// The rates of a load, in reports per second.
#[derive(Debug, Clone, Copy)]
struct Rates {
    /// Filing through the intake use case.
    filing: f64,
    /// Indexing the filed reports for search afterwards.
    indexing: f64,
}

/// Files reports `from..to` through the intake use case, `concurrency` at a
/// time, then indexes them for search (timed apart); answers both rates.
async fn load(app: &App, filer: &Actor, from: u64, to: u64, concurrency: u64) -> anyhow::Result<Rates> {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let progress = std::sync::Arc::new(search::Progress::new(to - from));
    for lane in 0..concurrency.max(1) {
        let app = app.clone();
        let filer = filer.clone();
        let progress = progress.clone();
        tasks.spawn(async move {
            let mut n = from + lane;
            while n < to {
                let project = PROJECTS.get((n % PROJECTS.len() as u64) as usize).copied().unwrap_or(PROJECTS[0]);
                let envelope = Envelope::form(project.parse()?, submission(n), Vec::new(), Channel::Cli);
                app.submit_report(&filer, envelope).await.with_context(|| format!("filing report {n}"))?;
                progress.tick();
                n += concurrency.max(1);
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a filing task failed")??;
    }
    let seconds = start.elapsed().as_secs_f64();
    // Intake leaves the search index to a background indexer (and a search
    // indexes only a few hundred waiting reports first): index everything
    // filed, so that what is measured next reads a complete index.
    let start = Instant::now();
    let progress = search::Progress::new(to - from).named("indexed");
    loop {
        let n = app.index_pending_search(INDEX_AFTER_LOAD).await?;
        if n == 0 {
            break;
        }
        progress.add(n);
    }
    let indexing = start.elapsed().as_secs_f64();
    let rate = |s: f64| if s > 0.0 { (to - from) as f64 / s } else { 0.0 };
    Ok(Rates { filing: rate(seconds), indexing: rate(indexing) })
}

/// Reports indexed per transaction once a load is done.
const INDEX_AFTER_LOAD: u32 = 256;

/// `query` turned to its 20th page by following the cursors (or its last
/// page, when there are fewer).
async fn twentieth_page(app: &App, team: &Actor, mut query: ReportQuery) -> anyhow::Result<ReportQuery> {
    for _ in 0..19 {
        match app.reports(team, &query).await?.next {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    Ok(query)
}

/// The queue timings at one size, in table order.
async fn queue_timings(app: &App, team: &Actor, reporter: &Actor, rounds: u32) -> anyhow::Result<Vec<Timing>> {
    let open = ReportQuery { open_only: true, limit: Some(50), ..ReportQuery::default() };
    let mut out = Vec::new();
    out.push(time(rounds, || async { app.reports(team, &open).await.map(drop).map_err(Into::into) }).await?);
    let deep = twentieth_page(app, team, open.clone()).await?;
    out.push(time(rounds, || async { app.reports(team, &deep).await.map(drop).map_err(Into::into) }).await?);
    let rare = ReportQuery { state: Some("acknowledged".into()), limit: Some(50), ..ReportQuery::default() };
    out.push(time(rounds, || async { app.reports(team, &rare).await.map(drop).map_err(Into::into) }).await?);
    let project = ReportQuery {
        org: Some("lanternworks".parse()?),
        project: Some("wick".parse()?),
        open_only: true,
        limit: Some(50),
        ..ReportQuery::default()
    };
    out.push(time(rounds, || async { app.reports(team, &project).await.map(drop).map_err(Into::into) }).await?);
    let mine = ReportQuery { limit: Some(50), ..ReportQuery::default() };
    out.push(time(rounds, || async { app.reports(reporter, &mine).await.map(drop).map_err(Into::into) }).await?);
    let by_deadline = ReportQuery { deadline_first: true, ..open.clone() };
    out.push(time(rounds, || async { app.reports(team, &by_deadline).await.map(drop).map_err(Into::into) }).await?);
    Ok(out)
}

const QUEUE_ROWS: [&str; 6] = [
    "team queue, first page (open, 50)",
    "team queue, 20th page (cursor)",
    "state filter, rare state",
    "project filter (open)",
    "a reporter's own reports",
    "deadline order, first page",
];

/// One GET through a router, answering the status and body.
async fn get(router: &axum::Router, path: &str) -> anyhow::Result<(StatusCode, axum::body::Bytes)> {
    let mut request = Request::get(path).body(Body::empty())?;
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024).await?;
    Ok((status, body))
}

/// Times a public path through the real router and through a bare router serving the same bytes.
async fn public_timing(router: &axum::Router, path: &str, rounds: u32) -> anyhow::Result<Option<(Timing, Timing)>> {
    let (status, body) = get(router, path).await?;
    if status != StatusCode::OK {
        return Ok(None);
    }
    let bare = axum::Router::new().route(
        "/{*path}",
        axum::routing::get(move || {
            let body = body.clone();
            async move { body }
        }),
    );
    let ours = time(rounds * 4, || async { get(router, path).await.map(drop) }).await?;
    let ceiling = time(rounds * 4, || async { get(&bare, path).await.map(drop) }).await?;
    Ok(Some((ours, ceiling)))
}

fn random_key() -> anyhow::Result<SecretKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(SecretKey::from_bytes(bytes))
}

/// `bench load` into the configured instance `app`.
pub async fn load_into(app: &App, args: &crate::cli::BenchLoadArgs) -> anyhow::Result<ExitCode> {
    load::run(app, args).await
}

/// Runs the benchmark and prints its table.
pub async fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(BenchCommand::Bare(bare)) => return bare::run(bare).await,
        Some(BenchCommand::Load(_)) => bail!("bench load needs the instance's configuration"),
        None => {}
    }
    if args.baseline == 0 || args.reports <= args.baseline {
        bail!("--reports ({}) must be more than --baseline ({}), which must not be 0", args.reports, args.baseline);
    }
    let scratch = std::env::temp_dir().join(format!("embargo-bench-{}", std::process::id()));
    let url = match &args.database_url {
        Some(url) => url.parse::<DatabaseUrl>().context("--database-url")?,
        None => {
            std::fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
            DatabaseUrl::Sqlite(scratch.join("bench.db"))
        }
    };
    let backend = match url {
        DatabaseUrl::Sqlite(_) => "SQLite",
        DatabaseUrl::Postgres(_) => "PostgreSQL",
    };
    let result = bench(args, url, backend).await;
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    result
}

async fn bench(args: &BenchArgs, url: DatabaseUrl, backend: &str) -> anyhow::Result<ExitCode> {
    let store = embargo_store::open(OpenOptions { url, secret: random_key()?, create: true })
        .await
        .context("cannot open the bench database")?;
    let app = App::new(store, std::sync::Arc::new(SystemClock), std::sync::Arc::new(OsEntropy), AppConfig::default())
        .with_signer(std::sync::Arc::new(embargo_mail::openpgp::OpenPgpSigner));
    let Some(accounts) = super::demo::load(&app).await? else {
        bail!("the database is not empty: give embargo bench a database of its own");
    };
    let team = app.act_as(&accounts.team.0).await?;
    let reporter = app.act_as(&accounts.reporter.0).await?;
    // The administrator files them: the intake limits spare administrators, as they would a flood's owner.
    let filer = app.act_as(&accounts.admin.0).await?;
    crate::output::note(&format!("loading {} reports ({backend}, {} at once)…", args.baseline, args.concurrency));
    let small_rate = load(&app, &filer, 0, args.baseline, args.concurrency).await?;
    let small = queue_timings(&app, &team, &reporter, args.rounds).await?;
    let small_search = search::timings(&app, &team, args.rounds).await?;
    crate::output::note(&format!("loading {} more…", args.reports - args.baseline));
    let large_rate = load(&app, &filer, args.baseline, args.reports, args.concurrency).await?;
    let large = queue_timings(&app, &team, &reporter, args.rounds).await?;
    let large_search = search::timings(&app, &team, args.rounds).await?;

    let router = embargo_web::router(
        app.clone(),
        embargo_web::WebConfig {
            max_body_bytes: 1 << 20,
            secure_cookies: false,
            public_url: "http://127.0.0.1:8080".into(),
            session_ttl: time::Duration::days(1),
            metrics: None,
            public_cache: embargo_web::PublicCacheConfig::default(),
        },
    );
    let advisory = app
        .advisories(&Actor::Anonymous, &AdvisoryQuery::default())
        .await?
        .into_iter()
        .find(|a| a.published.is_some())
        .map(|a| a.id.to_string());
    let mut public = Vec::new();
    if let Some(id) = advisory {
        for (label, path) in
            [("public advisory page", format!("/advisories/{id}")), ("OSV vulns/{id}", format!("/osv/v1/vulns/{id}"))]
        {
            if let Some(pair) = public_timing(&router, &path, args.rounds).await? {
                public.push((label, pair));
            }
        }
    }

    let (b, n) = (args.baseline, args.reports);
    println!("embargo bench: {backend}, {n} reports, {} rounds each (median / 90th percentile)", args.rounds);
    println!();
    println!("| work | at {b} | at {n} | {n} / {b} (medians) |");
    println!("| --- | --- | --- | --- |");
    for ((label, s), l) in QUEUE_ROWS.iter().zip(&small).zip(&large) {
        let ratio = l.p50.as_secs_f64() / s.p50.as_secs_f64().max(1e-9);
        println!(
            "| {label} | {} / {} | {} / {} | ×{ratio:.2} |",
            Timing::ms(s.p50),
            Timing::ms(s.p90),
            Timing::ms(l.p50),
            Timing::ms(l.p90)
        );
    }
    search::print_rows(&small_search, &large_search);
    println!(
        "| intake through the use case ({} at once) | {:.0} reports/s | {:.0} reports/s | ×{:.2} |",
        args.concurrency,
        small_rate.filing,
        large_rate.filing,
        large_rate.filing / small_rate.filing.max(1e-9)
    );
    println!(
        "| search indexing after the load ({INDEX_AFTER_LOAD} per transaction) | {:.0} reports/s | {:.0} reports/s | ×{:.2} |",
        small_rate.indexing,
        large_rate.indexing,
        large_rate.indexing / small_rate.indexing.max(1e-9)
    );
    if !public.is_empty() {
        println!();
        println!(
            "| public read, in process, at {n} reports | Embargo | bare axum, same bytes | Embargo / ceiling (throughput) |"
        );
        println!("| --- | --- | --- | --- |");
        for (label, (ours, ceiling)) in &public {
            let share = ceiling.p50.as_secs_f64() / ours.p50.as_secs_f64().max(1e-9) * 100.0;
            println!(
                "| {label} | {} / {} | {} / {} | {share:.0} % |",
                Timing::ms(ours.p50),
                Timing::ms(ours.p90),
                Timing::ms(ceiling.p50),
                Timing::ms(ceiling.p90)
            );
        }
    }
    println!("{}", jobs::drain(args.notices, args.concurrency).await?.table());
    Ok(ExitCode::SUCCESS)
}
