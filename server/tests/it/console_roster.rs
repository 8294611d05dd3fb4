//! The roster upload on the roster page, on both databases: a file with bad lines gets a
//! preview naming each line and its reason and changes nothing; a good file's preview counts
//! exactly what it would change, and its confirmation imports exactly that file (one
//! transaction, audited), with or without removing people not in the file; files too large,
//! not UTF-8 or empty get clear pages, never a 500; admins only, with the session's CSRF
//! token; and the same in headless Chromium through the real file input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::browser::Browser;
use worklife_tests::reports_common::*;
use worklife_tests::{backends, unescape, Workspace};

const ROSTER: &str = "/reports/roster";
const UPLOAD: &str = "/reports/roster/upload";
const IMPORT: &str = "/reports/roster/import";

/// Posts the upload form: the CSRF token, the file (`None`: no file chosen) and the box.
fn upload(
    app: &worklife_tests::TestApp,
    who: &As,
    csrf: &str,
    file: Option<(&str, &[u8])>,
    prune: bool,
) -> Reply {
    let boundary = "----worklife-test-boundary-7d1f";
    let mut body = Vec::new();
    let mut part = |headers: &str, value: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    };
    part(
        "Content-Disposition: form-data; name=\"csrf\"",
        csrf.as_bytes(),
    );
    let (name, bytes) = file.unwrap_or(("", b""));
    part(
        &format!(
            "Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv"
        ),
        bytes,
    );
    if prune {
        part("Content-Disposition: form-data; name=\"prune\"", b"yes");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut r = client().post(&app.url(UPLOAD));
    match who {
        As::Anonymous => {}
        As::Bearer(t) => r = r.header("Authorization", &format!("Bearer {t}")),
        As::Cookie(c) => r = r.header("Cookie", c),
    }
    Reply::from(
        r.content_type(&format!("multipart/form-data; boundary={boundary}"))
            .send(&body[..])
            .unwrap(),
    )
}

/// The value of the hidden field `name` of a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key)? + key.len();
    Some(unescape(html[at..].split('"').next()?))
}

/// The preview's confirm form as sent by a browser, with the CSRF token `csrf`.
fn confirm_body(preview: &str, csrf: &str) -> String {
    let mut body = format!(
        "csrf={}&file_name={}&sha256={}&file={}",
        form_value(csrf),
        form_value(&hidden(preview, "file_name").unwrap()),
        form_value(&hidden(preview, "sha256").unwrap()),
        form_value(&hidden(preview, "file").unwrap())
    );
    if hidden(preview, "prune").is_some() {
        body.push_str("&prune=yes");
    }
    body
}

fn cookie(who: &As) -> Option<&str> {
    match who {
        As::Cookie(c) => Some(c),
        _ => None,
    }
}

/// The preview's count for the row `what`.
fn count(preview: &str, what: &str) -> usize {
    let key = format!("<th scope=\"row\">{what}</th><td>");
    let at = preview
        .find(&key)
        .unwrap_or_else(|| panic!("no row {what:?} in {preview}"))
        + key.len();
    preview[at..].split('<').next().unwrap().parse().unwrap()
}

fn export(ws: &Workspace) -> String {
    ws.ok(&["roster", "export"])
}

/// The lines of a roster CSV after its header, sorted.
fn people(csv: &str) -> Vec<String> {
    let mut lines: Vec<String> = csv.lines().skip(1).map(str::to_string).collect();
    lines.sort();
    lines
}

/// The fixture's p1..p10 (p1 moved to Sales, p2 with another tenure), two new people (one
/// in a new unit); p11..p17 are not in it.
fn fixed_file() -> String {
    let mut csv = String::from("email,unit,tenure\n");
    for n in 1..=10 {
        let unit = match n {
            1 => "Acme/Sales",
            2..=3 => "Acme/Eng",
            4..=7 => "Acme/Eng/Platform",
            _ => "Acme/Sales",
        };
        let tenure = match (n, n % 2 == 0) {
            (2, _) => "long",
            (_, true) => "short",
            (_, false) => "long",
        };
        csv.push_str(&format!("p{n}@example.org,{unit},{tenure}\n"));
    }
    csv.push_str("new1@example.org,Acme/Research,short\nnew2@example.org,Acme/Eng,short\n");
    csv
}

