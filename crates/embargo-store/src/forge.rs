//! Publish when the fix merges (issue 11, migration 1100): each project's
//! forge webhook secrets (sealed at rest, read only to verify a delivery),
//! the deliveries already taken (so a replay changes nothing), each report's
//! link to its fix, and the repository and branch polled for fix commits.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{ProjectId, ReportId};
use embargo_core::private::Private;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};

/// That a forge's secret is set for a project (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeHook {
    /// The forge (`github`, `gitlab`, `forgejo`, `gitea`).
    pub forge: String,
    /// When the secret was last set.
    pub set_at: Timestamp,
}

/// A report's link to its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixLink {
    /// The report.
    pub report_id: ReportId,
    /// Its project.
    pub project_id: ProjectId,
    /// The pull or merge request, when one is known.
    pub url: Option<String>,
    /// Who linked it: `team`, a forge's name, or `git` (polling).
    pub source: String,
    /// When the forge (or polling) saw the fix merged.
    pub merged_at: Option<Timestamp>,
    /// The merge (or fix) commit.
    pub commit: Option<String>,
    /// When the link last changed.
    pub updated_at: Timestamp,
}

/// A project's repository and branch polled for fix commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixPoll {
    /// The project.
    pub project_id: ProjectId,
    /// The repository (URL or local path) given to `git`.
    pub repository: String,
    /// The branch fixes land on.
    pub branch: String,
    /// The branch's commit at the last poll.
    pub last_commit: Option<String>,
    /// When it was last polled.
    pub polled_at: Option<Timestamp>,
    /// Why the last poll failed, when it did.
    pub last_error: Option<String>,
    /// When the team set it.
    pub set_at: Timestamp,
    /// A new random token per setting: a poll job of an earlier setting does nothing.
    pub generation: String,
}

/// Reading forge hooks, fix links and polls.
#[async_trait::async_trait]
pub trait ForgeReads {
    /// The forges whose secret is set for `project`.
    async fn forge_hooks(&mut self, project: ProjectId) -> Result<Vec<ForgeHook>, StoreError>;
    /// A forge's secret for `project`, unsealed to verify a delivery.
    async fn forge_secret(&mut self, project: ProjectId, forge: &str) -> Result<Option<Private<String>>, StoreError>;
    /// A report's fix link.
    async fn fix_link(&mut self, report: ReportId) -> Result<Option<FixLink>, StoreError>;
    /// The reports of `project` linked to the request at `url`.
    async fn reports_fixed_by(&mut self, project: ProjectId, url: &str) -> Result<Vec<ReportId>, StoreError>;
    /// The fix links of `project` not yet merged.
    async fn unmerged_fix_links(&mut self, project: ProjectId) -> Result<Vec<FixLink>, StoreError>;
    /// A project's polled repository.
    async fn fix_poll(&mut self, project: ProjectId) -> Result<Option<FixPoll>, StoreError>;
}

/// Changing forge hooks, deliveries, fix links and polls.
#[async_trait::async_trait]
pub trait ForgeWrites {
    /// Sets (or replaces) a forge's secret for `project`, sealed.
    async fn put_forge_secret(
        &mut self,
        project: ProjectId,
        forge: &str,
        secret: &Private<String>,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// Notes a delivery id; `false` when it was taken before (a replay).
    async fn take_forge_delivery(
        &mut self,
        project: ProjectId,
        forge: &str,
        delivery: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Stores a report's fix link, replacing the one it had.
    async fn put_fix_link(&mut self, link: &FixLink) -> Result<(), StoreError>;
    /// Sets (or replaces) the polled repository and branch (its `set_at` too).
    async fn put_fix_poll(&mut self, poll: &FixPoll) -> Result<(), StoreError>;
    /// Records a poll's outcome.
    async fn record_fix_poll(
        &mut self,
        project: ProjectId,
        commit: Option<&str>,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError>;
}

fn place(row: &str) -> Place<'_> {
    Place { table: "forge_hooks", column: "secret", row }
}

const LINK_COLUMNS: &str = "report_id, project_id, url, source, merged_at, fix_commit, updated_at";

fn link_from(row: &impl RowRead) -> Result<FixLink, StoreError> {
    Ok(FixLink {
        report_id: ReportId::from_uuid(row.uuid("report_id")?),
        project_id: ProjectId::from_uuid(row.uuid("project_id")?),
        url: row.opt_text("url")?,
        source: row.text("source")?,
        merged_at: row.opt_time("merged_at")?,
        commit: row.opt_text("fix_commit")?,
        updated_at: row.time("updated_at")?,
    })
}

#[async_trait::async_trait]
impl<H> ForgeReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn forge_hooks(&mut self, project: ProjectId) -> Result<Vec<ForgeHook>, StoreError> {
        let rows = self
            .fetch_all(
                query("SELECT forge, set_at FROM forge_hooks WHERE project_id = $1 ORDER BY forge").bind(project),
            )
            .await?;
        rows.iter().map(|row| Ok(ForgeHook { forge: row.text("forge")?, set_at: row.time("set_at")? })).collect()
    }

    async fn forge_secret(&mut self, project: ProjectId, forge: &str) -> Result<Option<Private<String>>, StoreError> {
        let q = query("SELECT secret FROM forge_hooks WHERE project_id = $1 AND forge = $2").bind(project).bind(forge);
        let Some(row) = self.fetch_optional(q).await? else { return Ok(None) };
        let row_id = format!("{project}/{forge}");
        Ok(Some(Private::new(self.sealer.open_text(place(&row_id), &row.bytes("secret")?)?)))
    }

    async fn fix_link(&mut self, report: ReportId) -> Result<Option<FixLink>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", LINK_COLUMNS, " FROM report_fixes WHERE report_id = $1");
        self.fetch_optional(query(SQL).bind(report)).await?.as_ref().map(link_from).transpose()
    }

