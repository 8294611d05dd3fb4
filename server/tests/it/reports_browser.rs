//! Browser tests in headless Chromium (see [`crate::browser`]): answer the survey form, sign
//! in as HR, open the heat map and check that shown and hidden cells are rendered as such,
//! open a unit's printable report and download its PDF, then open a manager's action plan
//! and add an item.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::Browser;
use worklife_tests::reports_common::*;
use worklife_tests::{backends, token_of};

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
        app.workspace.create_wave("W3", "worklife-core", "3");
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
        browser.assert_accessible("survey form");
        browser.click(&browser.find("button[type=submit]"));
        let received = browser.text(&browser.find("p.received"));
        assert!(!received.is_empty());
        browser.screenshot(&format!("{tag}-2-thanks"));
        browser.assert_accessible("thank-you page");

        // HR signs in and opens the heat map.
        browser.go(&app.url("/login"));
        browser.assert_accessible("sign-in page");
        browser.sign_in(ADMIN, &f.passwords[ADMIN]);
        // The open wave: participation so far, from the landing page.
        browser.click(&browser.find("a[href=\"/reports/waves/W3/participation\"]"));
        browser.wait_for_url("/reports/waves/W3/participation");
        assert!(!browser.find_all("table.participation tbody tr").is_empty());
        browser.screenshot(&format!("{tag}-2b-participation"));
        browser.assert_accessible("participation page");
        browser.go(&app.url("/reports/audit"));
        assert!(!browser.find_all("table.audit tbody tr").is_empty());
        browser.screenshot(&format!("{tag}-2c-audit-log"));
        browser.assert_accessible("audit log");
        browser.go(&app.url("/reports/settings"));
        browser.screenshot(&format!("{tag}-2d-settings"));
        browser.assert_accessible("settings");
        browser.go(&app.url("/reports/roster"));
        browser.screenshot(&format!("{tag}-2e-roster"));
        browser.assert_accessible("roster");
        browser.go(&app.url("/reports"));
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
        browser.assert_accessible("heat map");
        // Question by question: every item of the organisation, with a bar per answer.
        browser.click(&browser.find("a[href=\"/reports/waves/W2/items\"]"));
        browser.wait_for_url("/reports/waves/W2/items");
        assert!(browser
            .text(&browser.find("h1"))
            .contains("Question by question: Acme, wave W2"));
        assert!(!browser.find_all("table.items ul.shares li").is_empty());
        assert!(!browser.find_all("table.items svg.bar rect").is_empty());
        browser.screenshot(&format!("{tag}-3b-questions"));
        browser.assert_accessible("questions page");
        // Drill into Eng: a unit's name opens its own heat map, with a breadcrumb back up.
        browser.go(&app.url("/reports/waves/W2"));
        browser.click(&browser.find("tr[data-unit=\"Acme/Eng\"]:not(.cut) th a"));
        browser.wait_for_url("/reports/waves/W2?unit=Acme%2FEng");
        assert!(browser
            .text(&browser.find("h1"))
            .contains("Heat map: Acme/Eng, wave W2"));
        assert_eq!(browser.text(&browser.find("nav.crumbs")).lines().count(), 2);
        browser.screenshot(&format!("{tag}-3f-drilled"));
        browser.assert_accessible("drilled-down heat map");
        // The other views: a cut, and the comparison with the previous wave.
        browser.go(&app.url("/reports/waves/W2?attribute=tenure&unit=Acme%2FEng"));
        assert!(!browser.find_all("tr.cut").is_empty());
        browser.assert_accessible("heat map with a cut");
        browser.go(&app.url("/reports/waves/W2?compare=previous&levels=all"));
        browser.assert_accessible("heat map against the previous wave");
        browser.go(&app.url("/reports/waves/W2?unit=Acme%2FEng"));
        // A figure opens the questions of its scale for its unit, at the scale's heading.
        let figure = browser.find("tr[data-unit=\"Acme/Eng/Platform\"] td[data-status=shown] a");
        browser.click(&figure);
        browser.wait_for_url("#scale-workload");
        assert!(browser
            .current_url()
            .contains("/items?unit=Acme%2FEng%2FPlatform"));
        assert!(browser
            .text(&browser.find("h1"))
            .contains("Question by question: Acme/Eng/Platform, wave W2"));
        assert_eq!(
            browser.run("return document.getElementById('scale-workload').getBoundingClientRect().top < 200;"),
            serde_json::Value::Bool(true),
            "the page opens at the scale's questions"
        );
        browser.screenshot(&format!("{tag}-3g-cell-questions"));
        // Back to the drilled-down heat map.
        browser.click(&browser.find("main p a"));
        browser.wait_for_url("/reports/waves/W2?unit=Acme%2FEng%2FPlatform");
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
        browser.assert_accessible("favourable heat map");
        // A unit's trend, a chart per scale, and its printable report.
        browser.go(&app.url("/reports/trend?unit=Acme%2FEng"));
        assert!(!browser.find_all("figure.trend svg text.value").is_empty());
        browser.screenshot(&format!("{tag}-3d-trend"));
        browser.assert_accessible("trend");
        browser.go(&app.url("/reports/waves/W2/print?unit=Acme%2FEng"));
        browser.screenshot(&format!("{tag}-3e-print"));
        browser.assert_accessible("printable report");
        // ... and downloads it as a PDF file the server made, read back with pdftotext.
        let link = browser.find("a[href*=\"report.pdf\"]");
        assert_eq!(browser.text(&link), "Download as PDF");
        let href = browser.attribute(&link, "href");
        assert_eq!(href, "/reports/waves/W2/report.pdf?unit=Acme%2FEng");
        if crate::unit_pdf::have_pdftotext() {
            // The file as the signed-in browser gets it: its session cookie (read through
            // WebDriver; the page's content security policy allows no script requests).
            let session = browser
                .runtime
                .block_on(browser.client().get_named_cookie("wl_session"))
                .unwrap();
            let mut r = worklife_tests::client()
                .get(&app.url(&href))
                .header("Cookie", &format!("wl_session={}", session.value()))
                .call()
                .unwrap();
            assert_eq!(r.status(), 200, "{backend:?}");
            assert_eq!(r.headers()["content-type"], "application/pdf");
            let pdf = r.body_mut().read_to_vec().unwrap();
            let text = crate::unit_pdf::pdf_text(&pdf);
            assert!(text.contains("Acme/Eng: wave W2"), "{backend:?}: {text}");
            let api = get(
                &app.url("/api/v1/waves/W2/heatmap?unit=Acme%2FEng"),
                &As::Bearer(f.tokens[ADMIN].clone()),
            )
            .json();
            let shown = api["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["unit"] == "Acme/Eng" && r["cut"] == "" && r["mean"].is_f64())
                .unwrap();
            let inst = survey_engine::instrument::builtin::load("worklife-core")
                .unwrap()
                .unwrap();
            let label = &inst
                .scales
                .iter()
                .find(|s| s.id == shown["scale"].as_str().unwrap())
                .unwrap()
                .label;
            // The scales table's row: name, n, mean with two decimals.
            let row = format!(
                "{label} {} {:.2}",
                shown["respondents"],
                shown["mean"].as_f64().unwrap()
            );
            assert!(text.contains(&row), "{backend:?}: {row} in {text}");
        }
        // An error page of the reports area: what happened and a way back.
        browser.go(&app.url("/reports/waves/NoSuchWave"));
        assert!(browser
            .text(&browser.find("main"))
            .contains("Back to the reports"));
        browser.assert_accessible("error page");
        browser.go(&app.url("/reports/waves/W2?measure=favorable"));
        browser.click(&browser.find("button[type=submit]"));
        browser.wait_for_url("/login");

        // A manager opens their unit's action plan from the landing page and adds an item.
        browser.sign_in(MANAGER, &f.passwords[MANAGER]);
        browser.click(&browser.find("a[href=\"/units/Acme%2FEng/action-plan\"]"));
        browser.wait_for_url("/units/Acme%2FEng/action-plan");
        assert!(browser.text(&browser.find("h1")).contains("Acme › Eng"));
        browser.type_into(&browser.find("#title"), "Protect two focus days a week");
        browser.type_into(&browser.find("#owner"), "Team lead");
        browser.click(&browser.find("form.add-item button[type=submit]"));
        // Back on the plan, with the confirmation (the URL names the saved item).
        assert!(browser.text(&browser.find("#saved")).starts_with("Saved:"));
        let items = browser.text(&browser.find("table.items"));
        assert!(items.contains("Protect two focus days a week"), "{items}");
        assert!(items.contains("Team lead"), "{items}");
        browser.screenshot(&format!("{tag}-4-action-plan"));
        browser.assert_accessible("action plan");
    }
}

