//! Action plans in headless Chromium (see [`crate::browser`]): a manager opens their plan,
//! fails a save and lands on the focused problem summary, adds a suggested action with one
//! click, sees the confirmation and the item, and edits it; then HR opens the overview of
//! every unit's plan and finds the item counted. axe-core checks every page on the way;
//! screenshots `plans-*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::Browser;
use worklife_tests::backends;
use worklife_tests::reports_common::*;

#[test]
fn a_manager_adds_a_suggested_action_with_one_click_and_hr_sees_it_counted() {
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let f = fixture(backend);
        let app = &f.app;

        // The manager opens their plan from the landing page.
        browser.go(&app.url("/login"));
        browser.sign_in(MANAGER, &f.passwords[MANAGER]);
        browser.click(&browser.find("a#action-plan"));
        browser.wait_for_url("/units/Acme%2FEng/action-plan");
        assert_eq!(browser.text(&browser.find("h1")), "Action plan: Acme › Eng");
        // The reports header, with a way back and sign-out.
        assert_eq!(
            browser.text(&browser.find("header.top a[href=\"/reports\"]")),
            "Worklife reports"
        );
        assert!(browser.find_all("header.top form.logout button").len() == 1);
        // Inputs are styled: a visible border, and wide enough to type in.
        let title = browser.find("#title");
        assert_ne!(browser.css(&title, "border-top-width"), "0px");
        let width: f64 = browser
            .css(&title, "width")
            .trim_end_matches("px")
            .parse()
            .unwrap();
        assert!(width > 300.0, "title input is {width}px wide");
        browser.screenshot(&format!("plans-{tag}-1-plan"));
        browser.assert_accessible("action plan");

        // A save without a title fails: the summary at the top has the focus, and the
        // problem is next to its field.
        browser.type_into(&browser.find("#owner"), "Team lead");
        browser.click(&browser.find("form.add-item button[type=submit]"));
        let summary = browser.find("#problems");
        assert!(browser.text(&summary).contains("Action: is required"));
        let focused = browser.run("return document.activeElement.id;");
        assert_eq!(focused, "problems", "focus on the problem summary");
        let scrolled =
            browser.run("return document.getElementById('problems').getBoundingClientRect().top;");
        assert!(
            scrolled.as_f64().unwrap() < 1000.0,
            "summary in view: {scrolled}"
        );
        assert_eq!(
            browser.text(&browser.find("#title-problem")),
            "Action: is required"
        );
        assert_eq!(
            browser.attribute(&browser.find("#owner"), "value"),
            "Team lead"
        );
        browser.screenshot(&format!("plans-{tag}-2-problems"));
        browser.assert_accessible("action plan with problems");
        // The summary's link takes the reader to the field.
        browser.click(&browser.find("#problems a[href=\"#title\"]"));
        assert_eq!(browser.run("return document.activeElement.id;"), "title");

        // One click on a suggested action adds it to the plan.
        let suggestion = browser.attribute(
            &browser.find("form.add-suggestion input[name=title]"),
            "value",
        );
        assert!(!suggestion.is_empty());
        browser.click(&browser.find("form.add-suggestion button"));
        let saved = browser.text(&browser.find("#saved"));
        assert_eq!(
            saved,
            format!("Saved: “{suggestion}” (not started). Edit it")
        );
        let items = browser.text(&browser.find("table.plan-items"));
        assert!(items.contains(&suggestion), "{items}");
        assert!(items.contains("W2"), "the wave that raised it: {items}");
        assert_eq!(browser.find_all("table.plan-items tbody tr").len(), 1);
        // The status labels are for screen readers only, not on screen.
        let hidden_label = browser.run(
            "const l = document.querySelector('table.plan-items label.visually-hidden');
             const r = l.getBoundingClientRect();
             return [r.width, r.height, getComputedStyle(l).position];",
        );
        assert!(hidden_label[0].as_f64().unwrap() <= 1.0, "{hidden_label}");
        assert!(hidden_label[1].as_f64().unwrap() <= 1.0, "{hidden_label}");
        assert_eq!(hidden_label[2], "absolute");
        browser.screenshot(&format!("plans-{tag}-3-saved"));
        browser.assert_accessible("action plan after saving");
        // The suggestion just added reads as in the plan; the others keep their button.
        assert_eq!(
            browser.text(&browser.find("ul.suggestions p.in-plan")),
            "In your plan"
        );
        browser.run("document.getElementById('suggestions-heading').scrollIntoView();");
        browser.screenshot(&format!("plans-{tag}-3b-suggestions"));

        // Editable afterwards: an owner and a due date.
        // From the confirmation's own link.
        browser.click(&browser.find("#saved a[href*=\"edit=\"]"));
        assert_eq!(
            browser.attribute(&browser.find("#title"), "value"),
            suggestion
        );
        browser.type_into(&browser.find("#owner"), "Kim");
        browser.run("document.getElementById('due').value = '2030-03-31';");
        browser.click(&browser.find("form.add-item button[type=submit]"));
        let saved = browser.text(&browser.find("#saved"));
        assert!(saved.starts_with("Saved:"), "{saved}");
        let row = browser.text(&browser.find("table.plan-items tbody tr"));
        assert!(row.contains("Kim") && row.contains("31 Mar 2030"), "{row}");
        browser.click(&browser.find("header.top form.logout button"));
        browser.wait_for_url("/login");

        // HR finds the overview from the header and sees the item counted for Acme/Eng.
        browser.sign_in(ADMIN, &f.passwords[ADMIN]);
        browser.click(&browser.find("header.top a.plans-link"));
        browser.wait_for_url("/reports/action-plans");
        let cells: Vec<String> = browser
            .find_all("tr[data-unit=\"Acme/Eng\"] th, tr[data-unit=\"Acme/Eng\"] td")
            .iter()
            .map(|c| browser.text(c))
            .collect();
        assert_eq!(cells[0], "Acme › Eng");
        // not started, in progress, done, dropped, all items, overdue
        assert_eq!(&cells[2..], ["1", "0", "0", "0", "1", "0"], "{cells:?}");
        browser.screenshot(&format!("plans-{tag}-4-overview"));
        browser.assert_accessible("action plans overview");
        browser.click(&browser.find("tr[data-unit=\"Acme/Eng\"] a"));
        browser.wait_for_url("/units/Acme%2FEng/action-plan");
        // On a 390 px phone neither page scrolls sideways: wide tables scroll in their box.
        browser.set_window_size(390, 844);
        for (url, name) in [
            ("/units/Acme%2FEng/action-plan", "5-plan-phone"),
            ("/reports/action-plans", "6-overview-phone"),
        ] {
            browser.go(&app.url(url));
            browser.screenshot(&format!("plans-{tag}-{name}"));
            let widths = browser.run(
                "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
            );
            assert!(
                widths[0].as_u64() <= widths[1].as_u64(),
                "{url} scrolls sideways: {widths}"
            );
            // A table box that scrolls can be reached and scrolled with the keyboard.
            browser.assert_accessible(&format!("{name} at 390 px"));
        }
        browser.set_window_size(1400, 1000);
        browser.click(&browser.find("header.top form.logout button"));
        browser.wait_for_url("/login");
    }
}
