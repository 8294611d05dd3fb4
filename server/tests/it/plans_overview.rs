//! HR's overview of every unit's action plan (`/reports/action-plans` and its CSV): who may
//! read it and which units they see, a suggested action added with one click counted in it,
//! and overdue items by the service's clock, on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;

use chrono::NaiveDate;
use worklife_server::clock::Clock;
use worklife_server::db::DbPool;
use worklife_server::web::{self, AppState};
use worklife_tests::backends;
use worklife_tests::reports_common::*;

const CSV_HEADER: &str =
    "unit,wave,scores,not_started,in_progress,done,dropped,total,overdue,as_of";

fn overview(app: &str) -> String {
    format!("{app}/reports/action-plans")
}

fn overview_csv(app: &str) -> String {
    format!("{app}/reports/action-plans.csv")
}

/// The CSV record of `unit` (first cell), split into cells.
fn csv_row(csv: &str, unit: &str) -> Option<Vec<String>> {
    csv.lines()
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .find(|cells| cells.first().map(String::as_str) == Some(unit))
}

/// The text of each cell of the overview row of `unit`, unit name first.
fn page_row(html: &str, unit: &str) -> Option<Vec<String>> {
    let start = html.find(&format!("<tr data-unit=\"{unit}\">"))?;
    let row = &html[start..start + html[start..].find("</tr>")?];
    let mut cells = Vec::new();
    let mut rest = row;
    while let Some(open) = rest.find("<t") {
        let after = &rest[open..];
        if !(after.starts_with("<td") || after.starts_with("<th")) {
            rest = &after[2..];
            continue;
        }
        let body_start = after.find('>').unwrap() + 1;
        let body_end = after.find("</t").unwrap();
        let mut text = String::new();
        let mut in_tag = false;
        for c in after[body_start..body_end].chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                _ if !in_tag => text.push(c),
                _ => {}
            }
        }
        cells.push(text);
        rest = &after[body_end + 3..];
    }
    Some(cells)
}

