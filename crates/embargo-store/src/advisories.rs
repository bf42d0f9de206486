//! Advisories: the sealed working copy, published revisions kept for ever,
//! and the per-organisation, per-year id counter.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::advisory::{Advisory, AdvisoryState, Revision};
use embargo_core::id::{AdvisoryId, AdvisoryPrefix, CveId, OrgId, ProjectId, ReportId, UserId};
use embargo_core::vex::NotAffected;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, Dialect, RowRead, query};
use crate::stored::{StoredAdvisoryContent, from_json, to_json};

/// A published advisory as the public sees it: no working copy.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedAdvisory {
    /// Its id.
    pub id: AdvisoryId,
    /// The issuing organisation.
    pub org_id: OrgId,
    /// The project it is about.
    pub project_id: ProjectId,
    /// `published` or `withdrawn`.
    pub state: AdvisoryState,
    /// The latest published revision.
    pub revision: Revision,
    /// When it was first published.
    pub first_published_at: Timestamp,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<Timestamp>,
}

/// Changes whenever what the public sees of advisories changes: the number
/// of published revisions, the newest one, and withdrawals. Cheap to read,
/// so caches of public data (the OSV index) can check it on every request,
/// also across replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationMarker {
    /// Published revisions, all advisories together.
    pub revisions: i64,
    /// The newest revision's publication time.
    pub last_published: Option<Timestamp>,
    /// Withdrawn advisories.
    pub withdrawn: i64,
    /// The newest withdrawal.
    pub last_withdrawn: Option<Timestamp>,
}

/// Which published advisories to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedFilter {
    /// Only this organisation's.
    pub org: Option<OrgId>,
    /// Only this project's.
    pub project: Option<ProjectId>,
}

