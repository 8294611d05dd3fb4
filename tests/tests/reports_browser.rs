//! Browser tests in headless Chromium (Debian `chromium` + `chromium-driver`), driven over the
//! W3C WebDriver protocol: answer the survey form, sign in as HR, open the heat map and check
//! that shown and hidden cells are rendered as such. Screenshots go to
//! `$CARGO_TARGET_DIR/screenshots/` (or `target/screenshots/`).
//!
//! The WebDriver client is the protocol's few JSON calls over `ureq`, which the tests use
//! anyway: no async runtime or second HTTP stack to build for five requests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod reports_common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use reports_common::*;
use serde_json::{json, Value};
use worklife_tests::{backends, require_all, token_of};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Browser {
    driver: Driver,
    session: String,
}

fn call(method: &str, url: &str, body: Option<Value>) -> Value {
    let agent = client();
    let mut r = match (method, body) {
        ("GET", _) => agent.get(url).call().unwrap(),
        ("DELETE", _) => agent.delete(url).call().unwrap(),
        (_, b) => agent
            .post(url)
            .content_type("application/json")
            .send(b.unwrap_or(json!({})).to_string())
            .unwrap(),
    };
    let text = r
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert!(
        v["value"]["error"].is_null(),
        "WebDriver {method} {url}: {text}"
    );
    v["value"].clone()
}

