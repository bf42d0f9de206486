//! The report histories public response times are computed from: arrival,
//! the promised times, and every state reached (never report content).

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{ProjectId, ReportId};
use embargo_core::response_times::Timeline;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// Reading report histories.
#[async_trait::async_trait]
pub trait ResponseTimeReads {
    /// The histories of a project's reports received since `since`, oldest first.
    async fn timelines(&mut self, project: ProjectId, since: Timestamp) -> Result<Vec<Timeline>, StoreError>;
}

#[async_trait::async_trait]
impl<H> ResponseTimeReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn timelines(&mut self, project: ProjectId, since: Timestamp) -> Result<Vec<Timeline>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT r.id, r.created_at, r.acknowledge_due, r.triage_due, h.to_state, h.at \
                     FROM reports r LEFT JOIN report_states h ON h.report_id = r.id AND h.from_state IS NOT NULL \
                     WHERE r.project_id = $1 AND r.created_at >= $2 ORDER BY r.created_at, r.id, h.seq",
                )
                .bind(project)
                .bind(since),
            )
            .await?;
        let mut out: Vec<(ReportId, Timeline)> = Vec::new();
        for row in &rows {
            let id = ReportId::from_uuid(row.uuid("id")?);
            if out.last().is_none_or(|(last, _)| *last != id) {
                let timeline = Timeline {
                    received: row.time("created_at")?,
                    acknowledge_due: row.opt_time("acknowledge_due")?,
                    triage_due: row.opt_time("triage_due")?,
                    changes: Vec::new(),
                };
                out.push((id, timeline));
            }
            if let (Some(state), Some(at), Some((_, timeline))) =
                (row.opt_text("to_state")?, row.opt_time("at")?, out.last_mut())
            {
                let state = state.parse().map_err(|e| StoreError::corrupt("report_states.to_state", e))?;
                timeline.changes.push((state, at));
            }
        }
        Ok(out.into_iter().map(|(_, t)| t).collect())
    }
}
