//! Passkeys and security keys in a real browser (issue 12): headless Chromium
//! with a virtual CTAP2 authenticator (resident keys, user verification),
//! added through WebDriver's WebAuthn extension, against the real binary on
//! SQLite and on PostgreSQL.
//!
//! The administrator adds a key on the account page, signs out, signs in with
//! the password and then the key; in a browser with JavaScript off the same
//! step says that keys need script and a recovery code still works; the key
//! is then removed, and the audit page shows both events.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::browser::{CHROMIUM, Driver, Person, account, driver};
use crate::mail_flow::Instance;
use crate::serve::Server;
use crate::{embargo, free_port, http};

/// `POST /session/{id}/webauthn/authenticator` (WebAuthn §11.3, "Add Virtual Authenticator").
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/webauthn/authenticator", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({
            "protocol": "ctap2",
            "transport": "usb",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// `GET /session/{id}/webauthn/authenticator/{authenticatorId}/credentials`.
#[derive(Debug)]
struct Credentials(String);

impl WebDriverCompatibleCommand for Credentials {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/webauthn/authenticator/{}/credentials", session.unwrap_or_default(), self.0))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::GET, None)
    }
}

/// Starts `serve --demo` reachable as `http://localhost:PORT` (WebAuthn needs a domain, not an IP).
fn start(instance: &Instance) -> (Server, String) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let base = format!("http://localhost:{port}");
    let mut command = embargo(&instance.dir);
    if let Some(pg) = &instance.postgres {
        command.args(["--database-url", &pg.url]).env("EMBARGO_SECRET_KEY", &pg.secret);
    }
    let mut child = command
        .args(["serve", "--listen", &addr, "--demo"])
        .env("EMBARGO_PUBLIC_URL", &base)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "the server did not become ready");
        if std::net::TcpStream::connect(&addr).is_ok() && http(&addr, "GET", "/readyz", &[], "").0 == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let lines = rx.try_iter().collect();
    (Server { child, addr, lines }, base)
}

/// A browser with JavaScript turned off.
async fn without_script(driver: &Driver, base: &str) -> Person {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--lang=en-GB"],
            "prefs": {"profile.managed_default_content_settings.javascript": 2}
        }
    });
    let Value::Object(capabilities) = capabilities else { unreachable!() };
    let client =
        ClientBuilder::new(HttpConnector::new()).capabilities(capabilities).connect(&driver.url).await.unwrap();
    Person { client, base: base.to_owned(), shots: None, name: "administrator without script" }
}

async fn password_step(person: &Person, email: &str, password: &str) {
    person.open("/login").await;
    person.fill("#email", email).await;
    person.fill("#password", password).await;
    person.follow("main form button[type=submit]").await;
}

/// Waits until the browser left `path` (a form the script submits).
async fn left(person: &Person, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while person.path().await == path {
        assert!(Instant::now() < deadline, "still on {path}: {}", person.text().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    person.client.wait().for_element(Locator::Css("footer.site")).await.unwrap();
}

async fn journey(instance: &Instance) {
    let Some(driver) = driver() else { return };
    let (mut server, base) = start(instance);
    let (email, password) = account(&server, "administrator:");

    let admin = Person::new(&driver, &base, "administrator").await;
    let added = admin.client.issue_cmd(AddVirtualAuthenticator).await.unwrap();
    let authenticator = added.as_str().unwrap().to_owned();
    admin.sign_in(&email, &password).await;

    // Add a key on the account page: name it, then the script asks the authenticator.
    admin.open("/account").await;
    assert!(admin.text().await.contains("No passkeys or security keys."));
    admin.fill("#key-name", "Virtual key").await;
    admin.follow("form[action='/account/webauthn'] button[type=submit]").await;
    let step = admin.text().await;
    assert!(step.contains("Use your key"), "{step}");
    assert!(!step.contains("needs JavaScript"), "with script on, the no-script message is gone: {step}");
    admin.click("button[data-webauthn-start]").await;
    left(&admin, "/account/webauthn").await;
    let done = admin.text().await;
    assert!(done.contains("Your key is added"), "{done}");
    let code = admin.client.find(Locator::Css("#recovery-codes code")).await.unwrap().text().await.unwrap();
    let stored = admin.client.issue_cmd(Credentials(authenticator.clone())).await.unwrap();
    let stored = stored.as_array().unwrap();
    assert_eq!(stored.len(), 1, "the authenticator holds one credential: {stored:?}");
    assert_eq!(stored[0]["rpId"], "localhost");
    admin.open("/account").await;
    let page = admin.text().await;
    assert!(page.contains("Virtual key") && !page.contains("No passkeys or security keys."), "{page}");

    // Sign out; the password alone no longer signs in, the key finishes it.
    admin.follow("header form[action='/logout'] button").await;
    password_step(&admin, &email, &password).await;
    assert_eq!(admin.path().await, "/login/second-factor", "{}", admin.text().await);
    assert!(admin.text().await.contains("Use your passkey or security key"));
    admin.click("button[data-webauthn-start]").await;
    left(&admin, "/login/second-factor").await;
    assert_eq!(admin.path().await, "/reports", "the key signed the administrator in: {}", admin.text().await);

    // Without script the step says why the key cannot be used, and a recovery code works.
    let plain = without_script(&driver, &base).await;
    password_step(&plain, &email, &password).await;
    assert_eq!(plain.path().await, "/login/second-factor");
    let step = plain.text().await;
    assert!(step.contains("needs JavaScript, which is off or blocked"), "{step}");
    plain.fill("#login-code", &code).await;
    plain.follow("form[action='/login/second-factor'] button[type=submit]").await;
    assert_eq!(plain.path().await, "/reports", "a recovery code signs in: {}", plain.text().await);
    plain.close().await;

    // The key is removed (the key was used minutes ago); the audit page shows both events.
    admin.open("/account").await;
    admin.follow("form[action^='/account/webauthn/'][action$='/remove'] button").await;
    let page = admin.text().await;
    assert!(page.contains("No passkeys or security keys."), "{page}");
    admin.open("/admin/audit").await;
    let audit = admin.text().await;
    assert!(audit.contains("webauthn.key_added") && audit.contains("webauthn.key_removed"), "{audit}");
    admin.close().await;
    crate::serve::stop(&mut server);
}

/// Runs the journey on its own runtime, so the instance (which drops its
/// PostgreSQL schema on a runtime of its own) is dropped outside it.
fn run(instance: &Instance) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(journey(instance));
}

#[test]
fn a_passkey_is_added_used_to_sign_in_and_removed_in_a_browser_on_sqlite() {
    run(&Instance::sqlite());
}

#[test]
fn a_passkey_is_added_used_to_sign_in_and_removed_in_a_browser_on_postgres() {
    let Some(instance) = Instance::postgres() else { return };
    run(&instance);
}
