//! Emails to staff on both databases: when a wave closes each manager of one of its units
//! gets a link to their team's results (which opens after sign-in), never a word on who
//! answered; nudges go weekly for four weeks while the plan is empty, on a manual clock,
//! stop when something is planned or the manager unsubscribes; an admin's test email goes
//! through the outbox and the settings page says what became of it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::Browser;
use chrono::Duration;
use worklife_server::clock::Clock;
use worklife_server::mail::notices;
use worklife_server::mail::outbox::Worker;
use worklife_server::plans::items::{self, NewItem};
use worklife_server::survey::waves;
use worklife_tests::reports_common::*;
use worklife_tests::smtp::SmtpSink;
use worklife_tests::{backends, spawn_app, unescape, Workspace};

/// Every email in the workspace's outbox folder as (recipient, whole text with
/// quoted-printable soft breaks undone).
fn outbox(ws: &Workspace) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(ws.outbox()) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = entries
        .flatten()
        .map(|e| {
            let text = std::fs::read_to_string(e.path())
                .unwrap()
                .replace("=\r\n", "")
                .replace("=3D", "=");
            let to = text
                .lines()
                .find_map(|l| l.strip_prefix("To: "))
                .unwrap()
                .trim()
                .to_string();
            (to, text)
        })
        .collect();
    out.sort();
    out
}

fn staff_mail(ws: &Workspace, subject_has: &str) -> Vec<(String, String)> {
    outbox(ws)
        .into_iter()
        .filter(|(_, t)| {
            t.lines()
                .any(|l| l.starts_with("Subject:") && l.contains(subject_has))
        })
        .collect()
}

/// The roster's people, with the staff of every role; returns the passwords.
fn org(
    backend: worklife_tests::Backend,
) -> (Workspace, std::collections::BTreeMap<&'static str, String>) {
    let ws = Workspace::new(backend);
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster())]);
    let mut passwords = std::collections::BTreeMap::new();
    for (email, role, unit) in [
        (ADMIN, "admin", None),
        (VIEWER, "viewer", None),
        (MANAGER, "manager", Some("Acme/Eng")),
        (SALES, "manager", Some("Acme/Sales")),
    ] {
        let mut args = vec!["user", "add", "--email", email, "--role", role];
        if let Some(u) = unit {
            args.extend(["--unit", u]);
        }
        passwords.insert(email, password_of(&ws.ok(&args)));
    }
    (ws, passwords)
}

/// The first line of `text` holding `needle`, trimmed.
fn line_with(text: &str, needle: &str) -> String {
    text.lines()
        .find(|l| l.contains(needle) && !l.contains('<'))
        .unwrap_or_else(|| panic!("no line with {needle} in {text}"))
        .trim()
        .to_string()
}

#[test]
fn closing_a_wave_emails_each_manager_a_link_to_their_results() {
    for backend in backends() {
        let (ws, passwords) = org(backend);
        run_wave(&ws, "W1", 0, &["tenure"]);
        let before = outbox(&ws).len();
        ws.ok(&["mail", "send"]);
        let released = staff_mail(&ws, "results for");
        let to: Vec<&str> = released.iter().map(|(to, _)| to.as_str()).collect();
        // Managers of the wave's units only: not the admin, the viewer or any respondent.
        assert_eq!(to, [MANAGER, SALES], "{backend:?}");
        assert_eq!(outbox(&ws).len(), before + 2, "{backend:?}");
        let (_, eng) = &released[0];
        assert!(
            eng.contains("the W1 results for Acme/Eng are ready"),
            "{eng}"
        );
        // No respondent's address, and no count of who answered.
        for n in 1..=17 {
            assert!(
                !eng.contains(&format!("p{n}@example.org")),
                "{backend:?}: {eng}"
            );
        }
        assert!(!eng.to_lowercase().contains("responded"), "{eng}");
        let link = line_with(eng, "/reports/waves/");
        assert!(
            link.ends_with("/reports/waves/W1?unit=Acme%2FEng"),
            "{link}"
        );
        let plan = line_with(eng, "/action-plan");
        assert!(
            plan.ends_with("/units/Acme%2FEng/action-plan?wave=W1"),
            "{plan}"
        );
        // Sending again sends nothing twice.
        ws.ok(&["mail", "send"]);
        assert_eq!(staff_mail(&ws, "results for").len(), 2, "{backend:?}");

        // The link opens the manager's results after signing in.
        let app = spawn_app(ws);
        let path = link
            .split_once("/reports/")
            .map(|(_, p)| format!("/reports/{p}"))
            .unwrap();
        let anonymous = get(&app.url(&path), &As::Anonymous);
        assert_eq!(anonymous.status, 303);
        let next = anonymous.header("location").unwrap().to_string();
        assert_eq!(
            next,
            format!("/login?next={}", worklife_server::web::enc(&path))
        );
        let cookie = session(&app, MANAGER, &passwords[MANAGER]);
        let page = get(&app.url(&path), &As::Cookie(cookie));
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        // The heat map of the manager's own unit (its breadcrumb), not the whole organisation.
        let body = unescape(&page.body);
        assert!(
            body.contains("Eng") && !body.contains("Acme/Sales"),
            "{backend:?}: {body}"
        );
    }
}

