//! `embargo audit verify` walks the hash chain (and compares it with a
//! checkpoint); `embargo audit checkpoint` prints a signed checkpoint.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use embargo_app::App;
use embargo_core::permission::Actor;

use crate::cli::AuditCommand;

/// Runs an audit command; exit code 3 names the first damaged event or the
/// way the log no longer extends the checkpoint.
pub async fn run(app: &App, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { checkpoint: None } => {
            let outcome = app.verify_audit().await?;
            match outcome.problem {
                None => {
                    println!("audit log intact: {} events checked", outcome.checked);
                    Ok(ExitCode::SUCCESS)
                }
                Some(problem) => {
                    crate::output::error(&format!("audit log damaged: {problem} ({} events checked)", outcome.checked));
                    Ok(ExitCode::from(3))
                }
            }
        }
        AuditCommand::Verify { checkpoint: Some(file) } => verify_checkpoint(app, &file).await,
        AuditCommand::Checkpoint => {
            let checkpoint = app.audit_checkpoint(&Actor::Operator).await?;
            print!("{}", checkpoint.text);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn verify_checkpoint(app: &App, file: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let outcome = match app.verify_audit_checkpoint(&text).await.context("cannot check the audit log")? {
        Ok(outcome) => outcome,
        Err(refused) => {
            crate::output::error(&format!("checkpoint {} refused: {refused}", file.display()));
            return Ok(ExitCode::from(3));
        }
    };
    if let Some(problem) = outcome.chain.problem {
        crate::output::error(&format!("audit log damaged: {problem} ({} events checked)", outcome.chain.checked));
        return Ok(ExitCode::from(3));
    }
    if let Some(problem) = outcome.problem {
        crate::output::error(&format!("audit log damaged: {problem}"));
        return Ok(ExitCode::from(3));
    }
    println!(
        "audit log intact: {} events checked; it extends the checkpoint of {} events",
        outcome.chain.checked, outcome.checkpoint.events
    );
    Ok(ExitCode::SUCCESS)
}
