//! Sign-in on both databases: cookie attributes, CSRF on login and logout, tampered and
//! foreign sessions, and the login rate limit holding across replicas.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::reports_common::*;
use worklife_tests::{backends, spawn_app, Workspace};

#[test]
fn sessions_are_signed_http_only_strict_and_expire() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let r = login(app, ADMIN, &f.passwords[ADMIN]);
        assert_eq!(r.status, 303, "{backend:?}");
        let (value, header) = r.cookie("wl_session").unwrap();
        for attr in ["HttpOnly", "SameSite=Strict", "Max-Age=28800", "Path=/"] {
            assert!(header.contains(attr), "{header}");
        }
        let good = format!("wl_session={value}");
        assert_eq!(
            get(&app.url("/reports"), &As::Cookie(good.clone())).status,
            200
        );
        // Swap in another user's id (the viewer's session body) without re-signing.
        let viewer = session(app, VIEWER, &f.passwords[VIEWER]);
        let viewer_id = viewer
            .trim_start_matches("wl_session=")
            .split('.')
            .next()
            .unwrap();
        let admin_id = value.split('.').next().unwrap();
        let tampered = good.replacen(admin_id, viewer_id, 1);
        assert_ne!(tampered, good);
        let r = get(&app.url("/reports"), &As::Cookie(tampered));
        assert_eq!(
            r.status, 303,
            "{backend:?}: a tampered cookie is no session"
        );
        // A later expiry, also unsigned.
        // The cookie is user.session.expiry.csrf.mac.
        let mut parts: Vec<&str> = value.split('.').collect();
        let later = (parts[2].parse::<i64>().unwrap() + 3600).to_string();
        parts[2] = &later;
        let r = get(
            &app.url("/api/v1/waves"),
            &As::Cookie(format!("wl_session={}", parts.join("."))),
        );
        assert_eq!(r.status, 401);
        // A session signed by another installation's key.
        let other = spawn_app(Workspace::new(backend));
        other
            .workspace
            .ok(&["user", "add", "--email", ADMIN, "--role", "admin"]);
        let r = get(&other.url("/reports"), &As::Cookie(good.clone()));
        assert_eq!(
            r.status, 303,
            "{backend:?}: a foreign key's cookie is no session"
        );
    }
}

#[test]
fn logging_out_ends_the_session_on_the_server_and_only_that_one() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let laptop = session(app, ADMIN, &f.passwords[ADMIN]);
        let phone = session(app, ADMIN, &f.passwords[ADMIN]);
        let reports = get(&app.url("/reports"), &As::Cookie(laptop.clone()));
        assert_eq!(reports.status, 200);
        let out = post_form(
            &app.url("/logout"),
            Some(&laptop),
            &format!("csrf={}", form_value(&csrf_of(&reports.body))),
        );
        assert_eq!(out.status, 303, "{backend:?}");
        // A copy of the logged-out cookie (still signed, not expired) opens nothing.
        let r = get(&app.url("/reports"), &As::Cookie(laptop.clone()));
        assert_eq!(r.status, 303, "{backend:?}: back to the login page");
        let r = get(&app.url("/api/v1/waves"), &As::Cookie(laptop.clone()));
        assert_eq!(r.status, 401, "{backend:?}");
        // The same user's other session goes on.
        let r = get(&app.url("/reports"), &As::Cookie(phone.clone()));
        assert_eq!(r.status, 200, "{backend:?}");
    }
}

