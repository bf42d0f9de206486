//! Git polling, for forges that send no webhooks: a project names a
//! repository and a branch; a leased job of kind `fix_poll` reads the
//! branch's newest commits through the process's [`GitLog`] (real `git`,
//! with a time and output limit: `embargo-outbound`'s `GitPoller`), and a
//! commit whose message names a report's id or its advisory's id, or the
//! commit a team linked (a `…/commit/SHA` URL), marks that report's fix
//! merged ([`Event::FixMerged`](crate::events::Event::FixMerged), as a
//! forge's webhook would). Then the next poll is queued [`POLL_EVERY`] later.
//! Setting the repository again starts a new chain; the old one's job finds
//! its generation gone and stops.

use std::fmt;
use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::id::{JobId, ProjectId};
use embargo_core::permission::Actor;
use embargo_core::policy::safe_argument;
use embargo_core::text::Slug;
use embargo_store::forge::FixPoll;
use embargo_store::jobs::NewJob;
use embargo_store::{StoreExt, Writer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::delivery::{Seen, link, named_reports};
use crate::audit::record;
use crate::entropy::{Entropy, EntropyExt, NewIds};
use crate::jobs::DeliveryError;
use crate::{App, AppError};

/// The job kind of one poll.
pub(crate) const POLL_KIND: &str = "fix_poll";

/// How long between two polls of a repository.
pub const POLL_EVERY: time::Duration = time::Duration::minutes(5);

/// The most commits of the branch read per poll (newest first).
pub const POLL_COMMITS: usize = 200;

/// One commit of the polled branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchCommit {
    /// Its full id.
    pub id: String,
    /// Its message.
    pub message: String,
}

/// Why a poll read nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GitError(pub String);

/// Reads a branch's newest commits from a repository (fetching it into a cache).
#[async_trait::async_trait]
pub trait GitLog: Send + Sync + fmt::Debug {
    /// The newest `limit` commits of `branch` in `repository`, newest first.
    async fn branch_log(&self, repository: &str, branch: &str, limit: usize) -> Result<Vec<BranchCommit>, GitError>;
}

/// The reader of a process that was given none: every poll fails and says so.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoGit;

#[async_trait::async_trait]
impl GitLog for NoGit {
    async fn branch_log(&self, _: &str, _: &str, _: usize) -> Result<Vec<BranchCommit>, GitError> {
        Err(GitError("this process has no git configured".to_owned()))
    }
}

/// A repository and branch to poll, as the team sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixPollView {
    /// The repository.
    pub repository: String,
    /// The branch.
    pub branch: String,
    /// The branch's commit at the last poll.
    pub last_commit: Option<String>,
    /// When it was last polled.
    pub polled_at: Option<Timestamp>,
    /// Why the last poll failed.
    pub last_error: Option<String>,
}

impl From<FixPoll> for FixPollView {
    fn from(p: FixPoll) -> Self {
        FixPollView {
            repository: p.repository,
            branch: p.branch,
            last_commit: p.last_commit,
            polled_at: p.polled_at,
            last_error: p.last_error,
        }
    }
}

/// The payload of a poll job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PollJob {
    #[serde(with = "crate::events::as_text")]
    project: ProjectId,
    generation: String,
}

fn check_repository(repository: &str) -> Result<String, AppError> {
    let r = repository.trim();
    let scheme = ["https://", "http://", "git://", "ssh://", "file://"].iter().any(|s| r.starts_with(s));
    if !(scheme || r.starts_with('/')) || !safe_argument(r) || r.len() > 2000 {
        return Err(AppError::invalid(
            "repository",
            "an https, http, git, ssh or file URL, or an absolute path, without spaces",
        ));
    }
    Ok(r.to_owned())
}

fn check_branch(branch: &str) -> Result<String, AppError> {
    let b = branch.trim();
    if !safe_argument(b) || b.contains("..") || b.len() > 200 || b.contains(':') {
        return Err(AppError::invalid("branch", "a branch name without spaces, not starting with '-'"));
    }
    Ok(b.to_owned())
}

/// Queues a poll of `project` at `at`.
async fn queue_poll(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    at: Timestamp,
    job: &PollJob,
) -> Result<(), AppError> {
    let payload = serde_json::to_value(job).map_err(|e| AppError::Internal(format!("poll payload: {e}")))?;
    tx.enqueue_job(&NewJob { id: ids.job_id()?, kind: POLL_KIND.to_owned(), payload, run_at: at }, now).await?;
    Ok(())
}

