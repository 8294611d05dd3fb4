//! One quarter run from the browser by an admin, against a real `worklife serve` process in
//! the Europe/Berlin time zone that sends its email to a real SMTP server on loopback: upload
//! a roster with a bad line (named, nothing written), upload the fixed file, add a manager,
//! create a wave and open it, answer it through the answer form and watch participation
//! grow, close it, and follow the manager's "results released" email to their results after
//! signing in. Screenshots of every step are saved; axe-core checks every console page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use crate::browser::Browser;
use worklife_tests::mail_common::quick;
use worklife_tests::reports_common::password_of;
use worklife_tests::smtp::SmtpSink;
use worklife_tests::{backends, Served, Workspace};

const ADMIN: &str = "hr@example.org";
const MANAGER: &str = "lead@example.org";

/// Six people in Engineering, six in Sales.
fn roster() -> String {
    let mut csv = String::from("email,unit\n");
    for n in 1..=12 {
        let unit = if n <= 6 {
            "Acme/Engineering"
        } else {
            "Acme/Sales"
        };
        csv.push_str(&format!("person{n}@example.org,{unit}\n"));
    }
    csv
}

/// Waits until `check` holds, or fails with `what` after 30 s.
fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The participation page's "Answered" cell of `unit`.
fn answered(browser: &Browser, unit: &str) -> String {
    browser.text(&browser.find(&format!("tr[data-unit=\"{unit}\"] td:nth-of-type(2)")))
}