/// The hidden fields of the first one-click "Add to plan" form on a plan page.
fn first_suggestion(html: &str) -> Vec<(String, String)> {
    let at = html.find("class=\"add-suggestion\"").unwrap();
    let form = &html[at..at + html[at..].find("</form>").unwrap()];
    form.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|f| {
            let (name, rest) = f.split_once("\" value=\"").unwrap();
            let value = rest.split('"').next().unwrap();
            (name.to_string(), unescape(value))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

fn cookie(who: &As) -> &str {
    match who {
        As::Cookie(c) => c,
        _ => unreachable!(),
    }
}

#[test]
fn the_overview_and_its_csv_by_role_and_scope() {
    for backend in backends() {
        let fx = fixture(backend);
        let app = &fx.app.address;
        let admin = As::Cookie(session(&fx.app, ADMIN, &fx.passwords[ADMIN]));
        let viewer = As::Cookie(session(&fx.app, VIEWER, &fx.passwords[VIEWER]));
        let manager = As::Cookie(session(&fx.app, MANAGER, &fx.passwords[MANAGER]));

        // Anonymous readers go to the login page, page and CSV alike; a bad token is refused.
        for url in [overview(app), overview_csv(app)] {
            let anonymous = get(&url, &As::Anonymous);
            assert_eq!(anonymous.status, 303, "{backend:?} {url}");
            let path = url.strip_prefix(app.as_str()).unwrap();
            assert_eq!(
                anonymous.header("location"),
                Some(format!("/login?next={}", worklife_server::web::enc(path)).as_str())
            );
            assert!(!anonymous.body.contains("Acme"));
            assert_eq!(get(&url, &As::Bearer("nope".into())).status, 401);
        }

        // Admins and viewers see every unit of the latest closed wave, with a link to its plan.
        for (who, bearer) in [(&admin, ADMIN), (&viewer, VIEWER)] {
            let page = get(&overview(app), who);
            assert_eq!(page.status, 200, "{backend:?} {bearer}: {}", page.body);
            for unit in [
                "Acme",
                "Acme/Eng",
                "Acme/Eng/Platform",
                "Acme/Sales",
                "Acme/Tiny",
            ] {
                assert!(
                    page.body.contains(&format!("<tr data-unit=\"{unit}\">")),
                    "{bearer} {unit}"
                );
            }
            assert!(page
                .body
                .contains("<a href=\"/units/Acme%2FSales/action-plan\">Acme › Sales</a>"));
            assert!(page.body.contains("Scores from wave W2"));
            let csv = get(&overview_csv(app), &As::Bearer(fx.tokens[bearer].clone()));
            assert_eq!(csv.status, 200);
            assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
            assert_eq!(csv.body.lines().next(), Some(CSV_HEADER));
            assert!(csv_row(&csv.body, "Acme/Sales").is_some(), "{}", csv.body);
        }

        // A manager sees their own subtree and nothing else, page and CSV alike.
        let page = get(&overview(app), &manager);
        assert_eq!(page.status, 200);
        assert!(page.body.contains("<tr data-unit=\"Acme/Eng\">"));
        assert!(page.body.contains("<tr data-unit=\"Acme/Eng/Platform\">"));
        for outside in ["Acme", "Acme/Sales", "Acme/Tiny"] {
            assert!(
                !page.body.contains(&format!("data-unit=\"{outside}\"")),
                "{outside}"
            );
            assert!(!page
                .body
                .contains(&format!("{}/action-plan", form_value(outside))));
        }
        let csv = get(&overview_csv(app), &As::Bearer(fx.tokens[MANAGER].clone())).body;
        let units: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(units, ["Acme/Eng", "Acme/Eng/Platform"], "{csv}");

        // Hidden units read "hidden", with no figure; shown ones are listed without a plan.
        let admin_page = get(&overview(app), &admin).body;
        let tiny = page_row(&admin_page, "Acme/Tiny").unwrap();
        assert_eq!(tiny[1], "hidden", "{tiny:?}");
        let without = &admin_page[admin_page.find("id=\"without-heading\"").unwrap()..];
        assert!(!without.contains("data-unit=\"Acme/Tiny\""));
        assert!(
            without.contains("<li data-unit=\"Acme/Sales\">"),
            "{without}"
        );

        // Every read is audited, with who and the wave.
        let audit = fx.app.workspace.ok(&["audit", "list"]);
        assert!(
            audit.lines().any(|l| l.contains(VIEWER)
                && l.contains("view action-plans")
                && l.contains("wave=W2")),
            "{audit}"
        );
        assert!(audit
            .lines()
            .any(|l| l.contains(MANAGER) && l.contains("view action-plans.csv")));
    }
}

#[test]
fn a_suggested_action_added_with_one_click_is_counted_in_the_overview() {
    for backend in backends() {
        let fx = fixture(backend);
        let app = &fx.app.address;
        let admin = As::Cookie(session(&fx.app, ADMIN, &fx.passwords[ADMIN]));
        let manager = As::Cookie(session(&fx.app, SALES, &fx.passwords[SALES]));
        let plan_url = format!("{app}/units/Acme%2FSales/action-plan");

        let before = get(&overview_csv(app), &As::Bearer(fx.tokens[ADMIN].clone())).body;
        let row = csv_row(&before, "Acme/Sales").unwrap();
        assert_eq!(row[2], "shown", "{before}");
        assert_eq!(row[7], "0", "no item yet: {before}");
        let page = get(&overview(app), &admin).body;
        let without = &page[page.find("id=\"without-heading\"").unwrap()..];
        assert!(without.contains("<li data-unit=\"Acme/Sales\">"));

        // The manager's one click: the suggestion's own form, as the page gives it.
        let plan = get(&plan_url, &manager).body;
        let mut fields = first_suggestion(&plan);
        let title = fields.iter().find(|(k, _)| k == "title").unwrap().1.clone();
        assert!(!title.is_empty());
        assert!(fields
            .iter()
            .any(|(k, v)| k == "csrf_token" && !v.is_empty()));
        let body = fields
            .drain(..)
            .map(|(k, v)| format!("{k}={}", form_value(&v)))
            .collect::<Vec<_>>()
            .join("&");
        let added = post_form(
            &format!("{plan_url}/items?wave=W2"),
            Some(cookie(&manager)),
            &body,
        );
        assert_eq!(added.status, 303, "{backend:?}: {}", added.body);
        let location = added.header("location").unwrap().to_string();
        assert!(
            location.starts_with("../action-plan?wave=W2&saved="),
            "{location}"
        );

        // Back on the plan: the confirmation, the item with the wave that raised it, and
        // the suggestion marked as in the plan.
        let after = get(
            &format!("{app}/units/Acme%2FSales/{}", &location[3..]),
            &manager,
        )
        .body;
        let shown_title = title.replace('\'', "&#39;");
        assert!(
            after.contains(&format!("Saved: “{shown_title}” (not started)."))
                || after.contains(&format!(
                    "Saved: “{}” (not started).",
                    title.replace('\'', "&#x27;")
                )),
            "{after}"
        );
        assert!(after.contains("<span class=\"wave-tag\">W2</span>"));
        assert!(after.contains("<p class=\"in-plan\">In your plan</p>"));

        // HR's overview counts it: one item, not started, and the unit has a plan now.
        let csv = get(&overview_csv(app), &As::Bearer(fx.tokens[ADMIN].clone())).body;
        let row = csv_row(&csv, "Acme/Sales").unwrap();
        assert_eq!(&row[3..9], ["1", "0", "0", "0", "1", "0"], "{csv}");
        let page = get(&overview(app), &admin).body;
        let cells = page_row(&page, "Acme/Sales").unwrap();
        assert_eq!(cells[0], "Acme › Sales");
        assert_eq!(&cells[2..], ["1", "0", "0", "0", "1", "0"], "{cells:?}");
        assert!(page.contains(
            "1 action item: 1 not started, 0 in progress, 0 done, 0 dropped; 0 overdue."
        ));
        let without = &page[page.find("id=\"without-heading\"").unwrap()..];
        assert!(!without.contains("data-unit=\"Acme/Sales\""));
    }
}

/// The real app on its own port with `clock` as the service's clock.
fn spawn_with_clock(fx: &Fixture, clock: Clock) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = fx.app.workspace.settings();
    settings.base_url = address.clone();
    let mut state = AppState::new(
        DbPool::connect(&fx.app.workspace.db.url, 4).unwrap(),
        settings,
    )
    .unwrap();
    state.clock = clock;
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let _ = web::run(listener, state).unwrap().await;
        })
    });
    address
}

