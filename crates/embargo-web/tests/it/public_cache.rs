//! The public cache (issue 15, item 4): published advisories' page, OSV
//! `vulns/{id}` and `query`, and the Atom feed carry `ETag` and
//! `Last-Modified` and answer 304 on revalidation; a revision or a withdrawal
//! shows on the next read (on another replica once its recheck interval has
//! passed on the fake clock); drafts, per-user pages and private text never
//! come out of the cache.

use axum::Router;
use axum::body::Body;
use embargo_testkit::{Auth, Backend};
use embargo_web::WebConfig;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::fixture::World;

const DRAFT_MARKER: &str = "PRIVATE-DRAFT-MARKER-5b1e";
const REPORT_MARKER: &str = "PRIVATE-REPORT-MARKER-77ac";

/// A plain answer: status, headers, body text.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }
}

/// Sends a request to a router: `GET` without a body, `POST` with `body`,
/// each with the extra `headers`.
async fn send(router: &Router, method: Method, path: &str, body: Option<&str>, headers: &[(&str, String)]) -> Answer {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    let request = builder.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned()))).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(router: &Router, path: &str) -> Answer {
    send(router, Method::GET, path, None, &[]).await
}

async fn query(router: &Router, body: &str) -> Answer {
    send(router, Method::POST, "/osv/v1/query", Some(body), &[]).await
}

const FLASK_QUERY: &str = r#"{"package": {"ecosystem": "PyPI", "name": "flask"}, "version": "3.0.0"}"#;

