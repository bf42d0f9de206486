//! Publish when the fix merges (issue 11, item 1). A project's security team
//! sets a secret per forge (`github`, `gitlab`, `forgejo`, `gitea`; sealed at
//! rest, never shown again) and links reports to their fix (a pull or merge
//! request URL, or the request names the report's or its advisory's id).
//! Each forge's deliveries are verified as that forge signs them
//! (`forge/delivery.rs`); a replayed delivery id changes nothing. A merged
//! request (or a pushed commit naming the id on the default branch) records
//! the fix and emits [`Event::FixMerged`](crate::events::Event::FixMerged),
//! which the [`FixMerged`] subscriber acts on (`forge/fix.rs`): fixed, then
//! published or scheduled as the policy says, and the lab verifies the fix.

mod delivery;
mod fix;
pub(crate) mod poll;

use embargo_core::Timestamp;
use embargo_core::forge::Forge;
use embargo_core::id::{ProjectId, ReportId};
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::private::Private;
use embargo_store::StoreExt;
use embargo_store::forge::FixLink;
use serde_json::json;

pub use delivery::{ForgeDelivery, HookAnswer, HookRefusal};
pub use fix::FixMerged;
pub use poll::{BranchCommit, FixPollView, GitError, GitLog, NoGit, POLL_COMMITS, POLL_EVERY};

use crate::audit::record;
use crate::entropy::EntropyExt;
use crate::organisations::find_project;
use crate::reports::access;
use crate::{App, AppError, require};

/// The shortest secret taken.
const MIN_SECRET: usize = 16;
/// The longest secret taken.
const MAX_SECRET: usize = 256;
/// The longest fix URL taken.
const MAX_URL: usize = 2000;

/// Whether a forge's secret is set for a project (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeHookView {
    /// The forge.
    pub forge: Forge,
    /// When the secret was last set; `None`: not set, deliveries are refused.
    pub set_at: Option<Timestamp>,
}

/// A forge's secret just set; `secret` only when Embargo made it (shown this once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeSecretSet {
    /// The hook as it stands now.
    pub hook: ForgeHookView,
    /// The secret Embargo made, when the team sent none.
    pub secret: Option<Private<String>>,
}

/// A report's link to its fix, for its team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixView {
    /// The pull or merge request.
    pub url: Option<String>,
    /// Who linked it: `team`, a forge, or `git` (polling).
    pub source: String,
    /// When the fix was seen merged.
    pub merged_at: Option<Timestamp>,
    /// The merge or fix commit.
    pub commit: Option<String>,
}

impl From<FixLink> for FixView {
    fn from(link: FixLink) -> Self {
        FixView { url: link.url, source: link.source, merged_at: link.merged_at, commit: link.commit }
    }
}

fn check_secret(secret: &str) -> Result<(), AppError> {
    let printable = secret.chars().all(|c| (' '..='~').contains(&c));
    if !printable || !(MIN_SECRET..=MAX_SECRET).contains(&secret.chars().count()) {
        return Err(AppError::invalid("secret", "16 to 256 printable ASCII characters"));
    }
    Ok(())
}

/// A fix URL: an http(s) URL with a host, no spaces, no credentials.
pub(crate) fn check_fix_url(url: &str) -> Result<String, AppError> {
    let url = url.trim();
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or("");
    let plain = url.chars().all(|c| c.is_ascii_graphic());
    if rest.is_none() || host.is_empty() || host.contains('@') || !plain || url.len() > MAX_URL {
        return Err(AppError::invalid("fix_url", "the http or https URL of a pull or merge request"));
    }
    Ok(url.to_owned())
}

/// Reads a forge from a path segment: an unknown one is not found.
pub fn parse_forge(name: &str) -> Result<Forge, AppError> {
    name.parse().map_err(|_| AppError::NotFound)
}

