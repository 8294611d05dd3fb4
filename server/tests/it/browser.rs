//! Headless Chromium (Debian `chromium` + `chromium-driver`) over WebDriver with fantoccini,
//! with blocking calls for the synchronous tests around it, screenshots as artefacts in
//! `$CARGO_TARGET_DIR/screenshots/` (or `target/screenshots/`) and an axe-core check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use worklife_tests::require_all;

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
pub struct Browser {
    /// Public for WebDriver calls the wrapper does not cover.
    pub runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    _driver: Driver,
}

impl Browser {
    pub fn start() -> Option<Browser> {
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

    pub fn client(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Fills in and sends the sign-in form the browser is on, and waits for the reports.
    pub fn sign_in(&self, email: &str, password: &str) {
        self.type_into(&self.find("#email"), email);
        self.type_into(&self.find("#password"), password);
        self.click(&self.find("#sign-in"));
        self.wait_for_url("/reports");
    }

    /// The window's size in CSS pixels: 390 x 844 is a phone.
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.runtime
            .block_on(self.client().set_window_size(width, height))
            .unwrap();
    }

    pub fn go(&self, url: &str) {
        self.runtime.block_on(self.client().goto(url)).unwrap();
    }

    pub fn current_url(&self) -> String {
        self.runtime
            .block_on(self.client().current_url())
            .unwrap()
            .to_string()
    }

    /// Waits (up to 15 s) for a navigation a click started to land on a URL ending in `suffix`.
    pub fn wait_for_url(&self, suffix: &str) {
        self.wait_for(suffix, |url| url.ends_with(suffix));
    }

    /// Waits (up to 15 s) for a navigation to land on a URL whose path is `path`, whatever
    /// its query.
    pub fn wait_for_path(&self, path: &str) {
        self.wait_for(path, |url| {
            url.split('?').next().is_some_and(|u| u.ends_with(path))
        });
    }

    fn wait_for(&self, suffix: &str, landed: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !landed(&self.current_url()) {
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

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        self.runtime
            .block_on(self.client().find_all(Locator::Css(css)))
            .unwrap()
    }

    pub fn find(&self, css: &str) -> Element {
        self.runtime
            .block_on(self.client().find(Locator::Css(css)))
            .unwrap_or_else(|e| panic!("no element {css} on {}: {e}", self.current_url()))
    }

    pub fn click(&self, el: &Element) {
        self.runtime.block_on(el.click()).unwrap();
    }

    pub fn type_into(&self, el: &Element, text: &str) {
        self.runtime.block_on(el.send_keys(text)).unwrap();
    }

    pub fn text(&self, el: &Element) -> String {
        self.runtime.block_on(el.text()).unwrap()
    }

    pub fn attribute(&self, el: &Element, name: &str) -> String {
        self.runtime
            .block_on(el.attr(name))
            .unwrap()
            .unwrap_or_default()
    }

    pub fn css(&self, el: &Element, property: &str) -> String {
        self.runtime.block_on(el.css_value(property)).unwrap()
    }

    /// Runs `js` (a function body) in the page and returns what it returns.
    pub fn run(&self, js: &str) -> serde_json::Value {
        self.runtime
            .block_on(self.client().execute(js, Vec::new()))
            .unwrap()
    }

    pub fn screenshot(&self, name: &str) -> PathBuf {
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

    /// Runs axe-core (the WCAG rules; `tests/browser`, installed by `.ci/run`) on the page
    /// and fails on any serious or critical violation, naming the rule and the elements.
    /// `page` names the page in the message. Skips with a note when axe-core is not
    /// installed, unless `WORKLIFE_REQUIRE_ALL=1`.
    pub fn assert_accessible(&self, page: &str) {
        let path = std::env::var("WORKLIFE_AXE_JS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../tests/browser/node_modules/axe-core/axe.min.js")
            });
        let Ok(axe) = std::fs::read_to_string(&path) else {
            let reason = format!(
                "axe-core is not installed at {} (npm ci --prefix tests/browser)",
                path.display()
            );
            assert!(!require_all(), "{reason}, and WORKLIFE_REQUIRE_ALL=1");
            eprintln!("skipping the accessibility check of {page}: {reason}");
            return;
        };
        // WebDriver scripts run outside the page's content security policy.
        self.run(&format!("{axe}\nreturn typeof window.axe;"));
        let violations = self
            .runtime
            .block_on(self.client().execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(
                   r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.impact + ' ' + v.id + ' (' + v.help + '): '
                       + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', '))));",
                Vec::new(),
            ))
            .unwrap();
        let violations: Vec<String> = serde_json::from_value(violations).unwrap();
        if !violations.is_empty() {
            self.screenshot(&format!("axe-{page}"));
        }
        assert!(
            violations.is_empty(),
            "axe-core on {page} ({}):\n{}",
            self.current_url(),
            violations.join("\n")
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self.runtime.block_on(c.close());
        }
    }
}
