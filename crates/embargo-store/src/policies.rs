//! Policies: an organisation's canonical one and each project's overrides.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{OrgId, ProjectId};
use embargo_core::policy::PolicyDraft;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};
use crate::stored::{from_json, to_json};
use crate::stored_policy::StoredPolicy;

/// Reading policies.
#[async_trait::async_trait]
pub trait PolicyReads {
    /// An organisation's policy (empty if none was applied).
    async fn org_policy(&mut self, org: OrgId) -> Result<PolicyDraft, StoreError>;
    /// A project's overrides (empty if none were applied).
    async fn project_policy(&mut self, project: ProjectId) -> Result<PolicyDraft, StoreError>;
}

/// Changing policies.
#[async_trait::async_trait]
pub trait PolicyWrites {
    /// Replaces an organisation's policy.
    async fn set_org_policy(&mut self, org: OrgId, policy: &PolicyDraft, at: Timestamp) -> Result<(), StoreError>;
    /// Replaces a project's overrides.
    async fn set_project_policy(
        &mut self,
        project: ProjectId,
        policy: &PolicyDraft,
        at: Timestamp,
    ) -> Result<(), StoreError>;
}

fn decode(row: Option<impl RowRead>, table: &str) -> Result<PolicyDraft, StoreError> {
    match row {
        Some(row) => from_json::<StoredPolicy>(table, &row.text("body")?)?.into_domain(),
        None => Ok(PolicyDraft::default()),
    }
}

#[async_trait::async_trait]
impl<H> PolicyReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn org_policy(&mut self, org: OrgId) -> Result<PolicyDraft, StoreError> {
        let row = self.fetch_optional(query("SELECT body FROM org_policies WHERE org_id = $1").bind(org)).await?;
        decode(row, "org_policies.body")
    }

    async fn project_policy(&mut self, project: ProjectId) -> Result<PolicyDraft, StoreError> {
        let row =
            self.fetch_optional(query("SELECT body FROM project_policies WHERE project_id = $1").bind(project)).await?;
        decode(row, "project_policies.body")
    }
}

#[async_trait::async_trait]
impl<H> PolicyWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn set_org_policy(&mut self, org: OrgId, policy: &PolicyDraft, at: Timestamp) -> Result<(), StoreError> {
        let body = to_json("org_policies.body", &StoredPolicy::from(policy))?;
        self.execute(
            query(
                "INSERT INTO org_policies (org_id, body, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            )
            .bind(org)
            .bind(body)
            .bind(at),
        )
        .await
        .map(drop)
    }

    async fn set_project_policy(
        &mut self,
        project: ProjectId,
        policy: &PolicyDraft,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let body = to_json("project_policies.body", &StoredPolicy::from(policy))?;
        self.execute(
            query(
                "INSERT INTO project_policies (project_id, body, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (project_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            )
            .bind(project)
            .bind(body)
            .bind(at),
        )
        .await
        .map(drop)
    }
}
