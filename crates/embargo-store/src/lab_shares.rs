//! Whether a report's team shares the evidence lab's results with the
//! reporter (issue 17, migration 1700): each release line's verdict, never
//! the PoC's output. Without a share the reporter sees only whether their
//! PoC reproduced.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{ReportId, UserId};

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// Reading lab shares.
#[async_trait::async_trait]
pub trait LabShareReads {
    /// When the team shared the report's lab results with the reporter, if it does.
    async fn lab_shared_at(&mut self, report: ReportId) -> Result<Option<Timestamp>, StoreError>;
}

/// Changing lab shares.
#[async_trait::async_trait]
pub trait LabShareWrites {
    /// Shares (`Some(at)`, by `by`) or stops sharing (`None`); answers whether anything changed.
    async fn set_lab_shared(
        &mut self,
        report: ReportId,
        by: Option<UserId>,
        at: Option<Timestamp>,
    ) -> Result<bool, StoreError>;
}

#[async_trait::async_trait]
impl<H> LabShareReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn lab_shared_at(&mut self, report: ReportId) -> Result<Option<Timestamp>, StoreError> {
        let row =
            self.fetch_optional(query("SELECT shared_at FROM lab_shares WHERE report_id = $1").bind(report)).await?;
        row.map(|r| r.time("shared_at")).transpose()
    }
}

#[async_trait::async_trait]
impl<H> LabShareWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn set_lab_shared(
        &mut self,
        report: ReportId,
        by: Option<UserId>,
        at: Option<Timestamp>,
    ) -> Result<bool, StoreError> {
        let done = match at {
            Some(at) => {
                self.execute(
                    query(
                        "INSERT INTO lab_shares (report_id, shared_by, shared_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (report_id) DO NOTHING",
                    )
                    .bind(report)
                    .bind(by)
                    .bind(at),
                )
                .await?
            }
            None => self.execute(query("DELETE FROM lab_shares WHERE report_id = $1").bind(report)).await?,
        };
        Ok(done > 0)
    }
}
