//! The command line: every command, its flags, and its help with examples.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod admin;
mod advisory;
mod cra;
mod forge;
mod formats;
mod operations;
mod report;
mod webhook;

pub use admin::*;
pub use advisory::*;
pub use cra::*;
pub use forge::*;
pub use formats::*;
pub use operations::*;
pub use report::*;
pub use webhook::*;

/// What `--help` shows after the list of commands, in every build.
macro_rules! after_help {
    () => {
        "\
Examples:
  embargo serve       (127.0.0.1:8080, SQLite in ./embargo-data)
  embargo admin user create --email me@example.org --admin
  embargo cvss CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
  embargo import osv ./advisories --project python/cpython
  embargo export osv --out ./osv
  embargo audit verify --checkpoint ./yesterday.checkpoint

Exit codes:
  0  success
  1  failure (the reason is printed)
  2  usage error
  3  the audit log was tampered with, or no longer extends the checkpoint (audit verify)
  65, 67, 75  mail ingest: refused, no such address, try again later (sysexits)"
    };
}

/// What `--help` shows after the list of commands.
#[cfg(feature = "bench")]
const AFTER_HELP: &str = after_help!();

/// What `--help` shows after the list of commands; this build (the
/// container image's) says which developer command it leaves out.
#[cfg(not(feature = "bench"))]
const AFTER_HELP: &str = concat!(
    after_help!(),
    "\n\nThis build leaves out `embargo bench` (the benchmark, a developer's tool): build with the default \
     features to get it."
);