#[test]
fn forms_without_the_right_csrf_token_are_refused() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let page = get(&app.url("/login"), &As::Anonymous);
        let (login_cookie, _) = page.cookie("wl_login").unwrap();
        let jar = format!("wl_login={login_cookie}");
        let body = |csrf: &str| {
            format!(
                "email={}&password={}{csrf}",
                form_value(ADMIN),
                form_value(&f.passwords[ADMIN])
            )
        };
        // No token, a wrong token, and the right token without its cookie.
        assert_eq!(
            post_form(&app.url("/login"), Some(&jar), &body("")).status,
            403
        );
        assert_eq!(
            post_form(&app.url("/login"), Some(&jar), &body("&csrf=wrong")).status,
            403
        );
        let right = format!("&csrf={}", form_value(&csrf_of(&page.body)));
        assert_eq!(
            post_form(&app.url("/login"), None, &body(&right)).status,
            403
        );
        let ok = post_form(&app.url("/login"), Some(&jar), &body(&right));
        assert_eq!(ok.status, 303, "{backend:?}: {}", ok.body);
        let (value, _) = ok.cookie("wl_session").unwrap();
        let cookie = format!("wl_session={value}");
        // Logout: the session's token from the page, nothing else.
        let reports = get(&app.url("/reports"), &As::Cookie(cookie.clone()));
        let token = csrf_of(&reports.body);
        assert_eq!(
            post_form(&app.url("/logout"), Some(&cookie), "").status,
            403
        );
        assert_eq!(
            post_form(&app.url("/logout"), Some(&cookie), "csrf=wrong").status,
            403
        );
        assert_eq!(
            post_form(
                &app.url("/logout"),
                None,
                &format!("csrf={}", form_value(&token))
            )
            .status,
            403
        );
        let out = post_form(
            &app.url("/logout"),
            Some(&cookie),
            &format!("csrf={}", form_value(&token)),
        );
        assert_eq!(out.status, 303);
        let (cleared, header) = out.cookie("wl_session").unwrap();
        assert!(
            cleared.is_empty() && header.contains("Max-Age=0"),
            "{header}"
        );
    }
}

#[test]
fn failed_logins_are_limited_per_account_across_replicas() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let wrong = login(app, VIEWER, "not the password at all");
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("The email or the password is wrong."));
        for _ in 0..4 {
            assert_eq!(login(app, VIEWER, "still not the password").status, 401);
        }
        // Five failures: even the right password is refused now, on this replica and on
        // another one over the same database.
        let locked = login(app, VIEWER, &f.passwords[VIEWER]);
        assert_eq!(locked.status, 429, "{backend:?}");
        assert!(locked
            .body
            .contains("Too many failed sign-ins for this account"));
        let replica = spawn_replica(app);
        assert_eq!(login_at(&replica, VIEWER, &f.passwords[VIEWER]).status, 429);
        // Other accounts are not affected.
        assert_eq!(login(app, ADMIN, &f.passwords[ADMIN]).status, 303);
    }
}

#[test]
fn removing_a_user_ends_their_sessions_and_tokens_at_once() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let ws = &app.workspace;
        let cookie = As::Cookie(session(app, MANAGER, &f.passwords[MANAGER]));
        let bearer = As::Bearer(f.tokens[MANAGER].clone());
        assert_eq!(get(&app.url("/api/v1/waves"), &cookie).status, 200);
        assert_eq!(get(&app.url("/api/v1/waves"), &bearer).status, 200);
        let list = ws.ok(&["user", "list"]);
        assert!(
            list.contains(&format!("{MANAGER}\tmanager\tAcme/Eng")),
            "{list}"
        );

        let out = ws.ok(&["user", "remove", "--email", MANAGER]);
        assert!(out.contains("removed"), "{out}");
        assert_eq!(
            get(&app.url("/api/v1/waves"), &cookie).status,
            401,
            "{backend:?}"
        );
        assert_eq!(
            get(&app.url("/api/v1/waves"), &bearer).status,
            401,
            "{backend:?}"
        );
        assert_eq!(login(app, MANAGER, &f.passwords[MANAGER]).status, 401);
        assert!(!ws.ok(&["user", "list"]).contains(MANAGER));
        // Others are untouched; removing twice is an error that says why.
        let viewer = As::Bearer(f.tokens[VIEWER].clone());
        assert_eq!(get(&app.url("/api/v1/waves"), &viewer).status, 200);
        let again = ws.worklife(&["user", "remove", "--email", MANAGER]);
        assert_eq!(again.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&again.stderr).contains("no user"));
        assert!(ws
            .ok(&["audit", "list"])
            .contains(&format!("remove user\t{MANAGER}")));
    }
}

