//! Test support, for dev-dependencies only: [`TestApp`] builds the real
//! router on a fresh database (SQLite always; PostgreSQL when
//! `EMBARGO_TEST_POSTGRES_URL` is set), with a manual clock, the real
//! OpenPGP signer and a notifier that records what would have been sent, and
//! calls it in-process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test support may unwrap and report on stderr (STYLE.md, Tests)"
)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use embargo_app::clock::ManualClock;
use embargo_app::entropy::OsEntropy;
use embargo_app::{App, AppConfig, JobsRun, NewAccount, Notice, Notifier, Subscribers};
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_store::seal::SecretKey;
use embargo_store::{DatabaseUrl, OpenOptions, Store};
use embargo_web::WebConfig;
use http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::Connection;
use tower::ServiceExt;

/// Which database a [`TestApp`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh schema on the server of `EMBARGO_TEST_POSTGRES_URL`.
    Postgres,
}

impl Backend {
    /// The backends to run a test on here: SQLite, and PostgreSQL when configured
    /// (a note on stderr says when it is not).
    pub fn available() -> Vec<Backend> {
        if std::env::var("EMBARGO_TEST_POSTGRES_URL").is_ok() {
            vec![Backend::Sqlite, Backend::Postgres]
        } else {
            eprintln!("EMBARGO_TEST_POSTGRES_URL is unset: the PostgreSQL half of this test did not run");
            vec![Backend::Sqlite]
        }
    }
}

/// A notifier that records every notice it is given.
#[derive(Debug, Default)]
pub struct RecordingNotifier(Mutex<Vec<Notice>>);

impl RecordingNotifier {
    /// Everything delivered so far.
    pub fn delivered(&self) -> Vec<Notice> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Notifier for RecordingNotifier {
    async fn deliver(&self, _app: &App, notice: &Notice) -> Result<(), embargo_app::DeliveryError> {
        self.0.lock().unwrap().push(notice.clone());
        Ok(())
    }
}

/// How a test request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credential.
    None,
    /// `Authorization: Bearer TOKEN` (an API or follow-up token).
    Bearer(String),
    /// The session cookie.
    Session(String),
    /// A private link's token in the pages' link cookie (as a browser holds it
    /// after opening a follow-up or share link).
    Link(String),
}

fn authorize(builder: http::request::Builder, auth: &Auth) -> http::request::Builder {
    match auth {
        Auth::None => builder,
        Auth::Bearer(token) => builder.header(header::AUTHORIZATION, format!("Bearer {token}")),
        Auth::Session(cookie) => builder.header(header::COOKIE, format!("{}={cookie}", embargo_web::SESSION_COOKIE)),
        Auth::Link(token) => builder.header(header::COOKIE, format!("embargo_link={token}")),
    }
}

/// An answer to a test request.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body, as JSON (`Value::Null` when empty or not JSON).
    pub json: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// The session cookie the answer sets, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
            let value = v.strip_prefix(&format!("{}=", embargo_web::SESSION_COOKIE))?;
            Some(value.split(';').next()?.to_owned()).filter(|v| !v.is_empty())
        })
    }

    /// Panics with the body when the status is not `expected`.
    #[track_caller]
    pub fn expect(self, expected: StatusCode) -> Reply {
        assert_eq!(self.status, expected, "unexpected status; body: {}", self.text);
        self
    }
}

enum Place {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { base: String, schema: String },
}

/// The whole application on a fresh database, called in-process.
pub struct TestApp {
    /// The use cases, for setting up fixtures directly.
    pub app: App,
    router: Router,
    clock: Arc<ManualClock>,
    notifier: Arc<RecordingNotifier>,
    store: Arc<dyn Store>,
    place: Place,
    /// The database and instance secret, for a second instance ([`TestApp::replica`]).
    opened: (DatabaseUrl, SecretKey, AppConfig),
    /// Which backend this instance runs on.
    pub backend: Backend,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestApp({:?})", self.backend)
    }
}

fn random_secret() -> SecretKey {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    SecretKey::from_bytes(bytes)
}

impl TestApp {
    /// A fresh instance on SQLite with default settings.
    pub async fn new() -> TestApp {
        TestApp::on(Backend::Sqlite, WebConfig::default()).await
    }

    /// A fresh instance on `backend` with `config`.
    pub async fn on(backend: Backend, config: WebConfig) -> TestApp {
        TestApp::on_with(backend, config, |app| app).await
    }

