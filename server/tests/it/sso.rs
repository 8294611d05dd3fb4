//! Single sign-on against a real OpenID provider on loopback (`oidc-provider` on Node,
//! tests/oidc): roles from groups, just-in-time users, role change and removal at the next
//! sign-in, tampered state, replayed codes, wrong audience, expired ID tokens, an issuer
//! mismatch, unverified and unknown emails, password sign-in turned off, the provider's
//! sign-out, and the role x route matrix with single sign-on users on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use worklife_server::clock::Clock;
use worklife_server::configuration::{OidcSettings, Secret, Settings};
use worklife_server::db::DbPool;
use worklife_server::web::{self, AppState};
use worklife_tests::oidc::{follow, Jar, OidcProvider};
use worklife_tests::reports_common::*;
use worklife_tests::{backends, Reply, TestApp};

const CALLBACK: &str = "/auth/oidc/callback";

/// The group settings every test here uses.
pub fn oidc_settings(provider: &OidcProvider) -> OidcSettings {
    OidcSettings {
        issuer: provider.issuer.clone(),
        client_id: OidcProvider::CLIENT_ID.into(),
        client_secret: Some(Secret::new(OidcProvider::CLIENT_SECRET)),
        label: "Acme ID".into(),
        admin_group: "wl-admins".into(),
        viewer_group: "wl-viewers".into(),
        manager_group_prefix: "wl-manager:".into(),
        manager_group: "wl-managers".into(),
        manager_unit_claim: "worklife_unit".into(),
        create_users: true,
        ..OidcSettings::default()
    }
}

/// Another app on the fixture's database, with single sign-on as `change` sets it, its own
/// public address and a manual clock; returns its address and the clock.
pub fn sso_app(app: &TestApp, change: impl FnOnce(&mut Settings)) -> (String, Clock) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = app.workspace.settings();
    settings.base_url = address.clone();
    change(&mut settings);
    let mut state =
        AppState::new(DbPool::connect(&app.workspace.db.url, 4).unwrap(), settings).unwrap();
    let clock = Clock::manual(worklife_server::clock::now());
    state.clock = clock.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let _ = web::run(listener, state).unwrap().await;
        })
    });
    (address, clock)
}

/// Walks the redirect flow from the app's "Sign in with" link through the provider and back
/// to the callback URL (not requested): the callback URL and the browser's cookies.
fn to_callback(base: &str, next: Option<&str>) -> (String, Jar) {
    let mut jar = Jar::default();
    let start = match next {
        Some(n) => format!("{base}/auth/oidc/start?next={}", web::enc(n)),
        None => format!("{base}/auth/oidc/start"),
    };
    let stop = format!("{base}{CALLBACK}");
    let (_, reply) = follow(&mut jar, &start, Some(&stop));
    let location = reply
        .header("location")
        .unwrap_or_else(|| {
            panic!(
                "no redirect to the callback: {} {}",
                reply.status, reply.body
            )
        })
        .to_string();
    assert!(location.starts_with(&stop), "{location}");
    (location, jar)
}

/// Requests `url` with the jar's cookies for it.
fn get_with(jar: &Jar, url: &str) -> Reply {
    match jar.header_for(url) {
        Some(c) => get(url, &As::Cookie(c)),
        None => get(url, &As::Anonymous),
    }
}

/// Signs `login` in at the provider and back at the app: the app's answer to the callback.
fn sign_in(provider: &OidcProvider, base: &str, login: &str) -> Reply {
    provider.next_login(Some(login));
    let (callback, jar) = to_callback(base, None);
    get_with(&jar, &callback)
}

/// The session cookie a successful sign-in set.
fn session_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 303, "{}", reply.body);
    let (value, _) = reply.cookie("wl_session").expect("a session cookie");
    format!("wl_session={value}")
}

fn account(email: &str, groups: serde_json::Value) -> serde_json::Value {
    json!({ "email": email, "email_verified": true, "groups": groups })
}

fn role_of(app: &TestApp, email: &str) -> Option<(String, Option<String>)> {
    let out = app.workspace.ok(&["user", "list"]);
    out.lines().find_map(|l| {
        let mut cols = l.split('\t');
        (cols.next() == Some(email)).then(|| {
            let role = cols.next().unwrap().to_string();
            let unit = cols.next().filter(|u| !u.is_empty()).map(str::to_string);
            (role, unit)
        })
    })
}

