//! Users and API tokens in the admin console, on both databases: adding a manager by
//! invitation link (the link sets a password once, not twice, not after it expired), or with a
//! generated password; secrets only on the POST's response (`no-store`) and never in the
//! audit log; problems next to their fields with nothing written; changing a role or unit
//! (their sessions end, the new role applies); removing a user (their session and token stop
//! working); the last admin stays; tokens made in the browser work as bearer tokens until
//! revoked; and every route is for admins only, every form refused without the session's
//! CSRF token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::connection::SimpleConnection;
use worklife_server::db::DbConn;
use worklife_tests::reports_common::*;
use worklife_tests::{backends, unescape, Reply, TestApp};

/// The value of the `id="secret"` input: the shown-once link, password or token.
fn secret_of(html: &str) -> String {
    let key = "id=\"secret\" class=\"secret\" readonly value=\"";
    let at = html
        .find(key)
        .unwrap_or_else(|| panic!("no secret in {html}"))
        + key.len();
    unescape(html[at..].split('"').next().unwrap())
}

/// The id in the "Change" link of a user on the users page.
fn user_id(app: &TestApp, admin: &str, email: &str) -> String {
    let page = get(&app.url("/admin/users"), &As::Cookie(admin.into()));
    let marker = format!("\">Change<span class=\"visually-hidden\"> {email}</span>");
    let end = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {email} on {}", page.body));
    let start = page.body[..end].rfind("/admin/users/").unwrap() + "/admin/users/".len();
    page.body[start..end].to_string()
}

/// The CSRF token of the admin's session (from any console page).
fn csrf_for(app: &TestApp, cookie: &str) -> String {
    csrf_of(&get(&app.url("/reports"), &As::Cookie(cookie.into())).body)
}

fn add_user(app: &TestApp, admin: &str, fields: &[(&str, &str)]) -> Reply {
    let mut body = format!("csrf={}", form_value(&csrf_for(app, admin)));
    for (k, v) in fields {
        body.push_str(&format!("&{k}={}", form_value(v)));
    }
    post_form(&app.url("/admin/users"), Some(admin), &body)
}

/// Opens an invitation link and sends the password form (with the cookie and token the
/// page gave).
fn set_password(link: &str, password: &str, again: &str) -> Reply {
    let page = get(link, &As::Anonymous);
    let Some((cookie, _)) = page.cookie("wl_welcome") else {
        return page;
    };
    post_form(
        link,
        Some(&format!("wl_welcome={cookie}")),
        &format!(
            "csrf={}&password={}&again={}",
            form_value(&csrf_of(&page.body)),
            form_value(password),
            form_value(again)
        ),
    )
}

fn sql(app: &TestApp, statement: &str) {
    let pool = app.workspace.pool();
    let mut conn = pool.get().unwrap();
    match &mut conn {
        DbConn::Sqlite(c, _) => c.batch_execute(statement).unwrap(),
        DbConn::Postgres(c) => c.batch_execute(statement).unwrap(),
    }
}

fn audit(app: &TestApp) -> String {
    app.workspace.ok(&["audit", "list"])
}

/// `token list` without its "last used" column (a bearer request moves it).
fn tokens(app: &TestApp) -> String {
    app.workspace
        .ok(&["token", "list"])
        .lines()
        .map(|l| {
            let mut cols: Vec<&str> = l.split('\t').collect();
            if cols.len() > 4 {
                cols.remove(4);
            }
            cols.join("\t") + "\n"
        })
        .collect()
}

