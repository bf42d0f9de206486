//! Embargo ends of reports and scheduled publications of advisories, each an
//! instant (UTC) with the offset the team gave it.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::embargo::Moment;
use embargo_core::id::{AdvisoryId, ReportId};
use time::UtcOffset;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// A scheduled publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The advisory.
    pub advisory: AdvisoryId,
    /// When to publish.
    pub at: Moment,
    /// What happened at that time: `published` or `refused`; none yet.
    pub outcome: Option<String>,
}

/// Reading embargo ends and schedules.
#[async_trait::async_trait]
pub trait EmbargoReads {
    /// A report's embargo end, if one is set.
    async fn embargo(&mut self, report: ReportId) -> Result<Option<Moment>, StoreError>;
    /// An advisory's scheduled publication, if any.
    async fn schedule(&mut self, advisory: &AdvisoryId) -> Result<Option<Schedule>, StoreError>;
}

/// Changing embargo ends and schedules.
#[async_trait::async_trait]
pub trait EmbargoWrites {
    /// Sets (or with `None` clears) a report's embargo end.
    async fn put_embargo(&mut self, report: ReportId, until: Option<Moment>, now: Timestamp) -> Result<(), StoreError>;
    /// Schedules (or reschedules, clearing any outcome) an advisory's publication.
    async fn put_schedule(&mut self, advisory: &AdvisoryId, at: Moment, now: Timestamp) -> Result<(), StoreError>;
    /// Records what the schedule due at `at` did, once: `false` when it was
    /// settled already or moved to another time.
    async fn settle_schedule(
        &mut self,
        advisory: &AdvisoryId,
        at: Timestamp,
        outcome: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
}

fn offset(seconds: i64, column: &str) -> Result<UtcOffset, StoreError> {
    let seconds = i32::try_from(seconds).map_err(|e| StoreError::corrupt(column, e))?;
    UtcOffset::from_whole_seconds(seconds).map_err(|e| StoreError::corrupt(column, e))
}

#[async_trait::async_trait]
impl<H> EmbargoReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn embargo(&mut self, report: ReportId) -> Result<Option<Moment>, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT until_at, utc_offset FROM report_embargoes WHERE report_id = $1").bind(report),
            )
            .await?;
        row.map(|r| {
            Ok(Moment { at: r.time("until_at")?, offset: offset(r.int("utc_offset")?, "report_embargoes.utc_offset")? })
        })
        .transpose()
    }

    async fn schedule(&mut self, advisory: &AdvisoryId) -> Result<Option<Schedule>, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT publish_at, utc_offset, outcome FROM advisory_schedules WHERE advisory_id = $1")
                    .bind(advisory.as_str()),
            )
            .await?;
        row.map(|r| {
            let at = Moment {
                at: r.time("publish_at")?,
                offset: offset(r.int("utc_offset")?, "advisory_schedules.utc_offset")?,
            };
            Ok(Schedule { advisory: advisory.clone(), at, outcome: r.opt_text("outcome")? })
        })
        .transpose()
    }
}

#[async_trait::async_trait]
impl<H> EmbargoWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn put_embargo(&mut self, report: ReportId, until: Option<Moment>, now: Timestamp) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM report_embargoes WHERE report_id = $1").bind(report)).await?;
        let Some(until) = until else { return Ok(()) };
        self.execute(
            query("INSERT INTO report_embargoes (report_id, until_at, utc_offset, set_at) VALUES ($1, $2, $3, $4)")
                .bind(report)
                .bind(until.at)
                .bind(i64::from(until.offset.whole_seconds()))
                .bind(now),
        )
        .await
        .map(drop)
    }

    async fn put_schedule(&mut self, advisory: &AdvisoryId, at: Moment, now: Timestamp) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM advisory_schedules WHERE advisory_id = $1").bind(advisory.as_str())).await?;
        self.execute(
            query(
                "INSERT INTO advisory_schedules (advisory_id, publish_at, utc_offset, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(advisory.as_str())
            .bind(at.at)
            .bind(i64::from(at.offset.whole_seconds()))
            .bind(now),
        )
        .await
        .map(drop)
    }

    async fn settle_schedule(
        &mut self,
        advisory: &AdvisoryId,
        at: Timestamp,
        outcome: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "UPDATE advisory_schedules SET outcome = $3, settled_at = $4 \
                     WHERE advisory_id = $1 AND publish_at = $2 AND outcome IS NULL",
                )
                .bind(advisory.as_str())
                .bind(at)
                .bind(outcome)
                .bind(now),
            )
            .await?;
        Ok(changed > 0)
    }
}
