//! Public issues made from declined reports (issue 10, item 6, migration
//! 1002): what the team chose to include, the reporter's answer, and where the
//! issue was made public. The text itself is made from the report when asked.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{ReportId, UserId};
use embargo_core::public_issue::Answer;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// A public issue in the making.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicIssue {
    /// The declined report.
    pub report: ReportId,
    /// Whether the text includes the proof of concept.
    pub include_poc: bool,
    /// The reporter's answer.
    pub answer: Answer,
    /// Who on the team drafted it.
    pub drafted_by: Option<UserId>,
    /// When.
    pub drafted_at: Timestamp,
    /// When the reporter answered.
    pub answered_at: Option<Timestamp>,
    /// The public issue, once made public.
    pub url: Option<String>,
    /// When it was marked made public.
    pub published_at: Option<Timestamp>,
}

/// Reading public issues.
#[async_trait::async_trait]
pub trait PublicIssueReads {
    /// A report's public issue, if the team drafted one.
    async fn public_issue(&mut self, report: ReportId) -> Result<Option<PublicIssue>, StoreError>;
}

/// Recording public issues.
#[async_trait::async_trait]
pub trait PublicIssueWrites {
    /// Records (or replaces) a report's public issue.
    async fn put_public_issue(&mut self, issue: &PublicIssue) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<H> PublicIssueReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn public_issue(&mut self, report: ReportId) -> Result<Option<PublicIssue>, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "SELECT report_id, include_poc, answer, drafted_by, drafted_at, answered_at, url, published_at \
                     FROM public_issues WHERE report_id = $1",
                )
                .bind(report),
            )
            .await?;
        row.map(|r| {
            Ok(PublicIssue {
                report: ReportId::from_uuid(r.uuid("report_id")?),
                include_poc: r.bool("include_poc")?,
                answer: r.text("answer")?.parse().map_err(|e| StoreError::corrupt("public_issues.answer", e))?,
                drafted_by: r.opt_uuid("drafted_by")?.map(UserId::from_uuid),
                drafted_at: r.time("drafted_at")?,
                answered_at: r.opt_time("answered_at")?,
                url: r.opt_text("url")?,
                published_at: r.opt_time("published_at")?,
            })
        })
        .transpose()
    }
}

#[async_trait::async_trait]
impl<H> PublicIssueWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn put_public_issue(&mut self, issue: &PublicIssue) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM public_issues WHERE report_id = $1").bind(issue.report)).await?;
        self.execute(
            query(
                "INSERT INTO public_issues \
                 (report_id, include_poc, answer, drafted_by, drafted_at, answered_at, url, published_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(issue.report)
            .bind(issue.include_poc)
            .bind(issue.answer.as_str())
            .bind(issue.drafted_by)
            .bind(issue.drafted_at)
            .bind(issue.answered_at)
            .bind(issue.url.clone())
            .bind(issue.published_at),
        )
        .await
        .map(drop)
    }
}