/// Reading advisories.
#[async_trait::async_trait]
pub trait AdvisoryReads {
    /// An advisory with its working copy and latest revision.
    async fn advisory(&mut self, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError>;
    /// The advisory drafted from a report, if any.
    async fn advisory_for_report(&mut self, report: ReportId) -> Result<Option<Advisory>, StoreError>;
    /// Advisories of the projects whose team `user` is on, drafts included, newest first.
    async fn team_advisories(&mut self, user: UserId, project: Option<ProjectId>) -> Result<Vec<Advisory>, StoreError>;
    /// Published (and withdrawn) advisories, newest publication first.
    async fn published_advisories(&mut self, filter: &PublishedFilter) -> Result<Vec<PublishedAdvisory>, StoreError>;
    /// One published (or withdrawn) advisory; `None` for drafts.
    async fn published_advisory(&mut self, id: &AdvisoryId) -> Result<Option<PublishedAdvisory>, StoreError>;
    /// Every published revision of an advisory, oldest first.
    async fn revisions(&mut self, id: &AdvisoryId) -> Result<Vec<Revision>, StoreError>;
    /// The CVE ids an organisation has taken from its pool.
    async fn assigned_cves(&mut self, org: OrgId) -> Result<Vec<CveId>, StoreError>;
    /// The marker of what is public now.
    async fn publication_marker(&mut self) -> Result<PublicationMarker, StoreError>;
    /// The release lines stated not affected by an advisory (VEX), by line name.
    async fn vex_statements(&mut self, id: &AdvisoryId) -> Result<Vec<NotAffected>, StoreError>;
    /// Every advisory's VEX statements, by advisory and line name.
    async fn all_vex_statements(&mut self) -> Result<Vec<(AdvisoryId, NotAffected)>, StoreError>;
    /// The publication sequence (migration 1510): a number that grows in the
    /// same transaction as every change of what the public reads about
    /// advisories (a revision, a withdrawal, a renamed organisation or
    /// project). One row, read by the public caches of every replica.
    async fn publication_sequence(&mut self) -> Result<i64, StoreError>;
}

/// Changing advisories.
#[async_trait::async_trait]
pub trait AdvisoryWrites {
    /// An advisory, locked against concurrent changes until the transaction ends.
    async fn lock_advisory(&mut self, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError>;
    /// The next number for `PREFIX-YEAR-N`, counting from 1 each year.
    async fn next_advisory_number(&mut self, prefix: &AdvisoryPrefix, year: i32) -> Result<u64, StoreError>;
    /// Adds an advisory; `Conflict` if the id or the report already has one.
    async fn insert_advisory(&mut self, advisory: &Advisory) -> Result<(), StoreError>;
    /// Saves the state, working copy and times of an advisory.
    async fn update_advisory(&mut self, advisory: &Advisory) -> Result<(), StoreError>;
    /// Keeps a published revision.
    async fn insert_revision(&mut self, id: &AdvisoryId, revision: &Revision) -> Result<(), StoreError>;
    /// States a release line not affected (VEX), replacing what was stated for that line.
    async fn put_vex_statement(&mut self, id: &AdvisoryId, statement: &NotAffected) -> Result<(), StoreError>;
    /// Takes back what was stated for a release line; `false` when nothing was.
    async fn remove_vex_statement(&mut self, id: &AdvisoryId, line: &str) -> Result<bool, StoreError>;
    /// Records that a CVE id from the pool went to an advisory; `Conflict` if it was taken.
    async fn assign_cve(
        &mut self,
        org: OrgId,
        cve: &CveId,
        advisory: &AdvisoryId,
        at: Timestamp,
    ) -> Result<(), StoreError>;
}

const ADVISORY_COLUMNS: &str = "a.id, a.org_id, a.project_id, a.report_id, a.state, a.draft, a.created_at, \
     a.updated_at, a.first_published_at, a.withdrawn_at, \
     v.number AS rev_number, v.content AS rev_content, v.published_at AS rev_published_at";

/// The latest revision joined beside each advisory.
const LATEST_REVISION: &str = "LEFT JOIN advisory_revisions v ON v.advisory_id = a.id \
     AND v.number = (SELECT MAX(number) FROM advisory_revisions w WHERE w.advisory_id = a.id)";

fn revision_from(row: &impl RowRead) -> Result<Option<Revision>, StoreError> {
    let Some(content) = row.opt_text("rev_content")? else {
        return Ok(None);
    };
    Ok(Some(Revision {
        number: u32::try_from(row.int("rev_number")?).map_err(|e| StoreError::corrupt("number", e))?,
        content: from_json::<StoredAdvisoryContent>("advisory_revisions.content", &content)?.into_domain()?,
        published_at: row.time("rev_published_at")?,
    }))
}

fn published_from(row: &impl RowRead) -> Result<PublishedAdvisory, StoreError> {
    let revision = revision_from(row)?.ok_or_else(|| StoreError::corrupt("advisory_revisions", "missing"))?;
    Ok(PublishedAdvisory {
        id: row.parsed("id")?,
        org_id: OrgId::from_uuid(row.uuid("org_id")?),
        project_id: ProjectId::from_uuid(row.uuid("project_id")?),
        state: row.parsed("state")?,
        first_published_at: row.opt_time("first_published_at")?.unwrap_or(revision.published_at),
        revision,
        withdrawn_at: row.opt_time("withdrawn_at")?,
    })
}

fn not_affected_from(row: &impl RowRead) -> Result<(AdvisoryId, NotAffected), StoreError> {
    Ok((
        row.parsed("advisory_id")?,
        NotAffected {
            line: row.text("line")?,
            justification: row.parsed("justification")?,
            impact: row.opt_text("impact")?,
            stated_at: row.time("stated_at")?,
        },
    ))
}

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    fn advisory_from(&self, row: &impl RowRead) -> Result<Advisory, StoreError> {
        let id: AdvisoryId = row.parsed("id")?;
        let draft = self
            .sealer
            .open_text(Place { table: "advisories", column: "draft", row: id.as_str() }, &row.bytes("draft")?)?;
        Ok(Advisory {
            draft: from_json::<StoredAdvisoryContent>("advisories.draft", &draft)?.into_domain()?,
            id,
            org_id: OrgId::from_uuid(row.uuid("org_id")?),
            project_id: ProjectId::from_uuid(row.uuid("project_id")?),
            report_id: row.opt_uuid("report_id")?.map(ReportId::from_uuid),
            state: row.parsed("state")?,
            published: revision_from(row)?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
            first_published_at: row.opt_time("first_published_at")?,
            withdrawn_at: row.opt_time("withdrawn_at")?,
        })
    }

    /// Indexes the CVE ids of an advisory drafted from a report for that
    /// report's search (`cve:`), replacing what its last save indexed.
    async fn index_cves(&mut self, advisory: &Advisory) -> Result<(), StoreError> {
        match advisory.report_id {
            Some(report) => {
                let terms = crate::search::advisory_terms(advisory);
                self.reindex_terms(report, crate::search::Source::Advisory, &terms).await
            }
            None => Ok(()),
        }
    }

