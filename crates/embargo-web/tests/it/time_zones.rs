//! Participants' time zones (issue 10): each participant (a team member's
//! account, a reporter's follow-up link, an invitee's link) chooses the zone
//! they read dates in; pages and mails show an embargo end there, with the
//! zone's name and offset at that instant, beside UTC, on each side of a
//! daylight-saving change. A bad name is refused and changes nothing.

use embargo_app::Notice;
use embargo_testkit::{Auth, Backend};
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

/// Before both changes of October 2026 (Europe/Berlin on the 25th, America/New_York on 1 November) and after them.
const SUMMER: &str = "2026-10-24T16:00:00Z";
const WINTER: &str = "2026-11-02T17:00:00Z";

#[tokio::test]
async fn each_participant_reads_the_embargo_end_in_their_own_zone_on_both_sides_of_daylight_saving() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        t.policy("pallets", "[disclosure]\nmax_embargo = \"52w\"\n").await;
        // A reporter without an account, holding only the follow-up link; an invitee by link.
        let submitted = t
            .post(
                "/api/v1/projects/pallets/flask/reports",
                json!({"title": "the report", "body": "the details", "reporter_email": "dana@finder.example"}),
                &Auth::None,
            )
            .await
            .expect(StatusCode::CREATED);
        let id = submitted.json["id"].as_str().unwrap().to_owned();
        let followup = submitted.json["followup_token"].as_str().unwrap().to_owned();
        let invited = t
            .post(
                &format!("/api/v1/reports/{id}/collaborators"),
                json!({"email": "upstream@maintainer.example", "role": "collaborator"}),
                &w.flask_team,
            )
            .await
            .expect(StatusCode::CREATED);
        let invitation = invited.json["token"].as_str().unwrap().to_owned();
        let (reporter_page, invitee_page) = (Auth::Link(followup.clone()), Auth::Link(invitation.clone()));

        // Each chooses: the team member on the account page, the reporter on
        // the report's page, the invitee through the API with their link's token.
        t.form("/account/time-zone", &[("time_zone", "Europe/Berlin")], &w.flask_team)
            .await
            .expect(StatusCode::SEE_OTHER);
        t.form(&format!("/reports/{id}/time-zone"), &[("time_zone", "america/new_york")], &reporter_page)
            .await
            .expect(StatusCode::SEE_OTHER);
        let chosen =
            t.put("/api/v1/time-zone", json!({"time_zone": "Asia/Kathmandu"}), &Auth::Bearer(invitation)).await;
        assert_eq!(chosen.expect(StatusCode::OK).json["time_zone"], "Asia/Kathmandu");
        let reporter_zone = t.get("/api/v1/time-zone", &Auth::Bearer(followup.clone())).await.expect(StatusCode::OK);
        assert_eq!(reporter_zone.json["time_zone"], "America/New_York", "kept in its canonical spelling");
        let team_zone = t.get("/api/v1/time-zone", &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(team_zone.json["time_zone"], "Europe/Berlin");
        let untouched = t.get("/api/v1/time-zone", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(untouched.json["time_zone"], "UTC", "UTC until one chooses");

        let page = |auth: &Auth| {
            let (path, auth) = (format!("/reports/{id}"), auth.clone());
            async move { t.get(&path, &auth).await.expect(StatusCode::OK).text }
        };
        let cases = [
            (
                SUMMER,
                [
                    "2026-10-24 18:00 Europe/Berlin (UTC+02:00), 2026-10-24 16:00 UTC",
                    "2026-10-24 12:00 America/New_York (UTC-04:00), 2026-10-24 16:00 UTC",
                    "2026-10-24 21:45 Asia/Kathmandu (UTC+05:45), 2026-10-24 16:00 UTC",
                    "2026-10-24 16:00 UTC",
                ],
            ),
            (
                WINTER,
                [
                    "2026-11-02 18:00 Europe/Berlin (UTC+01:00), 2026-11-02 17:00 UTC",
                    "2026-11-02 12:00 America/New_York (UTC-05:00), 2026-11-02 17:00 UTC",
                    "2026-11-02 22:45 Asia/Kathmandu (UTC+05:45), 2026-11-02 17:00 UTC",
                    "2026-11-02 17:00 UTC",
                ],
            ),
        ];
        for (until, [berlin, new_york, kathmandu, utc]) in cases {
            let set = t.patch(&format!("/api/v1/reports/{id}"), json!({"embargo_until": until}), &w.flask_team).await;
            // The API answers in RFC 3339, whatever anyone's zone.
            assert_eq!(set.expect(StatusCode::OK).json["embargo"]["until"], until);
            for (who, shown) in [(&w.flask_team, berlin), (&reporter_page, new_york), (&invitee_page, kathmandu)] {
                let text = page(who).await;
                assert!(text.contains(&format!("Embargo ends {shown}.")), "{shown} not in:\n{text}");
            }
            assert!(page(&w.org_team).await.contains(&format!("Embargo ends {utc}.")));

            // The mail about the change: each recipient in their own zone.
            t.run_jobs().await;
            let notice = t.delivered().into_iter().rfind(|n| matches!(n, Notice::EmbargoChanged { .. })).unwrap();
            let mail = t.app.notice_mail(&notice).await.unwrap().unwrap();
            let embargo_app::News::Embargo { until: Some(end) } = mail.news.clone() else {
                panic!("not an embargo change: {:?}", mail.news)
            };
            let zone_of = |email: &str| {
                let r = mail.recipients.iter().find(|r| r.email.as_str() == email).unwrap();
                r.zone.show(end.at)
            };
            assert_eq!(zone_of("flask-maintainer@pallets.example"), berlin);
            assert_eq!(zone_of("dana@finder.example"), new_york);
            assert_eq!(zone_of("upstream@maintainer.example"), kathmandu);
            assert_eq!(zone_of("lead@pallets.example"), utc);
        }
        w.finish().await;
    }
}

