//! Publish when the fix merges (issue 11, item 1): forge webhook deliveries
//! from the real payloads in `EMBARGO_CONFORMANCE_DIR/forges/`, signed in the
//! test by Python's `hmac` (not our code), link reports to their pull or
//! merge request; a merged one moves the report to fixed and publishes its
//! advisory as the policy says (or schedules it before an embargo end), and
//! the lab is asked to verify the fix. Unsigned, wrongly signed, replayed and
//! unrelated deliveries change nothing. Git polling reads a real bare
//! repository with real `git`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use axum::body::Body;
use embargo_testkit::Backend;
use http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::fixture::World;

const SECRET: &str = "It's a Secret to Everybody";

fn conformance(file: &str) -> Value {
    let dir = std::env::var("EMBARGO_CONFORMANCE_DIR").expect("EMBARGO_CONFORMANCE_DIR");
    let path = PathBuf::from(dir).join("forges").join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// The hex HMAC-SHA256 of `body` under `secret`, by Python's `hmac` module.
fn python_hmac(secret: &str, body: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import hmac, hashlib, sys; \
             print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            secret,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// GitHub's closed pull request, merged as GitHub sends a merged one, titled `title`.
fn github_merged(title: &str, merged: bool) -> Value {
    let mut payload = conformance("github/pull_request.closed.payload.json");
    let sender = payload["sender"].clone();
    let pr = &mut payload["pull_request"];
    pr["title"] = json!(title);
    pr["merged"] = json!(merged);
    if merged {
        pr["merged_at"] = json!("2026-05-04T08:59:00Z");
        pr["merged_by"] = sender;
    }
    payload
}

/// Posts `payload` to `forge`'s hook of pallets/flask with `headers`.
async fn deliver(w: &World, forge: &str, payload: &[u8], headers: &[(&str, String)]) -> embargo_testkit::Reply {
    deliver_to(w, "flask", forge, payload, headers).await
}

async fn deliver_to(
    w: &World,
    project: &str,
    forge: &str,
    payload: &[u8],
    headers: &[(&str, String)],
) -> embargo_testkit::Reply {
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/projects/pallets/{project}/hooks/{forge}"))
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    w.t.send(request.body(Body::from(payload.to_vec())).unwrap()).await
}

fn github_headers(body: &[u8], delivery: &str, event: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-github-event", event.to_owned()),
        ("x-github-delivery", delivery.to_owned()),
        ("user-agent", "GitHub-Hookshot/123abc".to_owned()),
        ("x-hub-signature-256", format!("sha256={}", python_hmac(SECRET, body))),
    ]
}

async fn set_secret(w: &World, forge: &str) {
    let path = format!("/api/v1/projects/pallets/flask/hooks/{forge}");
    let set = w.t.put(&path, json!({"secret": SECRET}), &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(set.json["set"], true);
    assert!(!set.text.contains(SECRET), "the secret is never echoed");
}

async fn state_of(w: &World, report: &str) -> String {
    let seen = w.t.get(&format!("/api/v1/reports/{report}"), &w.flask_team).await.expect(StatusCode::OK);
    seen.json["state"].as_str().unwrap().to_owned()
}

async fn advisory_state(w: &World, advisory: &str) -> String {
    let seen = w.t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
    seen.json["state"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn secrets_are_set_by_the_team_shown_once_and_never_read_back() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let path = "/api/v1/projects/pallets/flask/hooks/gitlab";
        let unset = w.t.get(path, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(unset.json, json!({"forge": "gitlab", "set": false, "set_at": null}));

        // Without a secret, Embargo makes one and shows it this once.
        let made = w.t.put(path, json!({}), &w.flask_team).await.expect(StatusCode::OK);
        let secret = made.json["secret"].as_str().unwrap().to_owned();
        assert_eq!(secret.len(), 64, "{secret}");
        let read = w.t.get(path, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(read.json["set"], true);
        assert!(!read.text.contains(&secret));

        // Rotating replaces it: the old one no longer verifies.
        let body = serde_json::to_vec(&conformance("gitlab/pull_request_merge.json")).unwrap();
        let old = vec![("x-gitlab-event", "Merge Request Hook".to_owned()), ("x-gitlab-token", secret.clone())];
        deliver(&w, "gitlab", &body, &old).await.expect(StatusCode::OK);
        w.t.put(path, json!({"secret": "the-rotated-gitlab-secret"}), &w.flask_team).await.expect(StatusCode::OK);
        deliver(&w, "gitlab", &body, &old).await.expect(StatusCode::FORBIDDEN);

        // Bad secrets are refused and change nothing; unknown forges are not found.
        for bad in ["short", "line\nbreak in a long secret", "ünïcödé ünïcödé ünïcödé"] {
            let reply = w.t.put(path, json!({"secret": bad}), &w.flask_team).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.text);
        }
        let token = vec![("x-gitlab-token", "the-rotated-gitlab-secret".to_owned())];
        deliver(&w, "gitlab", &body, &token).await.expect(StatusCode::OK);
        w.t.get("/api/v1/projects/pallets/flask/hooks/bitbucket", &w.flask_team).await.expect(StatusCode::NOT_FOUND);
        let audit = w.t.get("/api/v1/audit/events", &w.admin).await.expect(StatusCode::OK);
        let set = audit.json.as_array().unwrap().iter().filter(|e| e["action"] == "project.forge_secret_set").count();
        assert_eq!(set, 2);
        assert!(!audit.text.contains("the-rotated-gitlab-secret") && !audit.text.contains(&secret));
        w.finish().await;
    }
}

#[tokio::test]
async fn a_merged_github_request_naming_the_advisory_fixes_and_publishes_with_credit() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        set_secret(&w, "github").await;
        let (report, advisory) = w.drafted("MARKER-TITLE-5e1d parser overflow").await;
        assert!(advisory.starts_with("PALLETS-2026-"), "{advisory}");
        w.t.run_jobs().await;

        // Opened (here: closed unmerged, as the example is): linked, nothing moves.
        let title = format!("Bound the header parser (fixes {advisory})");
        let open = serde_json::to_vec(&github_merged(&title, false)).unwrap();
        let reply = deliver(&w, "github", &open, &github_headers(&open, "d-open", "pull_request")).await;
        assert_eq!(reply.expect(StatusCode::OK).json, json!({"status": "taken", "linked": 1, "merged": 0}));
        w.t.run_jobs().await;
        assert_eq!(state_of(&w, &report).await, "accepted");
        let fix = w.t.get(&format!("/api/v1/reports/{report}/fix"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(fix.json["fix_url"], "https://github.com/Codertocat/Hello-World/pull/2");
        assert_eq!(fix.json["merged"], false);

        // Unsigned, wrongly signed, for another project or forge: refused, nothing changes.
        let merged = serde_json::to_vec(&github_merged(&title, true)).unwrap();
        let mut unsigned = github_headers(&merged, "d-merge", "pull_request");
        unsigned.retain(|(n, _)| *n != "x-hub-signature-256");
        deliver(&w, "github", &merged, &unsigned).await.expect(StatusCode::UNAUTHORIZED);
        let mut wrong = github_headers(&merged, "d-merge", "pull_request");
        wrong[3].1 = format!("sha256={}", python_hmac("not the secret at all", &merged));
        deliver(&w, "github", &merged, &wrong).await.expect(StatusCode::FORBIDDEN);
        let signed = github_headers(&merged, "d-merge", "pull_request");
        // Signed for flask's body, but the open request's body sent: the signature does not match.
        deliver(&w, "github", &open, &signed).await.expect(StatusCode::FORBIDDEN);
        deliver_to(&w, "jinja", "github", &merged, &signed).await.expect(StatusCode::FORBIDDEN);
        deliver_to(&w, "nosuch", "github", &merged, &signed).await.expect(StatusCode::NOT_FOUND);
        deliver(&w, "bitbucket", &merged, &signed).await.expect(StatusCode::NOT_FOUND);
        w.t.run_jobs().await;
        assert_eq!(state_of(&w, &report).await, "accepted");
        assert_eq!(advisory_state(&w, &advisory).await, "draft");

        // Merged: fixed, then published (the default policy discloses once the fix is public).
        let reply = deliver(&w, "github", &merged, &signed).await.expect(StatusCode::OK);
        assert_eq!(reply.json, json!({"status": "taken", "linked": 1, "merged": 1}));
        assert!(!reply.text.contains("MARKER") && !reply.text.contains(&title));
        w.t.run_jobs().await;
        assert_eq!(state_of(&w, &report).await, "disclosed");
        let published = w.t.get(&format!("/api/v1/advisories/{advisory}"), &w.alice).await.expect(StatusCode::OK);
        assert_eq!(published.json["state"], "published");
        let credits: Vec<&str> = published.json["published"]["content"]["credits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(credits, ["alice"]);
        let fix = w.t.get(&format!("/api/v1/reports/{report}/fix"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(fix.json["merged"], true);
        assert_eq!(fix.json["commit"], "c4295bd74fb0f4fda03689c3df3f2803b658fd85");
        assert_eq!(fix.json["source"], "github");

        // Replayed, or merged again under a new id: nothing more happens.
        let again = deliver(&w, "github", &merged, &signed).await.expect(StatusCode::OK);
        assert_eq!(again.json["status"], "replayed");
        let fresh = github_headers(&merged, "d-merge-2", "pull_request");
        assert_eq!(deliver(&w, "github", &merged, &fresh).await.expect(StatusCode::OK).json["status"], "ignored");
        w.t.run_jobs().await;
        let audit = w.t.get(&format!("/api/v1/audit/events?report={report}"), &w.admin).await.expect(StatusCode::OK);
        let moved: Vec<&Value> =
            audit.json.as_array().unwrap().iter().filter(|e| e["action"] == "report.transitioned").collect();
        let to: Vec<&str> = moved.iter().map(|e| e["details"]["to"].as_str().unwrap_or("")).collect();
        assert_eq!(to.iter().filter(|t| **t == "fixed").count(), 1, "{to:?}");
        assert_eq!(to.iter().filter(|t| **t == "disclosed").count(), 1, "{to:?}");
        w.finish().await;
    }
}

#[tokio::test]
async fn a_team_linked_gitlab_merge_request_before_an_embargo_end_schedules_publication() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        w.t.put(
            "/api/v1/projects/pallets/flask/hooks/gitlab",
            json!({"secret": "a-gitlab-token-of-length"}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::OK);
        let (report, advisory) = w.drafted("the report").await;
        let path = format!("/api/v1/reports/{report}");
        w.t.patch(&path, json!({"embargo_until": "2026-05-11T09:00:00Z"}), &w.flask_team).await.expect(StatusCode::OK);

        // Linking is the team's; a bad URL is refused and changes nothing.
        let url = "https://gitlab.com/gitlab-org/hello-world/merge_requests/1";
        w.t.patch(&path, json!({"fix_url": url}), &w.alice).await.expect(StatusCode::FORBIDDEN);
        let bad = w.t.patch(&path, json!({"fix_url": "javascript:alert(1)"}), &w.flask_team).await;
        bad.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let fix = w.t.get(&format!("{path}/fix"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(fix.json["fix_url"].is_null());
        w.t.patch(&path, json!({"fix_url": url}), &w.flask_team).await.expect(StatusCode::OK);
        w.t.get(&format!("{path}/fix"), &w.alice).await.expect(StatusCode::NOT_FOUND);

        // GitLab's merged request (it names no id: the team's link ties it).
        let body = serde_json::to_vec(&conformance("gitlab/pull_request_merge.json")).unwrap();
        let headers = vec![
            ("x-gitlab-event", "Merge Request Hook".to_owned()),
            ("x-gitlab-token", "a-gitlab-token-of-length".to_owned()),
            ("x-gitlab-event-uuid", "13792a34-cac6-4fda-95a8-c58e00a3954e".to_owned()),
        ];
        let reply = deliver(&w, "gitlab", &body, &headers).await.expect(StatusCode::OK);
        assert_eq!(reply.json["merged"], 1);
        w.t.run_jobs().await;
        assert_eq!(state_of(&w, &report).await, "fixed");
        assert_eq!(advisory_state(&w, &advisory).await, "draft", "the embargo end lies ahead");

        // At the embargo end, the scheduled publication publishes.
        w.t.clock().set(time::macros::datetime!(2026-05-11 09:00 UTC));
        w.t.run_jobs().await;
        assert_eq!(advisory_state(&w, &advisory).await, "published");
        assert_eq!(state_of(&w, &report).await, "disclosed");
        w.finish().await;
    }
}

#[tokio::test]
async fn gitea_and_forgejo_sign_with_their_own_headers_and_unrelated_deliveries_are_ignored() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        for forge in ["gitea", "forgejo"] {
            w.t.put(
                &format!("/api/v1/projects/pallets/flask/hooks/{forge}"),
                json!({"secret": format!("{forge}-secret-of-some-length")}),
                &w.flask_team,
            )
            .await
            .expect(StatusCode::OK);
        }
        let (gitea_report, _) = w.drafted("first").await;
        let (forgejo_report, _) = w.drafted("second").await;
        let (jinja_report, _) = w.report("jinja", &w.bob, "jinja's").await;

        // Gitea's merged request names the report by its id.
        let mut payload = conformance("gitea/pull_request_merged.json");
        payload["pull_request"]["body"] = json!(format!("Fixes {gitea_report} and {jinja_report}."));
        let body = serde_json::to_vec(&payload).unwrap();
        let signature = python_hmac("gitea-secret-of-some-length", &body);
        let headers = vec![
            ("x-gitea-event", "pull_request".to_owned()),
            ("x-gitea-delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473".to_owned()),
            ("x-gitea-signature", signature.clone()),
        ];
        // A GitHub-style prefix is not Gitea's signature.
        let prefixed = vec![("x-gitea-signature", format!("sha256={signature}"))];
        deliver(&w, "gitea", &body, &prefixed).await.expect(StatusCode::FORBIDDEN);
        let reply = deliver(&w, "gitea", &body, &headers).await.expect(StatusCode::OK);
        assert_eq!(reply.json, json!({"status": "taken", "linked": 1, "merged": 1}), "jinja's report is not flask's");

        // Forgejo: the same shape, its own header and secret.
        payload["pull_request"]["body"] = json!(format!("Fixes {forgejo_report}"));
        payload["pull_request"]["html_url"] = json!("https://codeberg.example/pallets/flask/pulls/2");
        let body = serde_json::to_vec(&payload).unwrap();
        let headers = vec![
            ("x-forgejo-event", "pull_request".to_owned()),
            ("x-forgejo-delivery", "0b7e51a4-4c0e-4a83-a2a3-2d8a5e0b1c11".to_owned()),
            ("x-forgejo-signature", python_hmac("forgejo-secret-of-some-length", &body)),
        ];
        deliver(&w, "gitea", &body, &headers).await.expect(StatusCode::UNAUTHORIZED);
        deliver(&w, "forgejo", &body, &headers).await.expect(StatusCode::OK);

        // Unrelated: a push to the default branch naming nothing, a request naming nothing, not JSON.
        let push = serde_json::to_vec(&conformance("gitea/push.json")).unwrap();
        let push_headers = vec![
            ("x-gitea-signature", python_hmac("gitea-secret-of-some-length", &push)),
            ("x-gitea-delivery", "p1".to_owned()),
        ];
        assert_eq!(deliver(&w, "gitea", &push, &push_headers).await.expect(StatusCode::OK).json["status"], "ignored");
        let junk = b"payload=%7B%7D".to_vec();
        let junk_headers = vec![("x-gitea-signature", python_hmac("gitea-secret-of-some-length", &junk))];
        deliver(&w, "gitea", &junk, &junk_headers).await.expect(StatusCode::BAD_REQUEST);

        w.t.run_jobs().await;
        assert_eq!(state_of(&w, &gitea_report).await, "disclosed");
        assert_eq!(state_of(&w, &forgejo_report).await, "disclosed");
        let jinja = w.t.get(&format!("/api/v1/reports/{jinja_report}"), &w.jinja_team).await.expect(StatusCode::OK);
        assert_eq!(jinja.json["state"], "new");
        w.finish().await;
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Maintainer")
        .env("GIT_AUTHOR_EMAIL", "maintainer@pallets.example")
        .env("GIT_COMMITTER_NAME", "Maintainer")
        .env("GIT_COMMITTER_EMAIL", "maintainer@pallets.example")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn commit(work: &Path, file: &str, message: &str) -> String {
    std::fs::write(work.join(file), message).unwrap();
    git(work, &["add", file]);
    git(work, &["commit", "-q", "-m", message]);
    git(work, &["push", "-q", "origin", "main"]);
    git(work, &["rev-parse", "HEAD"])
}

#[tokio::test]
async fn git_polling_finds_the_fix_commit_and_the_lab_is_asked_to_verify_it() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("flask.git");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        git(dir.path(), &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()]);
        git(&work, &["init", "-q", "-b", "main"]);
        git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
        commit(&work, "README", "Initial commit");
        let lab =
            format!("[lab]\nrepository = \"{}\"\n[[lab.lines]]\nname = \"3.1\"\nref = \"main\"\n", bare.display());
        w.t.policy("pallets/flask", &lab).await;

        let (named, advisory) = w.drafted("named by its advisory").await;
        let (linked, _) = w.drafted("linked by its commit").await;
        let (unrelated, _) = w.drafted("never fixed").await;
        w.t.run_jobs().await;

        // Refused settings change nothing.
        let path = "/api/v1/projects/pallets/flask/fix-polling";
        for (repository, branch) in [("-uhack", "main"), ("relative/path", "main"), ("/srv/x.git", "-f")] {
            let reply = w.t.put(path, json!({"repository": repository, "branch": branch}), &w.flask_team).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{repository} {branch}: {}", reply.text);
        }
        w.t.get(path, &w.flask_team).await.expect(StatusCode::NOT_FOUND);
        let set = json!({"repository": bare.to_str().unwrap(), "branch": "main"});
        w.t.put(path, set.clone(), &w.alice).await.expect(StatusCode::FORBIDDEN);
        w.t.put(path, set, &w.flask_team).await.expect(StatusCode::OK);
        w.t.run_jobs().await;
        let polled = w.t.get(path, &w.flask_team).await.expect(StatusCode::OK);
        assert!(polled.json["last_error"].is_null(), "{}", polled.text);
        assert_eq!(polled.json["last_commit"].as_str().unwrap().len(), 40);

        // A fix commit naming the advisory, and one the team linked by URL.
        let fix = commit(&work, "parser.py", &format!("Bound the header parser\n\nFixes {advisory}."));
        let other = commit(&work, "cookies.py", "Quote cookie values");
        let url = format!("https://git.pallets.example/flask/commit/{}", &other[..12]);
        w.t.patch(&format!("/api/v1/reports/{linked}"), json!({"fix_url": url}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        w.t.clock().advance(embargo_app::POLL_EVERY);
        w.t.run_jobs().await;
        assert_eq!(state_of(&w, &named).await, "disclosed");
        assert_eq!(state_of(&w, &linked).await, "disclosed");
        assert_eq!(state_of(&w, &unrelated).await, "accepted");
        let seen = w.t.get(&format!("/api/v1/reports/{named}/fix"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(seen.json["commit"], fix.as_str());
        assert_eq!(seen.json["source"], "git");

        // The lab was asked to run the PoC against the fix commit.
        let runs = w.t.get(&format!("/api/v1/reports/{named}/lab"), &w.flask_team).await.expect(StatusCode::OK);
        let refs: Vec<&str> = runs.json["runs"].as_array().unwrap().iter().filter_map(|r| r["ref"].as_str()).collect();
        assert!(refs.contains(&fix.as_str()), "{refs:?}");

        // Polling goes on; a poll that finds nothing new changes nothing.
        w.t.clock().advance(embargo_app::POLL_EVERY);
        w.t.run_jobs().await;
        assert_eq!(state_of(&w, &unrelated).await, "accepted");
        w.finish().await;
    }
}

#[tokio::test]
async fn the_forges_page_sets_secrets_and_polling_without_javascript() {
    let w = World::new().await;
    let page = w.t.get("/pallets/flask/team/forges", &w.flask_team).await.expect(StatusCode::OK);
    assert!(page.text.contains("Not set: deliveries are refused"));
    assert!(page.text.contains("/api/v1/projects/pallets/flask/hooks/github"));
    let team = w.t.get("/pallets/flask/team", &w.flask_team).await.expect(StatusCode::OK);
    assert!(team.text.contains("/pallets/flask/team/forges"));

    // A secret the team gives is never shown; one Embargo makes is shown once.
    let set = w.t.form("/pallets/flask/team/forges", &[("forge", "github"), ("secret", SECRET)], &w.flask_team).await;
    set.expect(StatusCode::SEE_OTHER);
    let page = w.t.get("/pallets/flask/team/forges", &w.flask_team).await.expect(StatusCode::OK);
    assert!(!page.text.contains(SECRET) && !page.text.contains("It&#x27;s a Secret"));
    let made = w.t.form("/pallets/flask/team/forges", &[("forge", "gitlab"), ("secret", "")], &w.flask_team).await;
    let made = made.expect(StatusCode::OK);
    assert!(made.text.contains("forge-secret"), "{}", made.text);
    let again = w.t.get("/pallets/flask/team/forges", &w.flask_team).await.expect(StatusCode::OK);
    assert!(!again.text.contains("forge-secret"));

    // Refused forms come back with the problem, and store nothing.
    let before = w.t.get("/api/v1/projects/pallets/flask/hooks/forgejo", &w.flask_team).await.expect(StatusCode::OK);
    let short =
        w.t.form("/pallets/flask/team/forges", &[("forge", "forgejo"), ("secret", "short")], &w.flask_team).await;
    let short = short.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text.contains("There is a problem"));
    let after = w.t.get("/api/v1/projects/pallets/flask/hooks/forgejo", &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(before.json, after.json);
    let unknown = w.t.form("/pallets/flask/team/forges", &[("forge", "svn"), ("secret", "")], &w.flask_team).await;
    unknown.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let bad =
        w.t.form("/pallets/flask/team/fix-polling", &[("repository", "-oops"), ("branch", "main")], &w.flask_team);
    let bad = bad.await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("-oops"), "the typed value is kept");
    w.t.get("/api/v1/projects/pallets/flask/fix-polling", &w.flask_team).await.expect(StatusCode::NOT_FOUND);
    w.finish().await;
}
