//! `embargo import osv DIR --project ORG/PROJECT`, done as the operator:
//! reads every `*.json` (OSV) and `RUSTSEC-*.md` (RustSec's advisory-db
//! format, converted as RustSec's OSV export does) below DIR, shows progress
//! on standard error, and imports them in one transaction (nothing is
//! stored if any file is bad). `embargo import ghsa FILE|DIR` does the same
//! with GitHub repository advisories, filing the report behind each.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use embargo_app::{App, AppError, ImportFile, ImportOutcome, ImportProgress};
use embargo_core::permission::Actor;

use crate::cli::ImportCommand;
use crate::output::{error, note};

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read the directory {}", dir.display()))?;
    for entry in entries {
        let path = entry.with_context(|| format!("cannot read the directory {}", dir.display()))?.path();
        if path.is_dir() {
            json_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") || is_rustsec(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// A RustSec advisory file (`RUSTSEC-YYYY-NNNN.md`).
fn is_rustsec(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md")
        && path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("RUSTSEC-"))
}

/// Reads at most one byte more than the import accepts, so a huge file is
/// refused by the size check without being read whole.
fn read_limited(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let limit = u64::try_from(embargo_formats::osv::MAX_FILE_BYTES).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Runs an import command.
pub async fn run(app: &App, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let (dir, project, ghsa) = match command {
        ImportCommand::Osv { dir, project } => (dir, project, false),
        ImportCommand::Ghsa { path, project } => (path, project, true),
    };
    let (org, project) = (&project.org, &project.project);
    let mut paths = Vec::new();
    if ghsa && dir.is_file() {
        paths.push(dir.clone());
    } else {
        json_files(&dir, &mut paths)?;
    }
    if ghsa {
        paths.retain(|p| p.extension().is_some_and(|e| e == "json"));
    }
    paths.sort();
    if paths.is_empty() {
        anyhow::bail!("no .json or RUSTSEC-*.md files below {}", dir.display());
    }
    let mut files = Vec::with_capacity(paths.len());
    let mut refused = 0;
    for path in &paths {
        let name = match path.strip_prefix(&dir) {
            Ok(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
            _ => path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
        };
        let mut text = read_limited(path)?;
        if !ghsa && is_rustsec(path) {
            match embargo_formats::rustsec::to_osv(&text) {
                Ok(record) => text = record.to_string(),
                Err(e) => {
                    error(&format!("{name}: {e}"));
                    refused += 1;
                    continue;
                }
            }
        }
        files.push(ImportFile { name, text });
    }
    if refused > 0 {
        error(&format!("nothing was imported: {refused} file(s) refused"));
        return Ok(ExitCode::FAILURE);
    }
    let step = (paths.len() / 10).max(1);
    let progress = |p: ImportProgress<'_>| match p {
        ImportProgress::Checked { done, total, name } => {
            if done % step == 0 || done == total {
                note(&format!("checked {done}/{total} ({name})"));
            }
        }
        ImportProgress::Writing { total } => note(&format!("all files are valid; writing {total} advisories")),
    };
    let imported = if ghsa {
        app.import_ghsa(&Actor::Operator, org, project, files, &progress).await
    } else {
        app.import_osv(&Actor::Operator, org, project, files, &progress).await
    };
    let results = match imported {
        Ok(results) => results,
        Err(AppError::Invalid(errors)) => {
            for e in &errors.0 {
                error(&e.to_string());
            }
            error(&format!("nothing was imported: {} file(s) refused", errors.0.len()));
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e).context("the import failed; nothing was imported"),
    };
    for file in &results {
        if !file.dropped.is_empty() {
            note(&format!("{}: not kept: {}", file.name, file.dropped.join(", ")));
        }
    }
    let count = |outcome| results.iter().filter(|f| f.outcome == outcome).count();
    let (drafts, declined) = (count(ImportOutcome::Draft), count(ImportOutcome::Declined));
    let mut line = format!(
        "imported {} advisories into {org}/{project}: {} new, {} revised, {} unchanged",
        results.len() - declined,
        count(ImportOutcome::Created),
        count(ImportOutcome::Revised),
        count(ImportOutcome::Unchanged)
    );
    if ghsa {
        let filed = results.iter().filter(|f| f.report.is_some_and(|(_, new)| new)).count();
        line.push_str(&format!(
            ", {drafts} private draft(s), {declined} closed (a declined report, no advisory); {filed} report(s) filed"
        ));
    }
    println!("{line}");
    Ok(ExitCode::SUCCESS)
}