/// The heat map's rows as the browser shows them, per group (`<tbody>`): each row's tree
/// position, whether it is a cut row, and the figure it sorts by in column `col`.
const ROWS_JS: &str = "const col = [...document.querySelectorAll('table.heat thead th')]
      .findIndex(h => h.textContent.trim().startsWith(arguments[0]));
    return [...document.querySelectorAll('table.heat tbody')].map(b =>
      [...b.querySelectorAll('tr[data-index]')].map(r => [
        +r.dataset.index, r.classList.contains('cut'), r.cells[col].dataset.v || null]));";

type Shown = Vec<Vec<(u64, bool, Option<f64>)>>;

fn rows_by(browser: &Browser, heading: &str) -> Shown {
    let js = ROWS_JS.replace("arguments[0]", &format!("{heading:?}"));
    let groups = browser.run(&js);
    groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            g.as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let v = r[2].as_str().map(|v| match v {
                        "+" => f64::INFINITY,
                        "-" => f64::NEG_INFINITY,
                        v => v.parse().unwrap(),
                    });
                    (r[0].as_u64().unwrap(), r[1].as_bool().unwrap(), v)
                })
                .collect()
        })
        .collect()
}

/// Whether `values` are in order (`descending` or not) with the hidden ones (`None`) last.
fn in_order(values: &[Option<f64>], descending: bool) -> bool {
    values.windows(2).all(|w| match (w[0], w[1]) {
        (Some(a), Some(b)) => {
            if descending {
                a >= b
            } else {
                a <= b
            }
        }
        (None, Some(_)) => false,
        _ => true,
    })
}

