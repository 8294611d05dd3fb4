//! Comments in headless Chromium (see [`crate::browser`]): an employee writes one on the
//! answer form; after the wave closes HR finds it from the heat map in a unit where more than
//! ten people wrote one, and not in a unit of four; a theme shows only where enough people
//! wrote about it; a held comment is released from the queue. axe-core checks every page;
//! screenshots `comments-*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::Browser;
use crate::comments::{answer, comment_wave, numbered, unit_of};
use worklife_tests::reports_common::*;
use worklife_tests::Backend;

#[test]
fn an_employee_writes_a_comment_that_hr_reads_only_where_enough_people_wrote() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let (app, links, password) = comment_wave(Backend::Sqlite);
    let big: Vec<&String> = links
        .keys()
        .filter(|e| numbered(e) && unit_of(e) == "Acme/Big")
        .collect();
    let (me, colleagues) = big.split_first().unwrap();

    // The employee answers in the browser, with a comment.
    browser.go(&app.url(&format!("/s/{}", links[*me])));
    let field = browser.find("#c-c_change-text");
    browser.run(
        "document.querySelectorAll('input[type=radio][value=\"3\"]').forEach(r => r.checked = true); return 0;",
    );
    browser.type_into(
        &field,
        "Too much overtime before every release; we need one more person.",
    );
    browser.run("document.getElementById('comments-heading').scrollIntoView(); return 0;");
    browser.screenshot("comments-1-answer-form");
    browser.assert_accessible("the answer form with an open question");
    browser.click(&browser.find("form button[type=submit]"));
    browser.find("#results-heading");
    browser.assert_accessible("thank-you page");

    // Colleagues: nine more in Big write about overtime, two about pay; one writes of
    // self-harm (held).
    for (i, email) in colleagues.iter().enumerate() {
        let text = match i {
            0 => "Some days I want to kill myself.".to_string(),
            1 | 2 => format!("The pay is too low for the overtime, says writer {i}."),
            _ => format!("Overtime every week, note {i}."),
        };
        answer(&app, &links[*email], &text);
    }
    // Ten of Other's eleven (the tie-break would otherwise hide Big), all four of Small.
    let others: Vec<&String> = links
        .keys()
        .filter(|e| numbered(e) && unit_of(e) != "Acme/Big")
        .collect();
    for email in others.iter().skip(1) {
        answer(
            &app,
            &links[*email],
            &format!("A note from {}", &email[..3]),
        );
    }
    app.workspace.ok(&["wave", "close", "C1"]);

    // HR: from the heat map to the comments of Big.
    browser.go(&app.url("/login"));
    browser.sign_in(ADMIN, &password);
    browser.go(&app.url("/reports/waves/C1?unit=Acme/Big"));
    browser.click(&browser.find("p.links a[href*='/comments']"));
    browser.wait_for_path("/reports/waves/C1/comments");
    let main = browser.text(&browser.find("main"));
    assert!(
        main.contains("Too much overtime before every release"),
        "{main}"
    );
    assert!(!main.contains("kill myself"), "held");
    assert!(main.contains("1 comment is held for review"), "{main}");
    // Workload: 12 writers; pay: 2 (below 10), so not a theme here.
    let themes = browser.text(&browser.find("ul.themes"));
    assert!(themes.contains("Workload"), "{themes}");
    assert!(!themes.to_lowercase().contains("pay"), "{themes}");
    browser.screenshot("comments-2-big");
    browser.assert_accessible("comments of a unit with enough writers");

    // Small (4 writers): hidden, in words.
    browser.go(&app.url("/reports/waves/C1/comments?unit=Acme/Small"));
    let main = browser.text(&browser.find("main"));
    assert!(main.contains("Hidden."), "{main}");
    assert!(!main.contains("A note from"), "{main}");
    browser.screenshot("comments-3-small-hidden");
    browser.assert_accessible("comments of a small unit");

    // The queue: the held comment, released.
    browser.go(&app.url("/admin/comments"));
    assert!(browser
        .text(&browser.find("main"))
        .contains("Some days I want to kill myself."));
    browser.screenshot("comments-4-queue");
    browser.assert_accessible("the review queue");
    browser.click(&browser.find("form.review button[value=release]"));
    browser.wait_for_url("/admin/comments?done=release");
    assert!(browser
        .text(&browser.find("main"))
        .contains("No comment is waiting for review."));
    browser.go(&app.url("/reports/waves/C1/comments?unit=Acme/Big"));
    assert!(browser
        .text(&browser.find("main"))
        .contains("Some days I want to kill myself."));
}