/// The commit a fix URL names (`…/commit/SHA`, `…/commits/SHA`, `…/-/commit/SHA`), if any.
fn linked_commit(url: &str) -> Option<&str> {
    let (_, rest) = url.rsplit_once("/commit/").or_else(|| url.rsplit_once("/commits/"))?;
    let sha = rest.split(['/', '?', '#']).next()?;
    (sha.len() >= 7 && sha.len() <= 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then_some(sha)
}

impl App {
    /// Names the repository and branch to poll for fix commits (the project's
    /// team); the first poll is queued at once.
    pub async fn set_fix_polling(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
        repository: &str,
        branch: &str,
    ) -> Result<FixPollView, AppError> {
        let project = self.hook_project(actor, org, project, false).await?;
        let (repository, branch) = (check_repository(repository), check_branch(branch));
        let (repository, branch) = match (repository, branch) {
            (Ok(r), Ok(b)) => (r, b),
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let poll = FixPoll {
            project_id: project,
            repository,
            branch,
            last_commit: None,
            polled_at: None,
            last_error: None,
            set_at: self.now(),
            generation: self.entropy.uuid()?.to_string(),
        };
        let (now, actor, entropy, stored) = (self.now(), actor.clone(), Arc::clone(&self.entropy), poll.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.put_fix_poll(&stored).await?;
                    let details = json!({"branch": stored.branch});
                    record(tx, now, &actor, "project.fix_polling_set", format!("project:{project}"), details).await?;
                    let job = PollJob { project, generation: stored.generation.clone() };
                    queue_poll(tx, entropy.as_ref(), now, now, &job).await
                })
            })
            .await?;
        Ok(FixPollView::from(poll))
    }

    /// The project's polled repository, if any (the project's team).
    pub async fn fix_polling(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
    ) -> Result<Option<FixPollView>, AppError> {
        let project = self.hook_project(actor, org, project, true).await?;
        Ok(self.store.reader().await?.fix_poll(project).await?.map(FixPollView::from))
    }

    /// Runs one poll job: reads the branch, links what it names, queues the next poll.
    pub(crate) async fn poll_fixes(&self, worker: &str, job: JobId, poll: PollJob) -> Result<(), DeliveryError> {
        let temporary = |e: AppError| DeliveryError::Temporary(e.to_string());
        let current = self.store.reader().await.map_err(|e| temporary(e.into()))?.fix_poll(poll.project).await;
        let Some(current) = current.map_err(|e| temporary(e.into()))?.filter(|p| p.generation == poll.generation)
        else {
            return Ok(());
        };
        let log = self.git.branch_log(&current.repository, &current.branch, POLL_COMMITS).await;
        if let Err(error) = &log {
            tracing::warn!(project = %poll.project, error = %error, "fix polling failed");
        }
        let (now, entropy, owner) = (self.now(), Arc::clone(&self.entropy), worker.to_owned());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    // Done in the transaction that queues the next poll: one chain per setting.
                    if !tx.complete_job(job, &owner, now).await? {
                        return Ok(());
                    }
                    let project = poll.project;
                    match &log {
                        Ok(commits) => {
                            let linked = tx.unmerged_fix_links(project).await?;
                            for commit in commits.iter().rev() {
                                let seen = Seen { source: "git", url: None, merged: Some(Some(&commit.id)) };
                                for report in named_reports(tx, project, &[&commit.message]).await? {
                                    link(tx, entropy.as_ref(), now, report, project, &seen).await?;
                                }
                                for fix in &linked {
                                    let named = fix.url.as_deref().and_then(linked_commit);
                                    if named.is_some_and(|sha| commit.id.starts_with(&sha.to_ascii_lowercase())) {
                                        let seen = Seen { url: fix.url.as_deref(), ..seen };
                                        link(tx, entropy.as_ref(), now, fix.report_id, project, &seen).await?;
                                    }
                                }
                            }
                            let head = commits.first().map(|c| c.id.as_str());
                            tx.record_fix_poll(project, head, None, now).await?;
                        }
                        Err(error) => {
                            let why: String = error.0.chars().take(500).collect();
                            tx.record_fix_poll(project, None, Some(&why), now).await?;
                        }
                    }
                    queue_poll(tx, entropy.as_ref(), now, now + POLL_EVERY, &poll).await
                })
            })
            .await
            .map_err(temporary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_and_branches_are_checked() {
        assert!(check_repository("https://git.example/acme/rt.git").is_ok());
        assert!(check_repository("/srv/git/rt.git").is_ok());
        for bad in ["rt.git", "-upload-pack=x", "https://a b", "ext::sh -c x"] {
            assert!(check_repository(bad).is_err(), "{bad}");
        }
        assert!(check_branch("main").is_ok());
        for bad in ["-f", "a..b", "a b", "main:other", ""] {
            assert!(check_branch(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn commit_urls_name_their_commit() {
        assert_eq!(linked_commit("https://github.com/a/b/commit/0123abcd"), Some("0123abcd"));
        assert_eq!(linked_commit("https://gitlab.com/a/b/-/commit/0123abcd?x=1"), Some("0123abcd"));
        assert_eq!(linked_commit("https://github.com/a/b/pull/7"), None);
        assert_eq!(linked_commit("https://github.com/a/b/commit/xyz"), None);
    }
}
