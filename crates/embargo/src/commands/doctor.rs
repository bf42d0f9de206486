//! `embargo doctor`: checks an installation the way an operator would before
//! calling it healthy. Each check passes, warns or fails; any failure makes
//! the exit code 1. It never changes anything (no migration, no file).

use std::process::ExitCode;

use embargo_app::clock::{Clock, SystemClock};
use embargo_store::DatabaseUrl;

use crate::cli::DoctorArgs;
use crate::config::Config;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Warn,
    Fail,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        }
    }
}

/// One check's result.
struct Check {
    name: &'static str,
    outcome: Outcome,
    detail: String,
}

fn check(name: &'static str, outcome: Outcome, detail: impl Into<String>) -> Check {
    Check { name, outcome, detail: detail.into() }
}

/// The most the clock may differ from the database server's.
const MAX_SKEW_SECONDS: i64 = 30;

/// Runs every check and prints them.
pub async fn run(config: &Config, _args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let mut checks = vec![permissions(config)];
    checks.push(match config.secret_key(false) {
        Ok(_) => check("secret key", Outcome::Ok, "present and well-formed"),
        Err(e) => check("secret key", Outcome::Fail, format!("{e:#}")),
    });
    let now = SystemClock.now();
    match embargo_store::status::inspect(&config.database).await {
        Ok(status) => {
            checks.push(check("database", Outcome::Ok, format!("{} answers", config.database)));
            checks.push(match (status.pending.is_empty(), status.unknown.is_empty()) {
                (true, true) => check("migrations", Outcome::Ok, "the schema is current"),
                (false, _) => check(
                    "migrations",
                    Outcome::Warn,
                    format!("{} to apply at the next start: {:?}", status.pending.len(), status.pending),
                ),
                (true, false) => check(
                    "migrations",
                    Outcome::Fail,
                    format!("the database has migrations this version does not know: {:?}", status.unknown),
                ),
            });
            checks.push(match status.server_time {
                Some(server) => {
                    let skew = (now - server).whole_seconds();
                    if skew.abs() <= MAX_SKEW_SECONDS {
                        check("clock", Outcome::Ok, format!("within {MAX_SKEW_SECONDS} s of the database server"))
                    } else {
                        check("clock", Outcome::Fail, format!("{skew} s off the database server's clock"))
                    }
                }
                None => sqlite_clock(config, now),
            });
        }
        Err(e) => checks.push(check("database", Outcome::Fail, format!("{}: {e}", config.database))),
    }
    checks.push(relay(config).await);
    checks.push(public_url(config));
    let failed = checks.iter().any(|c| c.outcome == Outcome::Fail);
    if crate::output::json() {
        let list: Vec<_> = checks
            .iter()
            .map(|c| serde_json::json!({"check": c.name, "outcome": c.outcome.label(), "detail": c.detail}))
            .collect();
        println!("{}", serde_json::json!({ "ok": !failed, "checks": list }));
    } else {
        for c in &checks {
            println!("{:<5} {:<12} {}", c.outcome.label(), c.name, c.detail);
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The data directory and the secret key file must be the owner's alone.
fn permissions(config: &Config) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let mut loose = Vec::new();
    let key = config.settings.secret_key_file.clone().unwrap_or_else(|| config.data_dir.join("secret.key"));
    // The database file is not listed: the data directory (0700) guards it.
    for path in [config.data_dir.clone(), key] {
        match std::fs::metadata(&path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                loose.push(format!("{} is mode {:o}", path.display(), meta.permissions().mode() & 0o777));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => loose.push(format!("{}: {e}", path.display())),
        }
    }
    if !config.data_dir.is_dir() {
        return check("permissions", Outcome::Fail, format!("no data directory at {}", config.data_dir.display()));
    }
    if loose.is_empty() {
        check("permissions", Outcome::Ok, "the data directory and secret key are the owner's alone")
    } else {
        check("permissions", Outcome::Fail, format!("readable by others: {} (chmod go-rwx)", loose.join(", ")))
    }
}

/// Without a database server, a database written "in the future" shows a
/// clock that went back.
fn sqlite_clock(config: &Config, now: embargo_core::Timestamp) -> Check {
    let DatabaseUrl::Sqlite(path) = &config.database else {
        return check("clock", Outcome::Warn, "not checked");
    };
    let written = std::fs::metadata(path).and_then(|m| m.modified()).map(time::OffsetDateTime::from);
    match written {
        Ok(written) if (written - now).whole_seconds() > MAX_SKEW_SECONDS => check(
            "clock",
            Outcome::Fail,
            format!(
                "the database was written {} s in the future: the clock went back",
                (written - now).whole_seconds()
            ),
        ),
        Ok(_) => check("clock", Outcome::Ok, "not behind the database's last write"),
        Err(e) => check("clock", Outcome::Warn, format!("cannot read the database's time: {e}")),
    }
}

async fn relay(config: &Config) -> Check {
    match config.settings.mail.outbound(&config.public_url) {
        Ok(None) => check("mail relay", Outcome::Warn, "none set: notifications are only logged ([mail.relay])"),
        Ok(Some(outbound)) => match embargo_mail::outbound::MailNotifier::new(outbound) {
            Ok(mail) => match mail.check().await {
                Ok(()) => check("mail relay", Outcome::Ok, "accepts our connection"),
                Err(why) => check("mail relay", Outcome::Fail, why),
            },
            Err(e) => check("mail relay", Outcome::Fail, e.to_string()),
        },
        Err(e) => check("mail relay", Outcome::Fail, format!("{e:#}")),
    }
}

fn public_url(config: &Config) -> Check {
    let url = &config.public_url;
    if url.starts_with("https://") {
        check("public_url", Outcome::Ok, url.clone())
    } else if config.listen.ip().is_loopback() && config.settings.public_url.is_none() {
        check("public_url", Outcome::Warn, format!("{url} (default; set public_url before others use this instance)"))
    } else {
        check(
            "public_url",
            Outcome::Warn,
            format!("{url} is not https: sign-in cookies and private links travel in clear text"),
        )
    }
}