#[test]
fn a_bad_line_is_named_and_nothing_changes_then_the_fixed_file_imports_exactly() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let ws = &app.workspace;
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let page = get(&app.url(ROSTER), &admin);
        assert_eq!(page.status, 200, "{backend:?}");
        assert!(page.body.contains("enctype=\"multipart/form-data\""));
        assert!(page.body.contains("<label for=\"file\">"));
        assert!(page
            .body
            .contains("<label for=\"prune\">Remove people who are not in the file</label>"));
        let csrf = csrf_of(&page.body);
        let before = export(ws);

        // Lines 14 and 15 are bad: both are named, with their reasons, and nothing is written.
        let bad = format!(
            "{}bob@,Acme/Eng,long\ncarol@example.org,,long\n",
            fixed_file()
        );
        let preview = upload(
            app,
            &admin,
            &csrf,
            Some(("people.csv", bad.as_bytes())),
            false,
        );
        assert_eq!(preview.status, 400, "{backend:?}: {}", preview.body);
        let text = unescape(&preview.body);
        assert!(
            text.contains("Line 14: \"bob@\" is not a valid email address"),
            "{backend:?}: {text}"
        );
        assert!(text.contains("Line 15: unit"), "{backend:?}: {text}");
        assert!(text.contains("Nothing was written: 2 problems in people.csv"));
        assert!(!preview.body.contains("Import these changes"));
        assert!(
            preview.body.contains("id=\"upload-form\""),
            "the form again"
        );
        assert_eq!(
            export(ws),
            before,
            "{backend:?}: the bad file changed the roster"
        );

        // The fixed file: exact counts, still nothing written.
        let file = fixed_file();
        let preview = upload(
            app,
            &admin,
            &csrf,
            Some(("people.csv", file.as_bytes())),
            false,
        );
        assert_eq!(preview.status, 200, "{backend:?}: {}", preview.body);
        let p = &preview.body;
        assert_eq!(count(p, "New people, to be added"), 2);
        assert_eq!(count(p, "People moving to another unit"), 1);
        assert_eq!(
            count(
                p,
                "People staying in their unit with other attribute values"
            ),
            1
        );
        assert_eq!(count(p, "People unchanged"), 8);
        assert_eq!(
            count(
                p,
                "People not in the file, kept (they would be removed only with the box ticked)"
            ),
            7
        );
        assert_eq!(count(p, "New units, to be created"), 1);
        assert!(p.contains("Import these changes"));
        assert_eq!(export(ws), before, "{backend:?}: the preview wrote");

        // The roster changes between preview and confirmation (new2 arrives by the CLI): the
        // import still brings exactly the file, and reports what it really did.
        ws.ok(&[
            "roster",
            "import",
            &ws.write(
                "one.csv",
                "email,unit,tenure\nnew2@example.org,Acme/Eng,short\n",
            ),
        ]);
        let done = post_form(&app.url(IMPORT), cookie(&admin), &confirm_body(p, &csrf));
        assert_eq!(done.status, 303, "{backend:?}: {}", done.body);
        let location = done.header("location").unwrap().to_string();
        assert_eq!(location, "/reports/roster?imported=1.1.1.9.7.0.1");
        let page = get(&app.url(&location), &admin);
        assert!(
            unescape(&page.body).contains(
                "The roster was imported: 1 person added, 1 moved to another unit, 1 with other attribute values, 9 unchanged; 7 people not in the file kept; 1 new unit created."
            ),
            "{backend:?}: {}",
            page.body
        );
        // The file's people as the file says, the others kept.
        let after = people(&export(ws));
        for line in people(&file) {
            assert!(after.contains(&line), "{backend:?}: {line} missing");
        }
        assert_eq!(after.len(), 12 + 7);
        let audit = ws.ok(&["audit", "list"]);
        let entry = audit
            .lines()
            .find(|l| l.contains("import roster"))
            .unwrap_or_else(|| panic!("{backend:?}: no audit entry in {audit}"));
        assert!(
            entry.contains(
                "added=1 moved=1 changed=1 unchanged=9 kept_not_in_file=7 units_created=1"
            ),
            "{entry}"
        );
        assert!(
            !entry.contains("new1@") && !entry.contains("p1@"),
            "{entry}"
        );
    }
}

