//! Coordinator rotations: per project, the coordinators in turn order (with
//! who is away), the idle days before a report is assigned, and whose turn is next.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{ProjectId, ReportId, UserId};
use embargo_core::lifecycle::ReportState;
use embargo_core::rotation::{Coordinator, Rotation};

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// Reading rotations.
#[async_trait::async_trait]
pub trait RotationReads {
    /// A project's rotation, if its team keeps one.
    async fn rotation(&mut self, project: ProjectId) -> Result<Option<Rotation>, StoreError>;
    /// A project's open reports nobody is assigned to, with their last activity.
    async fn unassigned_open_reports(&mut self, project: ProjectId) -> Result<Vec<(ReportId, Timestamp)>, StoreError>;
}

/// Open unassigned reports of a project; the open states are core's.
static UNASSIGNED_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let open: Vec<String> =
        ReportState::ALL.iter().filter(|s| !s.is_closed()).map(|s| format!("'{}'", s.as_str())).collect();
    format!(
        "SELECT id, updated_at FROM reports WHERE project_id = $1 AND assignee_id IS NULL AND state IN ({}) \
         ORDER BY created_at, id",
        open.join(", ")
    )
});

/// Changing rotations.
#[async_trait::async_trait]
pub trait RotationWrites {
    /// Replaces a project's rotation as a whole (an empty list of coordinators removes it).
    async fn put_rotation(&mut self, rotation: &Rotation, now: Timestamp) -> Result<(), StoreError>;
    /// Records whose turn is next.
    async fn set_next_turn(&mut self, project: ProjectId, next_turn: u32, now: Timestamp) -> Result<(), StoreError>;
}

fn count(value: i64, column: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|e| StoreError::corrupt(column, e))
}

#[async_trait::async_trait]
impl<H> RotationReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn rotation(&mut self, project: ProjectId) -> Result<Option<Rotation>, StoreError> {
        let Some(row) = self
            .fetch_optional(
                query("SELECT idle_days, next_turn FROM coordinator_rotations WHERE project_id = $1").bind(project),
            )
            .await?
        else {
            return Ok(None);
        };
        let idle_days = count(row.int("idle_days")?, "coordinator_rotations.idle_days")?;
        let next_turn = count(row.int("next_turn")?, "coordinator_rotations.next_turn")?;
        let rows = self
            .fetch_all(
                query("SELECT user_id, away FROM coordinator_rotation_members WHERE project_id = $1 ORDER BY position")
                    .bind(project),
            )
            .await?;
        let coordinators = rows
            .iter()
            .map(|r| Ok(Coordinator { user: UserId::from_uuid(r.uuid("user_id")?), away: r.bool("away")? }))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(Rotation { project, idle_days, coordinators, next_turn }))
    }

    async fn unassigned_open_reports(&mut self, project: ProjectId) -> Result<Vec<(ReportId, Timestamp)>, StoreError> {
        let rows = self.fetch_all(query(UNASSIGNED_SQL.as_str()).bind(project)).await?;
        rows.iter().map(|r| Ok((ReportId::from_uuid(r.uuid("id")?), r.time("updated_at")?))).collect()
    }
}

#[async_trait::async_trait]
impl<H> RotationWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn put_rotation(&mut self, rotation: &Rotation, now: Timestamp) -> Result<(), StoreError> {
        let project = rotation.project;
        self.execute(query("DELETE FROM coordinator_rotation_members WHERE project_id = $1").bind(project)).await?;
        self.execute(query("DELETE FROM coordinator_rotations WHERE project_id = $1").bind(project)).await?;
        if rotation.coordinators.is_empty() {
            return Ok(());
        }
        self.execute(
            query(
                "INSERT INTO coordinator_rotations (project_id, idle_days, next_turn, updated_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(project)
            .bind(i64::from(rotation.idle_days))
            .bind(i64::from(rotation.next_turn))
            .bind(now),
        )
        .await?;
        for (position, coordinator) in rotation.coordinators.iter().enumerate() {
            let position = i64::try_from(position).map_err(|e| StoreError::corrupt("position", e))?;
            self.execute(
                query(
                    "INSERT INTO coordinator_rotation_members (project_id, position, user_id, away) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(project)
                .bind(position)
                .bind(coordinator.user)
                .bind(coordinator.away),
            )
            .await?;
        }
        Ok(())
    }

    async fn set_next_turn(&mut self, project: ProjectId, next_turn: u32, now: Timestamp) -> Result<(), StoreError> {
        self.execute(
            query("UPDATE coordinator_rotations SET next_turn = $2, updated_at = $3 WHERE project_id = $1")
                .bind(project)
                .bind(i64::from(next_turn))
                .bind(now),
        )
        .await
        .map(drop)
    }
}
