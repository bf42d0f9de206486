//! Participants' time zones (issue 10): one per account, follow-up link and
//! invitation link, replaced on change, kept apart from each other.

use embargo_core::id::CollaboratorId;
use embargo_core::zone::Zone;
use embargo_store::zones::ZoneOwner;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(time_zones_are_kept_per_participant_and_replaced);

async fn time_zones_are_kept_per_participant_and_replaced(db: &Db) {
    let org = db.organisation("psf").await;
    let project = db.project(&org, "cpython").await;
    let (report, _) = db.report(&project, None, "flaw", 0).await;
    let user = db.user("ada@example.org").await;
    let invitation = CollaboratorId::from_uuid(new_uuid());
    let (account, link, invited) =
        (ZoneOwner::User(user.id), ZoneOwner::FollowUp(report.id), ZoneOwner::Invitation(invitation));
    assert_eq!(db.read().await.zone(account).await.unwrap(), None, "no choice made yet");

    let (berlin, new_york) = (Zone::parse("Europe/Berlin").unwrap(), Zone::parse("America/New_York").unwrap());
    let (b, n) = (berlin.clone(), new_york.clone());
    db.write(move |tx| {
        Box::pin(async move {
            tx.put_zone(account, &b, at(1)).await?;
            tx.put_zone(link, &n, at(1)).await
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    assert_eq!(r.zone(account).await.unwrap(), Some(berlin));
    assert_eq!(r.zone(link).await.unwrap(), Some(new_york.clone()));
    assert_eq!(r.zone(invited).await.unwrap(), None, "each participant has their own");
    drop(r);

    let utc = Zone::utc();
    let u = utc.clone();
    db.write(move |tx| Box::pin(async move { tx.put_zone(account, &u, at(2)).await })).await.unwrap();
    let mut r = db.read().await;
    assert_eq!(r.zone(account).await.unwrap(), Some(utc), "a new choice replaces the old");
    assert_eq!(r.zone(link).await.unwrap(), Some(new_york));
}