fn audit_of(app: &TestApp) -> String {
    app.workspace.ok(&["audit", "list"])
}

#[test]
fn roles_come_from_groups_and_follow_them_at_every_sign_in() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let (base, _) = sso_app(app, |s| s.oidc = oidc_settings(&provider));
        provider.set_account("ada", account("ada@example.org", json!(["wl-admins"])));
        provider.set_account(
            "vic",
            account("vic@example.org", json!(["other", "wl-viewers"])),
        );
        provider.set_account(
            "max",
            account("max@example.org", json!(["wl-manager:Acme/Eng"])),
        );
        provider.set_account(
            "mia",
            json!({ "email": "mia@example.org", "email_verified": true,
                    "groups": ["wl-managers"], "worklife_unit": "Acme/Sales" }),
        );

        // Just-in-time users with the role and unit their groups give; each lands on the
        // reports and reads what their role may.
        for (login, email, role, unit) in [
            ("ada", "ada@example.org", "admin", None),
            ("vic", "vic@example.org", "viewer", None),
            ("max", "max@example.org", "manager", Some("Acme/Eng")),
            ("mia", "mia@example.org", "manager", Some("Acme/Sales")),
        ] {
            let r = sign_in(&provider, &base, login);
            assert_eq!(
                r.header("location"),
                Some("/reports"),
                "{backend:?} {login}"
            );
            let cookie = As::Cookie(session_of(&r));
            assert_eq!(
                role_of(app, email),
                Some((role.to_string(), unit.map(str::to_string))),
                "{backend:?} {login}"
            );
            let heat = get(&format!("{base}/reports/waves/W2"), &cookie);
            assert_eq!(heat.status, 200, "{backend:?} {login}");
            assert!(
                heat.body.contains(email),
                "{backend:?}: the header names {email}"
            );
            let users = get(&format!("{base}/admin/users"), &cookie).status;
            assert_eq!(users, if role == "admin" { 200 } else { 403 }, "{login}");
            if login == "max" {
                assert!(!heat.body.contains("Acme/Sales"), "{backend:?}");
            }
        }
        let audit = audit_of(app);
        assert!(audit.contains("sso user created"), "{audit}");
        assert!(audit.contains("manager of Acme/Eng"), "{audit}");

        // A second sign-in with the same groups changes nothing and keeps other sessions.
        let first = session_of(&sign_in(&provider, &base, "vic"));
        let second = session_of(&sign_in(&provider, &base, "vic"));
        for c in [&first, &second] {
            assert_eq!(
                get(&format!("{base}/reports"), &As::Cookie(c.clone())).status,
                200
            );
        }

        // Groups changed at the provider: the new role at the next sign-in, the old
        // sessions ended.
        provider.set_account("vic", account("vic@example.org", json!(["wl-admins"])));
        let promoted = session_of(&sign_in(&provider, &base, "vic"));
        assert_eq!(role_of(app, "vic@example.org").unwrap().0, "admin");
        assert_eq!(
            get(&format!("{base}/reports"), &As::Cookie(first.clone())).status,
            303,
            "{backend:?}: the session from before the change still works"
        );
        assert_eq!(
            get(
                &format!("{base}/admin/users"),
                &As::Cookie(promoted.clone())
            )
            .status,
            200
        );
        assert!(audit_of(app).contains("viewer -> admin"));

        // Out of every Worklife group: refused with a page that says so, the account, its
        // sessions and its API tokens gone.
        let token = app
            .workspace
            .ok(&["token", "create", "--user", "vic@example.org"])
            .trim()
            .to_string();
        assert_eq!(
            get(&format!("{base}/api/v1/waves"), &As::Bearer(token.clone())).status,
            200
        );
        provider.set_account("vic", account("vic@example.org", json!(["other"])));
        let refused = sign_in(&provider, &base, "vic");
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains("You do not have access to Worklife"));
        assert!(refused.body.contains("none of the groups"));
        assert!(refused.body.contains("href=\"/login\""), "a way back");
        assert!(refused.cookie("wl_session").is_none());
        assert_eq!(role_of(app, "vic@example.org"), None);
        assert_eq!(
            get(&format!("{base}/reports"), &As::Cookie(promoted)).status,
            303
        );
        assert_eq!(
            get(&format!("{base}/api/v1/waves"), &As::Bearer(token)).status,
            401
        );
        let audit = audit_of(app);
        assert!(audit.contains("in no Worklife group"), "{audit}");
        assert!(audit.contains("lost access"), "{audit}");

        // A manager group naming a unit that is not in the roster.
        provider.set_account(
            "max",
            account("max@example.org", json!(["wl-manager:Acme/Nowhere"])),
        );
        let r = sign_in(&provider, &base, "max");
        assert_eq!(r.status, 403);
        assert!(r.body.contains("Acme/Nowhere"), "{}", r.body);

        // Without create_users, someone unknown is refused and nobody is created.
        let (closed, _) = sso_app(app, |s| {
            s.oidc = OidcSettings {
                create_users: false,
                ..oidc_settings(&provider)
            }
        });
        provider.set_account("new", account("new@example.org", json!(["wl-viewers"])));
        let r = sign_in(&provider, &closed, "new");
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r
            .body
            .contains("There is no Worklife account for new@example.org"));
        assert_eq!(role_of(app, "new@example.org"), None);
        // ... but a user an admin added is signed in, with the role from the groups.
        app.workspace.ok(&[
            "user",
            "add",
            "--email",
            "new@example.org",
            "--role",
            "admin",
        ]);
        let r = sign_in(&provider, &closed, "new");
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(role_of(app, "new@example.org").unwrap().0, "viewer");
    }
}