/// The advisory ids a query answered (OSV exports unregistered prefixes as `x_ID`).
fn ids(answer: &Answer) -> Vec<String> {
    let json: Value = serde_json::from_str(&answer.text).unwrap();
    json["vulns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v["id"].as_str().unwrap().trim_start_matches("x_").to_owned())
        .collect()
}

/// A fixed flask report with its advisory published (revision 1), and a
/// second report whose advisory stays a draft; answers (published, draft).
async fn published(w: &World) -> (String, String) {
    let (report, advisory) = w.drafted(&format!("a flaw {REPORT_MARKER}")).await;
    let affected = json!([{"package": {"ecosystem": "PyPI", "name": "flask"},
                           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.1"}]}]}]);
    w.t.patch(
        &format!("/api/v1/advisories/{advisory}"),
        json!({"summary": "Flask session fixation", "affected": affected}),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::OK);
    w.transition(&report, "fixing", &w.flask_team).await.expect(StatusCode::OK);
    w.transition(&report, "fixed", &w.flask_team).await.expect(StatusCode::OK);
    w.t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team).await.expect(StatusCode::OK);
    let (_, draft) = w.drafted("another flaw").await;
    w.t.patch(&format!("/api/v1/advisories/{draft}"), json!({"summary": DRAFT_MARKER}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    (advisory, draft)
}

/// Publishes the working copy again with `summary` (a new revision).
async fn revise(w: &World, advisory: &str, summary: &str) {
    w.t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"summary": summary}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    w.t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team).await.expect(StatusCode::OK);
}

/// The router of the test app, for requests with headers of our own.
fn router_of(w: &World) -> Router {
    embargo_web::router(w.t.app.clone(), WebConfig::default())
}

#[tokio::test]
async fn public_reads_carry_validators_and_answer_304_issue_15() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let (advisory, _) = published(&w).await;
        let router = router_of(&w);
        for path in
            [format!("/advisories/{advisory}"), format!("/osv/v1/vulns/{advisory}"), "/advisories/feed.atom".into()]
        {
            let first = get(&router, &path).await;
            assert_eq!(first.status, StatusCode::OK, "{backend:?} {path}: {}", first.text);
            let etag = first.header(header::ETAG);
            let modified = first.header(header::LAST_MODIFIED);
            assert!(etag.starts_with('"') && etag.len() > 20, "{path}: a strong ETag, got {etag:?}");
            assert!(modified.ends_with(" GMT"), "{path}: Last-Modified, got {modified:?}");
            assert!(first.header(header::CACHE_CONTROL).starts_with("public"), "{path}");
            // The revision was published at the fake clock's time.
            assert_eq!(modified, "Mon, 04 May 2026 09:00:00 GMT", "{path}");

            let again = get(&router, &path).await;
            assert_eq!(
                (again.status, &again.text, again.header(header::ETAG)),
                (StatusCode::OK, &first.text, etag.clone())
            );

            let by_tag = send(&router, Method::GET, &path, None, &[("if-none-match", etag.clone())]).await;
            assert_eq!(by_tag.status, StatusCode::NOT_MODIFIED, "{path}");
            assert!(by_tag.text.is_empty(), "a 304 has no body");
            assert_eq!(by_tag.header(header::ETAG), etag);
            let by_list =
                send(&router, Method::GET, &path, None, &[("if-none-match", format!("\"other\", W/{etag}"))]).await;
            assert_eq!(by_list.status, StatusCode::NOT_MODIFIED, "{path}: weak comparison, lists");
            let other_tag = send(&router, Method::GET, &path, None, &[("if-none-match", "\"other\"".into())]).await;
            assert_eq!((other_tag.status, &other_tag.text), (StatusCode::OK, &first.text), "{path}");

            let by_date = send(&router, Method::GET, &path, None, &[("if-modified-since", modified.clone())]).await;
            assert_eq!(by_date.status, StatusCode::NOT_MODIFIED, "{path}");
            let later = send(
                &router,
                Method::GET,
                &path,
                None,
                &[("if-modified-since", "Tue, 05 May 2026 09:00:00 GMT".into())],
            )
            .await;
            assert_eq!(later.status, StatusCode::NOT_MODIFIED, "{path}");
            let earlier = send(
                &router,
                Method::GET,
                &path,
                None,
                &[("if-modified-since", "Mon, 04 May 2026 08:59:59 GMT".into())],
            )
            .await;
            assert_eq!((earlier.status, &earlier.text), (StatusCode::OK, &first.text), "{path}");
            // If-None-Match wins over If-Modified-Since (RFC 9110 section 13.2.2).
            let both = send(
                &router,
                Method::GET,
                &path,
                None,
                &[("if-none-match", "\"other\"".into()), ("if-modified-since", modified.clone())],
            )
            .await;
            assert_eq!(both.status, StatusCode::OK, "{path}");
        }

        // `query` is a POST: validators, and one entry whatever the spelling.
        let first = query(&router, FLASK_QUERY).await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(ids(&first), vec![advisory.clone()]);
        assert_eq!(first.header(header::LAST_MODIFIED), "Mon, 04 May 2026 09:00:00 GMT");
        let respelt = query(&router, r#"{"version":"3.0.0","package":{"name":"flask","ecosystem":"PyPI"}}"#).await;
        assert_eq!((&respelt.text, respelt.header(header::ETAG)), (&first.text, first.header(header::ETAG)));
        let fixed = query(&router, r#"{"package": {"ecosystem": "PyPI", "name": "flask"}, "version": "3.1.1"}"#).await;
        assert_eq!((fixed.status, fixed.text.as_str()), (StatusCode::OK, "{}"), "another query, another answer");
        let bad = query(&router, "{not json").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(query(&router, "{not json").await.status, StatusCode::BAD_REQUEST, "errors are not kept");
        w.finish().await;
    }
}

#[tokio::test]
async fn a_revision_or_a_withdrawal_shows_on_the_next_read_issue_15() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let (advisory, _) = published(&w).await;
        let page = format!("/advisories/{advisory}");
        let vulns = format!("/osv/v1/vulns/{advisory}");
        let router = router_of(&w);
        let before = get(&router, &page).await;
        assert!(before.text.contains("Flask session fixation"), "{backend:?}");
        let before_feed = get(&router, "/advisories/feed.atom").await;
        assert_eq!(ids(&query(&router, FLASK_QUERY).await), vec![advisory.clone()]);

        // A revision, published through this router: the next read shows it at once.
        w.t.clock().advance(time::Duration::hours(1));
        revise(&w, &advisory, "Flask session fixation, worse").await;
        let after = get(&router, &page).await;
        assert!(after.text.contains("Flask session fixation, worse"), "{backend:?}: {}", after.text);
        assert_ne!(after.header(header::ETAG), before.header(header::ETAG));
        assert_eq!(after.header(header::LAST_MODIFIED), "Mon, 04 May 2026 10:00:00 GMT");
        let stale = send(&router, Method::GET, &page, None, &[("if-none-match", before.header(header::ETAG))]).await;
        assert_eq!(stale.status, StatusCode::OK, "the old tag no longer matches");
        let record: Value = serde_json::from_str(&get(&router, &vulns).await.text).unwrap();
        assert_eq!(record["summary"], "Flask session fixation, worse");
        let feed = get(&router, "/advisories/feed.atom").await;
        assert!(feed.text.contains("Flask session fixation, worse") && feed.text != before_feed.text);

        // A withdrawal: the page says so, `vulns` carries it, queries leave it out.
        w.t.clock().advance(time::Duration::hours(1));
        w.t.post(&format!("/api/v1/advisories/{advisory}/withdraw"), json!({}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        assert!(get(&router, &page).await.text.contains("Withdrawn on"), "{backend:?}");
        let record: Value = serde_json::from_str(&get(&router, &vulns).await.text).unwrap();
        assert!(record["withdrawn"].is_string(), "{record}");
        assert_eq!(
            ids(&query(&router, FLASK_QUERY).await),
            Vec::<String>::new(),
            "a withdrawn advisory is not matched"
        );
        assert_eq!(get(&router, &page).await.header(header::LAST_MODIFIED), "Mon, 04 May 2026 11:00:00 GMT");
        w.finish().await;
    }
}

#[tokio::test]
async fn another_replica_sees_a_publication_within_its_recheck_interval_issue_15() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let (advisory, _) = published(&w).await;
        let page = format!("/advisories/{advisory}");
        // A second replica on the same database, with the same fake clock.
        let replica = embargo_web::router(w.t.replica().await, WebConfig::default());
        let before = get(&replica, &page).await;
        assert!(before.text.contains("Flask session fixation"));
        assert_eq!(ids(&query(&replica, FLASK_QUERY).await), vec![advisory.clone()]);

        // Published on the first replica: the second one serves what it kept
        // until its recheck interval (one second) has passed...
        revise(&w, &advisory, "Revised on the first replica").await;
        assert_eq!(get(&replica, &page).await.text, before.text, "{backend:?}: within the bound");
        w.t.clock().advance(time::Duration::milliseconds(999));
        assert_eq!(get(&replica, &page).await.text, before.text, "{backend:?}: within the bound");
        // ...and then reads the publication sequence, sees it moved, and shows the revision.
        w.t.clock().advance(time::Duration::milliseconds(1));
        assert!(get(&replica, &page).await.text.contains("Revised on the first replica"), "{backend:?}");

        w.t.post(&format!("/api/v1/advisories/{advisory}/withdraw"), json!({}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        w.t.clock().advance(time::Duration::seconds(1));
        assert!(get(&replica, &page).await.text.contains("Withdrawn on"), "{backend:?}");
        assert_eq!(ids(&query(&replica, FLASK_QUERY).await), Vec::<String>::new(), "{backend:?}");
        let record: Value =
            serde_json::from_str(&get(&replica, &format!("/osv/v1/vulns/{advisory}")).await.text).unwrap();
        assert!(record["withdrawn"].is_string(), "{record}");
        w.finish().await;
    }
}

#[tokio::test]
async fn drafts_per_user_pages_and_private_text_never_come_out_of_the_cache_issue_15() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let (advisory, draft) = published(&w).await;
        let router = router_of(&w);
        let team = match &w.flask_team {
            Auth::Session(cookie) => vec![("cookie", format!("{}={cookie}", embargo_web::SESSION_COOKIE))],
            Auth::Bearer(token) => vec![("authorization", format!("Bearer {token}"))],
            other => panic!("unexpected credential {other:?}"),
        };
        let team_name = "flask-maintainer";

        // The team reads first: its pages are its own and are not kept.
        let draft_page = format!("/advisories/{draft}");
        let seen = send(&router, Method::GET, &draft_page, None, &team).await;
        assert_eq!(seen.status, StatusCode::OK, "the team sees its draft");
        assert!(seen.text.contains(DRAFT_MARKER));
        assert_eq!(seen.header(header::CACHE_CONTROL), "no-store");
        let team_page = send(&router, Method::GET, &format!("/advisories/{advisory}"), None, &team).await;
        assert!(team_page.text.contains(team_name), "the team's header names its member");
        assert_eq!(team_page.header(header::CACHE_CONTROL), "no-store");
        for _ in 0..2 {
            let anonymous = get(&router, &draft_page).await;
            assert_eq!(anonymous.status, StatusCode::NOT_FOUND, "{backend:?}: a draft is not public");
            assert!(!anonymous.text.contains(DRAFT_MARKER));
            assert_eq!(get(&router, &format!("/osv/v1/vulns/{draft}")).await.status, StatusCode::NOT_FOUND);
        }
        let mut public = Vec::new();
        for _ in 0..2 {
            public.push(get(&router, &format!("/advisories/{advisory}")).await);
            public.push(get(&router, &format!("/osv/v1/vulns/{advisory}")).await);
            public.push(get(&router, "/advisories/feed.atom").await);
            public.push(query(&router, FLASK_QUERY).await);
            public.push(query(&router, r#"{"package": {"ecosystem": "PyPI", "name": "flask"}}"#).await);
        }
        for answer in &public {
            assert_eq!(answer.status, StatusCode::OK);
            for marker in [DRAFT_MARKER, REPORT_MARKER, team_name] {
                assert!(!answer.text.contains(marker), "{backend:?}: {marker} leaked: {}", answer.text);
            }
        }
        // The anonymous page, kept, is not what the team then sees.
        let team_again = send(&router, Method::GET, &format!("/advisories/{advisory}"), None, &team).await;
        assert!(team_again.text.contains(team_name));
        w.finish().await;
    }
}

#[tokio::test]
async fn the_cache_keeps_to_its_budget_issue_15() {
    let config = WebConfig {
        public_cache: embargo_web::PublicCacheConfig { budget_bytes: 64 * 1024, ..Default::default() },
        ..WebConfig::default()
    };
    let w = World::on_with(Backend::Sqlite, config.clone()).await;
    let (advisory, _) = published(&w).await;
    let router = embargo_web::router(w.t.app.clone(), config);
    // Many distinct queries: each answer is kept, the oldest are evicted,
    // and every answer stays right.
    for i in 0..400 {
        let body = format!(r#"{{"package": {{"ecosystem": "PyPI", "name": "flask"}}, "version": "3.0.{i}"}}"#);
        let answer = query(&router, &body).await;
        assert_eq!(ids(&answer), vec![advisory.clone()], "version 3.0.{i}");
    }
    let page = get(&router, &format!("/advisories/{advisory}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.header(header::ETAG).is_empty());
    w.finish().await;
}

#[tokio::test]
async fn a_kept_answer_has_the_security_headers_and_a_request_id_like_any_other_issue_15() {
    let w = World::on(Backend::Sqlite).await;
    let (advisory, _) = published(&w).await;
    let router = router_of(&w);
    let path = format!("/osv/v1/vulns/{advisory}");
    let first = get(&router, &path).await;
    let kept = get(&router, &path).await;
    assert_eq!((kept.status, &kept.text), (StatusCode::OK, &first.text));
    for answer in [&first, &kept] {
        assert!(answer.header(header::CONTENT_SECURITY_POLICY).starts_with("default-src 'self'"));
        assert_eq!(answer.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(answer.header(header::X_FRAME_OPTIONS), "DENY");
        assert!(answer.header(header::CACHE_CONTROL).starts_with("public"));
        let id = answer.header(header::HeaderName::from_static("x-request-id"));
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "a request id, got {id:?}");
    }
    let ids = [&first, &kept].map(|a| a.header(header::HeaderName::from_static("x-request-id")));
    assert_ne!(ids[0], ids[1], "each answer has its own id");
    // A client's own id comes back, from the cache as from the stack.
    let mine = send(&router, Method::GET, &path, None, &[("x-request-id", "client-42".into())]).await;
    assert_eq!(mine.header(header::HeaderName::from_static("x-request-id")), "client-42");
    // A browser's query goes through the cross-site check, which refuses it from elsewhere.
    let body = r#"{"package":{"ecosystem":"crates.io","name":"x"}}"#;
    let cross =
        send(&router, Method::POST, "/osv/v1/query", Some(body), &[("sec-fetch-site", "cross-site".into())]).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    w.finish().await;
}
