//! Commands that run and look after an instance: serve, init, the lab worker, backups, doctor, jobs, the audit log, completions and the manual.

use std::path::PathBuf;

use super::*;
use clap::{Args, Subcommand};
use embargo_core::id::ReportId;

/// `lab …`
#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Run queued lab runs: each report's PoC against each release line of its project's `[lab]` policy,
    /// in a bubblewrap sandbox (no network, read-only system, private /tmp, time, memory and process limits).
    #[command(after_help = "Examples:
  embargo lab worker                       (runs jobs until stopped)
  embargo lab worker --once                (runs what is queued, then exits)
  embargo --database-url postgres://embargo@db/embargo lab worker --lab-dir /var/cache/embargo-lab

The worker may run on another machine than the server: it needs the database
URL and the instance secret (EMBARGO_SECRET_KEY or secret.key in the data dir),
bubblewrap (Debian package bubblewrap), util-linux (prlimit, setpriv) and git.
Run as root, it runs each sandbox as --sandbox-uid (default 65534, nobody);
the process limit counts every process of that user, so give each worker its own.
Without a working sandbox it refuses to start and says why (exit 1).")]
    Worker(LabWorkerArgs),
    /// Queue runs of a report's PoC again: every release line of the `[lab]` policy, some, or a fix.
    #[command(after_help = "Examples:
  embargo lab run 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org
  embargo lab run ID --line 2.0 --as lead@example.org
  embargo lab run ID --ref fix/header-overflow --as lead@example.org   (verify a fix)

Prints the ids of the runs queued; `embargo lab worker` runs them.")]
    Run {
        /// The report's id.
        id: ReportId,
        /// Only this release line of the `[lab]` policy (repeatable; with --ref, the line the fix is for).
        #[arg(long = "line")]
        lines: Vec<String>,
        /// A fix to verify: a branch, tag or commit.
        #[arg(long = "ref", value_name = "REF")]
        fix_ref: Option<String>,
        #[command(flatten)]
        user: AsUser,
    },
    /// Show a report's affected matrix and grounding list (the reporter sees only whether it reproduced).
    #[command(after_help = "Example:
  embargo lab show 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org")]
    Show {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Accept the matrix: the release lines found vulnerable join the report's affected versions.
    #[command(after_help = "Example:
  embargo lab accept 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org

The affected versions decide CVE eligibility and the fix lines. Exit 1 when
no release line was found vulnerable (nothing changes).")]
    Accept {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Share each release line's result with the reporter (never the output), or stop with --stop.
    #[command(after_help = "Examples:
  embargo lab share 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org
  embargo lab share 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --stop --as lead@example.org

Without sharing, the reporter sees only whether their proof of concept reproduced.")]
    Share {
        /// The report's id.
        id: ReportId,
        /// Stop sharing.
        #[arg(long)]
        stop: bool,
        #[command(flatten)]
        user: AsUser,
    },
}

/// `lab worker`
#[derive(Debug, Args)]
pub struct LabWorkerArgs {
    /// Run what is queued now, then exit.
    #[arg(long)]
    pub once: bool,
    /// Where repositories and prepared environments are cached (default: DATA_DIR/lab).
    /// The sandbox user must be able to enter it and its parents.
    #[arg(long, env = "EMBARGO_LAB_DIR")]
    pub lab_dir: Option<PathBuf>,
    /// The uid sandboxes run as when the worker runs as root.
    #[arg(long, default_value_t = 65534)]
    pub sandbox_uid: u32,
    /// Seconds a PoC may run.
    #[arg(long, default_value_t = 60)]
    pub time_limit: u64,
    /// Mebibytes of address space a PoC's process may use.
    #[arg(long, default_value_t = 512)]
    pub memory_limit: u64,
    /// The worker's name in leases (default: embargo-lab-PID).
    #[arg(long)]
    pub name: Option<String>,
}

/// `backup`
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Put the instance secret into the backup, so that it can be restored on its own.
    /// Whoever holds such a backup can read every sealed report.
    #[arg(long)]
    pub with_secret: bool,
}

/// `restore FILE`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `embargo backup`.
    pub file: PathBuf,
}

/// `doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {}

/// `healthcheck`
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The server's address (default: http://LISTEN from the configuration).
    #[arg(long)]
    pub url: Option<String>,
}

/// `completions SHELL`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `man`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write embargo.1 and a page per subcommand (embargo-admin-user-list.1 …) here instead.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Load three example organisations with their policies, projects and
    /// example reports (once; a demo team account is printed).
    #[arg(long)]
    pub demo: bool,
    /// Also take mail by SMTP on this address (off by default), e.g. 0.0.0.0:25.
    #[arg(long, env = "EMBARGO_SMTP_LISTEN", value_name = "ADDR")]
    pub smtp_listen: Option<String>,
    /// Serve /metrics (Prometheus) on this address of its own, e.g. 127.0.0.1:9090 (off by default).
    #[arg(long, env = "EMBARGO_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
}

