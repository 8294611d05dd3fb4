//! The answer form as an employee meets it on a phone, in headless Chromium (see
//! [`crate::browser`]): a window 390 px wide, the live progress bar counting, a refused send
//! with its focused error summary, the German page, the thank-you page; axe-core on each,
//! no sideways scroll, and nothing stored anywhere before the final send.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;

use crate::browser::Browser;
use worklife_server::db::DbPool;
use worklife_server::web::{self, AppState};
use worklife_tests::backends;
use worklife_tests::survey_common::*;

/// Serves the app like `survey_common::serve`, with the organisation in Berlin and a label
/// for the report attribute `tenure` in each language.
fn serve_in_berlin(ws: &worklife_tests::Workspace) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = settings(ws);
    settings.base_url = address.clone();
    settings.timezone = "Europe/Berlin".parse().unwrap();
    for (lang, label) in [("en", "length of service"), ("de", "Betriebszugehörigkeit")] {
        settings
            .attribute_labels
            .entry(lang.to_string())
            .or_default()
            .insert("tenure".into(), label.into());
    }
    let state = AppState::new(DbPool::connect(&ws.db.url, 8).unwrap(), settings).unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let _ = web::run(listener, state).unwrap().await;
        })
    });
    address
}

/// What the progress bar says: (count, time left).
fn progress(browser: &Browser) -> (String, String) {
    (
        browser.text(&browser.find("#progress-count")),
        browser.text(&browser.find("#progress-left")),
    )
}

/// The page is no wider than the window: nothing scrolls sideways.
fn assert_no_sideways_scroll(browser: &Browser, page: &str) {
    let widths = browser.run(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth, \
         window.innerWidth];",
    );
    let (scroll, client, inner) = (
        widths[0].as_i64().unwrap(),
        widths[1].as_i64().unwrap(),
        widths[2].as_i64().unwrap(),
    );
    assert!(inner <= 390, "{page}: the window is {inner} px wide");
    assert!(
        scroll <= client,
        "{page}: {scroll} px of content in {client} px: the page scrolls sideways"
    );
}

/// Whether the browser holds anything for this page (storage or cookies).
fn browser_storage(browser: &Browser) -> serde_json::Value {
    browser.run("return [localStorage.length, sessionStorage.length, document.cookie];")
}

/// Clicks the element `css` as a person would: scrolled to the middle of the window first,
/// so that the sticky progress bar does not cover it.
fn click_centred(browser: &Browser, css: &str) {
    browser.run(&format!(
        "document.querySelector({}).scrollIntoView({{block: 'center'}});",
        serde_json::to_string(css).unwrap()
    ));
    browser.click(&browser.find(css));
}

/// Clicks option `value` of every question on the page that has no choice yet, up to `n`.
fn answer_open_questions(browser: &Browser, value: &str, n: usize) {
    let open: Vec<String> = serde_json::from_value(browser.run(
        "return [...document.querySelectorAll('fieldset.item')]
           .filter(f => !f.querySelector('input:checked'))
           .map(f => f.querySelector('input').name);",
    ))
    .unwrap();
    for name in open.iter().take(n) {
        click_centred(
            browser,
            &format!("input[name=\"{name}\"][value=\"{value}\"]"),
        );
    }
}

