//! Reports filed by an import (issue 14, `embargo import ghsa`): which source
//! record each came from (migration 1400), so that a second import of the
//! same record finds the report it filed instead of filing another.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{ProjectId, ReportId};

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// Reading which reports imports filed.
#[async_trait::async_trait]
pub trait ImportedReads {
    /// The report an import filed into `project` for the record `source_id` of `source` (`ghsa`).
    async fn imported_report(
        &mut self,
        project: ProjectId,
        source: &str,
        source_id: &str,
    ) -> Result<Option<ReportId>, StoreError>;
}

/// Recording which reports imports filed.
#[async_trait::async_trait]
pub trait ImportedWrites {
    /// Records that `report` was filed for the record `source_id` of `source` in `project`.
    async fn insert_imported_report(
        &mut self,
        project: ProjectId,
        source: &str,
        source_id: &str,
        report: ReportId,
        at: Timestamp,
    ) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<H> ImportedReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn imported_report(
        &mut self,
        project: ProjectId,
        source: &str,
        source_id: &str,
    ) -> Result<Option<ReportId>, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "SELECT report_id FROM imported_reports WHERE project_id = $1 AND source = $2 AND source_id = $3",
                )
                .bind(project)
                .bind(source)
                .bind(source_id),
            )
            .await?;
        row.map(|r| r.uuid("report_id").map(ReportId::from_uuid)).transpose()
    }
}

#[async_trait::async_trait]
impl<H> ImportedWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_imported_report(
        &mut self,
        project: ProjectId,
        source: &str,
        source_id: &str,
        report: ReportId,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO imported_reports (project_id, source, source_id, report_id, imported_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(project)
            .bind(source)
            .bind(source_id)
            .bind(report)
            .bind(at),
        )
        .await
        .map(drop)
    }
}
