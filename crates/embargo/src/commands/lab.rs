//! `embargo lab worker`: runs queued lab runs in the sandbox (crate
//! `embargo-lab`); `embargo lab run | show | accept | share`: the team's lab use cases
//! from the shell, as a user.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use embargo_app::{App, LabRequest, LabView};
use embargo_lab::sandbox::Limits;
use embargo_lab::worker::{Worker, WorkerConfig};

use crate::cli::{LabCommand, LabWorkerArgs};
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

/// Runs `lab run`, `lab show`, `lab accept` or `lab share` (the worker has its own entry).
pub async fn run(app: &App, command: LabCommand) -> anyhow::Result<ExitCode> {
    match command {
        LabCommand::Worker(_) => anyhow::bail!("the worker is started with `embargo lab worker`"),
        LabCommand::Run { id, lines, fix_ref, user } => {
            let actor = app.act_as(&user.email).await?;
            let request = LabRequest { lines: (!lines.is_empty()).then_some(lines), fix_ref };
            let runs = app.queue_lab_runs(&actor, id, request).await?;
            for run in &runs {
                println!("{run}");
            }
            crate::output::note(&format!("{} lab run(s) queued", runs.len()));
        }
        LabCommand::Show { id, user } => {
            let actor = app.act_as(&user.email).await?;
            match app.view_lab(&actor, id).await? {
                LabView::Reporter { reproduced, lines } => {
                    println!(
                        "reproduced  {}",
                        match reproduced {
                            Some(true) => "yes",
                            Some(false) => "no",
                            None => "not run yet",
                        }
                    );
                    for verdict in lines.unwrap_or_default() {
                        println!("line  {:<12} {}", verdict.line, verdict.result.as_str());
                    }
                }
                LabView::Team { runs, grounding, grounding_flagged, configured, .. } => {
                    if !configured {
                        crate::output::note("the project's policy has no [lab] section");
                    }
                    for r in &runs {
                        let result = r.result.map_or(r.state.as_str(), |x| x.as_str());
                        let reason = r.reason.as_deref().unwrap_or("");
                        println!("{:<5} {:<12} {:<24} {:<16} {reason}", r.purpose.as_str(), r.line, r.git_ref, result);
                    }
                    for g in &grounding {
                        let found = if g.found { "found" } else { "not found" };
                        println!("name  {:<32} {found} {}", g.name, g.location.as_deref().unwrap_or(""));
                    }
                    if grounding_flagged {
                        println!("flagged  names things not in the source");
                    }
                }
            }
        }
        LabCommand::Accept { id, user } => {
            let actor = app.act_as(&user.email).await?;
            let lines = app.accept_lab_matrix(&actor, id).await?;
            println!("affected  {}", lines.join(", "));
        }
        LabCommand::Share { id, stop, user } => {
            let actor = app.act_as(&user.email).await?;
            let shared = app.share_lab_results(&actor, id, !stop).await?;
            println!("shared  {}", if shared { "yes" } else { "no" });
        }
    }
    Ok(ExitCode::SUCCESS)
}
