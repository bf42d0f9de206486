//! Issue 15: the queue's cursor pages and the private search, through the API,
//! the page and a dump of the database, on every backend.

use embargo_testkit::{Auth, Backend};
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

fn titles(reply: &embargo_testkit::Reply) -> Vec<String> {
    reply.json.as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap().to_owned()).collect()
}

/// The path of the `Link: <…>; rel="next"` header, if any.
fn next(reply: &embargo_testkit::Reply) -> Option<String> {
    let link = reply.headers.get(http::header::LINK)?.to_str().unwrap();
    let path = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(path.to_owned())
}

#[tokio::test]
async fn issue_15_cursor_pages_walk_the_queue_once_by_its_links() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        for n in 0..7 {
            w.report(if n % 2 == 0 { "flask" } else { "jinja" }, &Auth::None, &format!("report {n}")).await;
            if n != 3 {
                t.clock().advance(time::Duration::minutes(1));
            }
        }
        let all = titles(&t.get("/api/v1/reports", &w.org_team).await.expect(StatusCode::OK));
        assert_eq!(all.len(), 7);
        let mut seen = Vec::new();
        let mut path = Some("/api/v1/reports?limit=3&state=open".to_owned());
        while let Some(p) = path {
            let page = t.get(&p, &w.org_team).await.expect(StatusCode::OK);
            seen.extend(titles(&page));
            path = next(&page);
            assert!(seen.len() <= 7, "the links never end: {seen:?}");
        }
        assert_eq!(seen, all);

        // The deadline order pages by its own cursors; a cursor of one order is refused in another.
        let sorted = t.get("/api/v1/reports?limit=3&sort=deadline", &w.org_team).await.expect(StatusCode::OK);
        let sorted_next = next(&sorted).unwrap();
        assert_eq!(titles(&t.get(&sorted_next, &w.org_team).await.expect(StatusCode::OK)).len(), 3);
        let cursor = sorted_next.split("cursor=").nth(1).unwrap().to_owned();
        let wrong = t.get(&format!("/api/v1/reports?cursor={cursor}"), &w.org_team).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.text);
        assert_eq!(wrong.json["error"], "invalid_input", "{}", wrong.text);

        // The page links to the next page by cursor, and shows the first page for a stale one.
        let page = t.get("/reports?state=any", &w.org_team).await.expect(StatusCode::OK).text;
        assert!(!page.contains("cursor="), "seven reports fit one page");
        let stale = t.get("/reports?cursor=bm90LWEtY3Vyc29y", &w.org_team).await.expect(StatusCode::OK).text;
        assert!(stale.contains("That page link is out of date"), "{stale}");
        assert!(stale.contains("report 6"));
        w.finish().await;
    }
}

