//! Issue 10's last records: share mails and opens, finders' credit choices
//! (name sealed), public issues made from declined reports.

use embargo_core::credit::{CreditChoice, Finder};
use embargo_core::id::ShareId;
use embargo_core::private::Private;
use embargo_core::public_issue::Answer;
use embargo_core::report::Share;
use embargo_store::public_issues::PublicIssue;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid, token_hash};

conformance!(
    share_links_wait_for_their_mail_and_opens_are_counted,
    credit_choices_are_kept_per_finder,
    public_issues_round_trip
);

async fn share_links_wait_for_their_mail_and_opens_are_counted(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let (report, _) = db.report(&project, None, "flaw", 0).await;
    let share = Share {
        id: ShareId::from_uuid(new_uuid()),
        report_id: report.id,
        party: "aix-port@example.org".parse().unwrap(),
        platform: "AIX".into(),
        created_at: at(1),
        mailed_at: None,
        first_opened_at: None,
        last_opened_at: None,
    };
    let (hash, stored, id) = (token_hash(), share.clone(), share.id);
    let kept = hash;
    db.write(move |tx| {
        Box::pin(async move {
            tx.insert_share(&stored, &kept).await?;
            tx.keep_share_link(id, &Private::new("embx_MARKER-LINK".into())).await
        })
    })
    .await
    .unwrap();
    assert_eq!(db.read().await.share_link(id).await.unwrap().unwrap().expose(), "embx_MARKER-LINK");
    let raw = db.raw_column("SELECT link FROM report_shares").await;
    assert!(!String::from_utf8_lossy(&raw[0]).contains("MARKER-LINK"), "the link is sealed");
    db.write(move |tx| Box::pin(async move { tx.share_mailed(id, at(2)).await })).await.unwrap();
    assert_eq!(db.read().await.share_link(id).await.unwrap(), None, "forgotten once mailed");
    for minute in [5, 9] {
        db.write(move |tx| Box::pin(async move { tx.share_opened(&hash, at(minute)).await })).await.unwrap();
    }
    let found = db.read().await.share(id).await.unwrap().unwrap();
    assert_eq!((found.mailed_at, found.first_opened_at, found.last_opened_at), (Some(at(2)), Some(at(5)), Some(at(9))));
}

async fn credit_choices_are_kept_per_finder(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let (report, _) = db.report(&project, None, "flaw", 0).await;
    let finder = Finder::Reporter(report.id);
    let first = CreditChoice {
        finder,
        report: report.id,
        declined: false,
        name: Some("MARKER-NAME".into()),
        updated_at: at(1),
    };
    let second = CreditChoice { declined: true, name: None, updated_at: at(2), ..first.clone() };
    let stored = first.clone();
    db.write(move |tx| Box::pin(async move { tx.put_credit_choice(&stored).await })).await.unwrap();
    assert_eq!(db.read().await.credit_choice(finder).await.unwrap(), Some(first));
    let raw = db.raw_column("SELECT name FROM credit_choices").await;
    assert!(!String::from_utf8_lossy(&raw[0]).contains("MARKER-NAME"), "the chosen name is sealed");
    let stored = second.clone();
    db.write(move |tx| Box::pin(async move { tx.put_credit_choice(&stored).await })).await.unwrap();
    assert_eq!(db.read().await.credit_choices(&[report.id]).await.unwrap(), vec![second], "replaced, not added");
}

async fn public_issues_round_trip(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let (report, _) = db.report(&project, None, "flaw", 0).await;
    let issue = PublicIssue {
        report: report.id,
        include_poc: true,
        answer: Answer::Pending,
        drafted_by: None,
        drafted_at: at(1),
        answered_at: None,
        url: None,
        published_at: None,
    };
    let stored = issue.clone();
    db.write(move |tx| Box::pin(async move { tx.put_public_issue(&stored).await })).await.unwrap();
    assert_eq!(db.read().await.public_issue(report.id).await.unwrap(), Some(issue.clone()));
    let answered = PublicIssue {
        answer: Answer::Anonymous,
        answered_at: Some(at(2)),
        url: Some("https://github.com/python/cpython/issues/1".into()),
        published_at: Some(at(3)),
        ..issue
    };
    let stored = answered.clone();
    db.write(move |tx| Box::pin(async move { tx.put_public_issue(&stored).await })).await.unwrap();
    assert_eq!(db.read().await.public_issue(report.id).await.unwrap(), Some(answered));
}