/// `init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Print a new secret key (for EMBARGO_SECRET_KEY) and do nothing else.
    #[arg(long)]
    pub print_secret: bool,
}

/// `jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List the jobs that wait: events for subscribers, subscribers' deliveries, timers.
    #[command(after_help = "Example:\n  embargo jobs list")]
    List,
    /// Run the jobs that are due once, with the configured mail relay, then exit.
    /// Useful when no `serve` runs (a script, a one-off import).
    #[command(after_help = "Example:\n  embargo jobs run")]
    Run,
}

/// `audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no audit event was modified, inserted or deleted; exit 3 if one was.
    ///
    /// With --checkpoint, also check that the log still extends a checkpoint
    /// printed earlier by `embargo audit checkpoint` (a cut tail, a wiped log or
    /// rewritten history fail with exit code 3).
    #[command(after_help = "Examples:\n  embargo audit verify\n  \
                            embargo audit verify --checkpoint /mnt/offsite/embargo-2026-11-30.checkpoint")]
    Verify {
        /// A checkpoint file printed by `embargo audit checkpoint`.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Print a signed checkpoint of the audit log (its length and last hash).
    ///
    /// Keep it somewhere the server cannot write (another machine, a mailbox):
    /// `embargo audit verify --checkpoint FILE` later proves the log still
    /// extends it. The signature uses a key derived from the instance secret.
    #[command(after_help = "Example:\n  embargo audit checkpoint > /mnt/offsite/embargo-$(date +%F).checkpoint")]
    Checkpoint,
}

/// `bench`
#[cfg(feature = "bench")]
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// A part of the whole benchmark (`bench/run` in the repository drives them).
    #[command(subcommand)]
    pub command: Option<BenchCommand>,
    /// Reports to load in all.
    #[arg(long, default_value_t = 100_000)]
    pub reports: u64,
    /// The small size the queue is timed at first.
    #[arg(long, default_value_t = 1_000)]
    pub baseline: u64,
    /// Measured rounds of each query.
    #[arg(long, default_value_t = 25)]
    pub rounds: u32,
    /// Reports filed at once while loading.
    #[arg(long, default_value_t = 8)]
    pub concurrency: u64,
    /// An empty PostgreSQL database to load (default: a temporary SQLite file, removed afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Notices (one report's receipt each) queued and drained by the job runner into a local SMTP
    /// sink, in an SQLite database of their own.
    #[arg(long, default_value_t = 10_000)]
    pub notices: u64,
}

/// `bench …`: the parts `bench/run` drives.
#[cfg(feature = "bench")]
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// File reports into the configured instance through the intake use case (the demo first, once).
    ///
    /// An instance made for benchmarks only: the first run loads the demo
    /// organisations and raises their intake limits to the policy maximum.
    /// Prints one JSON object: the demo accounts (passwords only on the first
    /// run), a published advisory's id, how many reports were filed and how fast.
    #[command(after_help = "Examples:\n  embargo --data-dir /tmp/bench init\n  \
                            embargo --data-dir /tmp/bench bench load --add 1000\n  \
                            embargo --data-dir /tmp/bench bench load --add 99000 --start 1000")]
    Load(BenchLoadArgs),
    /// Serve one file's bytes at every path, with nothing else: bare axum, the
    /// ceiling a cached public page is compared with.
    #[command(after_help = "Example:\n  embargo bench bare --address 127.0.0.1:18081 --file advisory.html \\\n    \
                            --content-type 'text/html; charset=utf-8'")]
    Bare(BenchBareArgs),
}

/// `bench load`
#[cfg(feature = "bench")]
#[derive(Debug, Args)]
pub struct BenchLoadArgs {
    /// Reports to file.
    #[arg(long, default_value_t = 1_000)]
    pub add: u64,
    /// The number of the first (reports are numbered, so that a second load continues the first).
    #[arg(long, default_value_t = 0)]
    pub start: u64,
    /// Reports filed at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: u64,
}

/// `bench bare`
#[cfg(feature = "bench")]
#[derive(Debug, Args)]
pub struct BenchBareArgs {
    /// Where to listen (the global --listen is Embargo's own address).
    #[arg(long, default_value = "127.0.0.1:18081")]
    pub address: std::net::SocketAddr,
    /// The file whose bytes every request gets.
    #[arg(long)]
    pub file: PathBuf,
    /// Its content type.
    #[arg(long, default_value = "text/html; charset=utf-8")]
    pub content_type: String,
}