#[test]
fn the_results_email_arrives_at_a_real_smtp_server() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let (ws, _) = org(worklife_tests::Backend::Sqlite);
    run_wave(&ws, "W1", 0, &[]);
    worklife_tests::mail_common::run(&ws, &sink, &["mail", "send"], &[]);
    let by = sink.by_recipient();
    let eng = &by[MANAGER];
    assert_eq!(eng.len(), 1);
    // Quoted-printable writes "=" as "=3D".
    let text = eng[0].text.replace("=3D", "=");
    assert!(text.contains("/reports/waves/W1?unit=Acme%2FEng"), "{text}");
    assert!(!by.contains_key(ADMIN) && !by.contains_key(VIEWER));
}

#[test]
fn nudges_go_weekly_for_four_weeks_while_the_plan_is_empty() {
    for backend in backends() {
        let (ws, _) = org(backend);
        run_wave(&ws, "W1", 0, &[]);
        let pool = ws.pool();
        let mut conn = pool.get().unwrap();
        let t0 = worklife_server::clock::now();
        let days = |d: i64| t0 + Duration::days(d) + Duration::minutes(1);
        let mut nudge = |at, every| notices::queue_nudges(&mut conn, at, every).unwrap();
        assert_eq!(nudge(days(6), 7), 0, "{backend:?}: not before a week");
        assert_eq!(nudge(days(7), 0), 0, "{backend:?}: 0 turns them off");
        assert_eq!(nudge(days(7), 7), 2, "{backend:?}: both managers");
        assert_eq!(nudge(days(8), 7), 0, "{backend:?}: once a week at most");
        assert_eq!(
            nudge(days(8), 1),
            0,
            "{backend:?}: never more often than weekly"
        );
        assert_eq!(nudge(days(14), 7), 2, "{backend:?}");
        // Eng plans something: only Sales is nudged from now on.
        let mut conn2 = pool.get().unwrap();
        let w1 = waves::find(&mut conn2, "W1").unwrap();
        items::create(
            &mut conn2,
            &NewItem {
                unit_path: "Acme/Eng",
                area: "workload",
                title: "Protect a focus morning",
                owner: "Team lead",
                due: "",
                notes: "",
                status: "",
                created_wave_id: Some(&w1.id),
            },
            days(15),
        )
        .unwrap();
        let mut nudge = |at, every| notices::queue_nudges(&mut conn, at, every).unwrap();
        assert_eq!(nudge(days(21), 7), 1, "{backend:?}");
        assert_eq!(nudge(days(28), 7), 1, "{backend:?}: the fourth");
        assert_eq!(nudge(days(35), 7), 0, "{backend:?}: four at most");

        // Delivered with an unsubscribe link that works without signing in.
        let clock = Clock::manual(days(35));
        let sent = Worker::new(pool.clone(), &ws.settings())
            .unwrap()
            .with_clock(clock)
            .drain()
            .unwrap();
        assert_eq!(sent.sent, 2 + 6, "{backend:?}: results and six nudges");
        let nudges = staff_mail(&ws, "what will");
        assert_eq!(nudges.len(), 6, "{backend:?}");
        assert_eq!(nudges.iter().filter(|(to, _)| to == SALES).count(), 4);
        let (_, text) = nudges.iter().find(|(to, _)| to == SALES).unwrap();
        assert!(
            text.contains("/units/Acme%2FSales/action-plan?wave=W1"),
            "{text}"
        );
        let unsubscribe = line_with(text, "/unsubscribe/");
        let path = format!("/unsubscribe/{}", unsubscribe.rsplit('/').next().unwrap());
        // The database keeps the link's hash only.
        let token = path.rsplit('/').next().unwrap();
        assert!(token.len() > 30);
        let app = spawn_app(ws);
        let page = get(&app.url(&path), &As::Anonymous);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert!(page.body.contains(SALES) && page.body.contains("are <strong>on</strong>"));
        let done = post_form(&app.url(&path), None, "nudges=off");
        assert_eq!(done.status, 200, "{backend:?}: {}", done.body);
        assert!(done.body.contains("no more reminders"), "{}", done.body);
        // Sales gets none from now on; a new wave's results would go out still.
        let mut conn = app.workspace.pool().get().unwrap();
        let store: i64 = {
            use diesel::prelude::*;
            use worklife_server::db::schema::notices as n;
            worklife_server::db_run!(&mut conn, |c| n::table
                .filter(n::link_hash.eq(token))
                .count()
                .get_result(c))
            .unwrap()
        };
        assert_eq!(store, 0, "{backend:?}: the token itself is never stored");
        assert_eq!(
            get(&app.url("/unsubscribe/not-a-token"), &As::Anonymous).status,
            404
        );
        let audit = app.workspace.ok(&["audit", "list"]);
        assert!(audit.contains(&format!("{SALES}\tstop nudges")), "{audit}");
    }
}

