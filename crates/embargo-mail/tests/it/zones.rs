//! Issue 10: a mail about an embargo end gives each recipient the end in
//! their own time zone (the team member's account's, the reporter's
//! follow-up link's), with the zone's offset at that instant, beside UTC,
//! on each side of a daylight-saving change.

use std::sync::Arc;

use embargo_app::clock::ManualClock;
use embargo_app::{Notice, Notifier, Subscribers};
use embargo_core::permission::Actor;
use embargo_mail::outbound::{MailNotifier, OutboundConfig, Security};

use crate::{Sink, fixture_on, new_job, subject};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embargo_mails_give_each_recipient_the_end_in_their_own_zone_across_daylight_saving() {
    let Some(sink) = Sink::start() else { return };
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-05-04 09:00 UTC)));
    let (_tmp, app, report) = fixture_on(clock).await;
    let notifier = MailNotifier::new(OutboundConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: Security::None,
        username: None,
        password: None,
        ca_file: None,
        from: "security@embargo.example".parse().unwrap(),
        public_url: "https://security.example.org".into(),
        link_only: false,
        receipts_per_hour: 5,
    })
    .unwrap();
    let subscribers = Subscribers::standard(Arc::new(notifier.clone()));
    app.run_due_jobs("test", &subscribers, 10).await.unwrap();

    // The team lead reads dates in Berlin; the reporter, who has only the follow-up link, in New York.
    let lead = app.act_as("lead@example.org").await.unwrap();
    app.set_time_zone(&lead, "Europe/Berlin").await.unwrap();
    app.set_time_zone(&Actor::FollowUp(report), "America/New_York").await.unwrap();

    // Before the changes of late October 2026 (Berlin on the 25th, New York on 1 November), then after them.
    let cases = [
        (
            "2026-10-24T18:00:00+02:00",
            "2026-10-24 18:00 Europe/Berlin (UTC+02:00), 2026-10-24 16:00 UTC",
            "2026-10-24 12:00 America/New_York (UTC-04:00), 2026-10-24 16:00 UTC",
        ),
        (
            "2026-11-02T12:00:00-05:00",
            "2026-11-02 18:00 Europe/Berlin (UTC+01:00), 2026-11-02 17:00 UTC",
            "2026-11-02 12:00 America/New_York (UTC-05:00), 2026-11-02 17:00 UTC",
        ),
    ];
    // Mails by their subject: the maildir's order is not the order of sending.
    let with = |mails: &[String], headline: &str| -> Vec<String> {
        mails.iter().filter(|m| subject(m).ends_with(headline)).cloned().collect()
    };
    for (until, berlin, new_york) in cases {
        let before = sink.mails().len();
        app.set_embargo(&lead, report, Some(until)).await.unwrap();
        app.run_due_jobs("test", &subscribers, 10).await.unwrap();
        let mails = sink.mails();
        assert_eq!(mails.len(), before + 2, "one mail each to the reporter and the team lead");
        let to_lead = with(&mails, &format!("the embargo now ends {berlin}"));
        assert_eq!(to_lead.len(), 1, "{berlin}");
        assert!(to_lead[0].contains("To: Lead <lead@example.org>"), "{}", to_lead[0]);
        let to_reporter = with(&mails, &format!("the embargo now ends {new_york}"));
        assert_eq!(to_reporter.len(), 1, "{new_york}");
        assert!(to_reporter[0].contains("To: ada@example.org"), "{}", to_reporter[0]);
    }

    // The reminder before the end, too.
    notifier.deliver_job(&app, new_job(), &Notice::EmbargoEnding { report }).await.unwrap();
    let mails = sink.mails();
    let to_lead = with(&mails, &format!("the embargo ends {}", cases[1].1));
    let to_reporter = with(&mails, &format!("the embargo ends {}", cases[1].2));
    assert_eq!((to_lead.len(), to_reporter.len()), (1, 1));
    assert!(to_lead[0].contains("To: Lead <lead@example.org>") && to_reporter[0].contains("To: ada@example.org"));
}