fn user_count(app: &TestApp) -> usize {
    app.workspace
        .ok(&["user", "list"])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

#[test]
fn an_invited_manager_sets_a_password_once_and_signs_in_to_their_unit_only() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = session(app, ADMIN, &f.passwords[ADMIN]);
        let page = get(&app.url("/admin/users"), &As::Cookie(admin.clone()));
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert!(page.body.contains("Acme › Eng"), "unit as a label");
        assert!(page.body.contains("<datalist id=\"unit-paths\">"));

        // Added with an invitation link (the default): the link is on the response only.
        let added = add_user(
            app,
            &admin,
            &[
                ("email", "Nora@Example.org"),
                ("role", "manager"),
                ("unit", "Acme/Sales"),
            ],
        );
        assert_eq!(added.status, 200, "{backend:?}: {}", added.body);
        assert_eq!(added.header("cache-control"), Some("no-store"));
        let link = secret_of(&added.body);
        assert!(link.starts_with(&app.url("/welcome/")), "{link}");
        assert!(added.body.contains("nora@example.org was added"));
        let listed = get(&app.url("/admin/users"), &As::Cookie(admin.clone())).body;
        assert!(!listed.contains(&link), "the link is shown once");
        assert!(listed.contains("Invited: no password yet"), "{listed}");
        // Nobody can sign in before the link is used.
        assert_eq!(login(app, "nora@example.org", "").status, 401);

        // The link: two different passwords are refused next to the field; then it works.
        let token = link.rsplit('/').next().unwrap().to_string();
        let page = get(&link, &As::Anonymous);
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert!(page.body.contains("nora@example.org"));
        let differ = set_password(&link, "correct horse battery", "correct horse batter");
        assert_eq!(differ.status, 400, "{}", differ.body);
        assert!(differ
            .body
            .contains("The password again: the two passwords differ"));
        let short = set_password(&link, "short", "short");
        assert_eq!(short.status, 400);
        assert!(short.body.contains("New password: at least 12 characters"));
        // Without the form's token: refused, and the link still works.
        let forged = post_form(
            &link,
            None,
            "csrf=x&password=forged+password+1&again=forged+password+1",
        );
        assert_eq!(forged.status, 403, "{}", forged.body);
        let set = set_password(&link, "correct horse battery", "correct horse battery");
        assert_eq!(set.status, 303, "{backend:?}: {}", set.body);
        assert_eq!(set.header("location"), Some("/login?welcome=1"));
        assert!(get(&app.url("/login?welcome=1"), &As::Anonymous)
            .body
            .contains("Your password is set"));

        // Used once: a second use is refused with a clear page, and the password stays.
        let again = get(&link, &As::Anonymous);
        assert_eq!(again.status, 410);
        assert!(
            again.body.contains("This link has been used already"),
            "{}",
            again.body
        );
        let second = set_password(&link, "another password here", "another password here");
        assert_eq!(second.status, 410);
        assert_eq!(
            login(app, "nora@example.org", "another password here").status,
            401
        );
        let unknown = get(&app.url("/welcome/not-a-token"), &As::Anonymous);
        assert_eq!(unknown.status, 404);
        assert!(unknown.body.contains("This link does not work"));

        // Signed in, the manager reads their unit and nothing else.
        let nora = As::Cookie(session(app, "nora@example.org", "correct horse battery"));
        assert_eq!(
            get(&app.url("/units/Acme%2FSales/action-plan"), &nora).status,
            200
        );
        assert_eq!(
            get(&app.url("/units/Acme%2FEng/action-plan"), &nora).status,
            403
        );
        assert_eq!(get(&app.url("/admin/users"), &nora).status, 403);
        let listed = get(&app.url("/admin/users"), &As::Cookie(admin.clone())).body;
        assert!(listed.contains("Password (set with their invitation link)"));

        // An expired link is refused (its expiry moved into the past in the database).
        let added = add_user(
            app,
            &admin,
            &[("email", "late@example.org"), ("role", "viewer")],
        );
        let late = secret_of(&added.body);
        sql(
            app,
            "UPDATE user_invitations SET expires_at = '2020-01-01 00:00:00' WHERE used_at IS NULL",
        );
        let expired = get(&late, &As::Anonymous);
        assert_eq!(expired.status, 410);
        assert!(expired.body.contains("This link has expired"));
        assert!(get(&app.url("/admin/users"), &As::Cookie(admin.clone()))
            .body
            .contains("Invitation expired unused"));
        // A new link from their Change page works; the expired one is gone.
        let late_id = user_id(app, &admin, "late@example.org");
        let fresh = post_form(
            &app.url(&format!("/admin/users/{late_id}/invite")),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf_for(app, &admin))),
        );
        assert_eq!(fresh.status, 200, "{}", fresh.body);
        assert_eq!(fresh.header("cache-control"), Some("no-store"));
        assert!(fresh
            .body
            .contains("A new invitation link for late@example.org"));
        let fresh = secret_of(&fresh.body);
        assert_eq!(get(&late, &As::Anonymous).status, 404);
        assert_eq!(
            set_password(&fresh, "late but here now", "late but here now").status,
            303
        );
        session(app, "late@example.org", "late but here now");

        // A generated password, shown once, signs in.
        let added = add_user(
            app,
            &admin,
            &[
                ("email", "vic@example.org"),
                ("role", "viewer"),
                ("access", "password"),
            ],
        );
        assert_eq!(added.status, 200, "{}", added.body);
        assert_eq!(added.header("cache-control"), Some("no-store"));
        let password = secret_of(&added.body);
        assert_eq!(password.len(), 20);
        session(app, "vic@example.org", &password);

        // Audited, without a secret.
        let log = audit(app);
        assert!(
            log.contains("add user")
                && log.contains(
                    "user=nora@example.org role=manager unit=Acme/Sales access=invitation link"
                ),
            "{log}"
        );
        assert!(log.contains("access=generated password"));
        assert!(log.contains("set password"));
        assert!(log.contains("invite user"));
        for secret in [&token, &password, &late, &fresh] {
            assert!(!log.contains(secret.as_str()), "{secret} in the audit log");
        }
    }
}

