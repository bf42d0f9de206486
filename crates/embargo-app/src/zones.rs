//! Participants' time zones (issue 10): each participant chooses the IANA
//! zone they read dates in (UTC until they do): a signed-in user for their
//! account, a private link's holder for that link. Instants stay stored in
//! UTC; pages and mails show them in the viewer's or recipient's zone beside UTC.

use embargo_core::id::ReportId;
use embargo_core::permission::{Action, Actor};
use embargo_core::text::{FieldErrors, TextError};
use embargo_core::zone::Zone;
use embargo_store::zones::ZoneOwner;
use embargo_store::{Reader, StoreExt};
use serde_json::json;

use crate::audit::record;
use crate::{App, AppError, require};

/// Whose zone an actor's choice is: their account's, or their private link's.
fn owner_of(actor: &Actor) -> Option<ZoneOwner> {
    match actor {
        Actor::User(user) => Some(ZoneOwner::User(user.id)),
        Actor::FollowUp(report) => Some(ZoneOwner::FollowUp(*report)),
        Actor::Collaborator(grant) => Some(ZoneOwner::Invitation(grant.id)),
        Actor::Anonymous | Actor::Interested(_) | Actor::Operator => None,
    }
}

/// The zone `owner` chose, UTC until they choose one.
pub(crate) async fn zone_of(reader: &mut dyn Reader, owner: Option<ZoneOwner>) -> Result<Zone, AppError> {
    let Some(owner) = owner else { return Ok(Zone::utc()) };
    Ok(reader.zone(owner).await?.unwrap_or_default())
}

/// Whose zone a report's reporter reads dates in: their account's, else the follow-up link's.
pub(crate) fn reporter_owner(report: ReportId, reporter: Option<embargo_core::id::UserId>) -> ZoneOwner {
    reporter.map_or(ZoneOwner::FollowUp(report), ZoneOwner::User)
}

impl App {
    /// The time zone `actor` reads dates in: the one they chose, else UTC
    /// (also for those who cannot choose one, such as the anonymous).
    pub async fn time_zone(&self, actor: &Actor) -> Result<Zone, AppError> {
        let mut reader = self.store.reader().await?;
        zone_of(reader.as_mut(), owner_of(actor)).await
    }

    /// The time zone `actor` chose (UTC until they choose), for a participant
    /// asking for their own: refused to those who cannot choose one.
    pub async fn own_time_zone(&self, actor: &Actor) -> Result<Zone, AppError> {
        require(actor, Action::ChooseTimeZone)?;
        self.time_zone(actor).await
    }

    /// Sets the time zone `actor` reads dates in, by IANA name
    /// (`Europe/Berlin`): a user's for their account, a private link's
    /// holder's for that link only. An unknown name is refused and changes nothing.
    pub async fn set_time_zone(&self, actor: &Actor, name: &str) -> Result<Zone, AppError> {
        require(actor, Action::ChooseTimeZone)?;
        let owner = owner_of(actor).ok_or(AppError::Forbidden)?;
        let zone = Zone::parse(name).map_err(|e| {
            AppError::Invalid(FieldErrors(vec![TextError::Refused { field: "time_zone", reason: e.to_string() }]))
        })?;
        let (now, tx_actor, chosen) = (self.now(), actor.clone(), zone.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.put_zone(owner, &chosen, now).await?;
                    let details = json!({"time_zone": chosen.name()});
                    let subject = match owner {
                        ZoneOwner::User(id) => format!("user:{id}"),
                        ZoneOwner::FollowUp(id) => format!("report:{id}"),
                        ZoneOwner::Invitation(id) => format!("collaborator:{id}"),
                    };
                    record(tx, now, &tx_actor, "participant.time_zone_set", subject, details).await?;
                    Ok::<(), AppError>(())
                })
            })
            .await?;
        Ok(zone)
    }
}