#[test]
fn with_the_box_ticked_the_roster_becomes_the_file() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let ws = &app.workspace;
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let csrf = csrf_of(&get(&app.url(ROSTER), &admin).body);
        // Excel's "CSV UTF-8": a byte order mark and CRLF line ends.
        let file = fixed_file();
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(file.replace('\n', "\r\n").as_bytes());
        let preview = upload(app, &admin, &csrf, Some(("all.csv", &bytes)), true);
        assert_eq!(preview.status, 200, "{backend:?}: {}", preview.body);
        assert_eq!(
            count(&preview.body, "People not in the file, to be removed"),
            7
        );
        assert_eq!(count(&preview.body, "New people, to be added"), 2);
        let done = post_form(
            &app.url(IMPORT),
            cookie(&admin),
            &confirm_body(&preview.body, &csrf),
        );
        assert_eq!(done.status, 303, "{backend:?}: {}", done.body);
        assert_eq!(
            done.header("location"),
            Some("/reports/roster?imported=2.1.1.8.7.1.1")
        );
        assert_eq!(people(&export(ws)), people(&file), "{backend:?}");
        let page = get(&app.url(done.header("location").unwrap()), &admin);
        assert!(page.body.contains("7 people not in the file removed"));
        assert!(ws
            .ok(&["audit", "list"])
            .contains("added=2 moved=1 changed=1 unchanged=8 removed=7 units_created=1"));
        assert!(page
            .body
            .contains("<strong>12</strong> people in <strong>4</strong> units"));
    }
}

#[test]
fn files_too_large_not_utf8_empty_or_tampered_get_clear_pages_and_change_nothing() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let ws = &app.workspace;
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let csrf = csrf_of(&get(&app.url(ROSTER), &admin).body);
        let before = export(ws);

        let large = vec![b'a'; 12_897_485];
        let r = upload(app, &admin, &csrf, Some(("huge.csv", &large)), false);
        assert_eq!(r.status, 413, "{backend:?}");
        let text = unescape(&r.body);
        assert!(
            text.contains("The file is 12.3 MB; the limit is 10 MB"),
            "{backend:?}: {text}"
        );
        assert!(
            r.body.contains("class=\"field-problem\""),
            "next to the field"
        );

        let latin1 = b"email,unit,tenure\nm\xfcller@example.org,Acme/Eng,long\n";
        let r = upload(app, &admin, &csrf, Some(("excel.csv", latin1)), false);
        assert_eq!(r.status, 400, "{backend:?}");
        let text = unescape(&r.body);
        assert!(
            text.contains("Line 2: the file is not UTF-8") && text.contains("Latin-1"),
            "{backend:?}: {text}"
        );
        assert!(text.contains("CSV UTF-8 (Comma delimited)"), "{text}");

        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            "email,unit\nann@example.org,Acme\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let r = upload(app, &admin, &csrf, Some(("unicode.txt", &utf16)), false);
        assert_eq!(r.status, 400);
        assert!(r.body.contains("UTF-16"), "{}", r.body);

        let r = upload(app, &admin, &csrf, Some(("empty.csv", b"")), false);
        assert_eq!(r.status, 400);
        assert!(unescape(&r.body).contains("The file \"empty.csv\" is empty"));
        assert!(r.body.contains("aria-invalid=\"true\""));

        let r = upload(app, &admin, &csrf, None, false);
        assert_eq!(r.status, 400);
        assert!(r
            .body
            .contains("<p class=\"field-problem\" id=\"file-problem-1\">Choose the roster file (CSV) to upload</p>"));

        // Not a multipart form at all.
        let r = post_form(
            &app.url(UPLOAD),
            cookie(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("could not be read"));

        // A confirmation whose file is not the one previewed.
        let preview = upload(
            app,
            &admin,
            &csrf,
            Some(("people.csv", fixed_file().as_bytes())),
            true,
        );
        let other = confirm_body(&preview.body, &csrf).replace(
            &form_value(&hidden(&preview.body, "sha256").unwrap()),
            &"0".repeat(64),
        );
        let r = post_form(&app.url(IMPORT), cookie(&admin), &other);
        assert_eq!(r.status, 400);
        assert!(r.body.contains("upload it again"));
        let r = post_form(
            &app.url(IMPORT),
            cookie(&admin),
            &format!("csrf={}&file=%%%&sha256=x", form_value(&csrf)),
        );
        assert_eq!(r.status, 400, "{}", r.body);

        assert_eq!(export(ws), before, "{backend:?}");
        assert!(!ws.ok(&["audit", "list"]).contains("import roster"));
    }
}