/// Every group keeps its own unit first and each unit's cut rows under it; the other units,
/// and the cut rows of each unit, follow the column's order with hidden cells last.
fn check_sorted(groups: &Shown, descending: bool) {
    let mut compared = 0;
    for rows in groups {
        let first = rows.first().unwrap();
        assert!(!first.1, "a group starts with its unit: {rows:?}");
        assert_eq!(first.0, rows.iter().map(|r| r.0).min().unwrap(), "{rows:?}");
        let units: Vec<Option<f64>> = rows.iter().skip(1).filter(|r| !r.1).map(|r| r.2).collect();
        assert!(in_order(&units, descending), "{rows:?}");
        let mut at = 0;
        while at < rows.len() {
            let unit = rows[at].0;
            let cuts: Vec<(u64, bool, Option<f64>)> =
                rows[at + 1..].iter().take_while(|r| r.1).copied().collect();
            assert!(
                cuts.iter().all(|c| c.0 > unit),
                "cut rows under their unit: {rows:?}"
            );
            let values: Vec<Option<f64>> = cuts.iter().map(|c| c.2).collect();
            assert!(in_order(&values, descending), "{rows:?}");
            compared += values.iter().flatten().count().saturating_sub(1);
            at += 1 + cuts.len();
        }
        compared += units.iter().flatten().count().saturating_sub(1);
    }
    assert!(compared > 0, "something was put in order: {groups:?}");
}

/// HR sorts the heat map by a column: the least healthy first (a high exhaustion), then
/// the other way, then back to the tree order.
#[test]
fn sort_the_heat_map_by_a_column() {
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let f = fixture(backend);
        let app = &f.app;
        browser.go(&app.url("/login"));
        browser.sign_in(ADMIN, &f.passwords[ADMIN]);
        browser.go(&app.url("/reports/waves/W2?attribute=tenure"));
        let hint = browser.find("#sort-hint");
        assert!(browser.text(&hint).contains("least healthy first"));
        let tree = rows_by(&browser, "Exhaustion");
        let heading = browser
            .find_all("table.heat thead th")
            .into_iter()
            .find(|th| browser.text(th).starts_with("Exhaustion"))
            .unwrap();
        let button = browser.find("table.heat thead th:nth-child(10) button");
        assert!(browser.text(&button).starts_with("Exhaustion"));
        browser.click(&button);
        assert_eq!(browser.attribute(&heading, "aria-sort"), "descending");
        let sorted = rows_by(&browser, "Exhaustion");
        check_sorted(&sorted, true);
        browser.screenshot(&format!("{tag}-5-heatmap-sorted"));
        browser.click(&button);
        assert_eq!(browser.attribute(&heading, "aria-sort"), "ascending");
        let reversed = rows_by(&browser, "Exhaustion");
        check_sorted(&reversed, false);
        // The fixture's answers go to people in link order, so the tree order may happen to
        // be sorted one way; it cannot be both.
        assert!(sorted != tree || reversed != tree, "{tag}: nothing moved");
        assert_ne!(sorted, reversed, "{tag}");
        // "Answered (n)" sorts the largest first.
        let n = browser.find("table.heat thead th:nth-child(2) button");
        browser.click(&n);
        check_sorted(&rows_by(&browser, "Answered"), true);
        assert_eq!(browser.attribute(&heading, "aria-sort"), "");
        browser.click(&browser.find("table.heat thead th:first-child button"));
        assert_eq!(
            rows_by(&browser, "Exhaustion"),
            tree,
            "{tag}: back in tree order"
        );
    }
}

