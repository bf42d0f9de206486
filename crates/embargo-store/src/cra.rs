//! Cyber Resilience Act reporting clocks (migration 1140): a report flagged as
//! an actively exploited vulnerability or a severe incident, with when the
//! organisation became aware, the team's details for ENISA (JSON, sealed) and
//! each stage's filing with its ENISA reference.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::cra::{CraKind, CraStage};
use embargo_core::embargo::Moment;
use embargo_core::id::ReportId;
use embargo_core::private::Private;
use time::UtcOffset;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};

/// A report's clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CraClock {
    /// The report.
    pub report_id: ReportId,
    /// Exploited vulnerability or severe incident.
    pub kind: CraKind,
    /// When the organisation became aware, with the offset it was given in.
    pub aware_at: Moment,
    /// When a corrective or mitigating measure became available, as the team stated it.
    pub fix_available_at: Option<Timestamp>,
    /// The team's details for ENISA (the app's JSON shape), sealed at rest.
    pub details: Private<String>,
    /// When the clocks were started.
    pub started_at: Timestamp,
}

/// A stage filed with ENISA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CraFiling {
    /// Which stage.
    pub stage: CraStage,
    /// When it was filed.
    pub filed_at: Timestamp,
    /// The reference ENISA's platform gave it.
    pub reference: String,
    /// When Embargo heard of it.
    pub recorded_at: Timestamp,
}

/// Reading clocks.
#[async_trait::async_trait]
pub trait CraReads {
    /// A report's clocks, if started.
    async fn cra_clock(&mut self, report: ReportId) -> Result<Option<CraClock>, StoreError>;
    /// A report's filings, in stage order.
    async fn cra_filings(&mut self, report: ReportId) -> Result<Vec<CraFiling>, StoreError>;
}

/// Changing clocks.
#[async_trait::async_trait]
pub trait CraWrites {
    /// Starts a report's clocks; `false` when they were started already.
    async fn insert_cra_clock(&mut self, clock: &CraClock) -> Result<bool, StoreError>;
    /// Replaces the team's details and the time a measure became available.
    async fn update_cra_clock(
        &mut self,
        report: ReportId,
        details: &Private<String>,
        fix_available_at: Option<Timestamp>,
    ) -> Result<(), StoreError>;
    /// Records (or corrects) a stage's filing.
    async fn put_cra_filing(&mut self, report: ReportId, filing: &CraFiling) -> Result<(), StoreError>;
}

fn place(row: &str) -> Place<'_> {
    Place { table: "cra_clocks", column: "details", row }
}

#[async_trait::async_trait]
impl<H> CraReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn cra_clock(&mut self, report: ReportId) -> Result<Option<CraClock>, StoreError> {
        let Some(row) = self
            .fetch_optional(
                query(
                    "SELECT kind, aware_at, aware_offset, fix_available_at, details, started_at \
                     FROM cra_clocks WHERE report_id = $1",
                )
                .bind(report),
            )
            .await?
        else {
            return Ok(None);
        };
        let seconds = i32::try_from(row.int("aware_offset")?).map_err(|e| StoreError::corrupt("aware_offset", e))?;
        let offset = UtcOffset::from_whole_seconds(seconds).map_err(|e| StoreError::corrupt("aware_offset", e))?;
        let row_id = report.to_string();
        Ok(Some(CraClock {
            report_id: report,
            kind: row.text("kind")?.parse().map_err(|e| StoreError::corrupt("cra_clocks.kind", e))?,
            aware_at: Moment { at: row.time("aware_at")?, offset },
            fix_available_at: row.opt_time("fix_available_at")?,
            details: Private::new(self.sealer.open_text(place(&row_id), &row.bytes("details")?)?),
            started_at: row.time("started_at")?,
        }))
    }

    async fn cra_filings(&mut self, report: ReportId) -> Result<Vec<CraFiling>, StoreError> {
        let rows = self
            .fetch_all(
                query("SELECT stage, filed_at, reference, recorded_at FROM cra_filings WHERE report_id = $1")
                    .bind(report),
            )
            .await?;
        let mut filings = rows
            .iter()
            .map(|row| {
                Ok(CraFiling {
                    stage: row.text("stage")?.parse().map_err(|e| StoreError::corrupt("cra_filings.stage", e))?,
                    filed_at: row.time("filed_at")?,
                    reference: row.text("reference")?,
                    recorded_at: row.time("recorded_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        filings.sort_by_key(|f| f.stage);
        Ok(filings)
    }
}

#[async_trait::async_trait]
impl<H> CraWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_cra_clock(&mut self, clock: &CraClock) -> Result<bool, StoreError> {
        let exists = self
            .fetch_optional(query("SELECT kind FROM cra_clocks WHERE report_id = $1").bind(clock.report_id))
            .await?;
        if exists.is_some() {
            return Ok(false);
        }
        let row_id = clock.report_id.to_string();
        let sealed = self.sealer.seal_text(place(&row_id), clock.details.expose())?;
        self.execute(
            query(
                "INSERT INTO cra_clocks (report_id, kind, aware_at, aware_offset, fix_available_at, details, started_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(clock.report_id)
            .bind(clock.kind.as_str())
            .bind(clock.aware_at.at)
            .bind(i64::from(clock.aware_at.offset.whole_seconds()))
            .bind(clock.fix_available_at)
            .bind(sealed)
            .bind(clock.started_at),
        )
        .await?;
        Ok(true)
    }

    async fn update_cra_clock(
        &mut self,
        report: ReportId,
        details: &Private<String>,
        fix_available_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let row_id = report.to_string();
        let sealed = self.sealer.seal_text(place(&row_id), details.expose())?;
        self.execute(
            query("UPDATE cra_clocks SET details = $2, fix_available_at = $3 WHERE report_id = $1")
                .bind(report)
                .bind(sealed)
                .bind(fix_available_at),
        )
        .await
        .map(drop)
    }

    async fn put_cra_filing(&mut self, report: ReportId, filing: &CraFiling) -> Result<(), StoreError> {
        self.execute(
            query("DELETE FROM cra_filings WHERE report_id = $1 AND stage = $2")
                .bind(report)
                .bind(filing.stage.as_str()),
        )
        .await?;
        self.execute(
            query(
                "INSERT INTO cra_filings (report_id, stage, filed_at, reference, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(report)
            .bind(filing.stage.as_str())
            .bind(filing.filed_at)
            .bind(filing.reference.as_str())
            .bind(filing.recorded_at),
        )
        .await
        .map(drop)
    }
}