#[test]
fn problems_are_shown_next_to_their_fields_and_nothing_is_written() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = session(app, ADMIN, &f.passwords[ADMIN]);
        let before = (user_count(app), audit(app));
        for (fields, field, message) in [
            (
                vec![("email", "not an email"), ("role", "viewer")],
                "email",
                "Email: &#34;not an email&#34; is not an email address",
            ),
            (
                vec![("email", "m@example.org"), ("role", "manager")],
                "unit",
                "Unit: a manager needs a unit",
            ),
            (
                vec![
                    ("email", "m@example.org"),
                    ("role", "manager"),
                    ("unit", "Acme/Nowhere"),
                ],
                "unit",
                "Unit: &#34;Acme/Nowhere&#34; is not a unit of the roster",
            ),
            (
                vec![("email", "VIEWER@example.org"), ("role", "viewer")],
                "email",
                "Email: a user &#34;viewer@example.org&#34; exists already",
            ),
            (
                vec![("email", "m@example.org"), ("role", "boss")],
                "role",
                "Role: choose admin, viewer or manager",
            ),
        ] {
            let r = add_user(app, &admin, &fields);
            assert_eq!(r.status, 400, "{backend:?} {fields:?}: {}", r.body);
            assert!(r.body.contains("There is a problem: nobody was added"));
            assert!(
                r.body.contains(&format!("<a href=\"#{field}\">{message}")),
                "{fields:?}: summary links to #{field}: {}",
                r.body
            );
            assert!(
                r.body
                    .contains(&format!("id=\"{field}-problem\">{message}")),
                "{fields:?}: next to the field"
            );
            // What was typed stays.
            assert!(
                r.body.contains(&format!("value=\"{}\"", fields[0].1)),
                "kept"
            );
        }
        // Token form problems likewise.
        let csrf = csrf_for(app, &admin);
        let r = post_form(
            &app.url("/admin/tokens"),
            Some(&admin),
            &format!(
                "csrf={}&owner=nobody%40example.org&name=&expires=2d",
                form_value(&csrf)
            ),
        );
        assert_eq!(r.status, 400, "{}", r.body);
        for (field, message) in [
            (
                "owner",
                "Owner: there is no user &#34;nobody@example.org&#34;",
            ),
            ("name", "Name: say what will use the token"),
            ("expires", "Expires: choose when the token stops working"),
        ] {
            assert!(
                r.body
                    .contains(&format!("id=\"{field}-problem\">{message}")),
                "{field}: {}",
                r.body
            );
        }
        // Odd input: a clear answer, never a server error.
        let long = "x".repeat(5000);
        for fields in [
            vec![
                ("email", format!("{long}@example.org")),
                ("role", "viewer".into()),
            ],
            vec![
                ("email", "a@example.org".into()),
                ("role", "manager".into()),
                ("unit", long.clone()),
            ],
            vec![
                ("email", "a@example.org".into()),
                ("role", "viewer".into()),
                ("access", "carrier pigeon".into()),
            ],
            vec![
                ("email", "a\u{0}b@example.org".into()),
                ("role", "viewer\u{0}".into()),
            ],
        ] {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = add_user(app, &admin, &fields);
            assert_eq!(r.status, 400, "{backend:?}: {}", r.body);
        }
        for path in [
            "/admin/users/nobody".to_string(),
            "/admin/users/%00/remove".to_string(),
            "/admin/tokens/zzzz/revoke".to_string(),
            format!("/welcome/{long}"),
            "/welcome/%FF%FE".to_string(),
            "/welcome/%00".to_string(),
        ] {
            let r = get(&app.url(&path), &As::Cookie(admin.clone()));
            assert_eq!(r.status, 404, "{backend:?} {path}: {}", r.body);
        }
        assert_eq!(
            get(
                &app.url("/admin/users?changed=%00"),
                &As::Cookie(admin.clone())
            )
            .status,
            200
        );
        assert_eq!(
            (user_count(app), audit(app)),
            before,
            "{backend:?}: nothing written"
        );
        assert_eq!(app.workspace.ok(&["token", "list"]).lines().count(), 5);
    }
}