/// On a 390 px phone the heat map's page does not scroll sideways: only the table scrolls,
/// inside its own box, with the headings and the unit names staying in view.
#[test]
fn the_heat_map_fits_a_phone() {
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let f = fixture(backend);
        let app = &f.app;
        browser.set_window_size(390, 844);
        // A long address in the page header, as real ones are.
        let email = "hr.analytics.lead@northwindtradingworldwide.example";
        let added = app
            .workspace
            .ok(&["user", "add", "--email", email, "--role", "viewer"]);
        let password = added
            .lines()
            .find_map(|l| l.strip_prefix("password (shown once): "))
            .unwrap();
        browser.go(&app.url("/login"));
        browser.sign_in(email, password);
        for query in ["", "?measure=favorable&attribute=tenure"] {
            browser.go(&app.url(&format!("/reports/waves/W2{query}")));
            let seen = browser.run(
                "const box = document.querySelector('.table-scroll');
                 const unit = () => box.querySelector('tbody th[scope=row]').getBoundingClientRect().left;
                 const before = unit();
                 box.scrollLeft = 300;
                 return { inner: window.innerWidth,
                          page: document.documentElement.scrollWidth,
                          width: document.documentElement.clientWidth,
                          box: box.scrollWidth - box.clientWidth,
                          scrolled: box.scrollLeft,
                          moved: unit() - before,
                          sticky: getComputedStyle(box.querySelector('thead th')).position };",
            );
            assert!(seen["inner"].as_u64().unwrap() <= 400, "{seen}");
            assert!(
                seen["page"].as_u64() <= seen["width"].as_u64(),
                "{tag} {query}: the page scrolls sideways: {seen}"
            );
            assert!(
                seen["box"].as_i64().unwrap() > 0,
                "the table scrolls: {seen}"
            );
            assert!(seen["scrolled"].as_f64().unwrap() > 0.0, "{seen}");
            assert!(
                seen["moved"].as_f64().unwrap().abs() < 1.0,
                "unit column sticky: {seen}"
            );
            assert_eq!(seen["sticky"], "sticky", "{seen}");
            let name = if query.is_empty() {
                ""
            } else {
                "-favourable-tenure"
            };
            browser.screenshot(&format!("{tag}-6-heatmap-phone{name}"));
        }
        browser.set_window_size(1400, 1000);
    }
}

/// A pulse wave, whose areas are single questions: Big's six people all answered community,
/// fairness and values with 4, so those cells read "all or nearly all gave the same answer"
/// in the middle colour instead of a mean (D9). Screenshot `pulse-*-heatmap.png`; axe-core.
#[test]
fn a_pulse_heat_map_says_in_words_where_a_team_answered_alike() {
    use worklife_tests::action_plan_common as plans;
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let ws = plans::org(backend);
        plans::run_wave(&ws, "Q1", 1);
        let added = ws.ok(&["user", "add", "--email", ADMIN, "--role", "admin"]);
        let app = worklife_tests::spawn_app(ws);
        browser.go(&app.url("/login"));
        browser.sign_in(ADMIN, &password_of(&added));
        browser.go(&app.url("/reports/waves/Q1"));
        browser.wait_for_url("/reports/waves/Q1");
        let banded: Vec<String> = browser
            .find_all("tr[data-unit=\"Acme/Big\"] td.c3")
            .iter()
            .map(|td| browser.text(td))
            .filter(|t| t.contains("gave the same answer"))
            .collect();
        assert_eq!(banded.len(), 3, "{backend:?}: {banded:?}");
        browser.screenshot(&format!("pulse-{tag}-heatmap"));
        browser.assert_accessible("pulse heat map");
    }
}