#[test]
fn only_admins_with_their_session_change_the_roster() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let ws = &app.workspace;
        let before = export(ws);
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let csrf = csrf_of(&get(&app.url(ROSTER), &admin).body);
        let file = fixed_file();
        let good = Some(("people.csv", file.as_bytes()));
        let preview = upload(app, &admin, &csrf, good, true);
        assert_eq!(preview.status, 200, "{backend:?}");
        let confirm = confirm_body(&preview.body, &csrf);

        // The forms' addresses, opened as pages, lead back to the roster page.
        for path in [UPLOAD, IMPORT] {
            let r = get(&app.url(path), &admin);
            assert_eq!(r.status, 303, "{path}");
            assert_eq!(r.header("location"), Some(ROSTER));
        }
        // Anonymous: the page sends to sign-in, the forms are refused.
        let r = get(&app.url(ROSTER), &As::Anonymous);
        assert_eq!(r.status, 303);
        assert_eq!(
            r.header("location"),
            Some("/login?next=%2Freports%2Froster")
        );
        for r in [
            upload(app, &As::Anonymous, &csrf, good, true),
            post_form(&app.url(IMPORT), None, &confirm),
        ] {
            assert_eq!(r.status, 303, "{backend:?}");
            assert_eq!(r.header("location"), Some("/login"));
        }
        // Viewer, manager of Eng (whose people the file moves) and of Sales: 403.
        for who in [VIEWER, MANAGER, SALES] {
            let c = As::Cookie(session(app, who, &f.passwords[who]));
            let their_csrf = csrf_of(&get(&app.url("/reports"), &c).body);
            assert_eq!(get(&app.url(ROSTER), &c).status, 403, "{who}");
            assert_eq!(
                upload(app, &c, &their_csrf, good, true).status,
                403,
                "{who}"
            );
            let theirs = confirm.replace(&form_value(&csrf), &form_value(&their_csrf));
            assert_eq!(
                post_form(&app.url(IMPORT), cookie(&c), &theirs).status,
                403,
                "{who}"
            );
        }
        // An admin's bearer token reads the page but cannot post its forms.
        let bearer = As::Bearer(f.tokens[ADMIN].clone());
        assert_eq!(get(&app.url(ROSTER), &bearer).status, 200);
        assert_eq!(upload(app, &bearer, "", good, true).status, 403);
        let r = Reply::from(
            client()
                .post(&app.url(IMPORT))
                .header("Authorization", &format!("Bearer {}", f.tokens[ADMIN]))
                .content_type("application/x-www-form-urlencoded")
                .send(&confirm)
                .unwrap(),
        );
        assert_eq!(r.status, 403);
        // The admin's session without the right CSRF token.
        for token in ["", "not-the-token"] {
            assert_eq!(
                upload(app, &admin, token, good, true).status,
                403,
                "{token}"
            );
            let wrong = confirm.replace(&form_value(&csrf), token);
            assert_eq!(
                post_form(&app.url(IMPORT), cookie(&admin), &wrong).status,
                403,
                "{token}"
            );
        }
        assert_eq!(
            export(ws),
            before,
            "{backend:?}: a refused form changed the roster"
        );
        // The admin, with it.
        let r = post_form(&app.url(IMPORT), cookie(&admin), &confirm);
        assert_eq!(r.status, 303, "{backend:?}: {}", r.body);
        assert_eq!(people(&export(ws)), people(&file));
    }
}