impl App {
    /// The project of `org`/`project`, once `actor` may manage it; those who
    /// may not are told it is not found when only `reading`.
    async fn hook_project(
        &self,
        actor: &Actor,
        org: &embargo_core::text::Slug,
        project: &embargo_core::text::Slug,
        reading: bool,
    ) -> Result<ProjectId, AppError> {
        let (org, project) = find_project(self.store.reader().await?.as_mut(), org, project).await?;
        require(actor, Action::ManageProject(ProjectAccess { org: org.id, project: project.id })).map_err(
            |e| match (reading, e) {
                (true, AppError::Forbidden) => AppError::NotFound,
                (_, e) => e,
            },
        )?;
        Ok(project.id)
    }

    /// Whether each forge's secret is set for a project (its team).
    pub async fn forge_hooks(
        &self,
        actor: &Actor,
        org: &embargo_core::text::Slug,
        project: &embargo_core::text::Slug,
    ) -> Result<Vec<ForgeHookView>, AppError> {
        let project = self.hook_project(actor, org, project, true).await?;
        let set = self.store.reader().await?.forge_hooks(project).await?;
        Ok(Forge::ALL
            .into_iter()
            .map(|forge| ForgeHookView {
                forge,
                set_at: set.iter().find(|h| h.forge == forge.as_str()).map(|h| h.set_at),
            })
            .collect())
    }

    /// Sets (or rotates) a forge's secret for a project (its team). Without
    /// a secret, Embargo makes one and answers it this once.
    pub async fn set_forge_secret(
        &self,
        actor: &Actor,
        org: &embargo_core::text::Slug,
        project: &embargo_core::text::Slug,
        forge: Forge,
        secret: Option<Private<String>>,
    ) -> Result<ForgeSecretSet, AppError> {
        let project = self.hook_project(actor, org, project, false).await?;
        let made = match &secret {
            Some(given) => {
                check_secret(given.expose())?;
                None
            }
            None => Some(Private::new(delivery::hex(&self.entropy.bytes::<32>()?))),
        };
        let Some(stored) = secret.or_else(|| made.clone()) else {
            return Err(AppError::Internal("no secret".to_owned()));
        };
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.put_forge_secret(project, forge.as_str(), &stored, now).await?;
                    let details = json!({"forge": forge.as_str()});
                    record(tx, now, &actor, "project.forge_secret_set", format!("project:{project}"), details).await
                })
            })
            .await?;
        Ok(ForgeSecretSet { hook: ForgeHookView { forge, set_at: Some(now) }, secret: made })
    }

    /// Links a report to its fix's pull or merge request, or unlinks it with `None` (the team).
    pub async fn link_fix(&self, actor: &Actor, id: ReportId, url: Option<&str>) -> Result<Option<FixView>, AppError> {
        let url = url.map(check_fix_url).transpose()?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Triage(access(&report)))?;
                    let link = FixLink {
                        report_id: id,
                        project_id: report.project_id,
                        url,
                        source: "team".to_owned(),
                        merged_at: None,
                        commit: None,
                        updated_at: now,
                    };
                    tx.put_fix_link(&link).await?;
                    let details = json!({"linked": link.url.is_some(), "source": "team"});
                    record(tx, now, &actor, "report.fix_linked", format!("report:{id}"), details).await?;
                    Ok(link.url.is_some().then(|| FixView::from(link)))
                })
            })
            .await
    }

    /// A report's fix link (those who may read the team's fields).
    pub async fn fix_of(&self, actor: &Actor, id: ReportId) -> Result<Option<FixView>, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ViewInternal(access(&report)))?;
        Ok(reader.fix_link(id).await?.filter(|l| l.url.is_some() || l.commit.is_some()).map(FixView::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_printable_ascii() {
        assert!(check_secret("It's a Secret to Everybody").is_ok());
        assert!(check_secret("short").is_err());
        assert!(check_secret(&"x".repeat(257)).is_err());
        assert!(check_secret("sixteen chars ok\n").is_err());
        assert!(check_secret("ünïcödé-sëcrët-längër").is_err());
    }

    #[test]
    fn fix_urls_are_http_with_a_host() {
        assert!(check_fix_url("https://github.com/acme/rt/pull/7").is_ok());
        for bad in ["ftp://x/", "https://", "https://u:p@host/pull/1", "https://a b/", "github.com/acme/rt/pull/7"] {
            assert!(check_fix_url(bad).is_err(), "{bad}");
        }
    }
}
