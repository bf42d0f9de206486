//! Participants' time zones: one IANA name per account, per reporter's
//! follow-up link and per invitation link (issue 10). Instants stay stored
//! in UTC; the zone only decides how they are shown to that participant.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{CollaboratorId, ReportId, UserId};
use embargo_core::zone::Zone;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// Whose time zone: a participant as the pages and mails know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneOwner {
    /// An account (team member, signed-in reporter or collaborator).
    User(UserId),
    /// The reporter without an account, holding the report's follow-up link.
    FollowUp(ReportId),
    /// The invitee without an account, holding the invitation's link.
    Invitation(CollaboratorId),
}

impl ZoneOwner {
    fn key(self) -> (&'static str, String) {
        match self {
            ZoneOwner::User(id) => ("user", id.to_string()),
            ZoneOwner::FollowUp(id) => ("followup", id.to_string()),
            ZoneOwner::Invitation(id) => ("invitation", id.to_string()),
        }
    }
}

/// Reading time zones.
#[async_trait::async_trait]
pub trait ZoneReads {
    /// The zone a participant chose; `None` when they never chose one (then UTC).
    async fn zone(&mut self, owner: ZoneOwner) -> Result<Option<Zone>, StoreError>;
}

/// Changing time zones.
#[async_trait::async_trait]
pub trait ZoneWrites {
    /// Sets a participant's zone, replacing any earlier choice.
    async fn put_zone(&mut self, owner: ZoneOwner, zone: &Zone, now: Timestamp) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<H> ZoneReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn zone(&mut self, owner: ZoneOwner) -> Result<Option<Zone>, StoreError> {
        let (kind, id) = owner.key();
        let row = self
            .fetch_optional(
                query("SELECT zone FROM participant_zones WHERE owner_kind = $1 AND owner_id = $2").bind(kind).bind(id),
            )
            .await?;
        row.map(|r| Zone::parse(&r.text("zone")?).map_err(|e| StoreError::corrupt("participant_zones.zone", e)))
            .transpose()
    }
}

#[async_trait::async_trait]
impl<H> ZoneWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn put_zone(&mut self, owner: ZoneOwner, zone: &Zone, now: Timestamp) -> Result<(), StoreError> {
        let (kind, id) = owner.key();
        self.execute(
            query(
                "INSERT INTO participant_zones (owner_kind, owner_id, zone, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (owner_kind, owner_id) DO UPDATE SET zone = excluded.zone, updated_at = excluded.updated_at",
            )
            .bind(kind)
            .bind(id)
            .bind(zone.name())
            .bind(now),
        )
        .await
        .map(drop)
    }
}
