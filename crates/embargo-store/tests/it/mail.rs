//! The e-mail channel's records: routes, threads, Message-IDs, keys, deliveries.

use embargo_core::id::{JobId, ReportId};
use embargo_core::private::Private;
use embargo_store::mail::{
    CATCH_ALL, Direction, KeyOwner, MailRecord, MailRoute, MailThread, SignatureState, StoredKey,
};

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(
    mail_routes_set_replace_and_remove,
    mail_threads_find_reports_by_token_and_keep_the_receipt_token_sealed,
    mail_records_are_stored_once_and_listed_per_report,
    openpgp_keys_keep_secret_parts_sealed,
    mail_sent_is_recorded_once_per_job_and_recipient,
    a_mail_being_sent_is_noted_once_until_sent_or_forgotten,
);

async fn mail_routes_set_replace_and_remove(db: &Db) {
    let org = db.organisation("pallets").await;
    let (flask, click) = (db.project(&org, "flask").await, db.project(&org, "click").await);
    for (address, project) in [("security@flask.example", flask.id), (CATCH_ALL, click.id)] {
        let route = MailRoute { address: address.into(), project_id: project };
        db.write(move |tx| Box::pin(async move { tx.set_mail_route(&route, at(0)).await })).await.unwrap();
    }
    let mut r = db.read().await;
    assert_eq!(r.mail_route("security@flask.example").await.unwrap(), Some(flask.id));
    assert_eq!(r.mail_route("nobody@flask.example").await.unwrap(), None);
    assert_eq!(r.mail_route(CATCH_ALL).await.unwrap(), Some(click.id));
    let route = MailRoute { address: "security@flask.example".into(), project_id: click.id };
    db.write(move |tx| Box::pin(async move { tx.set_mail_route(&route, at(1)).await })).await.unwrap();
    assert_eq!(r.mail_route("security@flask.example").await.unwrap(), Some(click.id), "replaced");
    let routes = r.mail_routes().await.unwrap();
    assert_eq!(routes.iter().map(|r| r.address.as_str()).collect::<Vec<_>>(), vec!["*", "security@flask.example"]);
    let removed = db.write(|tx| Box::pin(async move { tx.remove_mail_route(CATCH_ALL).await })).await.unwrap();
    assert!(removed);
    let again = db.write(|tx| Box::pin(async move { tx.remove_mail_route(CATCH_ALL).await })).await.unwrap();
    assert!(!again);
    assert_eq!(r.mail_route(CATCH_ALL).await.unwrap(), None);
}

async fn mail_threads_find_reports_by_token_and_keep_the_receipt_token_sealed(db: &Db) {
    let org = db.organisation("pallets").await;
    let project = db.project(&org, "flask").await;
    let (report, _) = db.report(&project, None, "Traversal", 0).await;
    let thread = MailThread { report_id: report.id, reply_token: Private::new("tok3n".into()) };
    let followup = Private::new(String::from("embf_secretfollowup"));
    db.write(move |tx| Box::pin(async move { tx.insert_mail_thread(&thread, Some(&followup), at(0)).await }))
        .await
        .unwrap();
    let mut r = db.read().await;
    assert_eq!(r.report_by_reply_token("tok3n").await.unwrap(), Some(report.id));
    assert_eq!(r.report_by_reply_token("other").await.unwrap(), None);
    assert_eq!(r.mail_thread(report.id).await.unwrap().unwrap().reply_token.expose(), "tok3n");
    assert_eq!(r.receipt_token(report.id).await.unwrap().unwrap().expose(), "embf_secretfollowup");
    let raw = db.raw_column("SELECT receipt_token FROM mail_threads").await;
    assert!(!raw[0].windows(4).any(|w| w == b"embf"), "the follow-up token is sealed");
    let id = report.id;
    db.write(move |tx| Box::pin(async move { tx.clear_receipt_token(id).await })).await.unwrap();
    assert_eq!(r.receipt_token(report.id).await.unwrap(), None);
    let duplicate =
        MailThread { report_id: ReportId::from_uuid(new_uuid()), reply_token: Private::new("tok3n".into()) };
    let clash = db.write(move |tx| Box::pin(async move { tx.insert_mail_thread(&duplicate, None, at(0)).await })).await;
    assert!(clash.is_err(), "tokens are unique and need an existing report");
}

async fn mail_records_are_stored_once_and_listed_per_report(db: &Db) {
    let org = db.organisation("pallets").await;
    let project = db.project(&org, "flask").await;
    let (report, _) = db.report(&project, None, "Traversal", 0).await;
    let record = MailRecord {
        message_id: "abc@mail.example".into(),
        report_id: Some(report.id),
        direction: Direction::In,
        message_ref: None,
        encrypted: true,
        signature: Some(SignatureState::Good),
        signer: Some("0123ABCD".into()),
        refused: Some(Private::new("poc.zip: a zip archive".into())),
        created_at: at(1),
    };
    let first = record.clone();
    assert!(db.write(move |tx| Box::pin(async move { tx.insert_mail_record(&first).await })).await.unwrap());
    let second = MailRecord { encrypted: false, ..record.clone() };
    assert!(!db.write(move |tx| Box::pin(async move { tx.insert_mail_record(&second).await })).await.unwrap());
    let sent = MailRecord {
        message_id: "out.1@embargo.example".into(),
        direction: Direction::Out,
        encrypted: false,
        signature: None,
        signer: None,
        refused: None,
        created_at: at(2),
        ..record.clone()
    };
    let stored = sent.clone();
    assert!(db.write(move |tx| Box::pin(async move { tx.insert_mail_record(&stored).await })).await.unwrap());
    let mut r = db.read().await;
    assert_eq!(r.mail_record("abc@mail.example").await.unwrap(), Some(record.clone()), "the first one stays");
    assert_eq!(r.mail_record("nope@mail.example").await.unwrap(), None);
    assert_eq!(r.mail_records(report.id).await.unwrap(), vec![record, sent]);
    let raw = db.raw_column("SELECT refused FROM mail_message_ids WHERE refused IS NOT NULL").await;
    assert!(!raw[0].windows(3).any(|w| w == b"poc"), "refusal notes are sealed");
}