#[test]
fn an_employee_on_a_phone_answers_with_the_progress_counting_and_fixes_a_refused_send() {
    let Some(browser) = Browser::start() else {
        return;
    };
    browser
        .runtime
        .block_on(browser.client().set_window_size(390, 844))
        .unwrap();
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let ws = workspace(backend);
        // Closing at 17:00 UTC on a winter day: 18:00 in Berlin.
        let tokens = open_wave(&ws, "Q1", "worklife-core", "2026-01-01", "2099-12-31 17:00");
        let address = serve_in_berlin(&ws);
        let form = format!("{address}/s/{}", tokens[0]);
        let stored = || count(&mut ws.pool().get().unwrap(), "responses");

        // German first: the organisation, the closing time on its clock, the attribute by
        // its German label, the size of the survey and the bar.
        browser.go(&format!("{form}?lang=de"));
        let main = browser.text(&browser.find("main"));
        assert_eq!(browser.text(&browser.find("header .org")), ORGANISATION);
        assert!(main.contains("42 Fragen, etwa 6 Minuten."), "{main}");
        assert!(
            main.contains("Geöffnet bis 31.12.2099, 18:00 CET."),
            "{main}"
        );
        assert!(main.contains("(Betriebszugehörigkeit)"), "{main}");
        assert!(!main.contains("tenure"), "{main}");
        assert_eq!(
            progress(&browser),
            ("0 von 42 beantwortet".into(), "noch etwa 6 Minuten".into())
        );
        assert_no_sideways_scroll(&browser, "German form");
        browser.screenshot(&format!("survey-{tag}-1-form-de"));
        browser.assert_accessible("survey form (German)");

        // The same in English, through the language switch.
        browser.click(&browser.find("nav.langs a[hreflang=en]"));
        browser.wait_for_url("?lang=en");
        let main = browser.text(&browser.find("main"));
        assert!(main.contains("42 questions, about 6 minutes."), "{main}");
        assert!(main.contains("Open until 2099-12-31 18:00 CET."), "{main}");
        assert!(main.contains("(length of service)"), "{main}");
        assert_eq!(
            progress(&browser),
            ("0 of 42 answered".into(), "about 6 minutes left".into())
        );
        assert_no_sideways_scroll(&browser, "English form");
        browser.screenshot(&format!("survey-{tag}-2-form"));
        browser.assert_accessible("survey form");

        // Sending with nothing answered: the summary comes first, has the focus and leads
        // to the first question.
        browser.click(&browser.find("button[type=submit]"));
        let summary = browser.find("#error-summary");
        assert_eq!(
            browser.run("return document.activeElement.id;"),
            "error-summary"
        );
        assert_eq!(
            browser.run("return document.querySelector('main').firstElementChild.id;"),
            "error-summary",
            "the summary is the first thing on the page"
        );
        let text = browser.text(&summary);
        assert!(text.contains("Your answers were not sent"), "{text}");
        let link = browser.find("#error-summary a");
        assert_eq!(
            browser.text(&link),
            "Please answer at least one question before sending."
        );
        let first = browser.run("return document.querySelector('fieldset.item').id;");
        assert_eq!(
            browser.attribute(&link, "href"),
            format!("#{}", first.as_str().unwrap())
        );
        browser.screenshot(&format!("survey-{tag}-3-nothing-answered"));
        browser.assert_accessible("survey form, nothing answered");
        browser.click(&link);
        browser.wait_for_url(&format!("#{}", first.as_str().unwrap()));

        // Answering counts up, and the time left goes down.
        answer_open_questions(&browser, "4", 12);
        assert_eq!(
            progress(&browser),
            ("12 of 42 answered".into(), "about 4 minutes left".into())
        );
        // "No answer" is a choice too.
        answer_open_questions(&browser, "", 1);
        assert_eq!(progress(&browser).0, "13 of 42 answered");
        let bar_top = browser.run(
            "window.scrollTo(0, document.body.scrollHeight / 2);
             return document.getElementById('progress').getBoundingClientRect().top;",
        );
        assert_eq!(bar_top.as_f64(), Some(0.0), "the bar stays at the top");
        assert_no_sideways_scroll(&browser, "form, answering");
        browser.screenshot(&format!("survey-{tag}-4-answering"));
        // Nothing has left the browser, and the browser keeps nothing.
        assert_eq!(stored(), 0);
        assert_eq!(browser_storage(&browser), serde_json::json!([0, 0, ""]));

        // An answer the server cannot read (a tampered option): refused, the question is
        // linked from the summary and marked, the answers given are still there.
        let broken = browser
            .run(
                "const f = [...document.querySelectorAll('fieldset.item')]
                   .find(f => !f.querySelector('input:checked'));
                 const input = f.querySelector('input[value=\"3\"]');
                 input.value = 'three';
                 return f.id;",
            )
            .as_str()
            .unwrap()
            .to_string();
        click_centred(&browser, &format!("#{broken} input[value=three]"));
        let question = browser.text(&browser.find(&format!("#{broken} legend")));
        browser.click(&browser.find("button[type=submit]"));
        // The page before had a summary too: wait for the one that marks the question.
        let marked = browser.find(&format!("fieldset#{broken}.has-error"));
        assert_eq!(
            browser.run("return document.activeElement.id;"),
            "error-summary"
        );
        let links = browser.find_all("#error-summary a");
        assert_eq!(links.len(), 1, "one question could not be read");
        let question_text = question.split_once(". ").unwrap().1;
        assert_eq!(
            browser.text(&links[0]),
            format!("The answer to \u{201c}{question_text}\u{201d} could not be read.")
        );
        assert_eq!(browser.attribute(&links[0], "href"), format!("#{broken}"));
        let mark = browser.text(&browser.find(&format!("#{broken} .item-error")));
        assert!(
            mark.contains("This answer could not be read: please choose again."),
            "marked next to the question: {mark}"
        );
        assert!(browser
            .attribute(&marked, "aria-describedby")
            .ends_with("-error"));
        assert_eq!(
            progress(&browser).0,
            "13 of 42 answered",
            "what could be read is still chosen"
        );
        assert_eq!(stored(), 0, "a refused send stores nothing");
        assert_no_sideways_scroll(&browser, "form, refused");
        browser.screenshot(&format!("survey-{tag}-5-refused"));
        browser.assert_accessible("survey form, an answer refused");
        browser.click(&links[0]);
        browser.wait_for_url(&format!("#{broken}"));
        // The question the link leads to is in view, under the bar, not behind it.
        let gap = browser.run(&format!(
            "return document.getElementById('{broken}').getBoundingClientRect().top
                  - document.getElementById('progress').getBoundingClientRect().bottom;"
        ));
        assert!(
            gap.as_f64().unwrap() >= 0.0,
            "hidden under the bar by {gap}"
        );
        browser.screenshot(&format!("survey-{tag}-5b-marked-question"));

        // The rest, then send.
        answer_open_questions(&browser, "2", 42);
        assert_eq!(
            progress(&browser),
            (
                "42 of 42 answered".into(),
                "all answered: you can send".into()
            )
        );
        browser.screenshot(&format!("survey-{tag}-6-all-answered"));
        assert_eq!(stored(), 0);
        browser.click(&browser.find("button[type=submit]"));
        let received = browser.text(&browser.find("p.received"));
        assert!(
            received.contains("Your answers have been received"),
            "{received}"
        );
        assert_eq!(stored(), 1);
        assert_eq!(browser_storage(&browser), serde_json::json!([0, 0, ""]));
        assert_no_sideways_scroll(&browser, "thank-you page");
        browser.screenshot(&format!("survey-{tag}-7-thanks"));
        browser.assert_accessible("thank-you page");
    }
}