#[test]
fn an_admin_runs_a_quarter_from_the_browser_and_the_manager_gets_the_results_email() {
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        // A sink per database, so that each run reads its own invitations.
        let Some(sink) = SmtpSink::start() else {
            return;
        };
        let tag = format!("flow-{backend:?}").to_lowercase();
        let ws = Workspace::new(backend);
        let admin_password =
            password_of(&ws.ok(&["user", "add", "--email", ADMIN, "--role", "admin"]));
        let mut env = sink.env();
        env.extend(quick());
        env.push(("WORKLIFE_TIMEZONE", "Europe/Berlin".into()));
        let served = Served::start_with(&ws, &env);
        let url = |p: &str| served.url(p);
        browser.go(&url("/login"));
        browser.sign_in(ADMIN, &admin_password);

        // 1. A roster with one bad line: the line is named and nothing is written.
        let good = roster();
        let bad = ws.write("people-typo.csv", &format!("{good}person13@,Acme/Sales\n"));
        let fixed = ws.write("people.csv", &good);
        browser.click(&browser.find("header.top a.roster-link"));
        browser.type_into(&browser.find("input#file"), &bad);
        browser.click(&browser.find("#upload-form button[type=submit]"));
        let problems = browser.text(&browser.find("#problems"));
        assert!(
            problems.contains("Line 14: \"person13@\" is not a valid email address"),
            "{problems}"
        );
        browser.screenshot(&format!("{tag}-1-roster-bad-line"));
        browser.assert_accessible("roster preview with a bad line");
        browser.go(&url("/reports/roster"));
        assert!(
            browser
                .text(&browser.find("main"))
                .contains("holds 0 people"),
            "{backend:?}: nothing was written"
        );

        // 2. The fixed file: preview, then import.
        browser.type_into(&browser.find("input#file"), &fixed);
        browser.click(&browser.find("#upload-form button[type=submit]"));
        browser.click(&browser.find("form.confirm button[type=submit]"));
        let imported = browser.text(&browser.find("#imported"));
        assert!(imported.contains("12 people added"), "{imported}");
        browser.screenshot(&format!("{tag}-2-roster-imported"));

        // The manager of Engineering, with a generated password shown once.
        browser.click(&browser.find("header.top a.users-link"));
        browser.type_into(&browser.find("#email"), MANAGER);
        browser.click(&browser.find("input[name=role][value=manager]"));
        browser.type_into(&browser.find("#unit"), "Acme/Engineering");
        browser.click(&browser.find("input[name=access][value=password]"));
        browser.click(&browser.find("form#add button[type=submit]"));
        let manager_password = browser.attribute(&browser.find("#secret"), "value");
        assert!(manager_password.len() >= 12);

        // 3. A wave in Berlin time, opened by hand.
        browser.click(&browser.find("header.top a.waves-link"));
        browser.click(&browser.find("a.create-link"));
        browser.type_into(&browser.find("#name"), "2027-Q1");
        browser.run(
            "document.getElementById('opens_date').value = '2026-01-01';
             document.getElementById('opens_time').value = '09:00';
             document.getElementById('closes_date').value = '2099-01-29';
             document.getElementById('closes_time').value = '18:00';
             document.getElementById('k').value = '3';
             document.getElementById('auto').checked = false;",
        );
        browser.screenshot(&format!("{tag}-3-create-wave"));
        browser.click(&browser.find("form.wave-form button[type=submit]"));
        browser.wait_for_url("/admin/waves/2027-Q1?did=create");
        let closes = browser.text(&browser.find("#closes"));
        assert_eq!(closes, "29 Jan 2099, 18:00 Europe/Berlin");
        let pool = ws.pool();
        let mut conn = pool.get().unwrap();
        let wave = worklife_server::survey::waves::find(&mut conn, "2027-Q1").unwrap();
        assert_eq!(
            wave.closes_at.format("%Y-%m-%d %H:%M").to_string(),
            "2099-01-29 17:00",
            "{backend:?}: 18:00 in Berlin in winter is 17:00 UTC"
        );
        browser.click(&browser.find("#action-open"));
        browser.wait_for_url("/admin/waves/2027-Q1/open");
        browser.screenshot(&format!("{tag}-4-confirm-open"));
        browser.click(&browser.find("#confirm"));
        browser.wait_for_url("did=open&n=12&q=12");

        // Everyone's invitation arrives at the SMTP server.
        let invitations = eventually("12 invitations", || {
            let by = sink.by_recipient();
            let links: Vec<String> = (1..=12)
                .filter_map(|n| by.get(&format!("person{n}@example.org")))
                .filter_map(|m| m.iter().find_map(|r| r.tokens().into_iter().next()))
                .collect();
            (links.len() == 12).then_some(links)
        });

        // 4. Participation before and after answers given through the answer form.
        browser.go(&url("/reports/waves/2027-Q1/participation"));
        assert_eq!(answered(&browser, "Acme"), "hidden");
        browser.assert_accessible("participation with nothing answered");
        // Four in Engineering (person1-4) and four in Sales (person7-10) answer.
        for token in invitations
            .iter()
            .take(4)
            .chain(invitations.iter().skip(6).take(4))
        {
            browser.go(&url(&format!("/s/{token}")));
            browser.run(
                "document.querySelectorAll('input[type=radio][value=\"4\"]').forEach(r => r.click());",
            );
            browser.click(&browser.find("button[type=submit]"));
            assert!(!browser.text(&browser.find("p.received")).is_empty());
        }
        browser.go(&url("/reports/waves/2027-Q1/participation"));
        assert_eq!(answered(&browser, "Acme"), "8", "{backend:?}");
        assert_eq!(answered(&browser, "Acme/Engineering"), "4", "{backend:?}");
        assert_eq!(answered(&browser, "Acme/Sales"), "4", "{backend:?}");
        let mail = browser.text(&browser.find("p.mail"));
        assert!(mail.contains("12 sent"), "{mail}");
        browser.screenshot(&format!("{tag}-5-participation"));

        // 5. Close it, behind its confirmation.
        browser.go(&url("/admin/waves/2027-Q1"));
        browser.click(&browser.find("#action-close"));
        browser.wait_for_url("/admin/waves/2027-Q1/close");
        let said = browser.text(&browser.find("main"));
        assert!(
            said.contains("destroys every answer link and who-answered record"),
            "{said}"
        );
        browser.screenshot(&format!("{tag}-6-confirm-close"));
        browser.click(&browser.find("#confirm"));
        browser.wait_for_url("did=close&n=8");
        assert!(browser.text(&browser.find("#state")).starts_with("closed"));

        // 6. The manager's email, and its link to their results after signing in.
        let email = eventually("the results email", || {
            sink.by_recipient()
                .get(MANAGER)
                .and_then(|m| m.iter().find(|r| r.text.contains("results for")).cloned())
        });
        assert!(
            !email.text.contains("person"),
            "no respondent is named: {}",
            email.text
        );
        let text = email.text.replace("=3D", "=");
        let link = text
            .lines()
            .find(|l| l.contains("/reports/waves/") && !l.contains('<'))
            .unwrap()
            .trim();
        let path = &link[link.find("/reports/").unwrap()..];
        assert_eq!(path, "/reports/waves/2027-Q1?unit=Acme%2FEngineering");
        browser.click(&browser.find("header.top form.logout button"));
        // Signed out (the sign-in page) before the link is opened.
        browser.wait_for_url("/login");
        browser.go(&url(path));
        // The sign-in page, which comes back to the link afterwards.
        browser.type_into(&browser.find("#email"), MANAGER);
        browser.type_into(&browser.find("#password"), &manager_password);
        browser.click(&browser.find("#sign-in"));
        browser.wait_for_url(path);
        let page = browser.text(&browser.find("main"));
        assert!(
            page.contains("Engineering") && !page.contains("Sales"),
            "{page}"
        );
        browser.screenshot(&format!("{tag}-7-manager-results"));
        browser.assert_accessible("the manager's results");
        drop(served);
    }
}