    fn seal_draft(&self, advisory: &Advisory) -> Result<Vec<u8>, StoreError> {
        let json = to_json("advisories.draft", &StoredAdvisoryContent::from(&advisory.draft))?;
        self.sealer.seal_text(Place { table: "advisories", column: "draft", row: advisory.id.as_str() }, &json)
    }
}

#[async_trait::async_trait]
impl<H> AdvisoryReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn advisory(&mut self, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            ADVISORY_COLUMNS,
            " FROM advisories a ",
            LATEST_REVISION,
            " WHERE a.id = $1"
        );
        let row = self.fetch_optional(query(SQL).bind(id.as_str())).await?;
        row.map(|r| self.advisory_from(&r)).transpose()
    }

    async fn advisory_for_report(&mut self, report: ReportId) -> Result<Option<Advisory>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            ADVISORY_COLUMNS,
            " FROM advisories a ",
            LATEST_REVISION,
            " WHERE a.report_id = $1"
        );
        let row = self.fetch_optional(query(SQL).bind(report)).await?;
        row.map(|r| self.advisory_from(&r)).transpose()
    }

    async fn team_advisories(&mut self, user: UserId, project: Option<ProjectId>) -> Result<Vec<Advisory>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            ADVISORY_COLUMNS,
            " FROM advisories a ",
            LATEST_REVISION,
            " WHERE (a.project_id IN (SELECT project_id FROM project_members WHERE user_id = $1) \
               OR a.org_id IN (SELECT org_id FROM org_members WHERE user_id = $1)) \
             AND ($2 IS NULL OR a.project_id = $2) \
             ORDER BY a.created_at DESC, a.id"
        );
        let rows = self.fetch_all(query(SQL).bind(user).bind(project)).await?;
        rows.iter().map(|r| self.advisory_from(r)).collect()
    }

    async fn published_advisories(&mut self, filter: &PublishedFilter) -> Result<Vec<PublishedAdvisory>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            ADVISORY_COLUMNS,
            " FROM advisories a ",
            LATEST_REVISION,
            " WHERE a.state <> 'draft' AND ($1 IS NULL OR a.org_id = $1) AND ($2 IS NULL OR a.project_id = $2) \
             ORDER BY a.first_published_at DESC, a.id"
        );
        let rows = self.fetch_all(query(SQL).bind(filter.org).bind(filter.project)).await?;
        rows.iter().map(published_from).collect()
    }

    async fn published_advisory(&mut self, id: &AdvisoryId) -> Result<Option<PublishedAdvisory>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            ADVISORY_COLUMNS,
            " FROM advisories a ",
            LATEST_REVISION,
            " WHERE a.id = $1 AND a.state <> 'draft'"
        );
        let row = self.fetch_optional(query(SQL).bind(id.as_str())).await?;
        row.map(|r| published_from(&r)).transpose()
    }

    async fn revisions(&mut self, id: &AdvisoryId) -> Result<Vec<Revision>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT number AS rev_number, content AS rev_content, published_at AS rev_published_at \
                     FROM advisory_revisions WHERE advisory_id = $1 ORDER BY number",
                )
                .bind(id.as_str()),
            )
            .await?;
        rows.iter().filter_map(|r| revision_from(r).transpose()).collect()
    }

    async fn assigned_cves(&mut self, org: OrgId) -> Result<Vec<CveId>, StoreError> {
        let rows = self
            .fetch_all(
                query("SELECT cve_id FROM cve_assignments WHERE org_id = $1 ORDER BY assigned_at, cve_id").bind(org),
            )
            .await?;
        rows.iter().map(|r| r.parsed("cve_id")).collect()
    }

    async fn publication_marker(&mut self) -> Result<PublicationMarker, StoreError> {
        let row = self
            .fetch_optional(query(
                "SELECT (SELECT COUNT(*) FROM advisory_revisions) AS revisions,                  (SELECT MAX(published_at) FROM advisory_revisions) AS last_published,                  (SELECT COUNT(*) FROM advisories WHERE withdrawn_at IS NOT NULL) AS withdrawn,                  (SELECT MAX(withdrawn_at) FROM advisories) AS last_withdrawn",
            ))
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(PublicationMarker {
            revisions: row.int("revisions")?,
            last_published: row.opt_time("last_published")?,
            withdrawn: row.int("withdrawn")?,
            last_withdrawn: row.opt_time("last_withdrawn")?,
        })
    }

    async fn vex_statements(&mut self, id: &AdvisoryId) -> Result<Vec<NotAffected>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT advisory_id, line, justification, impact, stated_at FROM vex_statements \
                     WHERE advisory_id = $1 ORDER BY line",
                )
                .bind(id.as_str()),
            )
            .await?;
        rows.iter().map(|r| not_affected_from(r).map(|(_, n)| n)).collect()
    }

    async fn all_vex_statements(&mut self) -> Result<Vec<(AdvisoryId, NotAffected)>, StoreError> {
        let rows = self
            .fetch_all(query(
                "SELECT advisory_id, line, justification, impact, stated_at FROM vex_statements \
                 ORDER BY advisory_id, line",
            ))
            .await?;
        rows.iter().map(not_affected_from).collect()
    }

    async fn publication_sequence(&mut self) -> Result<i64, StoreError> {
        let row = self
            .fetch_optional(query("SELECT value FROM publication_sequence WHERE id = 1"))
            .await?
            .ok_or(StoreError::NotFound)?;
        row.int("value")
    }
}

