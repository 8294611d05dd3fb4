//! Participation while a wave is open, as HR and managers read it in the browser: per unit
//! invited, answered and rate under the protection of `wave status` (the same counts shown,
//! the same hidden), the emails' state, a manager's own subtree only, and the ways to it
//! (landing page, the open wave's report address).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_server::survey::waves;
use worklife_tests::reports_common::*;
use worklife_tests::{backends, closed_release, unescape};

/// The table's rows: unit path -> (invited, answered, rate) as the page shows them.
fn rows(body: &str) -> Vec<(String, String, String, String)> {
    body.split("<tr data-unit=\"")
        .skip(1)
        .map(|tr| {
            let path = unescape(tr.split('"').next().unwrap());
            let cells: Vec<String> = tr
                .split("<td")
                .skip(1)
                .map(|td| {
                    let inner = &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()];
                    // Only the text: drop the rate's bar.
                    let text = match inner.find("</svg>") {
                        Some(at) => &inner[at + "</svg>".len()..],
                        None => inner,
                    };
                    text.trim().to_string()
                })
                .collect();
            (path, cells[0].clone(), cells[1].clone(), cells[2].clone())
        })
        .collect()
}

#[test]
fn participation_while_open_shows_what_wave_status_shows_and_no_more() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        // W3 is open, and 9 of its 17 people have answered.
        open_and_answer(&app.workspace, "W3", "2020-07-01", 3, &[], 9);
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let page = get(&app.url("/reports/waves/W3/participation"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert!(page.body.contains("Participation: wave W3"));
        assert!(page.body.contains("data-open=\"true\""));
        assert!(page.body.contains("Emails: <strong>"), "{backend:?}");

        // Exactly the counts `wave status` shows, and "hidden" wherever it hides one.
        let pool = app.workspace.pool();
        let mut conn = pool.get().unwrap();
        let wave = waves::find(&mut conn, "W3").unwrap();
        let expected: Vec<(String, String, String, String)> = waves::status(&mut conn, &wave)
            .unwrap()
            .into_iter()
            .map(|u| {
                let rate = if u.shown && u.invited > 0 {
                    format!("{:.0}%", 100.0 * u.responded as f64 / u.invited as f64)
                } else {
                    String::new()
                };
                let answered = if u.shown {
                    u.responded.to_string()
                } else {
                    "hidden".into()
                };
                (u.path, u.invited.to_string(), answered, rate)
            })
            .collect();
        let shown = rows(&page.body);
        assert_eq!(shown, expected, "{backend:?}");
        assert!(
            shown.iter().any(|r| r.2 == "hidden"),
            "{backend:?}: {shown:?}"
        );
        assert!(
            shown.iter().any(|r| r.2 != "hidden"),
            "{backend:?}: {shown:?}"
        );
        // Tiny has 2 people, under k = 3.
        let tiny = shown.iter().find(|r| r.0 == "Acme/Tiny").unwrap();
        assert_eq!((tiny.2.as_str(), tiny.3.as_str()), ("hidden", ""));

        // A manager sees their own subtree only.
        let manager = As::Cookie(session(app, MANAGER, &f.passwords[MANAGER]));
        let theirs = get(&app.url("/reports/waves/W3/participation"), &manager);
        assert_eq!(theirs.status, 200, "{backend:?}");
        let units: Vec<String> = rows(&theirs.body).into_iter().map(|r| r.0).collect();
        assert_eq!(units, ["Acme/Eng", "Acme/Eng/Platform"], "{backend:?}");

        // Anonymous readers are sent to sign in.
        let anonymous = get(&app.url("/reports/waves/W3/participation"), &As::Anonymous);
        assert_eq!(anonymous.status, 303, "{backend:?}");

        // The landing page links the open wave's participation, and its report's address
        // says the wave is open and links there too.
        let landing = get(&app.url("/reports"), &admin);
        assert!(
            landing
                .body
                .contains("<a href=\"/reports/waves/W3/participation\">participation so far</a>"),
            "{backend:?}: {}",
            landing.body
        );
        let report = get(&app.url("/reports/waves/W3"), &admin);
        assert_eq!(report.status, 409, "{backend:?}");
        assert!(report.body.contains(
            "<a href=\"/reports/waves/W3/participation\">See how many have answered so far</a>"
        ));
        let questions = get(&app.url("/reports/waves/W3/items"), &admin);
        assert_eq!(questions.status, 409, "{backend:?}");
        assert!(questions.body.contains("/reports/waves/W3/participation"));

        // Every look is in the audit log, without a figure.
        let audit = app.workspace.ok(&["audit", "list"]);
        assert!(audit.contains("view participation"), "{audit}");

        // The refresh script is the binary's own.
        let script = get(&app.url("/static/participation.js"), &As::Anonymous);
        assert_eq!(script.status, 200);
        assert!(script.body.contains("DOMParser"));
        assert!(!script.body.contains("localStorage"));
    }
}

/// A closed wave's page prints its release's own counts of everyone who answered
/// (`Release::answered`, audited with the release), hidden exactly where the release hides
/// them, and says so.
#[test]
fn a_closed_waves_participation_shows_its_releases_counts() {
    use survey_engine::disclosure::CellKey;
    let backend = backends()[0];
    let f = fixture(backend);
    let app = &f.app;
    let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
    let page = get(&app.url("/reports/waves/W2/participation"), &admin);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("answered: the same counts its reports are built on"),
        "{}",
        page.body
    );
    let pool = app.workspace.pool();
    let mut conn = pool.get().unwrap();
    let built = closed_release(&mut conn, "W2");
    let r = &built.release;
    let shown = rows(&page.body);
    assert_eq!(shown.len(), r.tree.len(), "{shown:?}");
    for (path, _, answered, _) in &shown {
        let unit = r.tree.find(path).unwrap();
        let cell = r.layout.cell_index(CellKey { unit, cut: None });
        let expected = r.answered[cell].map_or("hidden".to_string(), |n| n.to_string());
        assert_eq!(answered, &expected, "{path}: {shown:?}");
    }
    assert!(shown.iter().any(|r| r.2 == "hidden"), "{shown:?}");
    assert!(shown.iter().any(|r| r.2 != "hidden"), "{shown:?}");
}