async fn openpgp_keys_keep_secret_parts_sealed(db: &Db) {
    let org = db.organisation("pallets").await;
    let project = db.project(&org, "flask").await;
    let project_key = StoredKey {
        owner: KeyOwner::Project(project.id),
        fingerprint: "AAAA".into(),
        public_key: "-----BEGIN PGP PUBLIC KEY BLOCK-----".into(),
        secret_key: Some(Private::new("-----BEGIN PGP PRIVATE KEY BLOCK----- secret".into())),
        created_at: at(0),
    };
    let person = StoredKey {
        owner: KeyOwner::Email("ada@example.org".parse().unwrap()),
        fingerprint: "BBBB".into(),
        public_key: "public".into(),
        secret_key: None,
        created_at: at(0),
    };
    let org_key = StoredKey {
        owner: KeyOwner::Organisation(org.id),
        fingerprint: "DDDD".into(),
        secret_key: Some(Private::new("-----BEGIN PGP PRIVATE KEY BLOCK----- org secret".into())),
        ..project_key.clone()
    };
    for key in [project_key.clone(), person.clone(), org_key.clone()] {
        db.write(move |tx| Box::pin(async move { tx.put_openpgp_key(&key).await })).await.unwrap();
    }
    let mut r = db.read().await;
    assert_eq!(r.openpgp_key(&project_key.owner).await.unwrap(), Some(project_key.clone()));
    assert_eq!(r.openpgp_key(&org_key.owner).await.unwrap(), Some(org_key.clone()), "an organisation's key pair");
    assert_eq!(r.openpgp_keys().await.unwrap().len(), 3);
    let raw = db.raw_column("SELECT secret_key FROM openpgp_keys WHERE secret_key IS NOT NULL").await;
    assert_eq!(raw.len(), 2);
    assert!(raw.iter().all(|sealed| !sealed.windows(6).any(|w| w == b"secret")), "secret keys are sealed");
    let replaced = StoredKey { fingerprint: "CCCC".into(), ..person.clone() };
    db.write(move |tx| Box::pin(async move { tx.put_openpgp_key(&replaced).await })).await.unwrap();
    assert_eq!(r.openpgp_key(&person.owner).await.unwrap().unwrap().fingerprint, "CCCC");
    let owner = person.owner.clone();
    assert!(db.write(move |tx| Box::pin(async move { tx.remove_openpgp_key(&owner).await })).await.unwrap());
    assert_eq!(r.openpgp_key(&person.owner).await.unwrap(), None);
}

async fn mail_sent_is_recorded_once_per_job_and_recipient(db: &Db) {
    let job = JobId::from_uuid(new_uuid());
    for minutes in [0, 1] {
        db.write(move |tx| {
            Box::pin(
                async move { tx.record_mail_sent(job, "ada@example.org", "m1@embargo.example", at(minutes)).await },
            )
        })
        .await
        .unwrap();
    }
    let other = JobId::from_uuid(new_uuid());
    db.write(move |tx| {
        Box::pin(async move { tx.record_mail_sent(other, "ada@example.org", "m2@embargo.example", at(30)).await })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    assert!(r.mail_sent(job, "ada@example.org").await.unwrap());
    assert!(!r.mail_sent(job, "bob@example.org").await.unwrap());
    assert_eq!(r.mails_sent_since("ada@example.org", at(0), 5).await.unwrap(), 2);
    assert_eq!(r.mails_sent_since("ada@example.org", at(10), 5).await.unwrap(), 1);
    assert_eq!(r.mails_sent_since("bob@example.org", at(0), 5).await.unwrap(), 0);
    // Counting stops at the cap it is checked against.
    assert_eq!(r.mails_sent_since("ada@example.org", at(0), 1).await.unwrap(), 1);
    assert_eq!(r.mails_sent_since("ada@example.org", at(0), u64::MAX).await.unwrap(), 2);
}

async fn begin(db: &Db, job: JobId, recipient: &'static str) -> bool {
    db.write(move |tx| Box::pin(async move { tx.begin_mail_sending(job, recipient, at(0)).await })).await.unwrap()
}

async fn a_mail_being_sent_is_noted_once_until_sent_or_forgotten(db: &Db) {
    let job = JobId::from_uuid(new_uuid());
    assert!(begin(db, job, "ada@example.org").await);
    assert!(begin(db, job, "bob@example.org").await, "each recipient has a note of its own");
    // A worker died mid-delivery: the next one finds the note and must not send again.
    assert!(!begin(db, job, "ada@example.org").await);
    // The relay refused bob's mail: forgotten, so a later attempt sends it.
    db.write(move |tx| Box::pin(async move { tx.forget_mail_sending(job, "bob@example.org").await })).await.unwrap();
    assert!(begin(db, job, "bob@example.org").await);
    // Once bob's mail is recorded as sent, its note is gone and the record says it went.
    db.write(move |tx| {
        Box::pin(async move { tx.record_mail_sent(job, "bob@example.org", "m3@embargo.example", at(1)).await })
    })
    .await
    .unwrap();
    assert!(db.read().await.mail_sent(job, "bob@example.org").await.unwrap());
    assert!(begin(db, job, "bob@example.org").await, "the note was cleared when the mail was recorded");
    let other = JobId::from_uuid(new_uuid());
    assert!(begin(db, other, "ada@example.org").await, "another job's mail to ada is another note");
}