    /// A fresh instance on `backend` with `config`, its application first
    /// passed through `wire` (to add single sign-on, for instance).
    pub async fn on_with(backend: Backend, config: WebConfig, wire: impl FnOnce(App) -> App) -> TestApp {
        let (url, place) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                (DatabaseUrl::Sqlite(dir.path().join("embargo.db")), Place::Sqlite(dir))
            }
            Backend::Postgres => {
                let base = std::env::var("EMBARGO_TEST_POSTGRES_URL").expect("EMBARGO_TEST_POSTGRES_URL");
                let mut suffix = [0u8; 8];
                getrandom::fill(&mut suffix).unwrap();
                let schema = format!("embargo_t_{}", suffix.iter().map(|b| format!("{b:02x}")).collect::<String>());
                let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut admin).await.unwrap();
                admin.close().await.unwrap();
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
                (DatabaseUrl::Postgres(url), Place::Postgres { base, schema })
            }
        };
        let secret = random_secret();
        let (opened_url, opened_secret) = (url.clone(), secret.clone());
        let store = embargo_store::open(OpenOptions { url, secret, create: true }).await.unwrap();
        let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-05-04 09:00 UTC)));
        let app_config = AppConfig {
            session_ttl: config.session_ttl,
            public_url: config.public_url.clone(),
            ..AppConfig::default()
        };
        let opened = (opened_url, opened_secret, app_config.clone());
        let app = App::new(Arc::clone(&store), Arc::clone(&clock) as _, Arc::new(OsEntropy), app_config)
            .with_signer(Arc::new(embargo_mail::openpgp::OpenPgpSigner))
            // Test receivers listen on loopback.
            .with_outbound(Arc::new(embargo_outbound::HttpClient::new(true)))
            // Fix polling reads test repositories from local paths; fetched copies are cached by URL.
            .with_git(Arc::new(embargo_outbound::GitPoller::new(
                std::env::temp_dir().join("embargo-testkit-git"),
                true,
            )));
        let app = wire(app);
        let router = embargo_web::router(app.clone(), config);
        TestApp { app, router, clock, notifier: Arc::default(), store, place, opened, backend }
    }

    /// A second instance of the application on the same database (its own
    /// connection pool, the same instance secret and clock), as another
    /// replica would be: for tests of what replicas do once between them.
    pub async fn replica(&self) -> App {
        let (url, secret, config) = self.opened.clone();
        let store = embargo_store::open(OpenOptions { url, secret, create: false }).await.unwrap();
        App::new(store, Arc::clone(&self.clock) as _, Arc::new(OsEntropy), config)
            .with_signer(Arc::new(embargo_mail::openpgp::OpenPgpSigner))
            .with_outbound(Arc::new(embargo_outbound::HttpClient::new(true)))
    }

    /// The clock, to move time forward.
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// The notices delivered by [`TestApp::run_jobs`] so far.
    pub fn delivered(&self) -> Vec<Notice> {
        self.notifier.delivered()
    }

    /// Runs every due job once with the recording notifier.
    pub async fn run_jobs(&self) -> JobsRun {
        let notifier: Arc<dyn Notifier> = self.notifier.clone();
        self.app.run_due_jobs("test", &Subscribers::standard(notifier), 10_000).await.unwrap()
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>, auth: &Auth) -> Reply {
        let builder = authorize(Request::builder().method(method).uri(path), auth);
        let request = match body {
            Some(json) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&json).unwrap()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    /// Sends `body` as-is with `content_type`.
    pub async fn call_raw(&self, method: Method, path: &str, content_type: &str, body: &str, auth: &Auth) -> Reply {
        let builder =
            authorize(Request::builder().method(method).uri(path), auth).header(header::CONTENT_TYPE, content_type);
        self.send(builder.body(Body::from(body.to_owned())).unwrap()).await
    }

    /// Posts a page's form (`application/x-www-form-urlencoded`).
    pub async fn form(&self, path: &str, fields: &[(&str, &str)], auth: &Auth) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        self.call_raw(Method::POST, path, "application/x-www-form-urlencoded", &body, auth).await
    }

    /// Applies a policy file to `ORG` or `ORG/PROJECT` as the operator.
    pub async fn policy(&self, target: &str, file: &str) {
        self.app
            .apply_policy(
                &Actor::Operator,
                &embargo_app::PolicyTarget::parse(target).expect("ORG or ORG/PROJECT"),
                file,
            )
            .await
            .unwrap();
    }

    /// Sends a prepared request.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, json, text }
    }

    /// `GET`.
    pub async fn get(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::GET, path, None, auth).await
    }

    /// `POST` with a JSON body.
    pub async fn post(&self, path: &str, body: Value, auth: &Auth) -> Reply {
        self.call(Method::POST, path, Some(body), auth).await
    }

    /// `PATCH` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value, auth: &Auth) -> Reply {
        self.call(Method::PATCH, path, Some(body), auth).await
    }

    /// `PUT` with a JSON body.
    pub async fn put(&self, path: &str, body: Value, auth: &Auth) -> Reply {
        self.call(Method::PUT, path, Some(body), auth).await
    }

    /// `DELETE`.
    pub async fn delete(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::DELETE, path, None, auth).await
    }

    /// Makes an account directly (as the operator) and returns a signed-in session.
    pub async fn user(&self, email: &str, admin: bool) -> Auth {
        let account = NewAccount {
            email: email.to_owned(),
            name: email.split('@').next().unwrap_or(email).to_owned(),
            password: Private::new("correct horse battery staple".into()),
        };
        self.app.create_user(&Actor::Operator, account, admin).await.unwrap();
        self.sign_in(email).await
    }

    /// Signs an existing fixture user in.
    pub async fn sign_in(&self, email: &str) -> Auth {
        let reply = self
            .post(
                "/api/v1/session",
                serde_json::json!({"email": email, "password": "correct horse battery staple"}),
                &Auth::None,
            )
            .await
            .expect(StatusCode::OK);
        Auth::Session(reply.session_cookie().expect("a session cookie"))
    }

    /// Makes an organisation directly (as the operator).
    pub async fn organisation(&self, slug: &str) {
        let new = embargo_app::NewOrganisation { slug: slug.into(), name: slug.into(), advisory_prefix: None };
        self.app.create_organisation(&Actor::Operator, new).await.unwrap();
    }

    /// Makes a project directly (as the operator), shipping a PyPI package of its name.
    pub async fn project(&self, org: &str, slug: &str) {
        let new = embargo_app::NewProject {
            slug: slug.into(),
            name: slug.into(),
            repository_url: Some(format!("https://github.com/{org}/{slug}")),
            packages: vec![("PyPI".into(), slug.into())],
        };
        self.app.create_project(&Actor::Operator, &slug_of(org), new).await.unwrap();
    }

    /// Makes a key pair for an organisation (as `embargo mail key generate
    /// --org` does), which signs its security.txt; answers the public key.
    pub async fn org_key(&self, org: &str) -> String {
        let key = embargo_mail::openpgp::generate_key(&format!("{org} security <security@{org}.example>")).unwrap();
        let new = embargo_app::NewKey {
            fingerprint: key.fingerprint,
            public_key: key.public_key.clone(),
            secret_key: key.secret_key,
        };
        self.app
            .put_openpgp_key(&Actor::Operator, &embargo_app::KeyFor::Organisation(slug_of(org)), new)
            .await
            .unwrap();
        key.public_key
    }

    /// Puts `email` on a security team (`ORG` or `ORG/PROJECT`).
    pub async fn member(&self, team: &str, email: &str) {
        let team: embargo_core::text::OrgOrProject = team.parse().expect("ORG or ORG/PROJECT");
        let team = embargo_app::TeamRef::from(team);
        self.app.add_member(&Actor::Operator, &team, email).await.unwrap();
    }

    /// Every byte the database holds, as an attacker with a copy would have
    /// it: the SQLite file with its journal, or `pg_dump` of the schema.
    pub async fn dump(&self) -> Vec<u8> {
        match &self.place {
            Place::Sqlite(dir) => {
                let mut bytes = Vec::new();
                for name in ["embargo.db", "embargo.db-wal"] {
                    bytes.extend(std::fs::read(dir.path().join(name)).unwrap_or_default());
                }
                bytes
            }
            Place::Postgres { base, schema } => {
                let out = std::process::Command::new("pg_dump")
                    .args(["--schema", schema, "--dbname", base])
                    .output()
                    .expect("pg_dump runs");
                assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
                out.stdout
            }
        }
    }

    /// Queues a job of `kind` carrying `payload`, due now, as a use case or a
    /// fan-out would (for tests of the job runner itself, issue 15).
    pub async fn queue_job(&self, kind: &str, payload: Value) -> embargo_core::id::JobId {
        use embargo_store::StoreExt as _;
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).unwrap();
        let id = embargo_core::id::JobId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid());
        let now = self.app.now();
        let job = embargo_store::jobs::NewJob { id, kind: kind.to_owned(), payload, run_at: now };
        self.store.write(move |tx| Box::pin(async move { tx.enqueue_job(&job, now).await })).await.unwrap();
        id
    }

    /// Ends the test: no job due by now may be left undone (timers due later
    /// may wait); the database is dropped.
    pub async fn finish(self) {
        let left = self.app.due_jobs().await.unwrap();
        assert!(left.is_empty(), "jobs left undone at teardown: {left:?}");
        self.store.close().await;
        if let Place::Postgres { base, schema } = &self.place {
            let mut admin = sqlx::PgConnection::connect(base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.unwrap();
        }
    }
}

/// A slug written in a test (panics on a malformed one: a test's own mistake).
pub fn slug_of(text: &str) -> embargo_core::text::Slug {
    text.parse().expect("a well-formed slug")
}
