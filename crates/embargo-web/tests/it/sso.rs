//! Single sign-on with OpenID Connect (issue 12, item 2), against a real
//! provider: the certified `oidc-provider` package run by
//! `tests/peers/oidc_provider.mjs` on a loopback port. The test is the
//! browser: Embargo's sign-in link, the provider's login and consent forms,
//! then Embargo's callback. Linking, account creation, the group mapping and
//! the second factor are checked as a person would see them; a changed
//! state, a changed nonce, a wrong issuer, an unverified address and a
//! replayed callback are refused and change nothing.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::ConnectInfo;
use embargo_app::sso::SsoSettings;
use embargo_app::{App, InstanceSettings, TeamRef};
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_outbound::oidc::OidcProvider;
use embargo_testkit::{Auth, Backend, Reply, TestApp, slug_of};
use embargo_web::WebConfig;
use http::{Request, StatusCode, header};
use serde_json::Value;

/// Embargo's callback as registered at the provider (the default public URL).
const CALLBACK: &str = "http://127.0.0.1:8080/login/sso/callback";

/// The provider, killed when dropped.
struct Provider {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    /// Kept open: the provider may write more, and a closed pipe would end it.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Provider {
    fn start() -> Provider {
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oidc_provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .args(["embargo", "s3cret-client", CALLBACK])
            .arg(dir.path().join("groups.json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the OpenID provider (.ci/run installs oidc-provider into ~/.local/share/oidc-provider)");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("the provider did not start: {line:?}"));
        Provider { child, port, dir, _stdout: stdout }
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sets the groups the provider gives `login` from now on.
    fn set_groups(&self, groups: &[(&str, &[&str])]) {
        let map: BTreeMap<&str, &[&str]> = groups.iter().copied().collect();
        std::fs::write(self.dir.path().join("groups.json"), serde_json::to_string(&map).unwrap()).unwrap();
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Single sign-on through the provider at `issuer`, the group
/// `flask-security` mapped to the pallets/flask team.
fn wire(issuer: String, create_accounts: bool) -> impl FnOnce(App) -> App {
    let provider = OidcProvider {
        http: embargo_outbound::HttpClient::new(true),
        issuer,
        client_id: "embargo".into(),
        client_secret: Private::new("s3cret-client".into()),
        redirect_uri: CALLBACK.into(),
        scopes: vec!["openid".into(), "email".into(), "profile".into(), "groups".into()],
        group_claim: Some("groups".into()),
    };
    let settings = SsoSettings {
        display_name: "Test IdP".into(),
        create_accounts,
        groups: vec![("flask-security".into(), TeamRef::Project(slug_of("pallets"), slug_of("flask")))],
    };
    move |app| app.with_sso(Arc::new(provider), settings)
}

async fn instance(backend: Backend, issuer: String, create_accounts: bool) -> TestApp {
    let t = TestApp::on_with(backend, WebConfig::default(), wire(issuer, create_accounts)).await;
    t.organisation("pallets").await;
    t.project("pallets", "flask").await;
    t
}

/// The browser's side at the provider: a cookie jar, no redirect followed by itself.
struct Browser {
    http: reqwest::Client,
    jar: Mutex<BTreeMap<String, String>>,
}

impl Browser {
    fn new() -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { http, jar: Mutex::default() }
    }

    fn cookie_header(&self) -> String {
        self.jar.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&self, response: &reqwest::Response) {
        let mut jar = self.jar.lock().unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        let response = self.http.get(url).header(header::COOKIE, self.cookie_header()).send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    async fn post(&self, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .http
            .post(url)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep_cookies(&response);
        response
    }

    /// From the provider's authorization URL through its login (as `login`)
    /// and consent forms, to the redirect back to Embargo's callback.
    async fn through_provider(&self, url: &str, login: &str) -> String {
        let origin: String = url.split('/').take(3).collect::<Vec<_>>().join("/");
        let absolute =
            |location: String| if location.starts_with('/') { format!("{origin}{location}") } else { location };
        let mut next = url.to_owned();
        for _ in 0..12 {
            if next.starts_with(CALLBACK) {
                return next;
            }
            let response = self.get(&next).await;
            if response.status().is_redirection() {
                next = absolute(location_of(response.headers()));
                continue;
            }
            assert_eq!(response.status(), StatusCode::OK, "the provider's page at {next}");
            let page = response.text().await.unwrap();
            let action = absolute(between(&page, "action=\"", "\""));
            let prompt = between(&page, "name=\"prompt\" value=\"", "\"");
            let answer = match prompt.as_str() {
                "login" => self.post(&action, &[("prompt", "login"), ("login", login), ("password", "any")]).await,
                "consent" => self.post(&action, &[("prompt", "consent")]).await,
                other => panic!("unexpected prompt {other:?}: {page}"),
            };
            assert!(answer.status().is_redirection(), "the provider took the {prompt} form");
            next = absolute(location_of(answer.headers()));
        }
        panic!("the provider never sent the browser back to Embargo");
    }
}

fn location_of(headers: &http::HeaderMap) -> String {
    headers.get(header::LOCATION).expect("a Location").to_str().unwrap().to_owned()
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?} in {text}")) + start.len();
    let rest = &text[from..];
    rest[..rest.find(end).unwrap_or(rest.len())].to_owned()
}

/// The binding cookie a reply sets.
fn sso_cookie(reply: &Reply) -> Option<String> {
    reply.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let value = v.strip_prefix("embargo_sso=")?;
        Some(value.split(';').next()?.to_owned()).filter(|v| !v.is_empty())
    })
}

