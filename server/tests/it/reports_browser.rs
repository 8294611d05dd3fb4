//! Browser tests in headless Chromium (Debian `chromium` + `chromium-driver`), driven over
//! WebDriver with fantoccini: answer the survey form, sign in as HR, open the heat map and
//! check that shown and hidden cells are rendered as such, then open a manager's action plan
//! and add an item. Screenshots go to `$CARGO_TARGET_DIR/screenshots/` (or
//! `target/screenshots/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use worklife_tests::reports_common::*;
use worklife_tests::{backends, require_all, token_of};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A WebDriver session, with blocking calls: the tests around it are synchronous.
struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    _driver: Driver,
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
        let driver = Driver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1400,1000"]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        // chromedriver takes a moment to listen.
        let client = loop {
            let connected = runtime.block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&url),
            );
            match connected {
                Ok(c) => break c,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                Err(e) => panic!("chromedriver did not start: {e}"),
            }
        };
        // Element lookups wait for a page that is still loading after a click.
        runtime
            .block_on(client.update_timeouts(TimeoutConfiguration::new(
                None,
                None,
                Some(Duration::from_secs(10)),
            )))
            .unwrap();
        Some(Browser {
            runtime,
            client: Some(client),
            _driver: driver,
        })
    }

    fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    fn go(&self, url: &str) {
        self.runtime.block_on(self.client().goto(url)).unwrap();
    }

    fn current_url(&self) -> String {
        self.runtime
            .block_on(self.client().current_url())
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

    fn find_all(&self, css: &str) -> Vec<Element> {
        self.runtime
            .block_on(self.client().find_all(Locator::Css(css)))
            .unwrap()
    }

    fn find(&self, css: &str) -> Element {
        self.runtime
            .block_on(self.client().find(Locator::Css(css)))
            .unwrap_or_else(|e| panic!("no element {css} on {}: {e}", self.current_url()))
    }

    fn click(&self, el: &Element) {
        self.runtime.block_on(el.click()).unwrap();
    }

    fn type_into(&self, el: &Element, text: &str) {
        self.runtime.block_on(el.send_keys(text)).unwrap();
    }

    fn text(&self, el: &Element) -> String {
        self.runtime.block_on(el.text()).unwrap()
    }

    fn attribute(&self, el: &Element, name: &str) -> String {
        self.runtime
            .block_on(el.attr(name))
            .unwrap()
            .unwrap_or_default()
    }

    fn css(&self, el: &Element, property: &str) -> String {
        self.runtime.block_on(el.css_value(property)).unwrap()
    }

    fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.runtime.block_on(self.client().screenshot()).unwrap();
        let dir = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
            .join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        println!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self.runtime.block_on(c.close());
        }
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
        // A small team and a team hidden to protect it read alike: which reason applies
        // would tell which side of k the team is on.
        let below = browser.find("tr[data-unit=\"Acme/Tiny\"] td[data-status=hidden]");
        assert_eq!(browser.text(&below), "hidden");
        assert!(browser
            .attribute(&below, "title")
            .contains("fewer than k people answered, or"));
        // The legend explains it.
        assert!(browser.text(&browser.find("ul.legend")).contains("hidden"));
        browser.screenshot(&format!("{tag}-3-heatmap"));
        // Question by question: every item of the organisation, with a bar per answer.
        browser.click(&browser.find("a[href=\"/reports/waves/W2/items\"]"));
        browser.wait_for_url("/reports/waves/W2/items");
        assert!(browser
            .text(&browser.find("h1"))
            .contains("Question by question: Acme, wave W2"));
        assert!(!browser.find_all("table.items ul.shares li").is_empty());
        assert!(!browser.find_all("table.items svg.bar rect").is_empty());
        browser.screenshot(&format!("{tag}-3b-questions"));
        // The favourable view: shares, and differences from the organisation in points.
        browser.go(&app.url("/reports/waves/W2?measure=favorable"));
        let mut with_delta = 0;
        for cell in browser.find_all("td[data-status=shown]") {
            let text = browser.text(&cell);
            let mut lines = text.lines();
            let first = lines.next().unwrap_or_default();
            assert!(first.ends_with('%') || first.contains("nearly"), "{text}");
            if let Some(delta) = lines.next() {
                assert!(delta.ends_with(" pts"), "{text}");
                with_delta += 1;
            }
        }
        assert!(with_delta > 0, "some cell shows its difference in points");
        assert!(browser
            .text(&browser.find("ul.legend"))
            .contains("in percentage points"));
        browser.screenshot(&format!("{tag}-3c-favourable"));
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