#[tokio::test]
async fn issue_15_search_finds_only_what_the_caller_may_see_and_the_database_holds_no_word() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let body = json!({
            "title": "Zanzibar overflow in the parser",
            "body": "The quokkamarker header overflows the parser buffer.",
            "component": "gryphonparser",
        });
        let flask = t.post("/api/v1/projects/pallets/flask/reports", body, &w.alice).await.expect(StatusCode::CREATED);
        let flask_id = flask.json["id"].as_str().unwrap().to_owned();
        let body = json!({"title": "Another flaw", "body": "Also quokkamarker, in templates."});
        let jinja =
            t.post("/api/v1/projects/pallets/jinja/reports", body, &Auth::None).await.expect(StatusCode::CREATED);
        let jinja_id = jinja.json["id"].as_str().unwrap().to_owned();
        t.post(
            &format!("/api/v1/reports/{flask_id}/messages"),
            json!({"body": "Looks like the wombatnote regression.", "visibility": "internal"}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::CREATED);
        t.patch(&format!("/api/v1/reports/{flask_id}"), json!({"cwes": ["CWE-787"]}), &w.flask_team)
            .await
            .expect(StatusCode::OK);

        let ids = |reply: embargo_testkit::Reply| -> Vec<String> {
            let reply = reply.expect(StatusCode::OK);
            reply.json.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
        };
        let search = |q: &str, auth: &Auth| {
            let path =
                format!("/api/v1/reports?q={}", form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
            let auth = auth.clone();
            async move { t.get(&path, &auth).await }
        };
        let both = {
            let mut v = vec![flask_id.clone(), jinja_id.clone()];
            v.sort();
            v
        };
        let mut found = ids(search("quokkamarker", &w.org_team).await);
        found.sort();
        assert_eq!(found, both);
        assert_eq!(ids(search("quokkamarker", &w.flask_team).await), [flask_id.as_str()]);
        assert_eq!(ids(search("quokkamarker", &w.jinja_team).await), [jinja_id.as_str()]);
        assert_eq!(ids(search("quokkamarker", &w.alice).await), [flask_id.as_str()]);
        assert!(ids(search("quokkamarker", &w.bob).await).is_empty());
        // Prefixes, several words, structured fields and the filters.
        assert_eq!(ids(search("quok zanz", &w.org_team).await), [flask_id.as_str()]);
        assert_eq!(ids(search("\"overflow in the parser\"", &w.org_team).await), [flask_id.as_str()]);
        // A phrase's words must stand together, in its order; unquoted, anywhere.
        assert!(ids(search("\"parser overflow\"", &w.org_team).await).is_empty());
        assert!(ids(search("\"zanzibar parser\"", &w.org_team).await).is_empty());
        assert_eq!(ids(search("parser zanzibar", &w.org_team).await), [flask_id.as_str()]);
        assert_eq!(ids(search("gryphon", &w.org_team).await), [flask_id.as_str()]);
        assert_eq!(ids(search("quokkamarker project:pallets/jinja", &w.org_team).await), [jinja_id.as_str()]);
        assert!(ids(search("quokkamarker state:fixed", &w.org_team).await).is_empty());
        assert_eq!(ids(search("state:new project:pallets/jinja", &w.org_team).await), [jinja_id.as_str()]);
        // The team's notes and fields are the team's: the reporter's search never matches them.
        assert_eq!(ids(search("wombatnote", &w.flask_team).await), [flask_id.as_str()]);
        assert_eq!(ids(search("cwe:787", &w.flask_team).await), [flask_id.as_str()]);
        assert!(ids(search("wombatnote", &w.alice).await).is_empty());
        assert!(ids(search("cwe:787", &w.alice).await).is_empty());
        // A CVE id of the advisory drafted from a report finds the report, for its team only
        // (the draft is private); a CVE id the advisory no longer holds finds nothing.
        let (cve_report, advisory) = w.drafted("Drafted with a CVE").await;
        let aliases = |cve: &str| json!({"aliases": [cve]});
        let path = format!("/api/v1/advisories/{advisory}");
        t.patch(&path, aliases("CVE-2026-77123"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(ids(search("cve:CVE-2026-77123", &w.org_team).await), [cve_report.as_str()]);
        assert_eq!(ids(search("cve:cve-2026-77123 drafted", &w.flask_team).await), [cve_report.as_str()]);
        assert!(ids(search("cve:CVE-2026-77123", &w.jinja_team).await).is_empty());
        assert!(ids(search("cve:CVE-2026-77123", &w.alice).await).is_empty());
        assert!(ids(search("cve:CVE-2026-77123", &w.bob).await).is_empty());
        assert!(ids(search("cve:CVE-2026-77124", &w.org_team).await).is_empty());
        t.patch(&path, aliases("CVE-2026-88123"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(ids(search("cve:CVE-2026-77123", &w.org_team).await).is_empty());
        assert_eq!(ids(search("cve:CVE-2026-88123", &w.flask_team).await), [cve_report.as_str()]);
        // Bad searches are refused by name (never a server error), for every kind of caller.
        for bad in ["xy", "colour:red", "state:", "state:nonsense", "cve:", "cve:nonsense", "cve:CVE-26-1"] {
            for auth in [&w.org_team, &w.flask_team, &w.alice] {
                let reply = search(bad, auth).await;
                assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.text);
                assert_eq!(reply.json["error"], "invalid_input", "{bad}: {}", reply.text);
            }
        }
        // The queue page's search box.
        let page = t.get("/reports?q=zanzibar", &w.org_team).await.expect(StatusCode::OK).text;
        assert!(page.contains("Zanzibar overflow in the parser") && !page.contains("Another flaw"), "{page}");
        let page = t.get("/reports?q=xy", &w.org_team).await.expect(StatusCode::OK).text;
        assert!(page.contains("That search cannot run"), "{page}");

        // A copy of the database holds none of the indexed words.
        let dump = t.dump().await;
        assert!(dump.len() > 10_000, "the dump is not empty");
        let markers =
            ["quokkamarker", "Zanzibar", "zanzibar", "wombatnote", "gryphonparser", "gryph", "cve:cve-2026-88123"];
        for word in markers {
            assert!(!dump.windows(word.len()).any(|w| w == word.as_bytes()), "{word} is in the dump");
        }
        w.finish().await;
    }
}
