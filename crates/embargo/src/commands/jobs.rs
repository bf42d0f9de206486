//! `embargo jobs`: the outbox from the shell: what waits, and one run of what is due.

use std::process::ExitCode;

use embargo_app::{App, Subscribers};

use crate::cli::JobsCommand;
use crate::config::Config;

/// Lists or runs jobs.
pub async fn run(app: &App, config: &Config, command: JobsCommand) -> anyhow::Result<ExitCode> {
    match command {
        JobsCommand::List => {
            let jobs = app.pending_jobs().await?;
            if jobs.is_empty() {
                println!("no job waits");
            }
            for (kind, payload) in jobs {
                // Payloads hold ids, states and names only, never private text.
                println!("{kind}\t{payload}");
            }
        }
        JobsCommand::Run => {
            let subscribers = Subscribers::standard(super::serve::notifier(config)?);
            let worker = app.worker_name("cli")?;
            let run = app.run_due_jobs(&worker, &subscribers, 10_000).await?;
            println!("{} done, {} to be retried, {} given up", run.done, run.retried, run.abandoned);
        }
    }
    Ok(ExitCode::SUCCESS)
}
