//! Runs the chosen command: loads the configuration and opens the database
//! for those that need it.

mod admin;
mod advisory;
mod audit;
mod backup;
#[cfg(feature = "bench")]
mod bench;
mod cra;
pub(crate) mod cve_services;
mod cvss;
mod demo;
mod doctor;
mod export;
mod forge;
mod healthcheck;
mod import;
mod init;
mod jobs;
mod lab;
mod mail;
mod manual;
mod policy;
mod public_issue;
mod report;
mod serve;
mod webhook;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use embargo_app::clock::SystemClock;
use embargo_app::entropy::OsEntropy;
use embargo_app::{App, AppConfig};
use embargo_store::{DatabaseUrl, OpenOptions};

use crate::cli::{Cli, Command};
use crate::config::{Config, Overrides};

/// Runs one command; the exit code says how it went.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let metrics_listen = match &cli.command {
        Command::Serve(args) => args.metrics_listen.clone(),
        // These need neither configuration nor database.
        Command::Cvss(args) => return Ok(cvss::run(args)),
        Command::Completions(args) => return manual::completions(args),
        Command::Man(args) => return manual::man(args),
        #[cfg(feature = "bench")]
        Command::Bench(args) if !matches!(args.command, Some(crate::cli::BenchCommand::Load(_))) => {
            return bench::run(args).await;
        }
        #[cfg(feature = "bench")]
        Command::Bench(_) => None,
        Command::Init(_)
        | Command::Admin(_)
        | Command::Report(_)
        | Command::Advisory(_)
        | Command::Policy(_)
        | Command::Audit(_)
        | Command::Jobs(_)
        | Command::Import(_)
        | Command::Export(_)
        | Command::Mail(_)
        | Command::Lab(_)
        | Command::Backup(_)
        | Command::Restore(_)
        | Command::Doctor(_)
        | Command::Healthcheck(_)
        | Command::Webhook(_)
        | Command::Forge(_) => None,
    };
    crate::output::set_json(cli.json);
    let overrides = Overrides {
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        listen: cli.listen,
        log_format: cli.log_format,
        metrics_listen,
    };
    let config = Config::load(&overrides)?;
    crate::logging::init(&config.settings.log, config.log_format)?;
    match cli.command {
        Command::Serve(args) => serve::run(config, args.demo, args.smtp_listen).await,
        Command::Policy(crate::cli::PolicyCommand::Check { file, project }) => policy::check(&file, project),
        Command::Init(args) => init::run(config, args).await,
        Command::Backup(args) => backup::backup(&config, args).await,
        Command::Restore(args) => backup::restore(&config, args).await,
        Command::Doctor(args) => doctor::run(&config, args).await,
        Command::Healthcheck(args) => healthcheck::run(&config, args).await,
        // The rest work on the database (those that need neither returned above).
        command => {
            let mut config = config;
            if matches!(command, Command::Mail(crate::cli_mail::MailCommand::Ingest { .. })) {
                // Run once per mail, it reads one thing at a time: one reader
                // connection, since each connection parses the whole schema.
                config.settings.performance.sqlite_readers = 1;
            }
            #[cfg(feature = "bench")]
            let create = matches!(command, Command::Bench(_));
            #[cfg(not(feature = "bench"))]
            let create = false;
            let app = open(&config, create).await?;
            let answer = on_the_database(&app, &config, command).await;
            // Pending writes committed and every connection closed: SQLite
            // then folds its write-ahead log into the database file. A
            // process that ends without closing leaves the log whole, and the
            // next one to open the database reads all of it back (a mail
            // ingest read 37 MB of log before this).
            app.close().await;
            answer
        }
    }
}

/// Runs a command that works on the database.
async fn on_the_database(app: &App, config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Policy(command) => policy::run(app, command).await,
        Command::Admin(command) => admin::run(app, command).await,
        Command::Report(command) => report::run(app, command).await,
        Command::Advisory(command) => advisory::run(app, command).await,
        Command::Audit(command) => audit::run(app, command).await,
        Command::Jobs(command) => jobs::run(app, config, command).await,
        Command::Import(command) => import::run(app, command).await,
        Command::Export(args) => export::run(app, config, args).await,
        Command::Lab(crate::cli::LabCommand::Worker(args)) => lab::worker(app, config, args).await,
        Command::Lab(command) => lab::run(app, command).await,
        Command::Mail(command) => mail::run(app, command, config.settings.mail.limits()).await,
        Command::Webhook(command) => webhook::run(app, command).await,
        Command::Forge(command) => forge::run(app, command).await,
        #[cfg(feature = "bench")]
        Command::Bench(crate::cli::BenchArgs { command: Some(crate::cli::BenchCommand::Load(load)), .. }) => {
            bench::load_into(app, &load).await
        }
        // Run above, without an open database.
        Command::Serve(_)
        | Command::Init(_)
        | Command::Cvss(_)
        | Command::Backup(_)
        | Command::Restore(_)
        | Command::Doctor(_)
        | Command::Healthcheck(_)
        | Command::Completions(_)
        | Command::Man(_) => anyhow::bail!("this command does not run on an open database"),
        #[cfg(feature = "bench")]
        Command::Bench(_) => anyhow::bail!("this command does not run on an open database"),
    }
}

/// Opens the database. With `create`, a missing SQLite file and data
/// directory are made; otherwise a missing database is an error, so a wrong
/// path never creates an empty one.
pub async fn open(config: &Config, create: bool) -> anyhow::Result<App> {
    if let DatabaseUrl::Sqlite(path) = &config.database
        && !create
        && !path.exists()
    {
        anyhow::bail!(
            "no database at {}: run `embargo init` or `embargo serve` first, or pass --data-dir / --database-url",
            path.display()
        );
    }
    let secret = config.secret_key(create)?;
    let options = OpenOptions { url: config.database.clone(), secret, create };
    let store = embargo_store::open_tuned(options, config.settings.performance.tuning())
        .await
        .with_context(|| format!("cannot open the database {}", config.database))?;
    let app_config = AppConfig {
        session_ttl: time::Duration::days(i64::from(config.settings.session_days)),
        public_url: config.public_url.clone(),
        job_lease: time::Duration::seconds(i64::from(config.settings.job_lease_secs)),
        job_concurrency: config.settings.job_concurrency,
        ..AppConfig::default()
    };
    // The app publishes signed files without knowing OpenPGP: embargo-mail signs for it.
    let signer = Arc::new(embargo_mail::openpgp::OpenPgpSigner);
    // Webhook receivers are called through embargo-outbound, which refuses
    // loopback and private addresses unless the operator allows them.
    let outbound = Arc::new(embargo_outbound::HttpClient::new(config.settings.outbound_allow_private));
    // Fix polling (issue 11) runs git the same way, its fetched copies cached in the data directory.
    let git =
        embargo_outbound::GitPoller::new(config.data_dir.join("git-cache"), config.settings.outbound_allow_private);
    let app = App::new(store, Arc::new(SystemClock), Arc::new(OsEntropy), app_config)
        .with_signer(signer)
        .with_outbound(outbound)
        .with_git(Arc::new(git));
    // Single sign-on, when `[oidc]` names a provider (its calls go through embargo-outbound too).
    Ok(match config.settings.oidc.wire(&config.public_url, config.settings.outbound_allow_private)? {
        Some(wired) => app.with_sso(Arc::new(wired.provider), wired.settings),
        None => app,
    })
}

/// Reads text from a file, or from standard input for `-`.
pub fn read_text(path: &std::path::Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("cannot read standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    }
}
