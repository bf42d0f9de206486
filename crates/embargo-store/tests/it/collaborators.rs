//! Invitations to one report (issue 10): sealed addresses, links by token
//! hash, accounts' grants, revocation, and the mail's token kept until sent.

use embargo_core::collaborator::{Collaboration, Collaborator, CollaboratorRole};
use embargo_core::id::CollaboratorId;
use embargo_core::private::Private;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid, token_hash};

conformance!(invitations_open_by_token_and_account_until_revoked, rotations_keep_their_order_and_turn);

async fn rotations_keep_their_order_and_turn(db: &Db) {
    use embargo_core::rotation::{Coordinator, Rotation};
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let (ann, ben) = (db.user("ann@python.example").await, db.user("ben@python.example").await);
    let mut r = db.read().await;
    assert_eq!(r.rotation(project.id).await.unwrap(), None);
    drop(r);
    let rotation = Rotation {
        project: project.id,
        idle_days: 3,
        coordinators: vec![Coordinator { user: ben.id, away: true }, Coordinator { user: ann.id, away: false }],
        next_turn: 0,
    };
    let stored = rotation.clone();
    db.write(move |tx| Box::pin(async move { tx.put_rotation(&stored, at(1)).await })).await.unwrap();
    let id = project.id;
    db.write(move |tx| Box::pin(async move { tx.set_next_turn(id, 1, at(2)).await })).await.unwrap();
    let mut r = db.read().await;
    assert_eq!(r.rotation(project.id).await.unwrap(), Some(Rotation { next_turn: 1, ..rotation.clone() }));
    drop(r);
    let emptied = Rotation { coordinators: Vec::new(), ..rotation };
    db.write(move |tx| Box::pin(async move { tx.put_rotation(&emptied, at(3)).await })).await.unwrap();
    assert_eq!(db.read().await.rotation(project.id).await.unwrap(), None, "no coordinators: no rotation");
}

async fn invitations_open_by_token_and_account_until_revoked(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let (report, _) = db.report(&project, None, "flaw", 0).await;
    let (other, _) = db.report(&project, None, "another flaw", 1).await;
    let carol = db.user("carol@upstream.example").await;
    let by_link = Collaborator {
        id: CollaboratorId::from_uuid(new_uuid()),
        report_id: report.id,
        email: "maintainer@upstream.example".parse().unwrap(),
        user_id: None,
        role: CollaboratorRole::Collaborator,
        sees_internal: false,
        invited_by: None,
        created_at: at(1),
        revoked_at: None,
    };
    let by_account = Collaborator {
        id: CollaboratorId::from_uuid(new_uuid()),
        email: "carol@upstream.example".parse().unwrap(),
        user_id: Some(carol.id),
        role: CollaboratorRole::Reporter,
        sees_internal: true,
        created_at: at(2),
        ..by_link.clone()
    };
    let (link_hash, account_hash) = (token_hash(), token_hash());
    let stored = (by_link.clone(), by_account.clone(), link_hash, account_hash);
    db.write(move |tx| {
        Box::pin(async move {
            let (a, b, ha, hb) = stored;
            tx.insert_collaborator(&a, &ha, &Private::new("embc_LINK-TOKEN-A".into())).await?;
            tx.insert_collaborator(&b, &hb, &Private::new("embc_LINK-TOKEN-B".into())).await
        })
    })
    .await
    .unwrap();

    let mut r = db.read().await;
    assert_eq!(r.collaborators(report.id).await.unwrap(), vec![by_link.clone(), by_account.clone()]);
    assert_eq!(r.collaborators(other.id).await.unwrap(), vec![]);
    assert_eq!(r.collaborator(by_link.id).await.unwrap(), Some(by_link.clone()));
    let link_grant =
        Collaboration { id: by_link.id, report: report.id, role: CollaboratorRole::Collaborator, sees_internal: false };
    assert_eq!(r.collaboration_by_token(&link_hash).await.unwrap(), Some(link_grant));
    assert_eq!(r.collaboration_by_token(&token_hash()).await.unwrap(), None);
    assert_eq!(r.collaborations(carol.id).await.unwrap(), vec![by_account.grant().unwrap()]);
    assert_eq!(
        r.invitation_token(by_link.id).await.unwrap().map(|t| t.expose().clone()).as_deref(),
        Some("embc_LINK-TOKEN-A")
    );
    drop(r);
    let raw = db.raw_column("SELECT email FROM report_collaborators").await;
    assert!(raw.iter().all(|e| !String::from_utf8_lossy(e).contains("upstream.example")), "addresses are sealed");
    let raw = db.raw_column("SELECT invite_token FROM report_collaborators").await;
    assert!(raw.iter().all(|t| !String::from_utf8_lossy(t).contains("LINK-TOKEN")), "mail tokens are sealed");

    let id = by_link.id;
    db.write(move |tx| Box::pin(async move { tx.clear_invitation_token(id).await })).await.unwrap();
    let (link, account) = (by_link.id, by_account.id);
    let revoked = db
        .write(move |tx| {
            Box::pin(async move {
                let first = tx.revoke_collaborator(account, at(3)).await?;
                let again = tx.revoke_collaborator(account, at(4)).await?;
                Ok::<_, embargo_store::StoreError>((first, again))
            })
        })
        .await
        .unwrap();
    assert_eq!(revoked, (true, false), "a revoked invitation is revoked once");
    let mut r = db.read().await;
    assert_eq!(r.invitation_token(link).await.unwrap(), None);
    assert_eq!(r.invitation_token(account).await.unwrap(), None, "revoking forgets the mail's token");
    assert_eq!(r.collaboration_by_token(&account_hash).await.unwrap(), None);
    assert_eq!(r.collaborations(carol.id).await.unwrap(), vec![]);
    let listed = r.collaborators(report.id).await.unwrap();
    assert_eq!(listed[1].revoked_at, Some(at(3)), "revoked invitations stay listed");
}
