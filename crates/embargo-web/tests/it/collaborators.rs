//! Collaborators (issue 10): the team invites a person to one report by
//! e-mail; the invitee works on that report through a private link or their
//! own account, sees nothing else, and loses access when the invitation is
//! revoked. Every change is audited and the invitation is mailed.

use embargo_app::Notice;
use embargo_testkit::{Auth, Backend};
use http::StatusCode;
use serde_json::{Value, json};

use crate::fixture::World;

fn invite(email: &str, role: &str, sees_internal: bool) -> Value {
    json!({"email": email, "role": role, "sees_internal": sees_internal})
}

fn bodies(report: &Value) -> Vec<String> {
    report["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_invitee_works_on_one_report_until_the_invitation_is_revoked() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let (report, _) = w.report("flask", &w.alice, "the report").await;
        let (other, _) = w.report("flask", &w.alice, "another report").await;
        let path = format!("/api/v1/reports/{report}");
        w.t.post(
            &format!("{path}/messages"),
            json!({"body": "INTERNAL-NOTE", "visibility": "internal"}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::CREATED);
        w.t.post(&format!("{path}/messages"), json!({"body": "Thanks, confirmed."}), &w.flask_team)
            .await
            .expect(StatusCode::CREATED);

        // An upstream maintainer without an account: a private link.
        let reply =
            w.t.post(
                &format!("{path}/collaborators"),
                invite("maintainer@upstream.example", "collaborator", false),
                &w.flask_team,
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(reply.json["role"], "collaborator");
        assert_eq!(reply.json["account"], false);
        let link = Auth::Bearer(reply.json["token"].as_str().unwrap().to_owned());
        let invitation = reply.json["id"].as_str().unwrap().to_owned();

        let seen = w.t.get(&path, &link).await.expect(StatusCode::OK);
        assert_eq!(seen.json["viewer"], "collaborator");
        assert_eq!(seen.json["title"], "the report");
        assert_eq!(bodies(&seen.json), vec!["Thanks, confirmed."], "no internal note without the team's leave");
        assert!(seen.json["team"].is_null(), "no team fields");
        w.t.post(&format!("{path}/messages"), json!({"body": "The fix is in 3.1.2."}), &link)
            .await
            .expect(StatusCode::CREATED);
        w.t.post(&format!("{path}/messages"), json!({"body": "x", "visibility": "internal"}), &link)
            .await
            .expect(StatusCode::FORBIDDEN);
        w.t.get(&format!("/api/v1/reports/{other}"), &link).await.expect(StatusCode::NOT_FOUND);
        w.t.get("/api/v1/projects/pallets/flask/members", &link).await.expect(StatusCode::NOT_FOUND);
        let listed = w.t.get("/api/v1/reports", &link).await.expect(StatusCode::OK);
        assert_eq!(listed.json.as_array().unwrap().len(), 1, "the link opens one report: {}", listed.text);
        // The page, through the link's cookie, and no team page.
        let page = w.t.get(&format!("/reports/{report}"), &Auth::Link(link_token(&link))).await.expect(StatusCode::OK);
        assert!(page.text.contains("invited you to work on this report"));
        assert!(!page.text.contains("INTERNAL-NOTE"));
        w.t.get("/pallets/flask/team", &Auth::Link(link_token(&link))).await.expect(StatusCode::NOT_FOUND);

        // A co-finder with an account, trusted with internal notes, sees it under their own session.
        t_advance(&w);
        let carol = w.t.user("carol@cofinder.example", false).await;
        w.t.get(&path, &carol).await.expect(StatusCode::NOT_FOUND);
        let reply =
            w.t.post(&format!("{path}/collaborators"), invite("Carol@Cofinder.example", "reporter", true), &w.org_team)
                .await
                .expect(StatusCode::CREATED);
        assert_eq!(reply.json["account"], true);
        assert_eq!(reply.json["email"], "carol@cofinder.example");
        let carols = reply.json["id"].as_str().unwrap().to_owned();
        let seen = w.t.get(&path, &carol).await.expect(StatusCode::OK);
        assert_eq!(seen.json["viewer"], "collaborator");
        assert!(bodies(&seen.json).contains(&"INTERNAL-NOTE".to_owned()));
        let listed = w.t.get("/api/v1/reports", &carol).await.expect(StatusCode::OK);
        let ids: Vec<&str> = listed.json.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![report.as_str()]);
        w.t.get(&format!("/api/v1/reports/{other}"), &carol).await.expect(StatusCode::NOT_FOUND);

        // The team lists both; the reporter and the invitees may not.
        let list = w.t.get(&format!("{path}/collaborators"), &w.flask_team).await.expect(StatusCode::OK);
        let emails: Vec<&str> = list.json.as_array().unwrap().iter().map(|c| c["email"].as_str().unwrap()).collect();
        assert_eq!(emails, vec!["maintainer@upstream.example", "carol@cofinder.example"]);
        assert!(list.json.as_array().unwrap().iter().all(|c| c.get("token").is_none()), "links are shown once");
        w.t.get(&format!("{path}/collaborators"), &w.alice).await.expect(StatusCode::FORBIDDEN);
        w.t.get(&format!("{path}/collaborators"), &carol).await.expect(StatusCode::FORBIDDEN);

        // The invitation reaches each invitee as a notice of its own.
        w.t.run_jobs().await;
        let invited: Vec<Notice> =
            w.t.delivered().into_iter().filter(|n| matches!(n, Notice::CollaboratorInvited { .. })).collect();
        assert_eq!(invited.len(), 2, "{invited:?}");

        // Revoked: the link and the account's access end at once.
        w.t.delete(&format!("{path}/collaborators/{invitation}"), &w.flask_team).await.expect(StatusCode::NO_CONTENT);
        w.t.delete(&format!("{path}/collaborators/{carols}"), &w.flask_team).await.expect(StatusCode::NO_CONTENT);
        w.t.get(&path, &link).await.expect(StatusCode::UNAUTHORIZED);
        w.t.get(&path, &carol).await.expect(StatusCode::NOT_FOUND);
        w.t.delete(&format!("{path}/collaborators/{carols}"), &w.flask_team).await.expect(StatusCode::NOT_FOUND);
        let list = w.t.get(&format!("{path}/collaborators"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(list.json.as_array().unwrap().iter().all(|c| c["revoked_at"].is_string()));
        // An invitation of another report is not found through this one.
        let (_, other_invitation) = {
            let reply =
                w.t.post(
                    &format!("/api/v1/reports/{other}/collaborators"),
                    invite("dave@example.org", "collaborator", false),
                    &w.flask_team,
                )
                .await
                .expect(StatusCode::CREATED);
            ((), reply.json["id"].as_str().unwrap().to_owned())
        };
        w.t.delete(&format!("{path}/collaborators/{other_invitation}"), &w.flask_team)
            .await
            .expect(StatusCode::NOT_FOUND);

        // Audited: who invited and revoked, by ids and roles only.
        let audit = w.t.get(&format!("/api/v1/audit/events?report={report}"), &w.admin).await.expect(StatusCode::OK);
        let actions: Vec<&str> = audit.json.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions.iter().filter(|a| **a == "report.collaborator_invited").count(), 2, "{actions:?}");
        assert_eq!(actions.iter().filter(|a| **a == "report.collaborator_revoked").count(), 2, "{actions:?}");
        assert!(!audit.text.contains("upstream.example") && !audit.text.contains("cofinder"), "no addresses");
        w.finish().await;
    }
}

/// A minute later (invitations are listed in the order they were made).
fn t_advance(w: &World) {
    w.t.clock().advance(time::Duration::minutes(1));
}

fn link_token(auth: &Auth) -> String {
    match auth {
        Auth::Bearer(token) => token.clone(),
        other => panic!("not a link: {other:?}"),
    }
}

#[tokio::test]
async fn bad_invitations_are_refused_and_change_nothing() {
    let w = World::new().await;
    let (report, _) = w.report("flask", &w.alice, "the report").await;
    let path = format!("/api/v1/reports/{report}/collaborators");
    for (body, status) in [
        (invite("not an address", "collaborator", false), StatusCode::UNPROCESSABLE_ENTITY),
        (invite("x@example.org", "owner", false), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"email": "x@example.org", "role": "collaborator", "admin": true}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"role": "collaborator"}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let reply = w.t.post(&path, body.clone(), &w.flask_team).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.text);
        assert!(reply.json["error"].is_string(), "{}", reply.text);
    }
    w.t.post(&path, invite("x@example.org", "collaborator", false), &w.flask_team).await.expect(StatusCode::CREATED);
    let again = w.t.post(&path, invite("X@example.org", "reporter", false), &w.flask_team).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let list = w.t.get(&path, &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(list.json.as_array().unwrap().len(), 1);
    w.t.delete(&format!("{path}/not-an-id"), &w.flask_team).await.expect(StatusCode::NOT_FOUND);
    w.finish().await;
}

#[tokio::test]
async fn the_team_invites_and_revokes_from_the_report_page_without_javascript() {
    let w = World::new().await;
    let (report, _) = w.report("flask", &w.alice, "the report").await;
    let page = w.t.get(&format!("/reports/{report}"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(page.text.contains(&format!("action=\"/reports/{report}/collaborators\"")));
    let refused =
        w.t.form(
            &format!("/reports/{report}/collaborators"),
            &[("email", "nope"), ("role", "collaborator")],
            &w.flask_team,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("value=\"nope\""), "the input is kept");
    let shown =
        w.t.form(
            &format!("/reports/{report}/collaborators"),
            &[("email", "maintainer@upstream.example"), ("role", "collaborator"), ("sees_internal", "yes")],
            &w.flask_team,
        )
        .await
        .expect(StatusCode::OK);
    assert!(shown.text.contains("/follow/embc_"), "the link is shown once");
    assert!(shown.text.contains("maintainer@upstream.example (collaborator, reads internal notes)"));
    let list = w.t.get(&format!("/api/v1/reports/{report}/collaborators"), &w.flask_team).await;
    let id = list.json[0]["id"].as_str().unwrap().to_owned();
    // The reporter sees no such panel, and may not revoke.
    let mine = w.t.get(&format!("/reports/{report}"), &w.alice).await.expect(StatusCode::OK);
    assert!(!mine.text.contains("upstream.example"));
    w.t.form(&format!("/reports/{report}/collaborators/{id}/revoke"), &[], &w.alice)
        .await
        .expect(StatusCode::FORBIDDEN);
    w.t.form(&format!("/reports/{report}/collaborators/{id}/revoke"), &[], &w.flask_team)
        .await
        .expect(StatusCode::SEE_OTHER);
    let after = w.t.get(&format!("/reports/{report}"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(after.text.contains(", revoked "), "the list says it was revoked");
    w.finish().await;
}
