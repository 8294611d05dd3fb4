//! The waves console (`/admin/waves`): admins create waves in the organisation's time zone
//! (stored as exact UTC), see each problem next to its field with nothing written, and open,
//! remind, close and cancel waves through confirmation pages; nobody else reaches any of it,
//! and no form works without the session's CSRF token. The browser test walks the same way
//! in headless Chromium with axe-core on every page (screenshots `waves-*.png`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_server::survey::waves::{self, WaveStatus};
use worklife_tests::reports_common::*;
use worklife_tests::{backends, client, unescape, Reply, Workspace};

use crate::browser::Browser;

/// Signs in at `address`; the session cookie pair.
fn session_at(address: &str, email: &str, password: &str) -> String {
    let r = login_at(address, email, password);
    assert_eq!(r.status, 303, "login of {email}: {}", r.body);
    format!("wl_session={}", r.cookie("wl_session").unwrap().0)
}

fn post_bearer(url: &str, token: &str, body: &str) -> Reply {
    Reply::from(
        client()
            .post(url)
            .header("Authorization", &format!("Bearer {token}"))
            .content_type("application/x-www-form-urlencoded")
            .send(body)
            .unwrap(),
    )
}

/// The create form's body: `fields` over a wave that opens and closes by hand.
fn wave_form(csrf: &str, fields: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = vec![
        ("csrf", csrf),
        ("name", "2027-Q1"),
        ("instrument", "worklife-core"),
        ("opens_date", "2027-01-05"),
        ("opens_time", "09:00"),
        ("closes_date", "2027-07-05"),
        ("closes_time", "17:00"),
        ("k", "3"),
        ("reminders", "50%,2d"),
    ];
    for (k, v) in fields {
        if let Some(slot) = all.iter_mut().find(|(name, _)| name == k) {
            slot.1 = v;
        } else {
            all.push((k, v));
        }
    }
    all.iter()
        .map(|(k, v)| format!("{k}={}", form_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn wave_names(app: &worklife_tests::TestApp) -> Vec<String> {
    let pool = app.workspace.pool();
    let mut conn = pool.get().unwrap();
    waves::list(&mut conn)
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect()
}

fn wave(app: &worklife_tests::TestApp, name: &str) -> waves::Wave {
    let pool = app.workspace.pool();
    let mut conn = pool.get().unwrap();
    waves::find(&mut conn, name).unwrap()
}

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

#[test]
fn admins_create_a_wave_in_the_organisations_time_zone() {
    for backend in backends() {
        let f = fixture(backend);
        let berlin = spawn_replica_with(&f.app, |s| s.timezone = "Europe/Berlin".parse().unwrap());
        let url = |p: &str| format!("{berlin}{p}");
        let admin = session_at(&berlin, ADMIN, &f.passwords[ADMIN]);
        let form = get(&url("/admin/waves/new"), &As::Cookie(admin.clone()));
        assert_eq!(form.status, 200, "{backend:?}: {}", form.body);
        for expect in [
            "Opens (Europe/Berlin time)",
            "Minimum group size (k)",
            "value=\"5\"",
            "value=\"tenure\"",
            "<code>50%,2d</code>, means one reminder halfway through the window, and one 2 days before it closes",
            "Open and close automatically at these times",
            "Repeat every quarter",
        ] {
            assert!(form.body.contains(expect), "{backend:?}: {expect}");
        }
        let csrf = csrf_of(&form.body);
        let r = post_form(
            &url("/admin/waves/new"),
            Some(&admin),
            &wave_form(&csrf, &[("attribute", "tenure"), ("auto", "yes")]),
        );
        assert_eq!(r.status, 303, "{backend:?}: {}", r.body);
        assert_eq!(
            r.header("location"),
            Some("/admin/waves/2027-Q1?did=create")
        );
        // 09:00 in Berlin in winter is 08:00 UTC; 17:00 in summer is 15:00 UTC.
        let w = wave(&f.app, "2027-Q1");
        assert_eq!(w.opens_at, at("2027-01-05 08:00"), "{backend:?}");
        assert_eq!(w.closes_at, at("2027-07-05 15:00"), "{backend:?}");
        assert_eq!(w.min_group_size, 3);
        assert_eq!(w.attribute_names(), vec!["tenure".to_string()]);
        assert_eq!(w.status(), WaveStatus::Scheduled);

        let page = get(
            &url("/admin/waves/2027-Q1?did=create"),
            &As::Cookie(admin.clone()),
        );
        assert_eq!(page.status, 200);
        let body = unescape(&page.body);
        for expect in [
            "The wave is created.",
            "5 Jan 2027, 09:00 Europe/Berlin",
            "5 Jul 2027, 17:00 Europe/Berlin",
            "opens automatically on 5 Jan 2027, 09:00 Europe/Berlin",
            "Reminder plan “50%,2d”",
            "0 sent, 0 waiting to be sent, 0 failed for good",
            "Open it now",
            "Cancel it",
        ] {
            assert!(body.contains(expect), "{backend:?}: {expect} in {body}");
        }
        let list = unescape(&get(&url("/admin/waves"), &As::Cookie(admin.clone())).body);
        for expect in [
            "Opens (Europe/Berlin)",
            "5 Jan 2027, 09:00",
            "5 Jul 2027, 17:00",
            "opens automatically on 5 Jan 2027, 09:00 Europe/Berlin",
            "Worklife core survey (version 2)",
            "closed: reports available",
            "href=\"/reports/waves/W1\"",
            "href=\"/admin/waves/new\"",
        ] {
            assert!(
                list.to_lowercase().contains(&expect.to_lowercase()),
                "{backend:?}: {expect} in {list}"
            );
        }
        // The same name again is told next to the name.
        let again = post_form(
            &url("/admin/waves/new"),
            Some(&admin),
            &wave_form(&csrf, &[]),
        );
        assert_eq!(again.status, 409, "{backend:?}");
        assert!(unescape(&again.body)
            .contains("id=\"name-problem\">Name: a wave named \"2027-Q1\" exists already"));
        let audit = get(&url("/reports/audit"), &As::Cookie(admin));
        assert!(audit.body.contains("create wave"), "{backend:?}");
    }
}

#[test]
fn each_problem_is_told_next_to_its_field_and_nothing_is_written() {
    for backend in backends() {
        let f = fixture(backend);
        let berlin = spawn_replica_with(&f.app, |s| s.timezone = "Europe/Berlin".parse().unwrap());
        let url = |p: &str| format!("{berlin}{p}");
        let admin = session_at(&berlin, ADMIN, &f.passwords[ADMIN]);
        let csrf = csrf_of(&get(&url("/admin/waves/new"), &As::Cookie(admin.clone())).body);
        let before = wave_names(&f.app);
        for (fields, expect) in [
            (
                vec![
                    ("opens_date", "2027-13-01"),
                    ("k", "2"),
                    ("attribute", "shoe_size"),
                    ("auto", "yes"),
                    ("reminders", "2w"),
                ],
                vec![
                    ("opens-problem", "Opens: \"2027-13-01\" is not a date"),
                    ("k-problem", "Minimum group size (k): 2 is refused: the minimum group size is at least 3"),
                    ("attributes-problem", "Report attributes: \"shoe_size\" is not a roster column"),
                    ("reminders-problem", "Reminders: \"2w\" is neither"),
                ],
            ),
            (
                vec![("closes_date", "2027-01-04"), ("name", " ")],
                vec![
                    ("closes-problem", "Closes: the wave must close after it opens"),
                    ("name-problem", "Name: the wave name is empty"),
                ],
            ),
            (
                // The clocks go forward at 02:00 on 28 March 2027 in Berlin.
                vec![("opens_date", "2027-03-28"), ("opens_time", "02:30"), ("k", "three")],
                vec![
                    ("opens-problem", "Opens: 28 Mar 2027, 02:30 does not exist in Europe/Berlin"),
                    ("k-problem", "Minimum group size (k): \"three\" is not a whole number"),
                ],
            ),
            (
                vec![("closes_date", "2027-10-31"), ("closes_time", "02:30")],
                vec![("closes-problem", "Closes: 31 Oct 2027, 02:30 happens twice in Europe/Berlin")],
            ),
            (
                vec![("name", "new")],
                vec![("name-problem", "Name: \"new\" is taken by this form's address")],
            ),
        ] {
            let r = post_form(&url("/admin/waves/new"), Some(&admin), &wave_form(&csrf, &fields));
            assert_eq!(r.status, 400, "{backend:?} {fields:?}: {}", r.body);
            let body = unescape(&r.body);
            assert!(body.contains("There is a problem: nothing was saved"));
            for (id, message) in expect {
                let at = body
                    .find(&format!("id=\"{id}\">"))
                    .unwrap_or_else(|| panic!("{backend:?}: no {id} in {body}"));
                assert!(
                    body[at..].starts_with(&format!("id=\"{id}\">{message}")),
                    "{backend:?}: {id}: {}",
                    &body[at..at + 200.min(body.len() - at)]
                );
                // And in the summary at the top, linking to the field.
                assert!(body.contains(&format!(">{message}")), "{message}");
            }
            // What was typed is kept.
            for (k, v) in &fields {
                if *k != "attribute" && *k != "auto" {
                    assert!(body.contains(&format!("value=\"{v}\"")), "{backend:?}: {k}={v} kept");
                }
            }
        }
        assert_eq!(wave_names(&f.app), before, "{backend:?}: nothing written");
    }
}

#[test]
fn admins_open_remind_close_and_cancel_waves_through_confirmations() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = session(app, ADMIN, &f.passwords[ADMIN]);
        let me = As::Cookie(admin.clone());
        let csrf = csrf_of(&get(&app.url("/admin/waves/new"), &me).body);
        for (name, opens) in [("Now", "2026-01-01"), ("Later", "2098-01-01")] {
            let r = post_form(
                &app.url("/admin/waves/new"),
                Some(&admin),
                &wave_form(
                    &csrf,
                    &[
                        ("name", name),
                        ("opens_date", opens),
                        ("closes_date", "2099-01-01"),
                    ],
                ),
            );
            assert_eq!(r.status, 303, "{backend:?}: {}", r.body);
        }
        let page = unescape(&get(&app.url("/admin/waves/Now"), &me).body);
        assert!(
            page.contains("nothing scheduled: open it by hand"),
            "{page}"
        );

        // Open: the confirmation says how many are invited, and that each gets an email.
        let confirm = unescape(&get(&app.url("/admin/waves/Now/open"), &me).body);
        assert!(
            confirm
                .contains("17 people in the roster (5 units) will be invited: each gets an email"),
            "{backend:?}: {confirm}"
        );
        assert!(confirm.contains("Keep it as it is"));
        let r = post_form(
            &app.url("/admin/waves/Now/open"),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(r.status, 303, "{backend:?}: {}", r.body);
        assert_eq!(
            r.header("location"),
            Some("/admin/waves/Now?did=open&n=17&q=17")
        );
        let page = unescape(&get(&app.url(r.header("location").unwrap()), &me).body);
        assert!(
            page.contains("The wave is open: 17 people invited, 17 emails queued."),
            "{page}"
        );
        assert!(
            page.contains("0 sent, 17 waiting to be sent, 0 failed for good"),
            "{page}"
        );
        assert!(page.contains("href=\"/reports/waves/Now/participation\""));
        assert_eq!(wave(app, "Now").status(), WaveStatus::Open);
        // Opening again is refused with a way back, never a 500.
        let again = get(&app.url("/admin/waves/Now/open"), &me);
        assert_eq!(again.status, 409, "{backend:?}");
        assert!(unescape(&again.body).contains("Wave \"Now\" is open already"));
        assert!(again.body.contains("href=\"/admin/waves/Now\""));
        let again = post_form(
            &app.url("/admin/waves/Now/open"),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(again.status, 409, "{backend:?}");

        // Deliver (as the server's worker would) and answer five, then remind the rest.
        app.workspace.ok(&["mail", "send"]);
        let links = app.workspace.links();
        let pool = app.workspace.pool();
        let mut conn = pool.get().unwrap();
        let cache = worklife_server::survey::responses::InstrumentCache::default();
        let w = waves::find(&mut conn, "Now").unwrap();
        let instrument = cache.get(&mut conn, &w.instrument).unwrap();
        let mut answered = 0;
        for link in &links {
            let answers: std::collections::BTreeMap<String, Option<i32>> = instrument
                .items
                .iter()
                .map(|i| (i.id.clone(), Some(3)))
                .collect();
            let token = worklife_tests::token_of(link);
            if answered < 5
                && worklife_server::survey::responses::submit_answers(
                    &mut conn,
                    &cache,
                    &token,
                    &answers,
                    worklife_server::clock::now(),
                )
                .is_ok()
            {
                answered += 1;
            }
        }
        assert_eq!(answered, 5, "{backend:?}: {} links", links.len());
        let confirm = unescape(&get(&app.url("/admin/waves/Now/remind"), &me).body);
        assert!(confirm.contains("Everyone invited who has not answered yet gets a reminder"));
        let r = post_form(
            &app.url("/admin/waves/Now/remind"),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(
            r.header("location"),
            Some("/admin/waves/Now?did=remind&n=12"),
            "{backend:?}: {}",
            r.body
        );
        let page = unescape(&get(&app.url(r.header("location").unwrap()), &me).body);
        assert!(page.contains("12 reminders queued for everyone who has not answered yet."));
        assert!(!page.contains("p1@example.org"), "never who");

        // Close: the confirmation says what is destroyed; the reports appear.
        let confirm = unescape(&get(&app.url("/admin/waves/Now/close"), &me).body);
        assert!(confirm.contains("destroys every answer link and who-answered record; the answers are kept anonymously and reports appear"));
        let r = post_form(
            &app.url("/admin/waves/Now/close"),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(
            r.header("location"),
            Some("/admin/waves/Now?did=close&n=5"),
            "{backend:?}: {}",
            r.body
        );
        assert_eq!(wave(app, "Now").status(), WaveStatus::Closed);
        let page = unescape(&get(&app.url("/admin/waves/Now?did=close&n=5"), &me).body);
        assert!(page.contains("The wave is closed: 5 answer sheets kept anonymously"));
        assert!(page.contains("href=\"/reports/waves/Now\""));
        // The close started the release's disclosure audit; its result shows as the next
        // step once kept: nothing isolated by adding and subtracting (D4), no count pinned
        // (P1); P2 may list narrow averages in attribute cuts (docs/privacy.md, P2 limits).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let page = unescape(&get(&app.url("/admin/waves/Now"), &me).body);
            if page.contains("measures checked in") {
                assert!(
                    page.contains("Disclosure audit passed: no small group can be seen")
                        || page.contains("Disclosure audit found nothing isolated by adding and subtracting and no pinned count, but "),
                    "{backend:?}: {page}"
                );
                break;
            }
            assert!(
                page.contains("Its disclosure audit has not run yet"),
                "{backend:?}: {page}"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "{backend:?}: no audit"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert_eq!(
            get(&app.url("/reports/waves/Now"), &me).status,
            200,
            "{backend:?}"
        );

        // Cancel a wave that never opened.
        let confirm = unescape(&get(&app.url("/admin/waves/Later/cancel"), &me).body);
        assert!(
            confirm.contains("nobody was invited and there are no answers"),
            "{confirm}"
        );
        let r = post_form(
            &app.url("/admin/waves/Later/cancel"),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(
            r.header("location"),
            Some("/admin/waves/Later?did=cancel"),
            "{backend:?}: {}",
            r.body
        );
        assert_eq!(wave(app, "Later").status(), WaveStatus::Cancelled);
        // An open wave cannot be cancelled, a closed one has no actions.
        assert_eq!(get(&app.url("/admin/waves/Now/cancel"), &me).status, 409);
        let unknown = get(&app.url("/admin/waves/Nope/open"), &me);
        assert_eq!(unknown.status, 404);
        assert!(unknown.body.contains("href=\"/admin/waves\""), "a way back");
        assert_eq!(get(&app.url("/admin/waves/Now/explode"), &me).status, 404);

        let audit = unescape(&get(&app.url("/reports/audit"), &me).body);
        for action in ["open wave", "remind wave", "close wave", "cancel wave"] {
            assert!(audit.contains(action), "{backend:?}: {action} audited");
        }
    }
}

#[test]
fn opening_with_an_empty_roster_is_refused_with_a_way_back() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&[
            "wave",
            "create",
            "Empty",
            "--instrument",
            "worklife-core",
            "--opens",
            "2026-01-01",
            "--closes",
            "2099-01-01",
        ]);
        let password = password_of(&ws.ok(&["user", "add", "--email", ADMIN, "--role", "admin"]));
        let app = worklife_tests::spawn_app(ws);
        let admin = session(&app, ADMIN, &password);
        let r = get(&app.url("/admin/waves/Empty/open"), &As::Cookie(admin));
        assert_eq!(r.status, 409, "{backend:?}: {}", r.body);
        assert!(
            r.body.contains("the roster is empty") || r.body.contains("The roster is empty"),
            "{}",
            r.body
        );
        assert!(r.body.contains("href=\"/admin/waves/Empty\""));
    }
}

#[test]
fn only_admins_reach_the_waves_console_and_no_form_works_without_its_token() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let ws = &app.workspace;
        ws.ok(&[
            "wave",
            "create",
            "Next",
            "--instrument",
            "worklife-core",
            "--opens",
            "2098-01-01",
            "--closes",
            "2099-01-01",
        ]);
        ws.ok(&[
            "wave",
            "create",
            "Live",
            "--instrument",
            "worklife-core",
            "--opens",
            "2026-01-01",
            "--closes",
            "2099-01-01",
        ]);
        ws.ok(&["wave", "open", "Live", "--no-send"]);
        let pages = [
            "/admin/waves",
            "/admin/waves/new",
            "/admin/waves/W1",
            "/admin/waves/Next",
            "/admin/waves/Next/open",
            "/admin/waves/Next/cancel",
            "/admin/waves/Live/remind",
            "/admin/waves/Live/close",
        ];
        let cookies: Vec<(&str, String)> = [ADMIN, VIEWER, MANAGER, SALES]
            .iter()
            .map(|e| (*e, session(app, e, &f.passwords[e])))
            .collect();
        for path in pages {
            let anonymous = get(&app.url(path), &As::Anonymous);
            assert_eq!(anonymous.status, 303, "{backend:?} {path}");
            assert!(
                anonymous
                    .header("location")
                    .unwrap()
                    .starts_with("/login?next="),
                "{backend:?} {path}"
            );
            for (email, cookie) in &cookies {
                let r = get(&app.url(path), &As::Cookie(cookie.clone()));
                let expect = if *email == ADMIN { 200 } else { 403 };
                assert_eq!(r.status, expect, "{backend:?} {email} {path}: {}", r.body);
            }
            for email in [VIEWER, MANAGER, SALES] {
                let r = get(&app.url(path), &As::Bearer(f.tokens[email].clone()));
                assert_eq!(r.status, 403, "{backend:?} {email} token {path}");
            }
            let r = get(&app.url(path), &As::Bearer(f.tokens[ADMIN].clone()));
            assert_eq!(r.status, 200, "{backend:?} admin token {path}");
        }

        // Every form: refused for everyone but an admin's session with its token.
        let states = || {
            (
                wave_names(app),
                wave(app, "Next").status(),
                wave(app, "Live").status(),
                {
                    let pool = ws.pool();
                    let mut conn = pool.get().unwrap();
                    worklife_server::mail::outbox::counts(&mut conn, &wave(app, "Live").id).unwrap()
                },
            )
        };
        let before = states();
        let forms = [
            "/admin/waves/new",
            "/admin/waves/Next/open",
            "/admin/waves/Next/cancel",
            "/admin/waves/Live/remind",
            "/admin/waves/Live/close",
        ];
        for path in forms {
            let body = |csrf: &str| {
                if path.ends_with("/new") {
                    wave_form(csrf, &[("name", "Sneaky")])
                } else {
                    format!("csrf={}", form_value(csrf))
                }
            };
            let anonymous = post_form(&app.url(path), None, &body(""));
            assert!(
                anonymous.status == 303
                    && anonymous.header("location").unwrap().starts_with("/login")
                    || anonymous.status == 401
                    || anonymous.status == 403,
                "{backend:?} anonymous {path}: {}",
                anonymous.status
            );
            for (email, cookie) in &cookies {
                let own = csrf_of(&get(&app.url("/reports"), &As::Cookie(cookie.clone())).body);
                if *email == ADMIN {
                    for wrong in ["", "not-the-token"] {
                        let r = post_form(&app.url(path), Some(cookie), &body(wrong));
                        assert_eq!(r.status, 403, "{backend:?} admin csrf {wrong:?} {path}");
                    }
                    // A token of another session is refused too.
                    let other =
                        csrf_of(&get(&app.url("/reports"), &As::Cookie(cookies[1].1.clone())).body);
                    let r = post_form(&app.url(path), Some(cookie), &body(&other));
                    assert_eq!(
                        r.status, 403,
                        "{backend:?} admin with another session's token {path}"
                    );
                } else {
                    let r = post_form(&app.url(path), Some(cookie), &body(&own));
                    assert_eq!(r.status, 403, "{backend:?} {email} {path}");
                }
            }
            for email in [ADMIN, VIEWER] {
                let r = post_bearer(&app.url(path), &f.tokens[email], &body(""));
                assert_eq!(r.status, 403, "{backend:?} {email} token {path}");
            }
        }
        assert_eq!(states(), before, "{backend:?}: nothing changed");
    }
}

/// An admin creates a wave through the form (after one mistake), opens it through its
/// confirmation and sees it open; axe-core on every page.
#[test]
fn an_admin_creates_and_opens_a_wave_in_the_browser() {
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let f = fixture(backend);
        let berlin = spawn_replica_with(&f.app, |s| s.timezone = "Europe/Berlin".parse().unwrap());
        browser.go(&format!("{berlin}/login"));
        browser.sign_in(ADMIN, &f.passwords[ADMIN]);
        browser.click(&browser.find("header.top a.waves-link"));
        browser.wait_for_url("/admin/waves");
        assert_eq!(browser.text(&browser.find("h1")), "Survey waves");
        browser.screenshot(&format!("waves-{tag}-1-list"));
        browser.assert_accessible("waves list");

        browser.click(&browser.find("a.create-link"));
        browser.wait_for_url("/admin/waves/new");
        browser.type_into(&browser.find("#name"), "Pulse 2027");
        browser.run(
            "document.getElementById('opens_date').value = '2026-11-30';
             document.getElementById('closes_date').value = '2026-11-01';
             document.getElementById('k').value = '2';",
        );
        browser.click(&browser.find("form.wave-form button[type=submit]"));
        let summary = browser.find("#problems");
        let text = browser.text(&summary);
        assert!(
            text.contains("Closes: the wave must close after it opens"),
            "{text}"
        );
        assert!(
            text.contains("Minimum group size (k): 2 is refused"),
            "{text}"
        );
        assert_eq!(browser.run("return document.activeElement.id;"), "problems");
        assert_eq!(
            browser.attribute(&browser.find("#name"), "value"),
            "Pulse 2027"
        );
        browser.screenshot(&format!("waves-{tag}-2-create-problems"));
        browser.assert_accessible("create form with problems");

        browser.run(
            "document.getElementById('closes_date').value = '2099-01-01';
             document.getElementById('k').value = '3';
             document.getElementById('auto').checked = false;",
        );
        browser.click(&browser.find("form.wave-form button[type=submit]"));
        browser.wait_for_url("/admin/waves/Pulse%202027?did=create");
        assert!(browser
            .text(&browser.find("#done"))
            .contains("The wave is created."));
        browser.assert_accessible("wave page");

        browser.click(&browser.find("#action-open"));
        browser.wait_for_url("/admin/waves/Pulse%202027/open");
        let h1 = browser.text(&browser.find("h1"));
        assert_eq!(h1, "Open wave “Pulse 2027” now?");
        assert!(browser
            .text(&browser.find("main"))
            .contains("17 people in the roster"));
        browser.screenshot(&format!("waves-{tag}-3-confirm-open"));
        browser.assert_accessible("open confirmation");
        browser.click(&browser.find("#confirm"));
        browser.wait_for_url("/admin/waves/Pulse%202027?did=open&n=17&q=17");
        assert!(browser
            .text(&browser.find("#done"))
            .contains("17 people invited, 17 emails queued"));
        assert_eq!(
            browser.text(&browser.find("#state")),
            "open: taking answers"
        );
        browser.screenshot(&format!("waves-{tag}-4-opened"));
        browser.assert_accessible("opened wave");
    }
}

/// The CLI reads the same field-tagged problems as the form, all at once.
#[test]
fn the_cli_tells_every_problem_of_a_new_wave_at_once_with_its_field() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster())]);
        let o = ws.worklife(&[
            "wave",
            "create",
            "Q1",
            "--instrument",
            "worklife-core",
            "--opens",
            "someday",
            "--closes",
            "2030-01-01",
            "--min-group-size",
            "2",
            "--attribute",
            "shoe_size",
            "--reminders",
            "2w",
        ]);
        assert_eq!(o.status.code(), Some(2), "{backend:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        for expect in [
            "4 problems:",
            "opens: \"someday\" is not a time",
            "min-group-size: 2 is refused",
            "attribute: \"shoe_size\" is not a roster column",
            "reminders: \"2w\" is neither",
        ] {
            assert!(err.contains(expect), "{backend:?}: {expect} in {err}");
        }
        assert!(
            ws.ok(&["wave", "list"]).lines().count() == 1,
            "nothing written"
        );
    }
}

