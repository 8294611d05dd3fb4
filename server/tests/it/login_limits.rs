//! Sign-in under attack, on both databases: parallel attempts on one account check at most
//! five passwords per window; one client is limited before it can lock an account, across
//! accounts too; `X-Forwarded-For` counts only from a trusted proxy; and a browser that
//! signed in to the account before still gets in while the account is limited for others.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::reports_common::*;
use worklife_tests::{backends, client, Reply};

/// One sign-in attempt as a browser makes it: the form, then the post, from `client_ip`
/// (sent as `X-Forwarded-For`) and with the cookies given.
fn attempt(
    address: &str,
    email: &str,
    password: &str,
    client_ip: &str,
    device: Option<&str>,
) -> Reply {
    let page = get(&format!("{address}/login"), &As::Anonymous);
    let (login_cookie, _) = page.cookie("wl_login").unwrap();
    let mut cookies = format!("wl_login={login_cookie}");
    if let Some(d) = device {
        cookies.push_str(&format!("; wl_device={d}"));
    }
    Reply::from(
        client()
            .post(&format!("{address}/login"))
            .header("Cookie", &cookies)
            .header("X-Forwarded-For", client_ip)
            .content_type("application/x-www-form-urlencoded")
            .send(&format!(
                "email={}&password={}&csrf={}",
                form_value(email),
                form_value(password),
                form_value(&csrf_of(&page.body))
            ))
            .unwrap(),
    )
}

#[test]
fn three_hundred_parallel_attempts_on_one_account_check_at_most_five_wrong_passwords_a_window() {
    for backend in backends() {
        let f = fixture(backend);
        // Every attempt from its own address behind a trusted proxy, no per-process limits
        // and a queue for all of them: only the account's limit stands in the way.
        let app = spawn_replica_with(&f.app, |s| {
            s.trusted_proxies = vec!["127.0.0.1".into()];
            s.login.queue = 1_000;
        });
        let right = f.passwords[VIEWER].clone();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..300)
                .map(|i| {
                    let (app, right) = (&app, &right);
                    scope.spawn(move || {
                        // The right password comes late, among the wrong ones.
                        let password = if i == 150 {
                            right.as_str()
                        } else {
                            "wrong guess"
                        };
                        let ip = format!("10.{}.{}.1", i / 250, i % 250);
                        attempt(app, VIEWER, password, &ip, None).status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let wrong = statuses.iter().filter(|s| **s == 401).count();
        let signed_in = statuses.iter().filter(|s| **s == 303).count();
        let limited = statuses.iter().filter(|s| **s == 429).count();
        // At most five wrong passwords are checked per window; a right one that gets a slot
        // signs in and empties the bucket (ratelimit::clear), which gives the wrong ones
        // after it five more. Which comes first is up to the threads' timing.
        assert!(
            wrong >= 1 && signed_in <= 1 && wrong <= 5 * (1 + signed_in),
            "{backend:?}: {wrong} wrong passwords checked, {signed_in} signed in: {statuses:?}"
        );
        assert_eq!(
            wrong + signed_in + limited,
            300,
            "{backend:?}: {statuses:?}"
        );
    }
}

#[test]
fn one_client_is_limited_before_it_can_lock_accounts_and_a_known_browser_still_gets_in() {
    for backend in backends() {
        let f = fixture(backend);
        let app = spawn_replica_with(&f.app, |s| {
            s.trusted_proxies = vec!["127.0.0.1".into()];
            s.login.per_client_per_minute = 3;
        });
        // The owner signs in once from their browser, which keeps a device cookie.
        let first = attempt(&app, VIEWER, &f.passwords[VIEWER], "192.0.2.10", None);
        assert_eq!(first.status, 303, "{backend:?}: {}", first.body);
        let (device, set) = first.cookie("wl_device").unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );

        // One attacker's address: two more tries, then the per-client limit, on any account.
        let attacker = "203.0.113.7";
        for _ in 0..3 {
            assert_eq!(attempt(&app, VIEWER, "guess", attacker, None).status, 401);
        }
        let refused = attempt(&app, ADMIN, "guess", attacker, None);
        assert_eq!(refused.status, 429, "{backend:?}: spraying");
        assert!(
            refused.body.contains("from your network"),
            "{}",
            refused.body
        );
        assert!(refused.header("retry-after").is_some());
        // The account took three failures, not enough to lock it.
        assert_eq!(
            attempt(&app, VIEWER, &f.passwords[VIEWER], "192.0.2.11", None).status,
            303
        );

        // Attackers at many addresses fill the account's bucket: five failures.
        for i in 0..5 {
            let ip = format!("198.51.100.{i}");
            assert_eq!(attempt(&app, VIEWER, "guess", &ip, None).status, 401);
        }
        let locked = attempt(&app, VIEWER, &f.passwords[VIEWER], "198.51.100.99", None);
        assert_eq!(locked.status, 429, "{backend:?}");
        assert!(locked.body.contains("for this account"), "{}", locked.body);
        // The owner's browser is not locked out, and its cookie does not open other accounts'
        // buckets (the admin's bucket is its own anyway; a viewer cookie is not an admin's).
        let owner = attempt(
            &app,
            VIEWER,
            &f.passwords[VIEWER],
            "192.0.2.10",
            Some(&device),
        );
        assert_eq!(owner.status, 303, "{backend:?}: {}", owner.body);
        // A forged or foreign device cookie counts as none.
        let forged = attempt(
            &app,
            VIEWER,
            &f.passwords[VIEWER],
            "192.0.2.12",
            Some("x.y"),
        );
        assert_eq!(forged.status, 429);
        // A stolen device cookie buys five guesses, like any bucket.
        let mut statuses = Vec::new();
        for i in 0..6 {
            let ip = format!("192.0.2.{}", 20 + i);
            statuses.push(attempt(&app, VIEWER, "guess", &ip, Some(&device)).status);
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "{backend:?}");
    }
}

#[test]
fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    let f = fixture(backends()[0]);
    // No trusted proxy: the header is the client's own claim and changes nothing.
    let app = spawn_replica_with(&f.app, |s| s.login.per_client_per_minute = 2);
    let statuses: Vec<u16> = (0..3)
        .map(|i| attempt(&app, ADMIN, "guess", &format!("10.9.9.{i}"), None).status)
        .collect();
    assert_eq!(statuses, [401, 401, 429]);
}
