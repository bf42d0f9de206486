//! `embargo audit verify`: walks the hash chain.

use std::process::ExitCode;

use embargo_app::App;

use crate::cli::AuditCommand;

/// Checks the chain; exit code 3 names the first damaged event.
pub async fn run(app: &App, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => {
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
    }
}