#[tokio::test]
async fn a_bad_zone_is_refused_changing_nothing_and_a_link_sets_only_its_own() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let (id, followup) = w.report("flask", &w.alice, "the report").await;
        let (other, _) = w.report("flask", &w.bob, "another report").await;
        t.put("/api/v1/time-zone", json!({"time_zone": "Europe/Berlin"}), &w.alice).await.expect(StatusCode::OK);

        for bad in ["Mars/Olympus_Mons", "+02:00", "", "Europe/Berlin; DROP TABLE"] {
            let reply = t.put("/api/v1/time-zone", json!({"time_zone": bad}), &w.alice).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {}", reply.text);
            assert!(reply.json["message"].as_str().unwrap().contains("time_zone"), "{}", reply.text);
        }
        let page = t.form("/account/time-zone", &[("time_zone", "Mars/Olympus_Mons")], &w.alice).await;
        let page = page.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text.contains("is not a time zone name such as Europe/Berlin"), "{}", page.text);
        let link = Auth::Link(followup.clone());
        let page = t.form(&format!("/reports/{id}/time-zone"), &[("time_zone", "Nowhere/City")], &link).await;
        assert!(page.expect(StatusCode::UNPROCESSABLE_ENTITY).text.contains("is not a time zone name"));
        let kept = t.get("/api/v1/time-zone", &w.alice).await.expect(StatusCode::OK);
        assert_eq!(kept.json["time_zone"], "Europe/Berlin", "nothing changed");

        // The follow-up link has its own zone: setting it leaves the account's alone.
        t.form(&format!("/reports/{id}/time-zone"), &[("time_zone", "Pacific/Auckland")], &link)
            .await
            .expect(StatusCode::SEE_OTHER);
        let (by_link, by_account) = (
            t.get("/api/v1/time-zone", &Auth::Bearer(followup)).await.expect(StatusCode::OK),
            t.get("/api/v1/time-zone", &w.alice).await.expect(StatusCode::OK),
        );
        assert_eq!(
            (&by_link.json["time_zone"], &by_account.json["time_zone"]),
            (&json!("Pacific/Auckland"), &json!("Europe/Berlin"))
        );
        // Through another report's page, a link sets nothing: that report is not found.
        t.form(&format!("/reports/{other}/time-zone"), &[("time_zone", "UTC")], &link)
            .await
            .expect(StatusCode::NOT_FOUND);
        t.put("/api/v1/time-zone", json!({"time_zone": "UTC"}), &Auth::None).await.expect(StatusCode::UNAUTHORIZED);
        w.finish().await;
    }
}

#[tokio::test]
async fn the_advisory_editor_shows_the_schedule_and_the_embargo_end_in_the_editors_zone() {
    let w = World::new().await;
    let t = &w.t;
    t.policy("pallets", "[disclosure]\nmax_embargo = \"52w\"\n").await;
    let (report, advisory) = w.drafted("the report").await;
    t.put("/api/v1/time-zone", json!({"time_zone": "America/New_York"}), &w.flask_team).await.expect(StatusCode::OK);
    t.patch(&format!("/api/v1/reports/{report}"), json!({"embargo_until": "2026-11-02T17:00:00Z"}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    t.post(
        &format!("/api/v1/advisories/{advisory}/schedule"),
        json!({"at": "2026-10-24T18:00:00+02:00"}),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::CREATED);
    let page = t.get(&format!("/advisories/{advisory}/edit"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(
        page.text
            .contains("Scheduled for publication 2026-10-24 12:00 America/New_York (UTC-04:00), 2026-10-24 16:00 UTC."),
        "{}",
        page.text
    );
    let embargo = "Embargo of the report ends 2026-11-02 12:00 America/New_York (UTC-05:00), 2026-11-02 17:00 UTC.";
    assert!(page.text.contains(embargo), "{}", page.text);
    w.finish().await;
}