#[async_trait::async_trait]
impl<H> AdvisoryWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn lock_advisory(&mut self, id: &AdvisoryId) -> Result<Option<Advisory>, StoreError> {
        if self.dialect() == Dialect::Postgres {
            // Lock the advisory row itself; the joined revision row is not locked.
            self.execute(query("SELECT id FROM advisories WHERE id = $1 FOR UPDATE").bind(id.as_str())).await?;
        }
        self.advisory(id).await
    }

    async fn next_advisory_number(&mut self, prefix: &AdvisoryPrefix, year: i32) -> Result<u64, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "INSERT INTO advisory_counters (prefix, year, last) VALUES ($1, $2, 1) \
                     ON CONFLICT (prefix, year) DO UPDATE SET last = advisory_counters.last + 1 RETURNING last",
                )
                .bind(prefix.as_str())
                .bind(i64::from(year)),
            )
            .await?;
        let last = row.map(|r| r.int("last")).transpose()?.ok_or(StoreError::NotFound)?;
        u64::try_from(last).map_err(|e| StoreError::corrupt("advisory_counters.last", e))
    }

    async fn insert_advisory(&mut self, advisory: &Advisory) -> Result<(), StoreError> {
        let draft = self.seal_draft(advisory)?;
        self.execute(
            query(
                "INSERT INTO advisories (id, org_id, project_id, report_id, state, draft, created_at, updated_at, \
                 first_published_at, withdrawn_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(advisory.id.as_str())
            .bind(advisory.org_id)
            .bind(advisory.project_id)
            .bind(advisory.report_id)
            .bind(advisory.state.as_str())
            .bind(draft)
            .bind(advisory.created_at)
            .bind(advisory.updated_at)
            .bind(advisory.first_published_at)
            .bind(advisory.withdrawn_at),
        )
        .await?;
        self.index_cves(advisory).await
    }

    async fn update_advisory(&mut self, advisory: &Advisory) -> Result<(), StoreError> {
        let draft = self.seal_draft(advisory)?;
        self.execute_one(
            query(
                "UPDATE advisories SET state = $1, draft = $2, updated_at = $3, first_published_at = $4, \
                 withdrawn_at = $5 WHERE id = $6",
            )
            .bind(advisory.state.as_str())
            .bind(draft)
            .bind(advisory.updated_at)
            .bind(advisory.first_published_at)
            .bind(advisory.withdrawn_at)
            .bind(advisory.id.as_str()),
        )
        .await?;
        self.index_cves(advisory).await
    }

    async fn insert_revision(&mut self, id: &AdvisoryId, revision: &Revision) -> Result<(), StoreError> {
        let content = to_json("advisory_revisions.content", &StoredAdvisoryContent::from(&revision.content))?;
        self.execute(
            query(
                "INSERT INTO advisory_revisions (advisory_id, number, content, published_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id.as_str())
            .bind(i64::from(revision.number))
            .bind(content)
            .bind(revision.published_at),
        )
        .await
        .map(drop)
    }

    async fn put_vex_statement(&mut self, id: &AdvisoryId, statement: &NotAffected) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO vex_statements (advisory_id, line, justification, impact, stated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (advisory_id, line) DO UPDATE SET \
                 justification = excluded.justification, impact = excluded.impact, stated_at = excluded.stated_at",
            )
            .bind(id.as_str())
            .bind(statement.line.as_str())
            .bind(statement.justification.as_str())
            .bind(statement.impact.as_deref())
            .bind(statement.stated_at),
        )
        .await
        .map(drop)
    }

    async fn remove_vex_statement(&mut self, id: &AdvisoryId, line: &str) -> Result<bool, StoreError> {
        let done = self
            .execute(
                query("DELETE FROM vex_statements WHERE advisory_id = $1 AND line = $2").bind(id.as_str()).bind(line),
            )
            .await?;
        Ok(done > 0)
    }

    async fn assign_cve(
        &mut self,
        org: OrgId,
        cve: &CveId,
        advisory: &AdvisoryId,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.execute(
            query("INSERT INTO cve_assignments (cve_id, org_id, advisory_id, assigned_at) VALUES ($1, $2, $3, $4)")
                .bind(cve.as_str())
                .bind(org)
                .bind(advisory.as_str())
                .bind(at),
        )
        .await
        .map(drop)
    }
}