#[test]
fn upload_a_roster_in_the_browser() {
    let Some(browser) = Browser::start() else {
        return;
    };
    for backend in backends() {
        let tag = format!("{backend:?}").to_lowercase();
        let f = fixture(backend);
        let app = &f.app;
        let ws = &app.workspace;
        let before = export(ws);
        let bad = ws.write(
            "people-with-a-typo.csv",
            &format!("{}bob@,Acme/Eng,long\n", fixed_file()),
        );
        let good = ws.write("people.csv", &fixed_file());
        browser.go(&app.url("/login"));
        browser.sign_in(ADMIN, &f.passwords[ADMIN]);
        browser.go(&app.url(ROSTER));
        // Sent without a file: the problem at the field.
        browser.click(&browser.find("#upload-form button[type=submit]"));
        browser.wait_for_url(UPLOAD);
        let problem = browser.text(&browser.find("#file-problem-1"));
        assert_eq!(problem, "Choose the roster file (CSV) to upload");
        browser.screenshot(&format!("{tag}-roster-0-no-file"));
        browser.assert_accessible("roster page with a problem at the file field");
        browser.type_into(&browser.find("input#file"), &bad);
        browser.click(&browser.find("#upload-form button[type=submit]"));
        // Still at the upload address: wait for the preview's heading.
        browser.find("#again-heading");
        let problems = browser.text(&browser.find("#problems"));
        assert!(
            problems.contains("Line 14: \"bob@\" is not a valid email address"),
            "{problems}"
        );
        browser.screenshot(&format!("{tag}-roster-1-bad-line"));
        browser.assert_accessible("roster preview with a bad line");
        assert_eq!(export(ws), before);

        // The form offered again, with the box ticked this time.
        browser.type_into(&browser.find("input#file"), &good);
        browser.click(&browser.find("input#prune"));
        browser.click(&browser.find("#upload-form button[type=submit]"));
        // Still at the upload address: wait for the preview's confirm button instead.
        let confirm = browser.find("form.confirm button[type=submit]");
        browser.screenshot(&format!("{tag}-roster-2-preview"));
        browser.assert_accessible("roster preview");
        browser.click(&confirm);
        browser.wait_for_url("?imported=2.1.1.8.7.1.1");
        let said = browser.text(&browser.find("#imported"));
        assert!(
            said.contains("The roster was imported: 2 people added"),
            "{said}"
        );
        browser.screenshot(&format!("{tag}-roster-3-imported"));
        browser.assert_accessible("roster after the import");
        assert_eq!(people(&export(ws)), people(&fixed_file()));
    }
}

/// A file just under the limit: its preview carries it back whole, and the confirmation
/// (base64, a third larger than the file) is accepted and imports it.
#[test]
fn a_file_near_the_limit_is_previewed_and_imported_whole() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let ws = &app.workspace;
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let csrf = csrf_of(&get(&app.url(ROSTER), &admin).body);
        let notes = "n".repeat(4_400);
        let mut file = String::from("email,unit,notes\n");
        for n in 0..2_300 {
            file.push_str(&format!("big{n}@example.org,Acme/Big,{notes}\n"));
        }
        assert!(file.len() > 10_000_000 && file.len() < 10 * 1024 * 1024);
        let preview = upload(app, &admin, &csrf, Some(("big.csv", file.as_bytes())), true);
        assert_eq!(preview.status, 200, "{backend:?}");
        assert_eq!(count(&preview.body, "New people, to be added"), 2_300);
        let done = post_form(
            &app.url(IMPORT),
            cookie(&admin),
            &confirm_body(&preview.body, &csrf),
        );
        assert_eq!(done.status, 303, "{backend:?}: {}", done.body);
        assert_eq!(
            done.header("location"),
            Some("/reports/roster?imported=2300.0.0.0.17.1.1")
        );
        assert_eq!(people(&export(ws)), people(&file), "{backend:?}");
    }
}

/// A file that would remove most of the roster with the box ticked: a red warning with the
/// numbers, the list of who would go, and a red button that says what it does.
#[test]
fn removing_most_of_the_roster_is_said_in_red_with_the_names() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let csrf = csrf_of(&get(&app.url(ROSTER), &admin).body);
        let two =
            "email,unit,tenure\np1@example.org,Acme/Eng,long\np2@example.org,Acme/Eng,short\n";
        let preview = upload(app, &admin, &csrf, Some(("two.csv", two.as_bytes())), true);
        assert_eq!(preview.status, 200, "{backend:?}: {}", preview.body);
        let body = unescape(&preview.body);
        assert!(
            body.contains("<strong>This removes 15 of the 17 people in the roster.</strong>"),
            "{backend:?}: {body}"
        );
        assert!(
            body.contains("Who would be removed (15)") && body.contains("<li>p17@example.org</li>")
        );
        assert!(body.contains("Remove 15 people and import"), "{body}");
        assert!(!body.contains("Import these changes"));
        // Without the box: nobody is removed, no warning, the usual button.
        let kept =
            unescape(&upload(app, &admin, &csrf, Some(("two.csv", two.as_bytes())), false).body);
        assert!(!kept.contains("This removes") && kept.contains("Import these changes"));
        assert!(kept.contains("Who is not in the file (kept) (15)"));
    }
}
