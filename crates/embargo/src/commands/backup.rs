//! `embargo backup` and `embargo restore`: a consistent copy of a running
//! SQLite instance in one file, checked before it is called a backup, and
//! its restoration into an empty data directory. PostgreSQL instances are
//! backed up with `pg_dump` (README, "Back up and restore").

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use embargo_store::seal::SecretKey;
use embargo_store::{DatabaseUrl, OpenOptions};

use crate::cli::{BackupArgs, RestoreArgs};
use crate::config::{Config, ensure_data_dir, write_private_file};
use crate::output;

/// What a check of a database file found.
struct Checked {
    /// Audit events whose chain was verified.
    audit_events: u64,
}

/// Checks a database file: SQLite's integrity check, then the audit chain
/// under `secret` (which also proves that the secret is the instance's).
async fn check(path: &Path, secret: SecretKey) -> anyhow::Result<Checked> {
    let problems = embargo_store::backup::sqlite_integrity(path).await.context("cannot run the integrity check")?;
    if !problems.is_empty() {
        bail!("the integrity check failed: {}", problems.join("; "));
    }
    let store = embargo_store::open(OpenOptions { url: DatabaseUrl::Sqlite(path.to_owned()), secret, create: false })
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    let verification = embargo_store::audit::verify(store.as_ref()).await;
    store.close().await;
    let verification = verification.context("cannot read the audit log")?;
    if let Some(problem) = verification.problem {
        bail!(
            "the audit log does not verify ({problem}, {} events checked): the copy is damaged or the secret key \
             is not this instance's",
            verification.checked
        );
    }
    Ok(Checked { audit_events: verification.checked })
}

/// `embargo backup --out FILE [--with-secret]`
pub async fn backup(config: &Config, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let DatabaseUrl::Sqlite(database) = &config.database else {
        bail!(
            "backup copies SQLite instances; back up PostgreSQL with pg_dump (README, \"Back up and restore\") \
             and keep the instance secret (EMBARGO_SECRET_KEY) with it"
        );
    };
    if !database.exists() {
        bail!("no database at {}: nothing to back up", database.display());
    }
    let secret = config.secret_key(false)?;
    let out = &args.out;
    if out.exists() {
        bail!("{} exists; choose a new file", out.display());
    }
    embargo_store::backup::sqlite_copy(database, out)
        .await
        .with_context(|| format!("cannot copy {} to {}", database.display(), out.display()))?;
    let result = async {
        restrict(out)?;
        let checked = check(out, secret.clone()).await?;
        if args.with_secret {
            embargo_store::backup::sqlite_put_secret(out, &secret).await.context("cannot add the secret key")?;
        }
        anyhow::Ok(checked)
    }
    .await;
    let checked = match result {
        Ok(checked) => checked,
        Err(e) => {
            // A copy that failed its check is not a backup: leave nothing that looks like one.
            let _ = std::fs::remove_file(out);
            return Err(e.context(format!("{} was removed", out.display())));
        }
    };
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    if output::json() {
        let answer = serde_json::json!({
            "file": out.display().to_string(),
            "bytes": bytes,
            "integrity": "ok",
            "audit_events_verified": checked.audit_events,
            "with_secret": args.with_secret,
        });
        println!("{answer}");
    } else {
        println!("wrote     {} ({bytes} bytes)", out.display());
        println!("checked   integrity ok, audit log intact ({} events)", checked.audit_events);
    }
    if args.with_secret {
        output::note(
            "The backup holds the instance secret: whoever has it can read every sealed report. Keep it as safe as \
             the server.",
        );
    } else {
        output::note(
            "warning: the secret key is NOT in this backup. Without it (secret.key or EMBARGO_SECRET_KEY) the backup \
             cannot be read: back the key up separately, or use --with-secret.",
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `embargo restore FILE`
pub async fn restore(config: &Config, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let DatabaseUrl::Sqlite(database) = &config.database else {
        bail!("restore writes SQLite instances; restore PostgreSQL with pg_restore or psql (README)");
    };
    if !args.file.is_file() {
        bail!("no backup file at {}", args.file.display());
    }
    if database.exists() {
        bail!("{} exists: restore only into an empty data directory", database.display());
    }
    let key_file = config.settings.secret_key_file.clone().unwrap_or_else(|| config.data_dir.join("secret.key"));
    ensure_data_dir(&config.data_dir)?;
    if let Some(parent) = database.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let partial = database.with_extension("db.restoring");
    if partial.exists() {
        bail!("{} exists (an interrupted restore?): remove it first", partial.display());
    }
    std::fs::copy(&args.file, &partial)
        .with_context(|| format!("cannot copy {} to {}", args.file.display(), partial.display()))?;
    let result = async {
        restrict(&partial)?;
        let carried = embargo_store::backup::sqlite_take_secret(&partial).await.context("cannot read the backup")?;
        let secret = match (&carried, std::env::var("EMBARGO_SECRET_KEY").is_ok() || key_file.exists()) {
            (Some(_), true) => bail!(
                "the backup holds a secret key, and one is already set ({} or EMBARGO_SECRET_KEY): \
                 restore into an empty data directory without EMBARGO_SECRET_KEY",
                key_file.display()
            ),
            (Some(secret), false) => secret.clone(),
            (None, _) => config.secret_key(false).context(
                "the backup holds no secret key: put the instance's secret.key in the data directory or set \
                 EMBARGO_SECRET_KEY, then restore again",
            )?,
        };
        let checked = check(&partial, secret.clone()).await?;
        anyhow::Ok((carried, checked))
    }
    .await;
    let (carried, checked) = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    if let Some(secret) = &carried {
        write_private_file(&key_file, &format!("{}\n", secret.to_base64()))?;
        println!("wrote     {}", key_file.display());
    }
    std::fs::rename(&partial, database)
        .with_context(|| format!("cannot move {} to {}", partial.display(), database.display()))?;
    println!("restored  {}", database.display());
    println!("checked   integrity ok, audit log intact ({} events)", checked.audit_events);
    Ok(ExitCode::SUCCESS)
}

/// Makes a file readable by its owner only: a backup holds sealed reports.
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot restrict {}", path.display()))
}