#[test]
fn a_forged_replayed_or_untrustworthy_answer_signs_nobody_in() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let f = fixture(worklife_tests::Backend::Sqlite);
    let app = &f.app;
    let (base, clock) = sso_app(app, |s| s.oidc = oidc_settings(&provider));
    provider.set_account("ada", account("ada@example.org", json!(["wl-admins"])));
    provider.next_login(Some("ada"));

    let refused = |r: &Reply, status: u16, words: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert!(r.body.contains(words), "expected \"{words}\" in {}", r.body);
        assert!(r.cookie("wl_session").is_none());
        assert!(r.body.contains("href=\"/login\""), "a way back");
    };

    // A tampered state.
    let (callback, jar) = to_callback(&base, None);
    let tampered = callback.replacen("state=", "state=x", 1);
    refused(
        &get_with(&jar, &tampered),
        400,
        "does not belong to a sign-in",
    );
    // The answer taken to another browser (no state cookie).
    refused(
        &get(&callback, &As::Anonymous),
        400,
        "does not belong to a sign-in",
    );
    // The real answer, once; then replayed.
    let ok = get_with(&jar, &callback);
    assert_eq!(ok.status, 303, "{}", ok.body);
    refused(
        &get_with(&jar, &callback),
        400,
        "does not belong to a sign-in",
    );

    // A code from another sign-in (its PKCE verifier is not this one's): the provider
    // refuses to exchange it, as it does an expired code.
    let (first, _) = to_callback(&base, None);
    let (second, jar) = to_callback(&base, None);
    let code_of = |url: &str| {
        url.split(['?', '&'])
            .find_map(|p| p.strip_prefix("code="))
            .unwrap()
            .to_string()
    };
    let swapped = second.replace(&code_of(&second), &code_of(&first));
    refused(
        &get_with(&jar, &swapped),
        400,
        "did not accept the sign-in back",
    );

    // A sign-in left at the provider for more than ten minutes.
    let (callback, jar) = to_callback(&base, None);
    clock.advance(chrono::Duration::minutes(11));
    refused(&get_with(&jar, &callback), 400, "more than 10 minutes");
    clock.advance(chrono::Duration::minutes(-11));

    // An ID token issued for another application.
    provider.set_id_token_audience(Some("someone-else"));
    let r = sign_in(&provider, &base, "ada");
    refused(&r, 401, "wrong audience");
    provider.set_id_token_audience(None);

    // An expired ID token: issued for 60 seconds, checked two minutes later by the app's
    // clock.
    provider.set_id_token_ttl(60);
    let (callback, jar) = to_callback(&base, None);
    clock.advance(chrono::Duration::minutes(2));
    refused(&get_with(&jar, &callback), 401, "it has expired");
    clock.advance(chrono::Duration::minutes(-2));
    provider.set_id_token_ttl(3600);

    // An email the provider has not verified.
    provider.set_account(
        "eve",
        json!({ "email": "eve@example.org", "email_verified": false, "groups": ["wl-admins"] }),
    );
    refused(&sign_in(&provider, &base, "eve"), 401, "has not verified");

    // The provider says it is another issuer than configured (localhost for 127.0.0.1).
    let (wrong, _) = sso_app(app, |s| {
        s.oidc = OidcSettings {
            issuer: provider.issuer.replace("127.0.0.1", "localhost"),
            ..oidc_settings(&provider)
        }
    });
    let r = get(&format!("{wrong}/auth/oidc/start"), &As::Anonymous);
    refused(&r, 502, "could not use the sign-in service");
    assert!(r.body.contains("issuer"), "{}", r.body);

    // Each refusal is audited, with no code, state or token in it.
    let audit = audit_of(app);
    for reason in [
        "wrong state",
        "code rejected",
        "sign-in expired",
        "ID token rejected",
        "email not verified",
        "provider unreachable or issuer mismatch",
    ] {
        assert!(audit.contains(reason), "{reason}: {audit}");
    }
    let code = callback
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap();
    assert!(!audit.contains(code));
}