    async fn reports_fixed_by(&mut self, project: ProjectId, url: &str) -> Result<Vec<ReportId>, StoreError> {
        let rows = self
            .fetch_all(
                query("SELECT report_id FROM report_fixes WHERE project_id = $1 AND url = $2 ORDER BY report_id")
                    .bind(project)
                    .bind(url),
            )
            .await?;
        rows.iter().map(|row| Ok(ReportId::from_uuid(row.uuid("report_id")?))).collect()
    }

    async fn unmerged_fix_links(&mut self, project: ProjectId) -> Result<Vec<FixLink>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            LINK_COLUMNS,
            " FROM report_fixes WHERE project_id = $1 AND merged_at IS NULL ORDER BY report_id"
        );
        let rows = self.fetch_all(query(SQL).bind(project)).await?;
        rows.iter().map(link_from).collect()
    }

    async fn fix_poll(&mut self, project: ProjectId) -> Result<Option<FixPoll>, StoreError> {
        let q = query(
            "SELECT project_id, repository, branch, last_commit, polled_at, last_error, set_at, generation \
             FROM fix_polls WHERE project_id = $1",
        )
        .bind(project);
        let Some(row) = self.fetch_optional(q).await? else { return Ok(None) };
        Ok(Some(FixPoll {
            project_id: ProjectId::from_uuid(row.uuid("project_id")?),
            repository: row.text("repository")?,
            branch: row.text("branch")?,
            last_commit: row.opt_text("last_commit")?,
            polled_at: row.opt_time("polled_at")?,
            last_error: row.opt_text("last_error")?,
            set_at: row.time("set_at")?,
            generation: row.text("generation")?,
        }))
    }
}

#[async_trait::async_trait]
impl<H> ForgeWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn put_forge_secret(
        &mut self,
        project: ProjectId,
        forge: &str,
        secret: &Private<String>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let row_id = format!("{project}/{forge}");
        let sealed = self.sealer.seal_text(place(&row_id), secret.expose())?;
        self.execute(
            query(
                "INSERT INTO forge_hooks (project_id, forge, secret, set_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (project_id, forge) DO UPDATE SET secret = excluded.secret, set_at = excluded.set_at",
            )
            .bind(project)
            .bind(forge)
            .bind(sealed)
            .bind(now),
        )
        .await
        .map(drop)
    }

    async fn take_forge_delivery(
        &mut self,
        project: ProjectId,
        forge: &str,
        delivery: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "INSERT INTO forge_deliveries (project_id, forge, delivery, received_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (project_id, forge, delivery) DO NOTHING",
                )
                .bind(project)
                .bind(forge)
                .bind(delivery)
                .bind(now),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn put_fix_link(&mut self, link: &FixLink) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO report_fixes (report_id, project_id, url, source, merged_at, fix_commit, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (report_id) DO UPDATE SET url = excluded.url, \
                 source = excluded.source, merged_at = excluded.merged_at, fix_commit = excluded.fix_commit, \
                 updated_at = excluded.updated_at",
            )
            .bind(link.report_id)
            .bind(link.project_id)
            .bind(link.url.clone())
            .bind(link.source.as_str())
            .bind(link.merged_at)
            .bind(link.commit.clone())
            .bind(link.updated_at),
        )
        .await
        .map(drop)
    }

    async fn put_fix_poll(&mut self, poll: &FixPoll) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO fix_polls (project_id, repository, branch, last_commit, polled_at, last_error, set_at, \
                 generation) VALUES ($1, $2, $3, NULL, NULL, NULL, $4, $5) ON CONFLICT (project_id) DO UPDATE SET \
                 repository = excluded.repository, branch = excluded.branch, last_commit = NULL, polled_at = NULL, \
                 last_error = NULL, set_at = excluded.set_at, generation = excluded.generation",
            )
            .bind(poll.project_id)
            .bind(poll.repository.as_str())
            .bind(poll.branch.as_str())
            .bind(poll.set_at)
            .bind(poll.generation.as_str()),
        )
        .await
        .map(drop)
    }

    async fn record_fix_poll(
        &mut self,
        project: ProjectId,
        commit: Option<&str>,
        error: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.execute(
            query(
                "UPDATE fix_polls SET last_commit = COALESCE($1, last_commit), polled_at = $2, last_error = $3 \
                 WHERE project_id = $4",
            )
            .bind(commit)
            .bind(now)
            .bind(error)
            .bind(project),
        )
        .await
        .map(drop)
    }
}