#[test]
fn a_changed_role_applies_at_once_and_a_removed_user_is_locked_out() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = session(app, ADMIN, &f.passwords[ADMIN]);
        let manager = session(app, MANAGER, &f.passwords[MANAGER]);
        let token = As::Bearer(f.tokens[MANAGER].clone());
        assert_eq!(
            get(&app.url("/units/Acme%2FSales/action-plan"), &token).status,
            403
        );

        // Manager of Eng becomes manager of Sales: their session ends, the token follows.
        let id = user_id(app, &admin, MANAGER);
        let edit = get(
            &app.url(&format!("/admin/users/{id}")),
            &As::Cookie(admin.clone()),
        );
        assert_eq!(edit.status, 200, "{}", edit.body);
        let csrf = csrf_for(app, &admin);
        let bad = post_form(
            &app.url(&format!("/admin/users/{id}")),
            Some(&admin),
            &format!("csrf={}&role=manager&unit=", form_value(&csrf)),
        );
        assert_eq!(bad.status, 400);
        assert!(bad
            .body
            .contains("id=\"unit-problem\">Unit: a manager needs a unit"));
        let changed = post_form(
            &app.url(&format!("/admin/users/{id}")),
            Some(&admin),
            &format!("csrf={}&role=manager&unit=Acme%2FSales", form_value(&csrf)),
        );
        assert_eq!(changed.status, 303, "{backend:?}: {}", changed.body);
        let after = get(
            &app.url(changed.header("location").unwrap()),
            &As::Cookie(admin.clone()),
        );
        assert!(
            after
                .body
                .contains("Saved: manager@example.org is now manager of Acme › Sales"),
            "{}",
            after.body
        );
        assert_eq!(
            get(&app.url("/reports"), &As::Cookie(manager.clone())).status,
            303,
            "session ended"
        );
        assert_eq!(
            get(&app.url("/units/Acme%2FSales/action-plan"), &token).status,
            200
        );
        assert_eq!(
            get(&app.url("/units/Acme%2FEng/action-plan"), &token).status,
            403
        );
        let again = session(app, MANAGER, &f.passwords[MANAGER]);
        assert_eq!(
            get(
                &app.url("/units/Acme%2FSales/action-plan"),
                &As::Cookie(again.clone())
            )
            .status,
            200
        );
        assert!(audit(app).contains("user=manager@example.org role=manager unit=Acme/Sales"));

        // Removing them: a confirmation first, then session and token stop working.
        let confirm = get(
            &app.url(&format!("/admin/users/{id}/remove")),
            &As::Cookie(admin.clone()),
        );
        assert_eq!(confirm.status, 200);
        assert!(confirm
            .body
            .contains("Their sessions end and their API tokens stop working"));
        let removed = post_form(
            &app.url(&format!("/admin/users/{id}/remove")),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(removed.status, 303, "{}", removed.body);
        assert_eq!(get(&app.url("/reports"), &As::Cookie(again)).status, 303);
        assert_eq!(get(&app.url("/api/v1/waves"), &token).status, 401);
        assert!(!app.workspace.ok(&["user", "list"]).contains(MANAGER));
        assert!(audit(app).contains("remove user"));

        // The admin cannot demote or remove themselves, nor the last admin.
        let me = user_id(app, &admin, ADMIN);
        let demote = post_form(
            &app.url(&format!("/admin/users/{me}")),
            Some(&admin),
            &format!("csrf={}&role=viewer&unit=", form_value(&csrf)),
        );
        assert_eq!(demote.status, 400);
        // Saving their own page unchanged keeps them signed in.
        let same = post_form(
            &app.url(&format!("/admin/users/{me}")),
            Some(&admin),
            &format!("csrf={}&role=admin&unit=", form_value(&csrf)),
        );
        assert_eq!(same.status, 303);
        assert_eq!(
            get(&app.url("/admin/users"), &As::Cookie(admin.clone())).status,
            200
        );
        assert!(
            demote.body.contains("you cannot change your own role"),
            "{}",
            demote.body
        );
        let remove_me = post_form(
            &app.url(&format!("/admin/users/{me}/remove")),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(remove_me.status, 409);
        assert!(
            remove_me.body.contains("You cannot remove yourself"),
            "{}",
            remove_me.body
        );
        // A second admin cannot demote or remove the first while the first is the last one.
        let viewer_id = user_id(app, &admin, VIEWER);
        let promoted = post_form(
            &app.url(&format!("/admin/users/{viewer_id}")),
            Some(&admin),
            &format!("csrf={}&role=admin&unit=", form_value(&csrf)),
        );
        assert_eq!(promoted.status, 303);
        let second = session(app, VIEWER, &f.passwords[VIEWER]);
        let csrf2 = csrf_for(app, &second);
        // Two admins: the second may demote the first...
        let demoted = post_form(
            &app.url(&format!("/admin/users/{me}")),
            Some(&second),
            &format!("csrf={}&role=viewer&unit=", form_value(&csrf2)),
        );
        assert_eq!(demoted.status, 303, "{}", demoted.body);
        // ...who, now a viewer, cannot act; and the last admin stays one.
        let admin2 = session(app, ADMIN, &f.passwords[ADMIN]);
        assert_eq!(
            get(&app.url("/admin/users"), &As::Cookie(admin2)).status,
            403
        );
        let users = get(&app.url("/admin/users"), &As::Cookie(second.clone())).body;
        assert!(users.contains("viewer@example.org (you)"));
        // The last admin cannot demote themselves either.
        let last = user_id(app, &second, VIEWER);
        let r = post_form(
            &app.url(&format!("/admin/users/{last}")),
            Some(&second),
            &format!("csrf={}&role=viewer&unit=", form_value(&csrf2)),
        );
        assert_eq!(r.status, 400);
        assert!(r.body.contains("you cannot change your own role"));
    }
}