#[test]
fn with_password_sign_in_off_only_break_glass_admins_use_a_password() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let f = fixture(worklife_tests::Backend::Sqlite);
    let app = &f.app;
    let glass = password_of(&app.workspace.ok(&[
        "user",
        "add",
        "--email",
        "glass@example.org",
        "--role",
        "admin",
        "--break-glass",
    ]));
    let bad = app.workspace.worklife(&[
        "user",
        "add",
        "--email",
        "v2@example.org",
        "--role",
        "viewer",
        "--break-glass",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--break-glass"));
    let (base, _) = sso_app(app, |s| {
        s.oidc = oidc_settings(&provider);
        s.auth.password = false;
    });
    // The page leads with the provider; the password form is for emergencies.
    let page = get(&format!("{base}/login"), &As::Anonymous);
    assert!(page.body.contains("Sign in with Acme ID"));
    assert!(page.body.contains("Emergency sign-in for administrators"));
    // A right password of an ordinary user is refused, with the way to sign in instead.
    let r = login_at(&base, ADMIN, &f.passwords[ADMIN]);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("Password sign-in is turned off here"));
    assert!(r.cookie("wl_session").is_none());
    // The break-glass admin gets in.
    let r = login_at(&base, "glass@example.org", &glass);
    assert_eq!(r.status, 303, "{}", r.body);
    // With password sign-in on, the page offers both.
    let (both, _) = sso_app(app, |s| s.oidc = oidc_settings(&provider));
    let page = get(&format!("{both}/login"), &As::Anonymous);
    assert!(page.body.contains("Sign in with Acme ID"));
    assert!(page.body.contains("id=\"password\""));
    assert!(!page.body.contains("Emergency sign-in"));
    // Password sign-in off without single sign-on would lock everyone out: refused at start.
    let mut settings = app.workspace.settings();
    settings.auth.password = false;
    let err = AppState::new(DbPool::connect(&app.workspace.db.url, 1).unwrap(), settings)
        .err()
        .unwrap();
    assert!(err.to_string().contains("auth.password"), "{err}");
}