/// Clicks "Sign in with Test IdP": the provider's URL and the binding cookie.
async fn begin(t: &TestApp) -> (String, String) {
    let reply = t.get("/login/sso?next=/reports", &Auth::None).await.expect(StatusCode::SEE_OTHER);
    let binding = sso_cookie(&reply).expect("a binding cookie");
    (location_of(&reply.headers), binding)
}

/// The provider's redirect arriving at Embargo with the browser's binding cookie.
async fn arrive(t: &TestApp, callback: &str, binding: Option<&str>) -> Reply {
    let path = callback.strip_prefix("http://127.0.0.1:8080").unwrap();
    let mut request = Request::get(path);
    if let Some(binding) = binding {
        request = request.header(header::COOKIE, format!("embargo_sso={binding}"));
    }
    t.send(request.body(Body::empty()).unwrap()).await
}

/// A whole sign-in as `login`: Embargo's answer to the callback.
async fn sign_in(t: &TestApp, login: &str) -> Reply {
    let (url, binding) = begin(t).await;
    let callback = Browser::new().through_provider(&url, login).await;
    arrive(t, &callback, Some(&binding)).await
}

async fn whoami(t: &TestApp, reply: &Reply) -> Value {
    let session = reply.session_cookie().expect("signed in");
    t.get("/api/v1/session", &Auth::Session(session)).await.expect(StatusCode::OK).json
}

fn teams(me: &Value) -> Vec<String> {
    me["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}/{}", m["organisation"].as_str().unwrap(), m["project"].as_str().unwrap_or("")))
        .collect()
}

async fn user_count(t: &TestApp) -> usize {
    t.app.users(&Actor::Operator).await.unwrap().len()
}

async fn audit_actions(t: &TestApp) -> Vec<(String, Value)> {
    let query = embargo_app::AuditQuery { limit: Some(500), ..Default::default() };
    let events = t.app.audit_events(&Actor::Operator, query).await.unwrap();
    events.iter().map(|e| (e.action.clone(), serde_json::from_str(&e.details).unwrap())).collect()
}