#[test]
fn tokens_made_in_the_browser_work_as_bearer_tokens_until_revoked() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = session(app, ADMIN, &f.passwords[ADMIN]);
        let page = get(&app.url("/admin/tokens"), &As::Cookie(admin.clone()));
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(VIEWER) && page.body.contains("never"));
        let csrf = csrf_for(app, &admin);
        let made = post_form(
            &app.url("/admin/tokens"),
            Some(&admin),
            &format!(
                "csrf={}&owner={}&name=BI+dashboard&expires=30d",
                form_value(&csrf),
                form_value(VIEWER)
            ),
        );
        assert_eq!(made.status, 200, "{backend:?}: {}", made.body);
        assert_eq!(made.header("cache-control"), Some("no-store"));
        let token = secret_of(&made.body);
        assert!(token.starts_with("wlt_"));
        assert!(made
            .body
            .contains(&format!("Authorization: Bearer {token}")));
        let bearer = As::Bearer(token.clone());
        assert_eq!(get(&app.url("/api/v1/waves"), &bearer).status, 200);
        let listed = get(&app.url("/admin/tokens"), &As::Cookie(admin.clone())).body;
        assert!(!listed.contains(&token), "shown once");
        assert!(listed.contains("BI dashboard"));
        let list = app.workspace.ok(&["token", "list"]);
        let id = list
            .lines()
            .find(|l| l.contains("BI dashboard"))
            .unwrap()
            .split('\t')
            .next()
            .unwrap()
            .to_string();
        // An expired token is marked so.
        let sales_id = list
            .lines()
            .find(|l| l.contains(SALES))
            .unwrap()
            .split('\t')
            .next()
            .unwrap()
            .to_string();
        sql(
            app,
            &format!(
                "UPDATE api_tokens SET expires_at = '2020-01-01 00:00:00' \
                 WHERE token_hash LIKE '{sales_id}%'"
            ),
        );
        let marked = get(&app.url("/admin/tokens"), &As::Cookie(admin.clone())).body;
        assert!(
            marked.contains("<span class=\"expired\">expired</span>"),
            "{marked}"
        );
        let confirm = get(
            &app.url(&format!("/admin/tokens/{id}/revoke")),
            &As::Cookie(admin.clone()),
        );
        assert_eq!(confirm.status, 200);
        assert!(confirm.body.contains("will stop working at once"));
        let revoked = post_form(
            &app.url(&format!("/admin/tokens/{id}/revoke")),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(revoked.status, 303, "{}", revoked.body);
        assert_eq!(get(&app.url("/api/v1/waves"), &bearer).status, 401);
        let log = audit(app);
        assert!(
            log.contains("create token") && log.contains(&format!("id={id} user={VIEWER}")),
            "{log}"
        );
        assert!(log.contains("revoke token"));
        assert!(!log.contains(&token));
        let again = post_form(
            &app.url(&format!("/admin/tokens/{id}/revoke")),
            Some(&admin),
            &format!("csrf={}", form_value(&csrf)),
        );
        assert_eq!(again.status, 404);
    }
}