/// Embargo: private vulnerability reports in, coordinated advisories out.
#[derive(Debug, Parser)]
#[command(name = "embargo", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Where Embargo keeps its data (SQLite database, secret key, config).
    #[arg(long, global = true, env = "EMBARGO_DATA_DIR", default_value = "./embargo-data")]
    pub data_dir: PathBuf,

    /// The database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB (default: SQLite in the data dir).
    #[arg(long, global = true, env = "EMBARGO_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the server listens (also the default public_url for links printed by any command).
    #[arg(long, global = true, env = "EMBARGO_LISTEN")]
    pub listen: Option<String>,

    /// Print JSON instead of text (list and show commands, backup, doctor).
    #[arg(long, global = true)]
    pub json: bool,

    /// Log lines as text (colour only on a terminal) or json.
    #[arg(long, global = true, env = "EMBARGO_LOG_FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    #[command(after_help = "Examples:\n  embargo serve\n  embargo serve --listen 0.0.0.0:8080 \
                            --database-url postgres://embargo@db/embargo\n\n\
                            With no administrator yet, it prints a one-time token to create the first one.")]
    Serve(ServeArgs),
    /// Create the data directory, a commented config file and the secret key.
    #[command(after_help = "Examples:\n  embargo init\n  embargo --data-dir /var/lib/embargo init\n  \
                            embargo init --print-secret   # a new secret for EMBARGO_SECRET_KEY")]
    Init(InitArgs),
    /// Manage users, organisations, projects, teams and settings (as the operator).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Work on reports from the shell.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Draft, edit and publish advisories from the shell.
    #[command(subcommand)]
    Advisory(AdvisoryCommand),
    /// Check, apply and show security policies (TOML).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The outbox: list what waits, or run what is due (what `serve` does every few seconds).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Score a CVSS 3.0, 3.1 or 4.0 vector: prints score, severity and the normalised vector.
    #[command(after_help = "Examples:\n  embargo cvss CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n    \
                            9.8 CRITICAL CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n  \
                            embargo cvss CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U\n    \
                            8.1 HIGH CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U (CVSS-BT)\n\n\
                            A 4.0 score covers every metric given: CVSS-B (base), -BT (threat), -BE (environmental), -BTE.\n\
                            Exit 1 with the reason when the vector is not valid.")]
    Cvss(CvssArgs),
    /// Import advisories from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write every published advisory to a directory, one file per advisory.
    #[command(after_help = "Examples:\n  embargo export osv --out ./osv\n  \
                            embargo export cve --out ./cve --org pallets   # the CNA from its CVE Services credentials\n  \
                            embargo export cve --out ./cve --cna-org-id b3476cb9-2e3d-41a6-98d0-0f47421a65b6 --cna-short-name pallets --org pallets\n  \
                            embargo export csaf --out /var/www/example.org/.well-known/csaf\n\n\
                            Files are named by id (OSV: the advisory id; CVE: the CVE id).\n\
                            csaf writes the whole CSAF provider for a static web server to serve at /.well-known/csaf/:\n\
                            provider-metadata.json, openpgp/ keys, white/ with index.txt, changes.csv, the ROLIE feed and\n\
                            YEAR/ID.json with .sha256, .sha512 and an OpenPGP .asc signature (organisations with a key pair).\n\
                            Only published revisions are written; CVE records only for advisories with a CVE id.")]
    Export(ExportArgs),
    /// The e-mail channel: take in mail, security addresses, OpenPGP keys.
    #[command(subcommand)]
    Mail(crate::cli_mail::MailCommand),
    /// The evidence lab: run reports' proofs of concept in a sandbox.
    #[command(subcommand)]
    Lab(LabCommand),
    /// Copy a running SQLite instance into one file, then check the copy.
    #[command(after_help = "Examples:\n  embargo backup --out /backups/embargo-$(date +%F).db\n  \
                            embargo backup --out embargo.db --with-secret   # restorable on its own; keep it safe\n\n\
                            The copy is consistent while the server runs (SQLite VACUUM INTO), then checked:\n\
                            SQLite's integrity check and the audit log's hash chain.\n\
                            Without --with-secret the backup cannot be read without the instance secret\n\
                            (secret.key or EMBARGO_SECRET_KEY): back that up separately.\n\
                            PostgreSQL: use pg_dump (see README, \"Back up and restore\").")]
    Backup(BackupArgs),
    /// Restore a backup file into an empty data directory.
    #[command(
        after_help = "Examples:\n  embargo --data-dir /var/lib/embargo restore /backups/embargo-2026-11-30.db\n\n\
                            The data directory must hold no database and no secret key. A backup made\n\
                            --with-secret restores its key to secret.key; otherwise put the original\n\
                            secret key in place (or set EMBARGO_SECRET_KEY) first, so the audit log can be checked."
    )]
    Restore(RestoreArgs),
    /// Check the installation: permissions, secret key, database, migrations, mail relay, public_url, clock.
    #[command(after_help = "Examples:\n  embargo doctor\n  embargo --data-dir /var/lib/embargo doctor --json\n\n\
                            Exit 0 when every check passes, 1 when one fails (warnings do not fail).")]
    Doctor(DoctorArgs),
    /// Ask a running server whether it is ready (GET /readyz); for container health checks.
    #[command(after_help = "Examples:\n  embargo healthcheck\n  embargo healthcheck --url http://127.0.0.1:8080\n\n\
                            Exit 0 when /readyz answers 200 within 5 seconds, 1 otherwise.")]
    Healthcheck(HealthcheckArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  embargo completions bash > /etc/bash_completion.d/embargo\n  \
                            embargo completions zsh > \"${fpath[1]}/_embargo\"\n  \
                            embargo completions fish > ~/.config/fish/completions/embargo.fish")]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    #[command(after_help = "Examples:\n  embargo man | man -l -\n  embargo man --out /usr/local/share/man/man1")]
    Man(ManArgs),
    /// Outgoing webhooks of an organisation or a project: list, add, remove, deliveries, resend.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Publish when the fix merges: forge webhook secrets, fix polling, fix links.
    #[command(subcommand)]
    Forge(ForgeCommand),
    /// Load reports into a fresh database through the intake use case and time the queue at two sizes.
    #[command(after_help = "Examples:\n  embargo bench\n  embargo bench --reports 1000000 --rounds 15\n  \
                            embargo bench --database-url postgres://postgres@127.0.0.1/bench_empty\n\n\
                            Prints a Markdown table: the queue and its filters at --baseline and at --reports \
                            reports, intake rate, and public reads beside a bare axum router serving the same bytes. \
                            Exit 0 when it ran, 1 on an error.\n\n\
                            The whole benchmark, over HTTP beside the ceilings and Request Tracker's figures, is \
                            bench/run in the repository (bench/run --help); it drives `bench load` and `bench bare`.")]
    #[cfg(feature = "bench")]
    Bench(BenchArgs),
}