#[tokio::test]
async fn signs_in_through_a_real_provider_links_by_verified_address_and_maps_groups_issue_12() {
    for backend in Backend::available() {
        let provider = Provider::start();
        let t = instance(backend, provider.issuer(), true).await;
        let bob = t.user("bob@idp.test", false).await;
        let bob_id = t.get("/api/v1/session", &bob).await.json["user"]["id"].clone();
        t.member("pallets/flask", "bob@idp.test").await;

        // The sign-in page offers the provider as a plain link.
        let login = t.get("/login", &Auth::None).await.expect(StatusCode::OK);
        assert!(login.text.contains("Sign in with Test IdP"), "{}", login.text);
        assert!(login.text.contains("href=\"/login/sso\""), "{}", login.text);

        // A first sign-in makes an account, and the group puts it on the flask team.
        let before = user_count(&t).await;
        let reply = sign_in(&t, "alice").await.expect(StatusCode::SEE_OTHER);
        assert_eq!(location_of(&reply.headers), "/reports");
        let me = whoami(&t, &reply).await;
        assert_eq!(me["user"]["email"], "alice@idp.test");
        assert_eq!(me["user"]["name"], "Person alice");
        assert_eq!(teams(&me), vec!["pallets/flask"]);
        assert_eq!(user_count(&t).await, before + 1);

        // An account with the provider's verified address is linked, not duplicated.
        let reply = sign_in(&t, "bob").await.expect(StatusCode::SEE_OTHER);
        let me = whoami(&t, &reply).await;
        assert_eq!(me["user"]["id"], bob_id);
        assert_eq!(me["user"]["name"], "bob", "the account keeps its own name");
        assert_eq!(user_count(&t).await, before + 1);

        // Leaving the group takes back what the group gave, never what was given by hand.
        provider.set_groups(&[("alice", &[]), ("bob", &["unrelated"])]);
        let me = whoami(&t, &sign_in(&t, "alice").await.expect(StatusCode::SEE_OTHER)).await;
        assert!(teams(&me).is_empty(), "{me}");
        let me = whoami(&t, &sign_in(&t, "bob").await.expect(StatusCode::SEE_OTHER)).await;
        assert_eq!(teams(&me), vec!["pallets/flask"], "bob was put on the team by hand");

        let actions = audit_actions(&t).await;
        let count = |name: &str| actions.iter().filter(|(a, d)| a == name && d["via"] == "oidc").count();
        assert_eq!(actions.iter().filter(|(a, _)| a == "oidc.linked").count(), 2, "{actions:?}");
        assert_eq!(count("user.created"), 1);
        assert_eq!(count("member.added"), 1);
        assert_eq!(count("member.removed"), 1);

        // A second factor the instance requires of team members still applies after the provider.
        provider.set_groups(&[]);
        let settings = t.app.settings().await.unwrap();
        let required = InstanceSettings { second_factor_required: true, ..settings };
        t.app.update_settings(&Actor::Operator, required).await.unwrap();
        let reply = sign_in(&t, "alice").await.expect(StatusCode::SEE_OTHER);
        assert!(location_of(&reply.headers).starts_with("/login/enrol"), "{:?}", reply.headers);
        let session = reply.session_cookie().unwrap();
        t.get("/api/v1/session", &Auth::Session(session)).await.expect(StatusCode::UNAUTHORIZED);
        t.finish().await;
    }
}

#[tokio::test]
async fn a_changed_state_or_nonce_a_wrong_issuer_or_an_unverified_address_is_refused_and_changes_nothing_issue_12() {
    for backend in Backend::available() {
        let provider = Provider::start();
        let t = instance(backend, provider.issuer(), true).await;
        t.user("carol@idp.test", false).await;
        let users = user_count(&t).await;
        let events = audit_actions(&t).await.len();

        // A changed state is refused; the real answer still works afterwards, once.
        let (url, binding) = begin(&t).await;
        let callback = Browser::new().through_provider(&url, "dave").await;
        let state = between(&callback, "state=", "&");
        let forged = callback.replace(&format!("state={state}"), "state=forged");
        let reply = arrive(&t, &forged, Some(&binding)).await.expect(StatusCode::BAD_REQUEST);
        assert!(reply.session_cookie().is_none());
        assert!(reply.text.contains("did not come back as it was sent"), "{}", reply.text);
        arrive(&t, &callback, None).await.expect(StatusCode::BAD_REQUEST);
        let (other_url, other_binding) = begin(&t).await;
        drop(other_url);
        arrive(&t, &callback, Some(&other_binding)).await.expect(StatusCode::BAD_REQUEST);
        assert_eq!((user_count(&t).await, audit_actions(&t).await.len()), (users, events), "nothing changed");
        arrive(&t, &callback, Some(&binding)).await.expect(StatusCode::SEE_OTHER);
        let replay = arrive(&t, &callback, Some(&binding)).await.expect(StatusCode::BAD_REQUEST);
        assert!(replay.text.contains("expired or was already used"), "{}", replay.text);
        let users = user_count(&t).await;
        let events = audit_actions(&t).await.len();

        // A nonce changed on the way to the provider comes back in the ID token: refused.
        let (url, binding) = begin(&t).await;
        let nonce = between(&url, "nonce=", "&");
        let url = url.replace(&format!("nonce={nonce}"), "nonce=forged");
        let callback = Browser::new().through_provider(&url, "erin").await;
        let reply = arrive(&t, &callback, Some(&binding)).await.expect(StatusCode::FORBIDDEN);
        assert!(reply.session_cookie().is_none());
        assert!(reply.text.contains("nonce"), "{}", reply.text);

        // An address the provider has not verified links to no account.
        for _ in 0..2 {
            let reply = sign_in(&t, "unverified-carol").await.expect(StatusCode::FORBIDDEN);
            assert!(reply.text.contains("has not verified your e-mail address"), "{}", reply.text);
            assert!(reply.session_cookie().is_none());
        }
        // No address at all: refused too.
        sign_in(&t, "nomail").await.expect(StatusCode::FORBIDDEN);
        assert_eq!((user_count(&t).await, audit_actions(&t).await.len()), (users, events), "nothing changed");

        // An instance that names the issuer otherwise refuses the provider's metadata.
        let wrong = provider.issuer().replace("127.0.0.1", "localhost");
        let other = instance(backend, wrong, true).await;
        let reply = other.get("/login/sso", &Auth::None).await.expect(StatusCode::BAD_GATEWAY);
        assert!(sso_cookie(&reply).is_none());
        other.finish().await;

        // Without account creation, an unknown address is told to ask an administrator.
        let closed = instance(backend, provider.issuer(), false).await;
        let reply = sign_in(&closed, "frank").await.expect(StatusCode::FORBIDDEN);
        assert!(reply.text.contains("ask an administrator"), "{}", reply.text);
        assert_eq!(user_count(&closed).await, 0);
        closed.finish().await;
        t.finish().await;
    }
}