#[test]
fn console_user_routes_are_for_admins_and_every_form_needs_the_sessions_csrf_token() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = session(app, ADMIN, &f.passwords[ADMIN]);
        let viewer = session(app, VIEWER, &f.passwords[VIEWER]);
        let manager = session(app, MANAGER, &f.passwords[MANAGER]);
        let sales = session(app, SALES, &f.passwords[SALES]);
        let viewer_id = user_id(app, &admin, VIEWER);
        let token_id = app
            .workspace
            .ok(&["token", "list"])
            .lines()
            .find(|l| l.contains(VIEWER))
            .unwrap()
            .split('\t')
            .next()
            .unwrap()
            .to_string();
        let pages = [
            "/admin/users".to_string(),
            format!("/admin/users/{viewer_id}"),
            format!("/admin/users/{viewer_id}/remove"),
            "/admin/tokens".to_string(),
            format!("/admin/tokens/{token_id}/revoke"),
        ];
        for page in &pages {
            let anon = get(&app.url(page), &As::Anonymous);
            assert_eq!(anon.status, 303, "{backend:?} {page}");
            assert!(anon.header("location").unwrap().starts_with("/login?next="));
            for (who, cookie) in [
                ("viewer", &viewer),
                ("manager in scope", &manager),
                ("manager out of scope", &sales),
            ] {
                assert_eq!(
                    get(&app.url(page), &As::Cookie(cookie.clone())).status,
                    403,
                    "{who} {page}"
                );
            }
            assert_eq!(
                get(&app.url(page), &As::Bearer(f.tokens[VIEWER].clone())).status,
                403
            );
            assert_eq!(
                get(&app.url(page), &As::Cookie(admin.clone())).status,
                200,
                "{page}"
            );
        }
        // Every form, each way it must be refused: nothing changes.
        let right = csrf_for(app, &admin);
        let forms = [
            (
                "/admin/users".to_string(),
                "email=x%40example.org&role=viewer".to_string(),
            ),
            (
                format!("/admin/users/{viewer_id}"),
                "role=admin&unit=".to_string(),
            ),
            (format!("/admin/users/{viewer_id}/remove"), String::new()),
            (format!("/admin/users/{viewer_id}/invite"), String::new()),
            (
                "/admin/tokens".to_string(),
                format!("owner={}&name=t&expires=30d", form_value(VIEWER)),
            ),
            (format!("/admin/tokens/{token_id}/revoke"), String::new()),
        ];
        let before = (app.workspace.ok(&["user", "list"]), tokens(app), audit(app));
        for (path, fields) in &forms {
            let url = app.url(path);
            let with = |csrf: &str| format!("csrf={}&{fields}", form_value(csrf));
            // No token, a wrong one, another session's token.
            for body in [fields.clone(), with("wrong"), with(&csrf_for(app, &viewer))] {
                let r = post_form(&url, Some(&admin), &body);
                assert_eq!(r.status, 403, "{backend:?} {path} {body}: {}", r.body);
            }
            // Viewers and managers with their own session's token.
            for cookie in [&viewer, &manager, &sales] {
                let r = post_form(&url, Some(cookie), &with(&csrf_for(app, cookie)));
                assert_eq!(r.status, 403, "{path}");
            }
            // A bearer token (the admin's own) cannot post a form.
            let r = worklife_tests::client()
                .post(&url)
                .header("Authorization", &format!("Bearer {}", f.tokens[ADMIN]))
                .content_type("application/x-www-form-urlencoded")
                .send(&with(&right))
                .unwrap();
            assert_eq!(r.status().as_u16(), 403, "bearer {path}");
            // Anonymous: to the sign-in page, nothing done.
            let r = post_form(&url, None, &with(&right));
            assert!(
                matches!(r.status, 303 | 401 | 403),
                "anonymous {path}: {}",
                r.status
            );
        }
        let after = (app.workspace.ok(&["user", "list"]), tokens(app), audit(app));
        assert_eq!(before, after, "{backend:?}: nothing changed");
    }
}

/// A manager made viewer leaves their unit behind, although the form still holds it.
#[test]
fn a_manager_made_viewer_leaves_their_unit_behind() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = session(app, ADMIN, &f.passwords[ADMIN]);
        let id = user_id(app, &admin, MANAGER);
        let csrf = csrf_for(app, &admin);
        let r = post_form(
            &app.url(&format!("/admin/users/{id}")),
            Some(&admin),
            &format!("csrf={}&role=viewer&unit=Acme%2FEng", form_value(&csrf)),
        );
        assert_eq!(r.status, 303, "{backend:?}: {}", r.body);
        let pool = app.workspace.pool();
        let mut conn = pool.get().unwrap();
        let (user, _) = worklife_server::auth::find_by_email(&mut conn, MANAGER)
            .unwrap()
            .unwrap();
        assert_eq!(
            user.role,
            worklife_server::auth::Role::Viewer,
            "{backend:?}"
        );
        assert_eq!(user.unit_path, None, "{backend:?}");
    }
}
