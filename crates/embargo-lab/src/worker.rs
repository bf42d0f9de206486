//! The lab worker: claims one run at a time with a lease (as the operator,
//! the only actor allowed `RunLab`), prepares the line's environment, runs
//! the PoC in the sandbox, does the grounding check when the run carries it,
//! and records the result. A run that cannot be done is recorded as
//! inconclusive with the reason; the worker itself never stops for a run.

use std::path::PathBuf;
use std::time::Duration;

use embargo_app::{App, AppError, LabRecord, LabTask};
use embargo_core::id::LabRunId;
use embargo_core::lab::{LabResult, verdict};
use embargo_core::permission::Actor;
use embargo_core::private::Private;

use crate::environment::{Environments, PrepareError, Want};
use crate::grounding;
use crate::package::PackageWant;
use crate::sandbox::{DEFAULT_SANDBOX_UID, Limits, Program, RunSpec, Sandbox, SandboxError};

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Its name in leases (host and process, say).
    pub name: String,
    /// Where mirrors and environments are cached.
    pub lab_dir: PathBuf,
    /// The uid sandboxes run as when the worker is root.
    pub sandbox_uid: u32,
    /// How long a claimed run stays leased.
    pub lease: Duration,
    /// The limits of a PoC run.
    pub poc_limits: Limits,
    /// The limits of a setup command.
    pub setup_limits: Limits,
    /// How long to wait when nothing is queued.
    pub poll: Duration,
    /// Each git command's time limit.
    pub git_timeout: Duration,
}

impl WorkerConfig {
    /// Defaults: a 30-minute lease, [`Limits::poc`], [`Limits::setup`], polling every 5 s.
    pub fn new(name: String, lab_dir: PathBuf) -> Self {
        WorkerConfig {
            name,
            lab_dir,
            sandbox_uid: DEFAULT_SANDBOX_UID,
            lease: Duration::from_secs(30 * 60),
            poc_limits: Limits::poc(),
            setup_limits: Limits::setup(),
            poll: Duration::from_secs(5),
            git_timeout: Duration::from_secs(300),
        }
    }
}

/// Why the worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// No working sandbox: the lab runs nothing.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The lab directory cannot be used.
    #[error("lab directory: {0}")]
    LabDir(#[from] PrepareError),
    /// The database or a use case failed.
    #[error(transparent)]
    App(#[from] AppError),
}

/// A lab worker.
#[derive(Debug)]
pub struct Worker {
    app: App,
    sandbox: Sandbox,
    environments: Environments,
    config: WorkerConfig,
}

impl Worker {
    /// A worker, once the sandbox works here (else it refuses, saying why).
    pub async fn new(app: App, config: WorkerConfig) -> Result<Worker, WorkerError> {
        let sandbox = Sandbox::probe(config.sandbox_uid).await?;
        let uid = sandbox.switches_user().then_some(config.sandbox_uid);
        let environments = Environments::new(config.lab_dir.clone(), uid)?
            .with_git_timeout(config.git_timeout)
            .with_setup_limits(config.setup_limits.clone());
        Ok(Worker { app, sandbox, environments, config })
    }

    /// Claims and does one run; `None` when nothing is claimable.
    pub async fn run_one(&self) -> Result<Option<LabRunId>, WorkerError> {
        let lease = time::Duration::try_from(self.config.lease).unwrap_or(time::Duration::minutes(30));
        let Some(task) = self.app.claim_lab_run(&Actor::Operator, &self.config.name, lease).await? else {
            return Ok(None);
        };
        tracing::info!(run = %task.id, report = %task.report_id, line = %task.line, "lab run claimed");
        let found = self.perform(&task).await;
        tracing::info!(run = %task.id, result = found.result.as_str(), reason = %found.reason, "lab run done");
        let kept =
            self.app.record_lab_result(&Actor::Operator, &self.config.name, task.id, task.report_id, found).await?;
        if !kept {
            tracing::warn!(run = %task.id, "the lease ran out before the result was recorded; the run will be repeated");
        }
        Ok(Some(task.id))
    }

    /// Does every claimable run, one at a time (`--once`); answers how many.
    pub async fn run_queued(&self) -> Result<u32, WorkerError> {
        let mut done = 0;
        while self.run_one().await?.is_some() {
            done += 1;
        }
        Ok(done)
    }

    /// Runs until `stop` resolves, polling when idle. A database failure is
    /// logged and retried after the poll interval.
    pub async fn run_until(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let idle = match self.run_one().await {
                Ok(Some(_)) => false,
                Ok(None) => true,
                Err(error) => {
                    tracing::error!(%error, "lab worker");
                    true
                }
            };
            if idle {
                tokio::select! {
                    () = &mut stop => return,
                    () = tokio::time::sleep(self.config.poll) => {}
                }
            }
        }
    }

    async fn perform(&self, task: &LabTask) -> LabRecord {
        let inconclusive = |reason: String| LabRecord {
            result: LabResult::Inconclusive,
            reason,
            output: Private::new(String::new()),
            commit: None,
            grounding: None,
        };
        let Some(poc) = &task.poc else { return inconclusive("the report has no proof of concept".into()) };
        let prepared = if let Some(package) = &task.package {
            // A package lab: the run's ref is the version to install.
            let want = PackageWant {
                package,
                version: &task.git_ref,
                index: task.index.as_deref(),
                setup: task.setup.as_deref(),
                setup_network: task.setup_network,
            };
            self.environments.prepare_package(&self.sandbox, want).await
        } else {
            if task.repository.is_empty() {
                return inconclusive("the project's policy has no [lab] section".into());
            }
            let want = Want {
                repository: &task.repository,
                git_ref: &task.git_ref,
                setup: task.setup.as_deref(),
                setup_network: task.setup_network,
            };
            self.environments.prepare(&self.sandbox, want).await
        };
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(error) => return inconclusive(format!("the environment could not be prepared: {error}")),
        };
        let scratch = match tempfile::Builder::new().prefix("run").tempdir_in(&self.config.lab_dir) {
            Ok(dir) => dir,
            Err(error) => return inconclusive(format!("lab directory: {error}")),
        };
        let spec = RunSpec {
            program: Program::Script(poc.expose().as_bytes()),
            source: &prepared.path,
            writable_source: false,
            network: false,
            limits: &self.config.poc_limits,
            scratch: scratch.path(),
        };
        let run = match self.sandbox.run(&spec).await {
            Ok(run) => run,
            Err(error) => return LabRecord { commit: Some(prepared.commit), ..inconclusive(error.to_string()) },
        };
        let (result, reason) = verdict(run.ending);
        let mut output = String::from_utf8_lossy(&run.output).into_owned();
        if run.truncated {
            output.push_str("\n[output truncated]");
        }
        let grounding = match &task.names {
            Some(names) => {
                match grounding::check(&prepared.mirror, &prepared.commit, names, self.config.git_timeout).await {
                    Ok(checked) => Some((task.git_ref.clone(), checked)),
                    Err(error) => {
                        tracing::warn!(run = %task.id, %error, "grounding check failed");
                        None
                    }
                }
            }
            None => None,
        };
        LabRecord { result, reason, output: Private::new(output), commit: Some(prepared.commit), grounding }
    }
}