#[test]
fn signing_out_ends_the_session_and_signs_out_at_the_provider() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let f = fixture(worklife_tests::Backend::Sqlite);
    let app = &f.app;
    let (base, _) = sso_app(app, |s| s.oidc = oidc_settings(&provider));
    provider.set_account("ada", account("ada@example.org", json!(["wl-admins"])));
    let cookie = session_of(&sign_in(&provider, &base, "ada"));
    let page = get(&format!("{base}/reports"), &As::Cookie(cookie.clone()));
    let r = post_form(
        &format!("{base}/logout"),
        Some(&cookie),
        &format!("csrf={}", form_value(&csrf_of(&page.body))),
    );
    // A page that goes on to the provider's sign-out (a redirect would break the content
    // security policy's `form-action 'self'` in browsers), the session ended already.
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("You are signed out of Worklife"));
    let to = worklife_tests::unescape(
        r.body
            .split("id=\"provider-sign-out\" href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap(),
    );
    assert!(r.body.contains("http-equiv=\"refresh\""));
    assert!(to.starts_with(&provider.issuer), "{to}");
    assert!(
        to.contains(&format!(
            "post_logout_redirect_uri={}",
            form_value(&format!("{base}/login?signed_out=1"))
        )),
        "{to}"
    );
    assert!(
        to.contains(&format!("client_id={}", OidcProvider::CLIENT_ID)),
        "{to}"
    );
    assert!(r.cookie("wl_session").is_some_and(|(v, _)| v.is_empty()));
    assert_eq!(
        get(&format!("{base}/reports"), &As::Cookie(cookie)).status,
        303,
        "the session ended"
    );
    // The provider's end-session endpoint answers (its confirmation page submits itself in a
    // browser; sso_browser.rs follows it to the end).
    let mut jar = Jar::default();
    let (_, reply) = follow(&mut jar, &to, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let back = get(&format!("{base}/login?signed_out=1"), &As::Anonymous);
    assert!(back.body.contains("You are signed out."));
    // A password user signs out to the sign-in page directly.
    let cookie = session(app, ADMIN, &f.passwords[ADMIN]);
    let page = get(&app.url("/reports"), &As::Cookie(cookie.clone()));
    let r = post_form(
        &app.url("/logout"),
        Some(&cookie),
        &format!("csrf={}", form_value(&csrf_of(&page.body))),
    );
    assert_eq!(r.header("location"), Some("/login"));
}

#[test]
fn the_role_and_route_matrix_holds_for_single_sign_on_users() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    for backend in backends() {
        let f = fixture(backend);
        let (base, _) = sso_app(&f.app, |s| {
            s.oidc = OidcSettings {
                create_users: false,
                ..oidc_settings(&provider)
            }
        });
        // The fixture's users, signed in by the provider with groups matching their roles.
        provider.set_account(ADMIN, account(ADMIN, json!(["wl-admins"])));
        provider.set_account(VIEWER, account(VIEWER, json!(["wl-viewers"])));
        provider.set_account(MANAGER, account(MANAGER, json!(["wl-manager:Acme/Eng"])));
        crate::reports_access::signed_in_matrix(&format!("{backend:?} sso"), &base, &|who| {
            session_of(&sign_in(&provider, &base, who))
        });
    }
}

