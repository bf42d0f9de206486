//! The web UI in a real browser: headless Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`) against the real binary.
//!
//! One journey, each person in their own browser session: an anonymous
//! reporter sends a report (first with a missing required field) and keeps
//! the private link; the security team acknowledges, accepts, scores, answers
//! (and notes internally), drafts, fixes and publishes; the public reads the
//! advisory; the reporter sees the new state and the reply but never the
//! internal note; a second reporter cannot open the first one's report.
//!
//! With `EMBARGO_SCREENSHOTS=DIR` set, every main page is also saved at
//! 1280 and 390 pixels wide, to look at.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::serve::{Server, start_with};
use crate::tools::missing;
use crate::{data_dir, free_port};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";

/// A running chromedriver, stopped on drop.
pub(crate) struct Driver {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn driver() -> Option<Driver> {
    let available = std::path::Path::new(CHROMIUM).exists()
        && Command::new(CHROMEDRIVER).arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !available {
        missing("browser journey", "Chromium and chromedriver (Debian chromium, chromium-driver)");
        return None;
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Driver { child, url: format!("http://127.0.0.1:{port}") })
}

/// A fresh browser session: its own profile, so its own cookies.
pub(crate) async fn session(driver: &Driver) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--lang=en-GB"]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
    ClientBuilder::new(HttpConnector::new()).capabilities(capabilities).connect(&driver.url).await.unwrap()
}

/// One person's browser on the instance.
pub(crate) struct Person {
    pub(crate) client: Client,
    pub(crate) base: String,
    pub(crate) shots: Option<PathBuf>,
    pub(crate) name: &'static str,
}

impl Person {
    pub(crate) async fn new(driver: &Driver, base: &str, name: &'static str) -> Person {
        let shots = std::env::var_os("EMBARGO_SCREENSHOTS").map(PathBuf::from);
        Person { client: session(driver).await, base: base.to_owned(), shots, name }
    }