/// What the reviewers found could surprise an admin is said before it happens: a form that
/// would open a wave at once (a past opening time with the automatic schedule), a k larger
/// than the organisation, opening a second wave while one is open, and closing a wave (how
/// many answered so far, and that it ends early). Participation that refreshes itself is one
/// audit entry, not one per refresh.
#[test]
fn the_console_says_what_would_surprise_before_it_happens() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = session(app, ADMIN, &f.passwords[ADMIN]);
        let csrf = csrf_of(&get(&app.url("/admin/waves/new"), &As::Cookie(admin.clone())).body);
        let before = wave_names(app);
        let past = post_form(
            &app.url("/admin/waves/new"),
            Some(&admin),
            &wave_form(&csrf, &[("opens_date", "2026-01-01"), ("auto", "yes")]),
        );
        assert_eq!(past.status, 400, "{backend:?}");
        let body = unescape(&past.body);
        assert!(
            body.contains("id=\"opens-problem\">Opens: this time has passed, so the server would open the wave and invite everyone within a minute."),
            "{backend:?}: {body}"
        );
        let big_k = unescape(
            &post_form(
                &app.url("/admin/waves/new"),
                Some(&admin),
                &wave_form(&csrf, &[("k", "50")]),
            )
            .body,
        );
        assert!(
            big_k.contains("Minimum group size (k): k = 50 is more than the 17 people in the roster: every report would be hidden"),
            "{backend:?}: {big_k}"
        );
        assert_eq!(wave_names(app), before, "{backend:?}: nothing written");

        // A wave open (everyone answered), and another one about to be opened.
        open_and_answer(&app.workspace, "W3", "2020-01-01", 0, &[], usize::MAX);
        let next = post_form(
            &app.url("/admin/waves/new"),
            Some(&admin),
            &wave_form(
                &csrf,
                &[
                    ("name", "W4"),
                    ("opens_date", "2026-01-01"),
                    ("closes_date", "2099-01-01"),
                ],
            ),
        );
        assert_eq!(next.status, 303, "{backend:?}: {}", next.body);
        let open =
            unescape(&get(&app.url("/admin/waves/W4/open"), &As::Cookie(admin.clone())).body);
        assert!(
            open.contains("Wave “W3” is still open, until 1 Jan 2099, 00:00 UTC: everyone invited to both would have two surveys to answer."),
            "{backend:?}: {open}"
        );
        let close = unescape(
            &get(
                &app.url("/admin/waves/W3/close"),
                &As::Cookie(admin.clone()),
            )
            .body,
        );
        assert!(
            close.contains("So far 17 of the 17 people invited have answered (100%).")
                && close.contains(
                    "It is planned to close on 1 Jan 2099, 00:00 UTC; closing now ends it early."
                ),
            "{backend:?}: {close}"
        );
        // Nothing answered yet in W4 once open: the count is not shown.
        app.workspace.ok(&["wave", "close", "W3"]);
        app.workspace.ok(&["wave", "open", "W4"]);
        let close = unescape(
            &get(
                &app.url("/admin/waves/W4/close"),
                &As::Cookie(admin.clone()),
            )
            .body,
        );
        assert!(
            close.contains("So far too few have answered for the count to be shown. If fewer than k = 3 answered in all, its reports will show no figures"),
            "{backend:?}: {close}"
        );

        // Three refreshes of participation, one audit entry.
        for _ in 0..3 {
            let p = get(
                &app.url("/reports/waves/W4/participation"),
                &As::Cookie(admin.clone()),
            );
            assert_eq!(p.status, 200);
        }
        let audit = app.workspace.ok(&["audit", "list"]);
        let views = audit
            .lines()
            .filter(|l| l.contains("view participation") && l.contains("wave=W4"))
            .count();
        assert_eq!(views, 1, "{backend:?}: {audit}");
    }
}