/// Every answer of the app carries the security headers, whichever route (or none) made it:
/// pages, the API, errors, the respondent form, the stylesheets and the health check. They
/// come from one middleware (`web::headers`).
#[test]
fn every_answer_carries_the_security_headers() {
    let backend = backends()[0];
    let f = fixture(backend);
    let app = &f.app;
    let admin = session(app, ADMIN, &f.passwords[ADMIN]);
    let bearer = As::Bearer(f.tokens[ADMIN].clone());
    let answers = [
        ("/login", As::Anonymous, 200, "no-store"),
        ("/reports", As::Cookie(admin.clone()), 200, "no-store"),
        ("/reports", As::Anonymous, 303, "no-store"),
        ("/api/v1/waves", bearer, 200, "no-store"),
        ("/api/v1/waves", As::Anonymous, 401, "no-store"),
        (
            "/api/v1/waves/nope/heatmap",
            As::Cookie(admin),
            404,
            "no-store",
        ),
        ("/s/not-a-token", As::Anonymous, 404, "no-store"),
        ("/no/such/page", As::Anonymous, 404, "no-store"),
        ("/healthz", As::Anonymous, 200, "no-store"),
        (
            "/static/reports.css",
            As::Anonymous,
            200,
            "public, max-age=3600",
        ),
        (
            "/static/survey.css",
            As::Anonymous,
            200,
            "public, max-age=3600",
        ),
        (
            "/static/survey.js",
            As::Anonymous,
            200,
            "public, max-age=3600",
        ),
    ];
    for (path, who, status, cache) in answers {
        let r = get(&app.url(path), &who);
        assert_eq!(r.status, status, "{path}: {}", r.body);
        let expected = [
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("x-robots-tag", "noindex, nofollow"),
            ("cache-control", cache),
        ];
        for (name, value) in expected {
            assert_eq!(r.header(name), Some(value), "{path}: {name}");
        }
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("frame-ancestors 'none'")
                // The participation page's script fetches the page again to refresh it.
                && csp.contains("connect-src 'self'"),
            "{path}: {csp}"
        );
    }
}

/// Behind https (the public `base_url`), every cookie is `Secure` and every answer tells
/// the browser to use https only; on a plain-http install neither is set, or sign-in would
/// not work at all.
#[test]
fn under_https_every_cookie_is_secure_and_answers_carry_hsts() {
    let backend = backends()[0];
    let f = fixture(backend);
    let https = spawn_replica_at(&f.app, Some("https://survey.example.org"));
    for (address, secure) in [(https.as_str(), true), (f.app.address.as_str(), false)] {
        let page = get(&format!("{address}/login"), &As::Anonymous);
        let signed_in = login_at(address, ADMIN, &f.passwords[ADMIN]);
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        let (value, _) = signed_in.cookie("wl_session").unwrap();
        let reports = get(
            &format!("{address}/reports"),
            &As::Cookie(format!("wl_session={value}")),
        );
        let logout = post_form(
            &format!("{address}/logout"),
            Some(&format!("wl_session={value}")),
            &format!("csrf={}", csrf_of(&reports.body)),
        );
        assert_eq!(logout.status, 303, "{}", logout.body);
        for (what, reply, name) in [
            ("login page", &page, "wl_login"),
            ("sign-in", &signed_in, "wl_session"),
            ("sign-out", &logout, "wl_session"),
        ] {
            let (_, cookie) = reply.cookie(name).unwrap();
            assert_eq!(
                cookie.contains("; Secure"),
                secure,
                "{address} {what}: {cookie}"
            );
        }
        for reply in [&page, &signed_in, &reports, &logout] {
            let hsts = reply.header("strict-transport-security");
            assert_eq!(hsts.is_some(), secure, "{address}: {hsts:?}");
            if secure {
                assert_eq!(hsts, Some("max-age=31536000"));
            }
        }
    }
}

/// A report page that cannot be shown says so on a page of its own: what happened as a title,
/// the reason as a sentence, and a way back; the API says the same as JSON.
#[test]
fn errors_on_report_pages_are_pages_with_a_way_back() {
    let backend = backends()[0];
    let f = fixture(backend);
    let app = &f.app;
    let admin = session(app, ADMIN, &f.passwords[ADMIN]);
    let page = get(&app.url("/reports/waves/nope"), &As::Cookie(admin.clone()));
    assert_eq!(page.status, 404);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.body.contains("<h1>Not found</h1>"), "{}", page.body);
    assert!(page.body.contains("No wave named"), "{}", page.body);
    assert!(
        page.body
            .contains("<a href=\"/reports\">Back to the reports</a>"),
        "{}",
        page.body
    );
    let api = get(&app.url("/api/v1/waves/nope/heatmap"), &As::Cookie(admin));
    assert_eq!(api.status, 404);
    assert_eq!(api.json()["error"], "no wave named \"nope\"");
    // A manager outside their subtree.
    let manager = session(app, MANAGER, &f.passwords[MANAGER]);
    let refused = get(
        &app.url("/reports/waves/W1?unit=Acme%2FSales"),
        &As::Cookie(manager),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("<h1>You do not have access to this</h1>"),
        "{}",
        refused.body
    );
}
