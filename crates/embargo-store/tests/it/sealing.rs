//! Private text is sealed at rest: the raw database does not hold it.

use embargo_core::id::MessageId;
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::private::Private;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(private_text_is_not_in_the_raw_database, sealed_values_do_not_move_between_rows);

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn private_text_is_not_in_the_raw_database(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let (report, _) = db.report(&flask, None, "Remote code execution via pickle", 0).await;
    let message = Message {
        id: MessageId::from_uuid(new_uuid()),
        report_id: report.id,
        author_id: None,
        author_role: AuthorRole::Reporter,
        visibility: Visibility::ReporterVisible,
        channel: Channel::Web,
        body: Private::new("here is the exploit payload".into()),
        created_at: at(1),
    };
    db.write(move |tx| Box::pin(async move { tx.insert_message(&message).await })).await.unwrap();

    let contents = db.raw_column("SELECT content FROM reports").await;
    assert_eq!(contents.len(), 1);
    assert!(!contains(&contents[0], "pickle"), "report title in clear");
    assert!(!contains(&contents[0], "secret details"), "report body in clear");
    let bodies = db.raw_column("SELECT body FROM messages").await;
    assert!(!contains(&bodies[0], "exploit payload"), "message body in clear");
    // ...yet the store reads them back.
    let mut r = db.read().await;
    assert_eq!(r.report(report.id).await.unwrap().unwrap().content.expose().title, "Remote code execution via pickle");
}

async fn sealed_values_do_not_move_between_rows(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let (first, _) = db.report(&flask, None, "first", 0).await;
    let (second, _) = db.report(&flask, None, "second", 1).await;
    // Copy the first report's sealed content over the second's.
    db.tamper(&format!(
        "UPDATE reports SET content = (SELECT content FROM reports WHERE id = '{}') WHERE id = '{}'",
        first.id, second.id
    ))
    .await;
    let mut r = db.read().await;
    assert!(r.report(first.id).await.unwrap().is_some());
    assert!(r.report(second.id).await.is_err(), "a moved sealed value must not open");
}
