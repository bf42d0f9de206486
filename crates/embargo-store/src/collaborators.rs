//! People invited to work on one report: their invitations (address sealed,
//! link token hashed, and sealed until the invitation mail carried it) and
//! their revocation.

use std::ops::DerefMut;

use embargo_core::collaborator::{Collaboration, Collaborator};
use embargo_core::id::{CollaboratorId, ReportId, UserId};
use embargo_core::private::Private;
use embargo_core::text::Email;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};
use crate::users::TokenHash;

const COLUMNS: &str = "id, report_id, email, user_id, role, sees_internal, invited_by, created_at, revoked_at";

/// Reading invitations.
#[async_trait::async_trait]
pub trait CollaboratorReads {
    /// A report's invitations, revoked ones included, oldest first.
    async fn collaborators(&mut self, report: ReportId) -> Result<Vec<Collaborator>, StoreError>;
    /// One invitation.
    async fn collaborator(&mut self, id: CollaboratorId) -> Result<Option<Collaborator>, StoreError>;
    /// What the invitation link with this token hash grants (nothing once revoked).
    async fn collaboration_by_token(&mut self, hash: &TokenHash) -> Result<Option<Collaboration>, StoreError>;
    /// What a user's account was invited to (revoked invitations left out).
    async fn collaborations(&mut self, user: UserId) -> Result<Vec<Collaboration>, StoreError>;
    /// The link token kept for an invitation's mail, until it is sent.
    async fn invitation_token(&mut self, id: CollaboratorId) -> Result<Option<Private<String>>, StoreError>;
}

/// Changing invitations.
#[async_trait::async_trait]
pub trait CollaboratorWrites {
    /// Records an invitation with the hash of its link's token, and the token itself (sealed) for its mail.
    async fn insert_collaborator(
        &mut self,
        collaborator: &Collaborator,
        hash: &TokenHash,
        token: &Private<String>,
    ) -> Result<(), StoreError>;
    /// Revokes an invitation (and forgets its mail's token); `false` when there was none to revoke.
    async fn revoke_collaborator(
        &mut self,
        id: CollaboratorId,
        at: embargo_core::Timestamp,
    ) -> Result<bool, StoreError>;
    /// Forgets the link token kept for an invitation's mail, once sent.
    async fn clear_invitation_token(&mut self, id: CollaboratorId) -> Result<(), StoreError>;
}

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    fn collaborator_from(&self, row: &impl RowRead) -> Result<Collaborator, StoreError> {
        let id = CollaboratorId::from_uuid(row.uuid("id")?);
        let row_id = id.to_string();
        let email = self
            .sealer
            .open_text(Place { table: "report_collaborators", column: "email", row: &row_id }, &row.bytes("email")?)?;
        Ok(Collaborator {
            id,
            report_id: ReportId::from_uuid(row.uuid("report_id")?),
            email: email.parse::<Email>().map_err(|e| StoreError::corrupt("report_collaborators.email", e))?,
            user_id: row.opt_uuid("user_id")?.map(UserId::from_uuid),
            role: row.text("role")?.parse().map_err(|e| StoreError::corrupt("report_collaborators.role", e))?,
            sees_internal: row.bool("sees_internal")?,
            invited_by: row.opt_uuid("invited_by")?.map(UserId::from_uuid),
            created_at: row.time("created_at")?,
            revoked_at: row.opt_time("revoked_at")?,
        })
    }
}

#[async_trait::async_trait]
impl<H> CollaboratorReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn collaborators(&mut self, report: ReportId) -> Result<Vec<Collaborator>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            COLUMNS,
            " FROM report_collaborators WHERE report_id = $1 ORDER BY created_at, id"
        );
        let rows = self.fetch_all(query(SQL).bind(report)).await?;
        rows.iter().map(|r| self.collaborator_from(r)).collect()
    }

    async fn collaborator(&mut self, id: CollaboratorId) -> Result<Option<Collaborator>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", COLUMNS, " FROM report_collaborators WHERE id = $1");
        let row = self.fetch_optional(query(SQL).bind(id)).await?;
        row.map(|r| self.collaborator_from(&r)).transpose()
    }

    async fn collaboration_by_token(&mut self, hash: &TokenHash) -> Result<Option<Collaboration>, StoreError> {
        const SQL: &str =
            const_format::concatcp!("SELECT ", COLUMNS, " FROM report_collaborators WHERE token_hash = $1");
        let row = self.fetch_optional(query(SQL).bind(hash.0.as_slice())).await?;
        Ok(row.map(|r| self.collaborator_from(&r)).transpose()?.and_then(|c| c.grant()))
    }

    async fn collaborations(&mut self, user: UserId) -> Result<Vec<Collaboration>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            COLUMNS,
            " FROM report_collaborators WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, id"
        );
        let rows = self.fetch_all(query(SQL).bind(user)).await?;
        let invitations: Vec<Collaborator> =
            rows.iter().map(|r| self.collaborator_from(r)).collect::<Result<_, _>>()?;
        Ok(invitations.iter().filter_map(Collaborator::grant).collect())
    }

    async fn invitation_token(&mut self, id: CollaboratorId) -> Result<Option<Private<String>>, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT invite_token FROM report_collaborators WHERE id = $1 AND revoked_at IS NULL").bind(id),
            )
            .await?;
        let Some(sealed) = row.map(|r| r.opt_bytes("invite_token")).transpose()?.flatten() else {
            return Ok(None);
        };
        let row_id = id.to_string();
        let token = self
            .sealer
            .open_text(Place { table: "report_collaborators", column: "invite_token", row: &row_id }, &sealed)?;
        Ok(Some(Private::new(token)))
    }
}

#[async_trait::async_trait]
impl<H> CollaboratorWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_collaborator(
        &mut self,
        collaborator: &Collaborator,
        hash: &TokenHash,
        token: &Private<String>,
    ) -> Result<(), StoreError> {
        let row_id = collaborator.id.to_string();
        let email = self.sealer.seal_text(
            Place { table: "report_collaborators", column: "email", row: &row_id },
            collaborator.email.as_str(),
        )?;
        let token = self
            .sealer
            .seal_text(Place { table: "report_collaborators", column: "invite_token", row: &row_id }, token.expose())?;
        self.execute(
            query(
                "INSERT INTO report_collaborators (id, report_id, token_hash, invite_token, email, user_id, role, \
                 sees_internal, invited_by, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(collaborator.id)
            .bind(collaborator.report_id)
            .bind(hash.0.as_slice())
            .bind(token)
            .bind(email)
            .bind(collaborator.user_id)
            .bind(collaborator.role.as_str())
            .bind(collaborator.sees_internal)
            .bind(collaborator.invited_by)
            .bind(collaborator.created_at)
            .bind(collaborator.revoked_at),
        )
        .await
        .map(drop)
    }

    async fn revoke_collaborator(
        &mut self,
        id: CollaboratorId,
        at: embargo_core::Timestamp,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "UPDATE report_collaborators SET revoked_at = $2, invite_token = NULL \
                     WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(id)
                .bind(at),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn clear_invitation_token(&mut self, id: CollaboratorId) -> Result<(), StoreError> {
        self.execute(query("UPDATE report_collaborators SET invite_token = NULL WHERE id = $1").bind(id))
            .await
            .map(drop)
    }
}