/// With a provider, anyone may start a sign-in, signed in or not (the page
/// matrix in `pages.rs` has them without one); a callback this browser did
/// not start is refused alike for every kind of viewer.
#[tokio::test]
async fn the_sign_in_routes_answer_every_kind_of_viewer_alike_issue_12() {
    let provider = Provider::start();
    let t = instance(Backend::Sqlite, provider.issuer(), true).await;
    let viewers = [Auth::None, t.user("reporter@example.org", false).await, t.user("admin@example.org", true).await, {
        let team = t.user("team@example.org", false).await;
        t.member("pallets/flask", "team@example.org").await;
        team
    }];
    for viewer in &viewers {
        let reply = t.get("/login/sso", viewer).await.expect(StatusCode::SEE_OTHER);
        assert!(location_of(&reply.headers).starts_with(&provider.issuer()));
        let reply = t.get("/login/sso/callback?state=a&code=b", viewer).await.expect(StatusCode::BAD_REQUEST);
        assert!(reply.session_cookie().is_none());
    }
    t.finish().await;
}

#[tokio::test]
async fn without_a_provider_the_sign_in_routes_are_not_found_issue_12() {
    let t = TestApp::new().await;
    t.get("/login/sso", &Auth::None).await.expect(StatusCode::NOT_FOUND);
    t.get("/login/sso/callback?state=a&code=b", &Auth::None).await.expect(StatusCode::NOT_FOUND);
    let login = t.get("/login", &Auth::None).await.expect(StatusCode::OK);
    assert!(!login.text.contains("/login/sso"));
    t.finish().await;
}

/// `GET /login/sso` from `peer`, as `serve` sees it.
async fn start_from(t: &TestApp, peer: &str) -> Reply {
    let mut request = Request::get("/login/sso").body(Body::empty()).unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    t.send(request).await
}

/// Each start keeps a pending sign-in in the database: a flood of starts from
/// one address is refused with 429 and `Retry-After` (other addresses still
/// start), and the address may start again once its lock has ended.
#[tokio::test]
async fn a_flood_of_sign_in_starts_from_one_address_gets_429_with_retry_after_issue_12() {
    let provider = Provider::start();
    for backend in Backend::available() {
        let t = instance(backend, provider.issuer(), true).await;
        for _ in 0..embargo_core::throttle::SSO_STARTS.max_failures {
            start_from(&t, "203.0.113.7:40000").await.expect(StatusCode::SEE_OTHER);
        }
        let refused = start_from(&t, "203.0.113.7:40001").await.expect(StatusCode::TOO_MANY_REQUESTS);
        let wait: i64 =
            refused.headers.get(header::RETRY_AFTER).expect("Retry-After").to_str().unwrap().parse().unwrap();
        assert!(wait > 0 && wait <= 600, "Retry-After {wait}");
        assert!(refused.text.contains("Too many attempts"), "{}", refused.text);
        assert!(sso_cookie(&refused).is_none(), "a refused start sets no binding cookie");
        start_from(&t, "198.51.100.9:40000").await.expect(StatusCode::SEE_OTHER);

        t.clock().advance(time::Duration::seconds(wait));
        start_from(&t, "203.0.113.7:40002").await.expect(StatusCode::SEE_OTHER);
        t.finish().await;
    }
}
