//! The admins' pages. The audit log: admins only, newest first, filters by user, action and
//! wave (a wave named like another's prefix or with LIKE wildcards matches only itself), pages
//! of a hundred, and bad input as a clear 400. The settings, without secrets. The roster and
//! its download.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::backends;
use worklife_tests::reports_common::*;

/// The page's rows as (user, action, details).
fn rows(body: &str) -> Vec<(String, String, String)> {
    body.split("<tbody>")
        .nth(1)
        .map(|b| &b[..b.find("</tbody>").unwrap()])
        .unwrap_or_default()
        .split("<tr>")
        .skip(1)
        .map(|tr| {
            let cells: Vec<String> = tr
                .split("<td")
                .skip(1)
                .map(|td| {
                    worklife_tests::unescape(
                        &td[td.find('>').unwrap() + 1..td.find("</td>").unwrap()],
                    )
                })
                .collect();
            (cells[1].clone(), cells[2].clone(), cells[3].clone())
        })
        .collect()
}

#[test]
fn admins_read_the_audit_log_filtered_by_user_action_and_wave() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        // A wave whose name is another's prefix, and one with LIKE wildcards in its name.
        for (name, shift) in [("W2x", 1), ("W_%", 2)] {
            run_wave_from(&app.workspace, name, "2020-02-01", shift, &[]);
        }
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let manager = As::Cookie(session(app, MANAGER, &f.passwords[MANAGER]));
        for url in [
            "/reports/waves/W2",
            "/reports/waves/W2x",
            "/reports/waves/W_%25",
            "/reports/waves/W1/items",
        ] {
            assert_eq!(get(&app.url(url), &admin).status, 200, "{url}");
        }
        assert_eq!(get(&app.url("/reports/waves/W2"), &manager).status, 200);

        let all = get(&app.url("/reports/audit"), &admin);
        assert_eq!(all.status, 200, "{backend:?}: {}", all.body);
        let everything = rows(&all.body);
        // Newest first: the manager's read came last.
        assert_eq!(everything[0].0, MANAGER, "{backend:?}: {everything:?}");
        assert_eq!(everything[0].1, "view heatmap");

        let by_user = rows(&get(&app.url(&format!("/reports/audit?user={MANAGER}")), &admin).body);
        assert!(!by_user.is_empty() && by_user.iter().all(|r| r.0 == MANAGER));

        let by_action = rows(&get(&app.url("/reports/audit?action=view+items"), &admin).body);
        assert_eq!(by_action.len(), 1, "{backend:?}: {by_action:?}");
        assert!(by_action[0].2.starts_with("wave=W1"));

        // W2 is not W2x, and W_% is not any wave of three characters.
        let w2 = rows(&get(&app.url("/reports/audit?wave=W2"), &admin).body);
        assert_eq!(w2.len(), 2, "{backend:?}: {w2:?}");
        assert!(w2
            .iter()
            .all(|r| r.2 == "wave=W2" || r.2.starts_with("wave=W2 ")));
        let odd = rows(&get(&app.url("/reports/audit?wave=W_%25"), &admin).body);
        assert_eq!(odd.len(), 1, "{backend:?}: {odd:?}");
        assert!(odd[0].2.starts_with("wave=W_%"));
        let nothing = get(&app.url("/reports/audit?wave=W9"), &admin);
        assert!(nothing.body.contains("No entry matches these filters"));

        // Bad input is a 400 that names the field; others may not read the log.
        let bad = get(&app.url("/reports/audit?page=0"), &admin);
        assert_eq!(bad.status, 400, "{backend:?}");
        assert!(
            bad.body.contains("is not a page number (1, 2, ...)"),
            "{}",
            bad.body
        );
        assert_eq!(get(&app.url("/reports/audit"), &manager).status, 403);
        let viewer = As::Cookie(session(app, VIEWER, &f.passwords[VIEWER]));
        assert_eq!(get(&app.url("/reports/audit"), &viewer).status, 403);
        assert_eq!(get(&app.url("/reports/audit"), &As::Anonymous).status, 303);
        // The page is linked for admins only.
        assert!(get(&app.url("/reports"), &admin)
            .body
            .contains("href=\"/reports/audit\""));
        assert!(!get(&app.url("/reports"), &manager)
            .body
            .contains("href=\"/reports/audit\""));
    }
}

/// A hundred entries a page, with links to newer and older ones that keep the filters.
#[test]
fn the_audit_log_comes_in_pages_of_a_hundred() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        for _ in 0..105 {
            get(&app.url("/reports/waves/W2"), &admin);
        }
        let first = get(&app.url("/reports/audit?action=view+heatmap"), &admin);
        assert_eq!(rows(&first.body).len(), 100, "{backend:?}");
        assert!(
            first
                .body
                .contains("href=\"/reports/audit?action=view%20heatmap&#38;page=2\""),
            "{backend:?}: {}",
            first.body
        );
        let second = get(
            &app.url("/reports/audit?action=view%20heatmap&page=2"),
            &admin,
        );
        assert_eq!(rows(&second.body).len(), 5, "{backend:?}");
        assert!(second.body.contains("Newer entries"));
        assert!(!second.body.contains("Older entries"));
    }
}

/// The settings page: admins only, the settings in words with where each is set, and no
/// secret (the database address is not shown).
#[test]
fn admins_read_the_settings_without_secrets() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let page = get(&app.url("/reports/settings"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        let text = worklife_tests::unescape(&page.body);
        for shown in [
            "Time zone",
            "UTC",
            "Address in links",
            "written as files into",
        ] {
            assert!(text.contains(shown), "{backend:?}: {shown}");
        }
        assert!(
            !text.contains(&app.workspace.db.url),
            "{backend:?}: the database URL"
        );
        let manager = As::Cookie(session(app, MANAGER, &f.passwords[MANAGER]));
        assert_eq!(get(&app.url("/reports/settings"), &manager).status, 403);
        let viewer = As::Cookie(session(app, VIEWER, &f.passwords[VIEWER]));
        assert_eq!(get(&app.url("/reports/settings"), &viewer).status, 403);
        assert_eq!(
            get(&app.url("/reports/settings"), &As::Anonymous).status,
            303
        );
    }
}

/// The roster page: admins only, its size and attributes, and a download that is the CLI's
/// `roster export` byte for byte (through the one, formula-guarding CSV writer), audited.
#[test]
fn admins_see_the_roster_and_download_it_as_the_cli_exports_it() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let page = get(&app.url("/reports/roster"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert!(
            page.body
                .contains("<strong>17</strong> people in <strong>5</strong> units"),
            "{backend:?}: {}",
            page.body
        );
        assert!(page.body.contains("<strong>tenure</strong>"), "{backend:?}");
        let csv = get(&app.url("/reports/roster.csv"), &admin);
        assert_eq!(csv.status, 200, "{backend:?}");
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(
            csv.header("content-disposition"),
            Some("attachment; filename=\"worklife-roster.csv\"")
        );
        assert_eq!(
            csv.body,
            app.workspace.ok(&["roster", "export"]),
            "{backend:?}"
        );
        assert!(app
            .workspace
            .ok(&["audit", "list"])
            .contains("export roster"));
        for who in [MANAGER, VIEWER] {
            let cookie = As::Cookie(session(app, who, &f.passwords[who]));
            assert_eq!(get(&app.url("/reports/roster"), &cookie).status, 403);
            assert_eq!(get(&app.url("/reports/roster.csv"), &cookie).status, 403);
        }
        assert_eq!(
            get(&app.url("/reports/roster.csv"), &As::Anonymous).status,
            303
        );
    }
}