impl Browser {
    fn start() -> Option<Browser> {
        if !PathBuf::from(CHROMEDRIVER).exists() || !PathBuf::from(CHROMIUM).exists() {
            let reason = "chromium or chromium-driver is not installed (apt-get install chromium chromium-driver)";
            assert!(!require_all(), "{reason}, and WORKLIFE_REQUIRE_ALL=1");
            eprintln!("skipping browser tests: {reason}");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = client()
                .get(&format!("{}/status", driver.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .is_some_and(|t| t.contains("\"ready\":true"));
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1000"]
            }
        }}});
        let session = call("POST", &format!("{}/session", driver.base), Some(caps));
        let session = session["sessionId"].as_str().unwrap().to_string();
        let browser = Browser { driver, session };
        // Element lookups wait for a page that is still loading after a click.
        call(
            "POST",
            &browser.url("/timeouts"),
            Some(json!({ "implicit": 10_000 })),
        );
        Some(browser)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.driver.base, self.session)
    }

    fn go(&self, url: &str) {
        call("POST", &self.url("/url"), Some(json!({ "url": url })));
    }

    fn current_url(&self) -> String {
        call("GET", &self.url("/url"), None)
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits (up to 15 s) for a navigation a click started to land on a URL ending in `suffix`.
    fn wait_for_url(&self, suffix: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.current_url().ends_with(suffix) {
            if Instant::now() > deadline {
                self.screenshot("failed-navigation");
                panic!(
                    "expected …{suffix}, the browser is at {}",
                    self.current_url()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        call(
            "POST",
            &self.url("/elements"),
            Some(json!({"using": "css selector", "value": css})),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e.as_object()
                .unwrap()
                .values()
                .next()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
    }

    fn find(&self, css: &str) -> String {
        self.find_all(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element {css} on {}", self.current_url()))
    }

    fn click(&self, el: &str) {
        call("POST", &self.url(&format!("/element/{el}/click")), None);
    }

    fn type_into(&self, el: &str, text: &str) {
        call(
            "POST",
            &self.url(&format!("/element/{el}/value")),
            Some(json!({ "text": text })),
        );
    }

    fn text(&self, el: &str) -> String {
        call("GET", &self.url(&format!("/element/{el}/text")), None)
            .as_str()
            .unwrap()
            .to_string()
    }

    fn attribute(&self, el: &str, name: &str) -> String {
        call(
            "GET",
            &self.url(&format!("/element/{el}/attribute/{name}")),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    fn css(&self, el: &str, property: &str) -> String {
        call(
            "GET",
            &self.url(&format!("/element/{el}/css/{property}")),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    fn screenshot(&self, name: &str) -> PathBuf {
        let png = call("GET", &self.url("/screenshot"), None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
            .join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap();
        println!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = client().delete(&self.url("")).call();
    }
}

#[test]
fn answer_the_form_then_read_the_heat_map_as_hr() {
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let f = fixture(backend);
        let app = &f.app;
        // An open wave to answer, in the browser.
        let before = app.workspace.links();
        app.workspace.ok(&[
            "wave",
            "create",
            "W3",
            "--instrument",
            "worklife-core",
            "--opens",
            "2020-01-01",
            "--closes",
            "2099-01-01",
            "--min-group-size",
            "3",
        ]);
        app.workspace.ok(&["wave", "open", "W3"]);
        let link = app
            .workspace
            .links()
            .into_iter()
            .find(|l| !before.contains(l))
            .unwrap();
        browser.go(&app.url(&format!("/s/{}", token_of(&link))));
        let radios = browser.find_all("input[type=radio][value=\"4\"]");
        assert_eq!(radios.len(), 42, "one option 4 per item of worklife-core");
        for r in &radios {
            browser.click(r);
        }
        browser.screenshot(&format!("{tag}-1-form"));
        browser.click(&browser.find("button[type=submit]"));
        let received = browser.text(&browser.find("p.received"));
        assert!(!received.is_empty());
        browser.screenshot(&format!("{tag}-2-thanks"));

        // HR signs in and opens the heat map.
        browser.go(&app.url("/login"));
        browser.type_into(&browser.find("#email"), ADMIN);
        browser.type_into(&browser.find("#password"), &f.passwords[ADMIN]);
        browser.click(&browser.find("#sign-in"));
        browser.wait_for_url("/reports");
        browser.click(&browser.find("a[href=\"/reports/waves/W2\"]"));
        browser.wait_for_url("/reports/waves/W2");
        let shown = browser.find("tr[data-unit=\"Acme/Sales\"] td[data-status=shown]");
        let value: f64 = browser
            .text(&shown)
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1.0..=5.0).contains(&value));
        assert_ne!(browser.css(&shown, "background-color"), "rgba(0, 0, 0, 0)");
        let below = browser.find("tr[data-unit=\"Acme/Tiny\"] td[data-status=below_min]");
        assert_eq!(browser.text(&below), "<k");
        assert!(browser.attribute(&below, "title").contains("fewer than k"));
        let comp = browser.find("td[data-status=complementary]");
        assert_eq!(browser.text(&comp), "c");
        assert!(browser.attribute(&comp, "title").contains("complementary"));
        // The legend explains both.
        assert!(browser.text(&browser.find("ul.legend")).contains("hidden"));
        browser.screenshot(&format!("{tag}-3-heatmap"));
        browser.click(&browser.find("button[type=submit]"));
        browser.wait_for_url("/login");

        // A manager opens their unit's action plan from the landing page and adds an item.
        browser.type_into(&browser.find("#email"), MANAGER);
        browser.type_into(&browser.find("#password"), &f.passwords[MANAGER]);
        browser.click(&browser.find("#sign-in"));
        browser.wait_for_url("/reports");
        browser.click(&browser.find("a[href=\"/units/Acme%2FEng/action-plan\"]"));
        browser.wait_for_url("/units/Acme%2FEng/action-plan");
        assert!(browser.text(&browser.find("h1")).contains("Acme/Eng"));
        browser.type_into(&browser.find("#title"), "Protect two focus days a week");
        browser.type_into(&browser.find("#owner"), "Team lead");
        browser.click(&browser.find("form.add-item button[type=submit]"));
        browser.wait_for_url("/units/Acme%2FEng/action-plan");
        let items = browser.text(&browser.find("table.items"));
        assert!(items.contains("Protect two focus days a week"), "{items}");
        assert!(items.contains("Team lead"), "{items}");
        browser.screenshot(&format!("{tag}-4-action-plan"));
    }
}
