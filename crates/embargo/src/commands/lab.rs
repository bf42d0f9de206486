//! `embargo lab worker`: runs queued lab runs in the sandbox (crate `embargo-lab`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use embargo_app::App;
use embargo_lab::sandbox::Limits;
use embargo_lab::worker::{Worker, WorkerConfig};

use crate::cli::LabWorkerArgs;
use crate::config::Config;

/// Runs the worker until stopped, or once over what is queued.
pub async fn worker(app: &App, config: &Config, args: LabWorkerArgs) -> anyhow::Result<ExitCode> {
    let lab_dir = args.lab_dir.unwrap_or_else(|| config.data_dir.join("lab"));
    let name = args.name.unwrap_or_else(|| format!("embargo-lab-{}", std::process::id()));
    let mut settings = WorkerConfig::new(name, lab_dir);
    settings.sandbox_uid = args.sandbox_uid;
    settings.poc_limits = Limits {
        time: Duration::from_secs(args.time_limit.max(1)),
        memory_bytes: args.memory_limit.max(16).saturating_mul(1024 * 1024),
        ..Limits::poc()
    };
    let worker = Worker::new(app.clone(), settings).await.context("the lab cannot run")?;
    if args.once {
        let done = worker.run_queued().await?;
        crate::output::note(&format!("{done} lab run(s) done"));
    } else {
        tracing::info!("lab worker started");
        worker.run_until(super::serve::shutdown_signal()).await;
    }
    app.close().await;
    Ok(ExitCode::SUCCESS)
}