    pub(crate) async fn open(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// The visible text of the main content.
    pub(crate) async fn text(&self) -> String {
        self.client.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
    }

    pub(crate) async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    pub(crate) async fn fill(&self, css: &str, value: &str) {
        let field =
            self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{}: no {css}: {e}", self.name));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks something that does not leave the page (a radio button, a checkbox).
    pub(crate) async fn click(&self, css: &str) {
        let element =
            self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{}: no {css}: {e}", self.name));
        element.click().await.unwrap();
    }

    /// Clicks a link or a submit button and waits until the next page has replaced this one.
    pub(crate) async fn follow(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while old.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "{}: clicking {css} loaded no page", self.name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.client.wait().for_element(Locator::Css("footer.site")).await.unwrap();
    }

    async fn choose(&self, css: &str, value: &str) {
        self.client.find(Locator::Css(css)).await.unwrap().select_by_value(value).await.unwrap();
    }

    /// Moves the report on the report page to `state` with the transition form.
    async fn transition(&self, state: &str) {
        self.click(&format!("input[name=to][value={state}]")).await;
        self.follow("form[action$='/transition'] button[type=submit]").await;
        let text = self.text().await;
        assert!(!text.contains("There is a problem"), "{}: moving to {state} failed: {text}", self.name);
    }

    /// Saves the page at both widths when screenshots are asked for.
    async fn shot(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        std::fs::create_dir_all(dir).unwrap();
        for (width, height) in [(1280, 1800), (390, 2400)] {
            self.client.set_window_size(width, height).await.unwrap();
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
        }
        self.client.set_window_size(1280, 1000).await.unwrap();
    }

    pub(crate) async fn sign_in(&self, email: &str, password: &str) {
        self.open("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.follow("main form button[type=submit]").await;
        assert_eq!(self.path().await, "/reports", "{} did not get signed in: {}", self.name, self.text().await);
    }

    pub(crate) async fn close(self) {
        self.client.close().await.unwrap();
    }
}

/// The demo's printed (email, password) for a line starting with `label`.
pub(crate) fn account(server: &Server, label: &str) -> (String, String) {
    let line = server.lines.iter().find(|l| l.trim_start().starts_with(label)).unwrap();
    let parts: Vec<&str> = line.split_whitespace().collect();
    let at = parts.iter().position(|p| p.contains('@')).unwrap();
    (parts[at].to_owned(), parts[at + 2].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_from_form_to_published_advisory_in_a_browser() {
    let Some(driver) = driver() else { return };
    let (_tmp, dir) = data_dir();
    let mut server = start_with(&dir, &["--demo"]);
    let base = format!("http://{}", server.addr);
    let (team_email, team_password) = account(&server, "security team:");
    let (reporter_email, reporter_password) = account(&server, "reporter:");
    let title = "Tokenizer overflow <script>document.title='owned'</script>";

    // The demo is set up (issue 16): the administrator it printed signs in.
    let (admin_email, admin_password) = account(&server, "administrator:");
    let admin = Person::new(&driver, &base, "administrator").await;
    admin.sign_in(&admin_email, &admin_password).await;
    admin.open("/admin").await;
    assert_eq!(admin.path().await, "/admin", "the demo's administrator reaches the admin page: {}", admin.text().await);
    admin.fill("#org-slug", "Not A Slug").await;
    admin.fill("#org-name", "Pallets").await;
    admin.follow("form[action='/admin/organisations'] button[type=submit]").await;
    let refused = admin.text().await;
    assert!(refused.contains("There is a problem"), "{refused}");
    admin.fill("#org-slug", "pallets").await;
    admin.follow("form[action='/admin/organisations'] button[type=submit]").await;
    assert!(admin.text().await.contains("Pallets"), "the organisation was not created");
    admin.shot("admin").await;
    admin.close().await;

    // An anonymous reporter finds the project and sends a report.
    let reporter = Person::new(&driver, &base, "reporter").await;
    reporter.open("/").await;
    reporter.shot("home").await;
    reporter.follow("a[href='/orbit-lang/orbit/report']").await;
    assert_eq!(reporter.path().await, "/orbit-lang/orbit/report");
    reporter.shot("report-form").await;
    reporter.fill("#title", title).await;
    reporter
        .fill("#body", "A string literal longer than 4 GiB wraps the length counter and overwrites the heap.")
        .await;
    reporter.fill("#reporter_name", "Ada Reporter").await;
    reporter.follow("main form button[type=submit]").await;
    // The policy requires the versions: the form says so, and keeps what was typed.
    let refused = reporter.text().await;
    assert!(refused.contains("There is a problem"), "{refused}");
    assert!(refused.contains("The policy requires the versions you tested"), "{refused}");
    let kept = reporter.client.find(Locator::Css("#title")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some(title), "the title was lost");
    reporter.shot("report-form-errors").await;
    reporter.fill("#versions_tested", "3.14.2, 3.13.9").await;
    reporter.fill("#versions_vulnerable", "both").await;
    reporter.click("input[name=lines][value='3.14']").await;
    reporter.choose("#threat_model", "untrusted-input").await;
    reporter.fill("#proof_of_concept", "#!/bin/sh\norbit -c 'x = \"a\" * (1 << 32)' || exit 1\nexit 0").await;
    reporter.follow("main form button[type=submit]").await;
    let receipt = reporter.text().await;
    assert!(reporter.path().await.ends_with("/receipt"), "{receipt}");
    assert!(receipt.contains("Report received") && receipt.contains("Keep this link secret"), "{receipt}");
    assert!(receipt.contains("acknowledge it by"), "the receipt says when to expect an answer: {receipt}");
    let link = reporter.client.find(Locator::Css("code.secret")).await.unwrap().text().await.unwrap();
    assert!(link.starts_with(&format!("{base}/follow/embf_")), "{link}");
    let report_path = reporter.path().await.trim_end_matches("/receipt").to_owned();
    reporter.shot("receipt").await;
    assert_eq!(reporter.client.title().await.unwrap(), "Report received · Embargo", "markup in the report ran");
    reporter.close().await;

    // Later, in a fresh browser, the private link opens the report and leaves the address bar.
    let reporter = Person::new(&driver, &base, "reporter with the link").await;
    reporter.client.goto(&link).await.unwrap();
    assert_eq!(reporter.path().await, report_path);
    let page = reporter.text().await;
    assert!(page.contains(title), "the title is shown as text: {page}");
    assert!(page.contains("New"), "{page}");

    // The security team works the report.
    let team = Person::new(&driver, &base, "team").await;
    team.sign_in(&team_email, &team_password).await;
    team.choose("#state", "new").await;
    team.follow("form.filters button[type=submit]").await;
    let queue = team.text().await;
    assert!(queue.contains(title) && queue.contains("Acknowledge within"), "{queue}");
    team.shot("queue").await;
    team.open("/orbit-lang/orbit/team").await;
    assert!(team.text().await.contains("3.14"), "the team page lists the release lines");
    team.shot("team").await;
    team.open("/orbit-lang/orbit/policy").await;
    team.shot("policy").await;
    team.open("/orbit-lang/orbit/policy/edit").await;
    assert!(team.text().await.contains("The effective policy"), "the team reads its policy on the pages");
    team.shot("policy-edit").await;
    team.open(&report_path).await;
    team.shot("report-team").await;
    team.transition("acknowledged").await;
    team.transition("triaging").await;
    team.transition("accepted").await;
    team.fill("#cvss_v3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").await;
    team.fill("#cwes", "CWE-787").await;
    team.fill("#affected_versions", "3.14").await;
    team.follow("form[action$='/team'] button[type=submit]").await;
    let scored = team.text().await;
    assert!(scored.contains("9.8") && scored.contains("Critical"), "the score is shown: {scored}");
    team.fill("#body", "Internal: reproduced on 3.14.2, fix in review.").await;
    team.click("input[name=visibility][value=internal]").await;
    team.follow("form.reply button[type=submit]").await;
    team.fill("#body", "Thank you, we reproduced it and are preparing a fix.").await;
    team.follow("form.reply button[type=submit]").await;
    let thread = team.text().await;
    assert!(
        thread.to_lowercase().contains("internal note") && thread.contains("Thank you, we reproduced it"),
        "{thread}"
    );
    team.follow("form[action$='/advisory'] button[type=submit]").await;
    assert!(team.path().await.ends_with("/edit"), "drafting opens the editor");
    let advisory_path = team.path().await.trim_end_matches("/edit").to_owned();
    team.fill("#summary", "Heap overflow in the tokenizer with string literals over 4 GiB").await;
    team.fill("#details", "The tokenizer kept string lengths in a 32-bit counter.\n\nUpgrade to **3.14.3**.").await;
    team.fill("input[name=ecosystem_0]", "PyPI").await;
    team.fill("input[name=name_0]", "orbit-lang").await;
    team.choose("select[name=kind_0]", "ECOSYSTEM").await;
    team.fill("input[name=introduced_0]", "3.14.0").await;
    team.fill("input[name=fixed_0]", "3.14.3").await;
    team.click("input[name=fix][value=patch]").await;
    team.follow("form[action$='/edit'] button[type=submit]").await;
    let preview = team.text().await;
    assert!(preview.contains("Preview of the saved draft") && preview.contains("3.14.3"), "{preview}");
    assert!(preview.contains("Fix strategy: Patch."), "What to do says the fix strategy: {preview}");
    team.shot("advisory-editor").await;
    // Publishing waits for the fix to be public.
    team.follow("form[action$='/publish'] button[type=submit]").await;
    let early = team.text().await;
    assert!(early.contains("There is a problem"), "published before the fix: {early}");
    team.open(&report_path).await;
    team.transition("fixing").await;
    team.transition("fixed").await;
    team.open(&format!("{advisory_path}/edit")).await;
    team.follow("form[action$='/publish'] button[type=submit]").await;
    assert_eq!(team.path().await, advisory_path, "publishing shows the public page");
    team.close().await;

    // The public reads it.
    let public = Person::new(&driver, &base, "public").await;
    public.open("/advisories?severity=critical").await;
    let list = public.text().await;
    assert!(list.contains("Heap overflow in the tokenizer"), "{list}");
    public.shot("advisories").await;
    public.open(&advisory_path).await;
    let advisory = public.text().await;
    for expected in [
        "Heap overflow in the tokenizer",
        "orbit-lang",
        "3.14.3",
        "9.8",
        "CVSS:3.1/AV:N",
        "CWE-787",
        "Ada Reporter",
        "OSV JSON",
    ] {
        assert!(advisory.contains(expected), "the advisory page lacks {expected}: {advisory}");
    }
    assert!(!advisory.to_lowercase().contains("internal"), "{advisory}");
    public.shot("advisory").await;
    public.close().await;

    // The reporter sees the new state and the reply, never the internal note.
    reporter.open(&report_path).await;
    let page = reporter.text().await;
    assert!(page.contains("Disclosed"), "{page}");
    assert!(page.contains("Thank you, we reproduced it"), "{page}");
    assert!(!page.contains("reproduced on 3.14.2") && !page.to_lowercase().contains("internal"), "{page}");
    reporter.shot("report-reporter").await;
    reporter.close().await;

    // Another reporter, signed in, cannot open it.
    let other = Person::new(&driver, &base, "other reporter").await;
    other.sign_in(&reporter_email, &reporter_password).await;
    other.shot("my-reports").await;
    other.open(&report_path).await;
    let refused = other.text().await;
    assert!(refused.contains("Page not found") && !refused.contains("Tokenizer overflow"), "{refused}");
    other.close().await;

    crate::serve::stop(&mut server);
}