#[test]
fn an_admin_sends_a_test_email_through_the_outbox() {
    for backend in backends() {
        let (ws, passwords) = org(backend);
        let app = spawn_app(ws);
        let cookie = session(&app, ADMIN, &passwords[ADMIN]);
        let page = get(&app.url("/reports/settings"), &As::Cookie(cookie.clone()));
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Send a test email"));
        let csrf = csrf_of(&page.body);
        // Without the form's token, as another role, or signed out: refused, nothing queued.
        let url = app.url("/reports/settings/test-email");
        assert_eq!(post_form(&url, Some(&cookie), "csrf=wrong").status, 403);
        assert_eq!(post_form(&url, Some(&cookie), "").status, 403);
        let viewer = session(&app, VIEWER, &passwords[VIEWER]);
        let viewer_csrf = csrf_of(&get(&app.url("/reports"), &As::Cookie(viewer.clone())).body);
        assert_eq!(
            post_form(&url, Some(&viewer), &format!("csrf={viewer_csrf}")).status,
            403
        );
        let manager = session(&app, MANAGER, &passwords[MANAGER]);
        let manager_csrf = csrf_of(&get(&app.url("/reports"), &As::Cookie(manager.clone())).body);
        assert_eq!(
            post_form(&url, Some(&manager), &format!("csrf={manager_csrf}")).status,
            403
        );
        assert_eq!(post_form(&url, None, &format!("csrf={csrf}")).status, 303);
        assert!(staff_mail(&app.workspace, "test email").is_empty());

        let r = post_form(&url, Some(&cookie), &format!("csrf={csrf}"));
        assert_eq!(r.status, 303, "{backend:?}: {}", r.body);
        assert_eq!(r.header("location"), Some("/reports/settings#test-email"));
        let page = get(&app.url("/reports/settings"), &As::Cookie(cookie.clone()));
        assert!(page.body.contains("is waiting to be sent"), "{}", page.body);
        Worker::new(app.workspace.pool(), &app.workspace.settings())
            .unwrap()
            .drain()
            .unwrap();
        let sent = staff_mail(&app.workspace, "test email");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, ADMIN);
        let page = get(&app.url("/reports/settings"), &As::Cookie(cookie));
        assert!(
            page.body.contains("was written as a file into"),
            "{}",
            page.body
        );
        let audit = app.workspace.ok(&["audit", "list"]);
        assert!(
            audit.contains(&format!("{ADMIN}\tsend test email")),
            "{audit}"
        );
    }
}

/// The two pages these emails lead to, in headless Chromium with axe-core: the settings
/// page after "Send a test email", and a nudge's unsubscribe page before and after.
#[test]
fn the_test_email_and_unsubscribe_pages_in_the_browser() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let (ws, passwords) = org(worklife_tests::Backend::Sqlite);
    run_wave(&ws, "W1", 0, &[]);
    let t0 = worklife_server::clock::now();
    let pool = ws.pool();
    let at = t0 + Duration::days(7) + Duration::minutes(1);
    notices::queue_nudges(&mut pool.get().unwrap(), at, 7).unwrap();
    Worker::new(pool.clone(), &ws.settings())
        .unwrap()
        .with_clock(Clock::manual(at))
        .drain()
        .unwrap();
    let (_, text) = staff_mail(&ws, "what will")
        .into_iter()
        .find(|(to, _)| to == MANAGER)
        .unwrap();
    let link = line_with(&text, "/unsubscribe/");
    let path = &link[link.find("/unsubscribe/").unwrap()..];
    let app = spawn_app(ws);

    browser.go(&app.url("/login"));
    browser.sign_in(ADMIN, &passwords[ADMIN]);
    browser.go(&app.url("/reports/settings"));
    browser.click(&browser.find("#send-test-email"));
    browser.wait_for_url("/reports/settings#test-email");
    let said = browser.text(&browser.find("#test-email-state"));
    assert!(said.contains("is waiting to be sent"), "{said}");
    browser.screenshot("notices-1-settings-test-email");
    browser.assert_accessible("settings with a test email queued");
    browser.click(&browser.find("header.top form.logout button"));
    browser.wait_for_url("/login");

    browser.go(&app.url(path));
    assert!(browser.text(&browser.find("main")).contains(MANAGER));
    browser.screenshot("notices-2-unsubscribe");
    browser.assert_accessible("the unsubscribe page");
    browser.click(&browser.find("#nudges-off"));
    let done = browser.text(&browser.find("p.saved"));
    assert_eq!(
        done,
        "Done: you will get no more reminders about your action plan."
    );
    browser.screenshot("notices-3-unsubscribed");
    browser.assert_accessible("the unsubscribe page after stopping");
    assert!(browser.find_all("#nudges-on").len() == 1);
}
