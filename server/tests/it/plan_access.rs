//! Action plans behind login: `/units/{unit}/action-plan` for every role and scope, CSRF on
//! its forms, and audit rows, on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::backends;
use worklife_tests::reports_common::*;

fn plan(app: &str, unit: &str, tail: &str) -> String {
    format!("{app}/units/{}/action-plan{tail}", form_value(unit))
}

fn plan_csrf(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let at = html.find(marker).unwrap() + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

#[test]
fn plans_open_by_role_and_scope_and_forms_need_the_session_csrf() {
    for backend in backends() {
        let fx = fixture(backend);
        let app = &fx.app.address;
        let manager = As::Cookie(session(&fx.app, MANAGER, &fx.passwords[MANAGER]));
        let viewer = As::Cookie(session(&fx.app, VIEWER, &fx.passwords[VIEWER]));
        let admin = As::Cookie(session(&fx.app, ADMIN, &fx.passwords[ADMIN]));

        // Anonymous readers are sent to the login page; a wrong bearer token is refused.
        let anonymous = get(&plan(app, "Acme/Eng", ""), &As::Anonymous);
        assert_eq!(anonymous.status, 303, "{backend:?}");
        // ... and come back to the plan after signing in.
        assert_eq!(
            anonymous.header("location"),
            Some("/login?next=%2Funits%2FAcme%252FEng%2Faction-plan")
        );
        let forged = get(
            &plan(app, "Acme/Eng", ".csv"),
            &As::Bearer("not-a-token".into()),
        );
        assert_eq!(forged.status, 401);

        // The manager of Acme/Eng: their unit and its subtree, nothing else.
        let own = get(&plan(app, "Acme/Eng", ""), &manager);
        assert_eq!(own.status, 200, "{}", own.body);
        assert!(own.body.contains("Acme/Eng"));
        assert_eq!(
            get(&plan(app, "Acme/Eng/Platform", ""), &manager).status,
            200
        );
        for outside in ["Acme/Sales", "Acme", "Acme/Engineering"] {
            assert_eq!(
                get(&plan(app, outside, ""), &manager).status,
                403,
                "{outside}"
            );
            assert_eq!(
                get(
                    &plan(app, outside, ".csv"),
                    &As::Bearer(fx.tokens[MANAGER].clone())
                )
                .status,
                403,
                "{outside}"
            );
        }
        // Admins open any plan; viewers read but cannot change one.
        assert_eq!(get(&plan(app, "Acme/Sales", ""), &admin).status, 200);
        assert_eq!(get(&plan(app, "Acme/Sales", ".md"), &viewer).status, 200);

        // Adding an item: with the session's CSRF token it is stored and shown; without it,
        // or with another session's token, nothing is stored.
        let As::Cookie(cookie) = &manager else {
            unreachable!()
        };
        let csrf = plan_csrf(&own.body);
        let body = |token: &str, title: &str| {
            format!(
                "csrf_token={}&title={}&area=workload&owner=Kim&due=2030-01-31&notes=",
                form_value(token),
                form_value(title)
            )
        };
        let refused = post_form(
            &plan(app, "Acme/Eng", "/items"),
            Some(cookie),
            &body("", "No token"),
        );
        assert_eq!(refused.status, 403);
        let As::Cookie(admin_cookie) = &admin else {
            unreachable!()
        };
        let admin_csrf = plan_csrf(&get(&plan(app, "Acme/Eng", ""), &admin).body);
        let crossed = post_form(
            &plan(app, "Acme/Eng", "/items"),
            Some(cookie),
            &body(&admin_csrf, "Other session's token"),
        );
        assert_eq!(crossed.status, 403);
        let added = post_form(
            &plan(app, "Acme/Eng", "/items"),
            Some(cookie),
            &body(&csrf, "Review on-call load"),
        );
        assert_eq!(added.status, 303, "{}", added.body);
        let As::Cookie(viewer_cookie) = &viewer else {
            unreachable!()
        };
        // A viewer's page has no forms; the session's token (from the header's sign-out
        // form) still does not let them change a plan.
        let viewer_page = get(&plan(app, "Acme/Eng", ""), &viewer).body;
        assert!(!viewer_page.contains("name=\"csrf_token\""));
        assert!(!viewer_page.contains("Add to plan"));
        let viewer_csrf = csrf_of(&viewer_page);
        let by_viewer = post_form(
            &plan(app, "Acme/Eng", "/items"),
            Some(viewer_cookie),
            &body(&viewer_csrf, "Viewer's item"),
        );
        assert_eq!(by_viewer.status, 403);
        let _ = admin_cookie;

        let page = get(&plan(app, "Acme/Eng", ""), &manager);
        assert!(page.body.contains("Review on-call load"));
        assert!(!page.body.contains("No token"));
        assert!(!page.body.contains("Other session"));
        assert!(!page.body.contains("Viewer&#x27;s item") && !page.body.contains("Viewer's item"));
        let csv = get(
            &plan(app, "Acme/Eng", ".csv"),
            &As::Bearer(fx.tokens[MANAGER].clone()),
        );
        assert_eq!(csv.status, 200);
        assert!(csv.body.contains("Review on-call load"));

        // Every plan read is in the audit log, with who, the unit and the wave.
        let audit = fx.app.workspace.ok(&["audit", "list"]);
        assert!(
            audit.lines().any(|l| l.contains(MANAGER)
                && l.contains("view action-plan")
                && l.contains("unit=Acme/Eng")),
            "{audit}"
        );
        assert!(audit.lines().any(|l| l.contains("action-plan.csv")));
    }
}
