//! Issue 10's last parts: finders decline credit or choose the name shown
//! (and every export follows), a public issue made from a declined report
//! with the reporter's consent, and interested parties hearing of a share by
//! mail with their link's first and last use shown to the team.

use embargo_app::Notice;
use embargo_testkit::{Auth, Backend};
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixture::{World, strings};

fn names(credits: &Value) -> Vec<String> {
    credits.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn finders_decline_credit_or_choose_a_name_and_the_advisory_and_every_export_follow() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let (original, _) = w.report("flask", &w.alice, "XSS in the login form").await;
        t.clock().advance(time::Duration::minutes(5));
        let (duplicate, bobs_link) = w.report("flask", &w.bob, "Reflected XSS in login").await;
        w.advance(&duplicate, "triaging").await;
        let mark = json!({"to": "duplicate", "duplicate_of": original, "reason": "Reported before."});
        t.post(&format!("/api/v1/reports/{duplicate}/transitions"), mark, &w.flask_team).await.expect(StatusCode::OK);
        // A co-finder with an account, and a collaborator who is no finder.
        let carol = t.user("carol@cofinder.example", false).await;
        let invite = |email: &str, role: &str| json!({"email": email, "role": role});
        t.post(
            &format!("/api/v1/reports/{original}/collaborators"),
            invite("carol@cofinder.example", "reporter"),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::CREATED);
        let dave = t.user("dave@upstream.example", false).await;
        t.post(
            &format!("/api/v1/reports/{original}/collaborators"),
            invite("dave@upstream.example", "collaborator"),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::CREATED);

        // Bob declines before the draft exists; the draft leaves him out.
        let path = |id: &str| format!("/api/v1/reports/{id}/credit");
        let bob = t.get(&path(&duplicate), &w.bob).await.expect(StatusCode::OK);
        assert_eq!(bob.json["credited_as"], "bob", "{}", bob.text);
        assert_eq!(bob.json["kind"], "reporter");
        let declined = t.put(&path(&duplicate), json!({"declined": true}), &w.bob).await.expect(StatusCode::OK);
        assert_eq!(declined.json["credited_as"], Value::Null);
        w.advance(&original, "accepted").await;
        let draft = t.post(&format!("/api/v1/reports/{original}/advisory"), json!({}), &w.flask_team).await;
        let draft = draft.expect(StatusCode::CREATED);
        assert_eq!(names(&draft.json["draft"]["credits"]), ["alice", "carol"]);
        let advisory = draft.json["id"].as_str().unwrap().to_owned();

        // Carol renames herself; Bob changes his mind through his private link: the draft follows at once.
        t.put(&path(&original), json!({"declined": false, "name": "Carol Cofinder"}), &carol)
            .await
            .expect(StatusCode::OK);
        let bobs_link = Auth::Bearer(bobs_link);
        t.put(&path(&duplicate), json!({"declined": false}), &bobs_link).await.expect(StatusCode::OK);
        let shown = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(names(&shown.json["draft"]["credits"]), ["alice", "Carol Cofinder", "bob"]);
        // Alice declines from her report page, with the form (no JavaScript).
        let page = t.get(&format!("/reports/{original}"), &w.alice).await.expect(StatusCode::OK);
        assert!(page.text.contains(&format!("action=\"/reports/{original}/credit\"")), "the form is there");
        let refused = t
            .form(&format!("/reports/{original}/credit"), &[("credit", "named"), ("name", "two\nlines")], &w.alice)
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        t.form(&format!("/reports/{original}/credit"), &[("credit", "declined"), ("name", "")], &w.alice)
            .await
            .expect(StatusCode::SEE_OTHER);
        let shown = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(names(&shown.json["draft"]["credits"]), ["Carol Cofinder", "bob"]);

        // The team sees every choice, in the API and on the page; finders and strangers do not.
        let list = t.get(&format!("/api/v1/reports/{original}/credits"), &w.flask_team).await.expect(StatusCode::OK);
        let rows: Vec<(String, bool, Value)> = list
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (c["kind"].as_str().unwrap().to_owned(), c["declined"].as_bool().unwrap(), c["credited_as"].clone())
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("reporter".to_owned(), true, Value::Null),
                ("reporter".to_owned(), false, json!("bob")),
                ("co-finder".to_owned(), false, json!("Carol Cofinder")),
            ]
        );
        let team_page = t.get(&format!("/reports/{original}"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(team_page.text.contains("declined the credit"), "the team sees it on the page");
        t.get(&format!("/api/v1/reports/{original}/credits"), &w.alice).await.expect(StatusCode::FORBIDDEN);
        t.get(&format!("/api/v1/reports/{original}/credits"), &w.jinja_team).await.expect(StatusCode::NOT_FOUND);
        t.put(&path(&original), json!({"declined": true}), &dave).await.expect(StatusCode::FORBIDDEN);
        t.put(&path(&original), json!({"declined": true}), &w.flask_team).await.expect(StatusCode::FORBIDDEN);
        t.put(&path(&original), json!({"declined": true}), &w.bob).await.expect(StatusCode::NOT_FOUND);
        t.run_jobs().await;
        let told = t.delivered().into_iter().filter(|n| matches!(n, Notice::CreditChosen { .. })).count();
        assert_eq!(told, 4, "the team hears of each choice (not of a refused one)");

        // Published with a CVE: OSV credits, CSAF acknowledgments and the CVE record leave Alice out.
        t.patch(
            &format!("/api/v1/advisories/{advisory}"),
            json!({"aliases": ["CVE-2026-31337"], "details": "Upgrade to 3.1.1."}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::OK);
        w.transition(&original, "fixing", &w.flask_team).await.expect(StatusCode::OK);
        w.transition(&original, "fixed", &w.flask_team).await.expect(StatusCode::OK);
        t.call(Method::POST, &format!("/api/v1/advisories/{advisory}/publish"), None, &w.flask_team)
            .await
            .expect(StatusCode::OK);
        let osv = t.get(&format!("/osv/v1/vulns/{advisory}"), &Auth::None).await.expect(StatusCode::OK);
        let osv_names: Vec<&str> =
            osv.json["credits"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(osv_names, ["Carol Cofinder", "bob"]);
        let year = advisory.split('-').nth(1).unwrap();
        let csaf = t
            .get(&format!("/.well-known/csaf/white/{year}/{}.json", advisory.to_lowercase()), &Auth::None)
            .await
            .expect(StatusCode::OK);
        let acknowledged = strings(&csaf.json["vulnerabilities"][0]["acknowledgments"]);
        assert!(acknowledged.contains(&"Carol Cofinder".to_owned()) && acknowledged.contains(&"bob".to_owned()));
        let document = t.app.published_document(&advisory).await.unwrap();
        let cna = embargo_formats::cve::Cna { org_id: uuid::Uuid::from_u128(7), short_name: "pallets".into() };
        let (_, record) = embargo_formats::cve::record(&document.document("https://example.org/a"), &cna).unwrap();
        let cve_names = strings(&record["containers"]["cna"]["credits"]);
        assert!(cve_names.contains(&"Carol Cofinder".to_owned()), "{cve_names:?}");
        for text in [osv.text.as_str(), csaf.text.as_str(), &record.to_string()] {
            assert!(!text.contains("alice"), "a declined finder is left out: {text}");
        }
        // Published: the credits are the team's now; a late choice is refused and changes nothing.
        let late = t.put(&path(&duplicate), json!({"declined": true}), &w.bob).await;
        assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", late.text);
        let again = t.get(&path(&duplicate), &w.bob).await.expect(StatusCode::OK);
        assert_eq!(again.json["declined"], false);
        w.finish().await;
    }
}

#[tokio::test]
async fn a_declined_report_becomes_a_public_issue_only_with_the_reporters_consent_and_leaks_nothing() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let report = json!({
            "title": "Crash on an empty header",
            "body": "MARKER-BODY: an empty Host header crashes the dev server. Ada Marker found it; write to ada-contact@marker.example.",
            "component": "werkzeug.serving",
            "versions_tested": "3.1.0",
            "versions_vulnerable": "3.1.0",
            "proof_of_concept": "curl -H 'Host:' localhost # MARKER-POC",
            "patch": "MARKER-PATCH",
            "threat_model": "MARKER-THREAT",
            "reporter_name": "Ada Marker",
            "reporter_email": "ada-contact@marker.example",
        });
        let sent =
            t.post("/api/v1/projects/pallets/flask/reports", report, &Auth::None).await.expect(StatusCode::CREATED);
        let id = sent.json["id"].as_str().unwrap().to_owned();
        let token = sent.json["followup_token"].as_str().unwrap().to_owned();
        let (reporter, reporter_page) = (Auth::Bearer(token.clone()), Auth::Link(token));
        let path = format!("/api/v1/reports/{id}/public-issue");
        let message = |body: &str, visibility: &str| json!({"body": body, "visibility": visibility});
        t.post(&format!("/api/v1/reports/{id}/messages"), message("MARKER-INTERNAL", "internal"), &w.flask_team)
            .await
            .expect(StatusCode::CREATED);
        t.post(&format!("/api/v1/reports/{id}/messages"), message("MARKER-MESSAGE", "reporter-visible"), &w.flask_team)
            .await
            .expect(StatusCode::CREATED);
        let carol = w.collaborator(&id).await;
        // Not declined yet: there is nothing to make public.
        t.post(&path, json!({}), &w.flask_team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        w.advance(&id, "triaging").await;
        let decline = json!({"to": "not_vulnerable", "reason": "MARKER-REASON: a crash of the dev server only."});
        t.post(&format!("/api/v1/reports/{id}/transitions"), decline, &w.flask_team).await.expect(StatusCode::OK);
        t.patch(
            &format!("/api/v1/reports/{id}"),
            json!({"cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::OK);
        let (duplicate, _) = w.report("flask", &w.bob, "MARKER-DUPLICATE").await;
        w.advance(&duplicate, "triaging").await;
        let mark = json!({"to": "duplicate", "duplicate_of": id, "reason": "Same."});
        t.post(&format!("/api/v1/reports/{duplicate}/transitions"), mark, &w.flask_team).await.expect(StatusCode::OK);

        // The team makes the text: the description and facts, nothing private.
        let issue = t.post(&path, json!({}), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(issue.json["answer"], "pending");
        let all = format!("{}\n{}", issue.json["title"], issue.json["body"]);
        assert!(all.contains("MARKER-BODY") && all.contains("werkzeug.serving"), "{all}");
        let private = [
            "ada-contact",
            "Ada Marker",
            "MARKER-POC",
            "MARKER-PATCH",
            "MARKER-THREAT",
            "MARKER-INTERNAL",
            "MARKER-MESSAGE",
            "MARKER-REASON",
            "MARKER-DUPLICATE",
            "bob",
            "carol",
            "CVSS",
            &id,
        ];
        for marker in private {
            assert!(!all.contains(marker), "{marker} leaked into the public issue:\n{all}");
        }
        // Asked by mail: the reporter alone.
        t.run_jobs().await;
        let asked = t.delivered().into_iter().find(|n| matches!(n, Notice::PublicIssueProposed { .. })).unwrap();
        let mail = t.app.notice_mail(&asked).await.unwrap().unwrap();
        let to: Vec<String> = mail.recipients.iter().map(|r| r.email.to_string()).collect();
        assert_eq!(to, ["ada-contact@marker.example"]);

        // Not made public before the reporter agrees, nor after an objection.
        let url = json!({"url": "https://github.com/pallets/flask/issues/5999"});
        t.post(&format!("{path}/published"), url.clone(), &w.flask_team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let page = t.get(&format!("/reports/{id}"), &reporter_page).await.expect(StatusCode::OK);
        assert!(page.text.contains(&format!("action=\"/reports/{id}/public-issue/answer\"")), "asked on their page");
        t.post(&format!("{path}/answer"), json!({"answer": "objected"}), &reporter).await.expect(StatusCode::OK);
        t.post(&format!("{path}/published"), url.clone(), &w.flask_team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        // Others may not answer, nor see it: the team, the collaborator, strangers.
        t.post(&format!("{path}/answer"), json!({"answer": "named"}), &w.flask_team)
            .await
            .expect(StatusCode::FORBIDDEN);
        t.get(&path, &carol).await.expect(StatusCode::FORBIDDEN);
        t.get(&path, &w.bob).await.expect(StatusCode::NOT_FOUND);
        t.get(&path, &w.jinja_team).await.expect(StatusCode::NOT_FOUND);
        t.post(&format!("{path}/answer"), json!({"answer": "maybe"}), &reporter)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);

        // Named, from the page's form: the name appears, the contact never does.
        t.form(&format!("/reports/{id}/public-issue/answer"), &[("answer", "named")], &reporter_page)
            .await
            .expect(StatusCode::SEE_OTHER);
        let named = t.get(&path, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(named.json["answer"], "named");
        assert!(named.json["body"].as_str().unwrap().contains("Reported by Ada Marker."), "{}", named.text);
        assert!(!named.text.contains("ada-contact"), "{}", named.text);
        t.post(&format!("{path}/published"), json!({"url": "javascript:alert(1)"}), &w.flask_team)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        let done = t.post(&format!("{path}/published"), url, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(done.json["url"], "https://github.com/pallets/flask/issues/5999");
        assert!(done.json["published_at"].is_string());
        t.post(&path, json!({"include_poc": true}), &w.flask_team).await.expect(StatusCode::CONFLICT);
        let team_page = t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(team_page.text.contains("https://github.com/pallets/flask/issues/5999"));
        w.finish().await;
    }
}

#[tokio::test]
async fn the_poc_goes_into_a_public_issue_only_when_the_team_includes_it_and_the_reporter_is_asked_again() {
    let w = World::new().await;
    let t = &w.t;
    let (id, link) = w.report("flask", &w.alice, "Slow regex in the router").await;
    w.advance(&id, "triaging").await;
    let decline = json!({"to": "out_of_scope", "reason": "Denial of service is out of scope."});
    t.post(&format!("/api/v1/reports/{id}/transitions"), decline, &w.flask_team).await.expect(StatusCode::OK);
    let path = format!("/api/v1/reports/{id}/public-issue");
    let first = t.post(&path, json!({}), &w.flask_team).await.expect(StatusCode::OK);
    assert!(!first.json["body"].as_str().unwrap().contains("exit 1"), "no PoC unless included");
    assert!(first.json["body"].as_str().unwrap().contains("outside the scope"));
    t.post(&format!("{path}/answer"), json!({"answer": "anonymous"}), &Auth::Bearer(link)).await.expect(StatusCode::OK);
    let with_poc = t.post(&path, json!({"include_poc": true}), &w.flask_team).await.expect(StatusCode::OK);
    assert!(with_poc.json["body"].as_str().unwrap().contains("exit 1"));
    assert_eq!(with_poc.json["answer"], "pending", "a different text asks the reporter again");
    assert!(!with_poc.json["body"].as_str().unwrap().contains("alice"), "an anonymous reporter is not named");
    // From the team's page, without JavaScript.
    let page = t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(page.text.contains(&format!("action=\"/reports/{id}/public-issue\"")));
    t.form(&format!("/reports/{id}/public-issue"), &[], &w.flask_team).await.expect(StatusCode::SEE_OTHER);
    let after = t.get(&path, &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(after.json["include_poc"], false);
    w.finish().await;
}

const HAIKU: &str =
    "[[platforms]]\nname = \"Haiku\"\ntier = \"unsupported\"\ninterested_parties = [\"haiku-port@ports.example\"]\n";

#[tokio::test]
async fn an_interested_party_hears_by_mail_and_the_team_sees_when_the_link_was_opened() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        t.policy("pallets/flask", HAIKU).await;
        let (id, _) = w.report("flask", &w.alice, "Crash on Haiku").await;
        let shared = t
            .post(&format!("/api/v1/reports/{id}/shares"), json!({"platform": "Haiku"}), &w.flask_team)
            .await
            .expect(StatusCode::CREATED);
        let token = shared.json[0]["token"].as_str().unwrap().to_owned();
        let share = |json: &Value| json["team"]["shares"][0].clone();
        let before = t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(share(&before.json)["mailed_at"], Value::Null);
        assert_eq!(share(&before.json)["first_opened_at"], Value::Null);

        // The mail goes to the party alone, carrying their link.
        t.run_jobs().await;
        let notice = t.delivered().into_iter().find(|n| matches!(n, Notice::ShareLink { .. })).unwrap();
        let mail = t.app.notice_mail(&notice).await.unwrap().unwrap();
        let to: Vec<String> = mail.recipients.iter().map(|r| r.email.to_string()).collect();
        assert_eq!(to, ["haiku-port@ports.example"]);
        assert_eq!(mail.followup.as_ref().map(|f| f.expose().clone()), Some(token.clone()));
        assert!(mail.details.expose().title.is_empty(), "nothing of the report rides along");

        // Opened twice, some time apart: the team sees the first and the last time, in the API and on the page.
        t.clock().advance(time::Duration::hours(2));
        t.get(&format!("/shared/{token}"), &Auth::None).await.expect(StatusCode::SEE_OTHER);
        t.clock().advance(time::Duration::hours(3));
        t.get(&format!("/api/v1/reports/{id}"), &Auth::Bearer(token.clone())).await.expect(StatusCode::OK);
        let after = t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
        let row = share(&after.json);
        let (first, last) = (row["first_opened_at"].as_str().unwrap(), row["last_opened_at"].as_str().unwrap());
        assert!(first < last, "{first} {last}");
        let page = t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(page.text.contains("first opened"), "the page says so");
        // The party's view stays redacted and shows nothing of who opened what.
        let theirs = t.get(&format!("/api/v1/reports/{id}"), &Auth::Bearer(token)).await.expect(StatusCode::OK);
        assert!(theirs.json["team"].is_null());
        w.finish().await;
    }
}
