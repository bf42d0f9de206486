//! Webhooks: the secret sealed at rest, who hears a project's events, one
//! delivery per webhook and subscriber job, and attempts recorded.

use embargo_core::Timestamp;
use embargo_core::id::{DeliveryId, JobId, WebhookId};
use embargo_core::private::Private;
use embargo_store::webhooks::{Attempt, Delivery, DeliveryState, Webhook};

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(
    webhooks_hear_their_organisation_or_project_and_keep_the_secret_sealed,
    deliveries_are_once_per_job,
    only_finished_deliveries_reopen
);

fn webhook(org: embargo_core::id::OrgId, project: Option<embargo_core::id::ProjectId>, minutes: i64) -> Webhook {
    Webhook {
        id: WebhookId::from_uuid(new_uuid()),
        org_id: org,
        project_id: project,
        url: format!("https://hooks.example/{minutes}"),
        events: vec!["report.submitted".into(), "advisory.published".into()],
        created_at: at(minutes),
    }
}

async fn insert(db: &Db, hook: &Webhook, secret: &str) {
    let (hook, secret) = (hook.clone(), Private::new(secret.to_owned()));
    db.write(move |tx| Box::pin(async move { tx.insert_webhook(&hook, &secret).await })).await.unwrap();
}

async fn webhooks_hear_their_organisation_or_project_and_keep_the_secret_sealed(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let jinja = db.project(&org, "jinja").await;
    let (all, only_flask, only_jinja) =
        (webhook(org.id, None, 0), webhook(org.id, Some(flask.id), 1), webhook(org.id, Some(jinja.id), 2));
    for hook in [&all, &only_flask, &only_jinja] {
        insert(db, hook, "whsec_c2VjcmV0LW1hcmtlci1kbzAwMDAwMDAwMDAwMDA=").await;
    }
    let mut r = db.read().await;
    assert_eq!(r.webhooks_hearing(org.id, flask.id).await.unwrap(), vec![all.clone(), only_flask.clone()]);
    assert_eq!(r.webhooks_of(org.id, None).await.unwrap(), vec![all.clone()]);
    assert_eq!(r.webhooks_of(org.id, Some(jinja.id)).await.unwrap(), vec![only_jinja.clone()]);
    assert_eq!(
        r.webhook_secret(all.id).await.unwrap().unwrap().expose(),
        "whsec_c2VjcmV0LW1hcmtlci1kbzAwMDAwMDAwMDAwMDA="
    );
    drop(r);
    let raw = db.raw_column("SELECT secret FROM webhooks").await;
    assert_eq!(raw.len(), 3);
    assert!(raw.iter().all(|bytes| !String::from_utf8_lossy(bytes).contains("whsec_")), "sealed at rest");
}

fn delivery(hook: WebhookId, now: Timestamp) -> Delivery {
    Delivery {
        id: DeliveryId::from_uuid(new_uuid()),
        webhook_id: hook,
        event_type: "report.submitted".into(),
        body: r#"{"type":"report.submitted"}"#.into(),
        created_at: now,
        state: DeliveryState::Pending,
        attempts: 0,
        last: None,
        next_attempt_at: None,
    }
}

async fn deliveries_are_once_per_job(db: &Db) {
    let org = db.organisation("pallets").await;
    let hook = webhook(org.id, None, 0);
    insert(db, &hook, "whsec_eA==").await;
    let job = JobId::from_uuid(new_uuid());
    let (first, again) = (delivery(hook.id, at(1)), delivery(hook.id, at(2)));
    let (one, two) = (first.clone(), again.clone());
    let inserted = db
        .write(move |tx| {
            Box::pin(async move { Ok((tx.insert_delivery(&one, job).await?, tx.insert_delivery(&two, job).await?)) })
        })
        .await
        .unwrap();
    assert_eq!(inserted, (true, false), "a retried subscriber job queues no second delivery");

    let attempt = Attempt { at: at(3), status: Some(503), response: Some("busy".into()), error: None };
    let id = first.id;
    let recorded = attempt.clone();
    db.write(move |tx| {
        Box::pin(async move { tx.record_attempt(id, &recorded, DeliveryState::Pending, Some(at(8))).await })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    let stored = r.delivery(first.id).await.unwrap().unwrap();
    assert_eq!(stored.attempts, 1);
    assert_eq!(stored.last, Some(attempt));
    assert_eq!(stored.next_attempt_at, Some(at(8)));
    assert_eq!(r.deliveries_of(hook.id, 10).await.unwrap().len(), 1);
    drop(r);
    let gone = db.write(move |tx| Box::pin(async move { tx.delete_webhook(hook.id).await })).await.unwrap();
    assert!(gone);
    assert!(db.read().await.delivery(first.id).await.unwrap().is_none());
}

async fn only_finished_deliveries_reopen(db: &Db) {
    let org = db.organisation("pallets").await;
    let hook = webhook(org.id, None, 0);
    insert(db, &hook, "whsec_eA==").await;
    let first = delivery(hook.id, at(1));
    let (one, id) = (first.clone(), first.id);
    db.write(move |tx| Box::pin(async move { tx.insert_delivery(&one, JobId::from_uuid(new_uuid())).await }))
        .await
        .unwrap();
    let reopen = |minutes| db.write(move |tx| Box::pin(async move { tx.reopen_delivery(id, at(minutes)).await }));
    assert!(!reopen(2).await.unwrap(), "a pending delivery is waiting already");
    let attempt = Attempt { at: at(3), status: None, response: None, error: Some("refused".into()) };
    db.write(move |tx| Box::pin(async move { tx.record_attempt(id, &attempt, DeliveryState::Failed, None).await }))
        .await
        .unwrap();
    assert!(reopen(4).await.unwrap());
    let stored = db.read().await.delivery(id).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.next_attempt_at, stored.attempts), (DeliveryState::Pending, Some(at(4)), 1));
    assert!(!reopen(5).await.unwrap(), "once");
}