#[test]
fn overdue_items_follow_the_service_clock() {
    for backend in backends() {
        let fx = fixture(backend);
        let ws = &fx.app.workspace;
        let id = ws
            .ok(&[
                "action",
                "add",
                "--unit",
                "Acme/Sales",
                "--area",
                "workload",
                "--title",
                "Review the rota",
                "--due",
                "2030-06-01",
            ])
            .trim()
            .to_string();
        let due_day = NaiveDate::from_ymd_opt(2030, 6, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let clock = Clock::manual(due_day);
        let app = spawn_with_clock(&fx, clock.clone());
        let admin = As::Cookie({
            let r = login_at(&app, ADMIN, &fx.passwords[ADMIN]);
            assert_eq!(r.status, 303);
            format!("wl_session={}", r.cookie("wl_session").unwrap().0)
        });
        let sales = |csv: &str| csv_row(csv, "Acme/Sales").unwrap();

        // Due today is not late yet.
        let csv = get(&overview_csv(&app), &admin).body;
        assert_eq!(sales(&csv)[8], "0", "{csv}");
        assert_eq!(sales(&csv)[9], "2030-06-01");
        let page = get(&overview(&app), &admin).body;
        assert!(
            page.contains("<span id=\"as-of\">1 Jun 2030</span>"),
            "{page}"
        );
        assert!(page.contains("No item is overdue."));

        // A day later it is, on the overview and on the unit's plan.
        clock.advance(chrono::Duration::days(1));
        let csv = get(&overview_csv(&app), &admin).body;
        assert_eq!(sales(&csv)[8], "1", "{backend:?}: {csv}");
        let page = get(&overview(&app), &admin).body;
        let late = &page[page.find("id=\"overdue-heading\"").unwrap()..];
        assert!(late.contains("Review the rota"), "{late}");
        assert!(late.contains("<time datetime=\"2030-06-01\">1 Jun 2030</time>"));
        let plan = get(&format!("{app}/units/Acme%2FSales/action-plan"), &admin).body;
        assert!(
            plan.contains("<strong class=\"overdue\">overdue</strong>"),
            "{plan}"
        );

        // Done is never overdue.
        ws.ok(&["action", "set-status", &id, "done"]);
        let csv = get(&overview_csv(&app), &admin).body;
        assert_eq!(&sales(&csv)[3..9], ["0", "0", "1", "0", "1", "0"], "{csv}");
    }
}