#[test]
fn the_users_console_adds_single_sign_on_users_without_a_password() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let f = fixture(worklife_tests::Backend::Sqlite);
    let app = &f.app;
    // Roles managed in Worklife (no group settings), password sign-in off.
    let (base, _) = sso_app(app, |s| {
        s.oidc = OidcSettings {
            issuer: provider.issuer.clone(),
            client_id: OidcProvider::CLIENT_ID.into(),
            client_secret: Some(Secret::new(OidcProvider::CLIENT_SECRET)),
            label: "Acme ID".into(),
            ..OidcSettings::default()
        };
        s.auth.password = false;
    });
    provider.set_account(ADMIN, account(ADMIN, json!([])));
    let admin = session_of(&sign_in(&provider, &base, ADMIN));
    let page = get(&format!("{base}/admin/users"), &As::Cookie(admin.clone()));
    assert_eq!(page.status, 200);
    // Only single sign-on is offered, and chosen.
    assert!(page
        .body
        .contains("value=\"sso\" checked> <strong>Sign in with Acme ID</strong>"));
    assert!(!page.body.contains("value=\"link\""));
    assert!(
        page.body.contains("<td>Single sign-on</td>"),
        "the admin signed in with it"
    );
    let csrf = form_value(&csrf_of(&page.body));
    // A password way in is refused at its field, and nobody is added.
    let r = post_form(
        &format!("{base}/admin/users"),
        Some(&admin),
        &format!("csrf={csrf}&email=nia%40example.org&role=viewer&unit=&access=link"),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("password sign-in is turned off"),
        "{}",
        r.body
    );
    assert!(role_of(app, "nia@example.org").is_none());
    // Added for single sign-on: no password or link shown, what to tell them instead.
    let r = post_form(
        &format!("{base}/admin/users"),
        Some(&admin),
        &format!("csrf={csrf}&email=nia%40example.org&role=viewer&unit=&access=sso"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("nia@example.org was added"));
    assert!(r.body.contains("Tell them to use “Sign in with Acme ID”"));
    assert!(!r.body.contains("id=\"secret\""), "no password, no link");
    assert!(r.body.contains("Single sign-on (has not signed in yet)"));
    assert!(audit_of(app).contains("access=single sign-on"));
    // No password signs them in; the provider does, as the viewer the admin made them.
    let r = login_at(&base, "nia@example.org", "");
    assert_ne!(r.status, 303);
    provider.set_account("nia", account("nia@example.org", json!([])));
    let nia = session_of(&sign_in(&provider, &base, "nia"));
    assert_eq!(
        get(&format!("{base}/reports/waves/W2"), &As::Cookie(nia)).status,
        200
    );
    assert_eq!(role_of(app, "nia@example.org").unwrap().0, "viewer");
    let page = get(&format!("{base}/admin/users"), &As::Cookie(admin));
    let row = page
        .body
        .split("<tr>")
        .find(|r| r.contains("nia@example.org"))
        .unwrap();
    assert!(row.contains("<td>Single sign-on</td>"), "{row}");
}

/// The real `worklife serve`, configured from the environment (the client secret as the mail
/// password is), at debug level: a sign-in works, and its log holds no code, state, secret
/// or token.
#[test]
fn the_served_binary_takes_its_client_secret_from_the_environment_and_logs_no_token() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let f = fixture(worklife_tests::Backend::Sqlite);
    let ws = &f.app.workspace;
    let served = worklife_tests::Served::start_with(
        ws,
        &[
            ("RUST_LOG", "debug".to_string()),
            ("WORKLIFE_OIDC__ISSUER", provider.issuer.clone()),
            (
                "WORKLIFE_OIDC__CLIENT_ID",
                OidcProvider::CLIENT_ID.to_string(),
            ),
            (
                "WORKLIFE_OIDC__CLIENT_SECRET",
                OidcProvider::CLIENT_SECRET.to_string(),
            ),
            ("WORKLIFE_OIDC__ADMIN_GROUP", "wl-admins".to_string()),
            ("WORKLIFE_OIDC__CREATE_USERS", "true".to_string()),
        ],
    );
    provider.set_account("ada", account("ada@example.org", json!(["wl-admins"])));
    provider.next_login(Some("ada"));
    // The served binary's public address (`base_url`) is http://127.0.0.1:9, so the provider
    // sends the browser there; it is taken to where the binary listens instead.
    let mut jar = Jar::default();
    let (_, reply) = follow(
        &mut jar,
        &served.url("/auth/oidc/start"),
        Some(&format!("http://127.0.0.1:9{CALLBACK}")),
    );
    let callback = reply
        .header("location")
        .unwrap()
        .replace("http://127.0.0.1:9", &served.address);
    let r = get_with(&jar, &callback);
    let cookie = session_of(&r);
    assert_eq!(
        get(&served.url("/admin/users"), &As::Cookie(cookie)).status,
        200
    );
    // A forged answer too, for the log to have a refusal in it.
    let forged = get_with(&jar, &callback.replacen("state=", "state=x", 1));
    assert_eq!(forged.status, 400);
    drop(served);
    let log = std::fs::read_to_string(ws.dir.path().join("serve.log")).unwrap();
    assert!(
        log.contains("/auth/oidc/callback"),
        "the log has the route: {log}"
    );
    let param = |name: &str| {
        callback
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_string()
    };
    for secret in [
        param("code"),
        param("state"),
        OidcProvider::CLIENT_SECRET.to_string(),
    ] {
        assert!(!log.contains(&secret), "the log holds {secret}");
    }
    assert!(!log.contains("eyJ"), "the log holds a JWT");
}
