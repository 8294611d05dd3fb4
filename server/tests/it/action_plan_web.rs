//! The action plan pages through an actix test service, on SQLite and PostgreSQL, with a fake
//! authorised context standing in for the access control that mounts them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::dev::Service;
use actix_web::http::{header, StatusCode};
use actix_web::{test, web, App, HttpMessage};
use worklife_server::db::DbPool;
use worklife_server::plans::items::{self, ItemStatus};
use worklife_server::web::access::Reader;
use worklife_server::web::action_plan::{self as plan, PlanContext};
use worklife_server::web::AppState;
use worklife_tests::action_plan_common::*;
use worklife_tests::backends;

const CSRF: &str = "csrf-token-of-this-session";

fn context(unit: &str) -> PlanContext {
    PlanContext {
        unit_path: unit.into(),
        wave: "Q1".into(),
        csrf_token: CSRF.into(),
        reader: Reader {
            email: "lee@example.org".into(),
            role: "manager",
            unit: Some(unit.into()),
            csrf: CSRF.into(),
        },
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[actix_web::test]
async fn the_plan_pages_add_items_change_status_and_export() {
    for backend in backends() {
        let ws = org(backend);
        run_wave(&ws, "Q1", 1);
        let other = ws
            .ok(&[
                "action",
                "add",
                "--unit",
                "Acme/Dept",
                "--area",
                "control",
                "--title",
                "Theirs",
            ])
            .trim()
            .to_string();
        let state = AppState::new(DbPool::connect(&ws.db.url, 4).unwrap(), ws.settings()).unwrap();
        let pool = state.pool.clone();
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(state))
                // The security headers every answer of the real app carries.
                .wrap(worklife_server::web::headers::security(false))
                .service(
                    web::scope("/m/big")
                        .wrap_fn(|req, srv| {
                            req.extensions_mut().insert(context("Acme/Big"));
                            srv.call(req)
                        })
                        .configure(plan::routes),
                )
                .service(
                    web::scope("/m/small")
                        .wrap_fn(|req, srv| {
                            req.extensions_mut().insert(context("Acme/Dept/Small"));
                            srv.call(req)
                        })
                        .configure(plan::routes),
                )
                .service(web::scope("/anonymous").configure(plan::routes)),
        )
        .await;
        let get = |path: &str| test::TestRequest::get().uri(path).to_request();
        let post = |path: &str, body: String| {
            test::TestRequest::post()
                .uri(path)
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(body)
                .to_request()
        };

        // The page: focus areas with the release's figures, forms carrying the CSRF token.
        let res = test::call_service(&app, get("/m/big/action-plan")).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(
            res.headers()
                .get(header::CACHE_CONTROL)
                .unwrap()
                .to_str()
                .unwrap(),
            "no-store"
        );
        let page = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(page.contains("<h1>Action plan: Acme › Big</h1>"), "{page}");
        // The reports header: a way back and the sign-out form.
        assert!(
            page.contains("<a href=\"/reports\">Worklife reports</a>"),
            "{page}"
        );
        assert!(page.contains("action=\"/logout\""), "{page}");
        assert!(
            page.contains("<tr id=\"focus-workload\"><th scope=\"row\">Workload</th><td>1.83</td>"),
            "{page}"
        );
        assert!(page.contains(&format!("name=\"csrf_token\" value=\"{CSRF}\"")));
        assert!(page.contains("Run a team workload review"));

        // No context, no plan.
        let res = test::call_service(&app, get("/anonymous/action-plan")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = test::call_service(&app, get("/anonymous/action-plan.csv")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // Adding needs the session's CSRF token.
        let item = [
            ("title", "=HYPERLINK(\"http://x\")"),
            ("area", "workload"),
            ("owner", "Kim"),
            ("due", "2026-12-01"),
            ("notes", "first <b>step</b>"),
        ];
        for token in ["", "forged"] {
            let mut fields = item.to_vec();
            fields.push(("csrf_token", token));
            let res =
                test::call_service(&app, post("/m/big/action-plan/items", form(&fields))).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?} {token:?}");
        }
        let mut conn = pool.get().unwrap();
        assert!(items::list(&mut conn, "Acme/Big").unwrap().is_empty());

        let mut fields = item.to_vec();
        fields.push(("csrf_token", CSRF));
        let res = test::call_service(&app, post("/m/big/action-plan/items", form(&fields))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let location = res
            .headers()
            .get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let items = items::list(&mut conn, "Acme/Big").unwrap();
        // Back to the same wave's plan, which confirms what was saved.
        assert_eq!(
            location,
            format!("../action-plan?wave=Q1&saved={}", items[0].id)
        );
        let res = test::call_service(
            &app,
            get(&format!("/m/big/action-plan?saved={}", items[0].id)),
        )
        .await;
        let page = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(
            page.contains(
                "role=\"status\"><p>Saved: “=HYPERLINK(&#34;http://x&#34;)” (not started). <a"
            ) || page.contains(
                "role=\"status\"><p>Saved: “=HYPERLINK(&quot;http://x&quot;)” (not started). <a"
            ),
            "{page}"
        );
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title, "=HYPERLINK(\"http://x\")");
        assert_eq!(items[0].status, ItemStatus::NotStarted);
        assert!(items[0].created_wave_id.is_some());
        let id = items[0].id.clone();

        // Bad input comes back as the page with the problems and what was typed.
        let bad = form(&[
            ("title", ""),
            ("area", "exhaustion"),
            ("owner", "Kept Owner"),
            ("due", "tomorrow"),
            ("csrf_token", CSRF),
        ]);
        let res = test::call_service(&app, post("/m/big/action-plan/items", bad)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let page = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        // A focused summary at the top links to each field; each problem is also next to it.
        assert!(
            page.contains("<div class=\"problems\" id=\"problems\" tabindex=\"-1\" autofocus"),
            "{page}"
        );
        assert!(page.find("id=\"problems\"").unwrap() < page.find("id=\"items-heading\"").unwrap());
        assert!(
            page.contains("<li><a href=\"#title\">Action: is required</a></li>"),
            "{page}"
        );
        assert!(
            page.contains(
                "<p class=\"field-problem\" id=\"title-problem\">Action: is required</p>"
            ),
            "{page}"
        );
        assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"title-problem\""));
        // The page answers the POST one level below the plan: its forms still reach it.
        assert!(
            page.contains(
                "<form method=\"post\" action=\"../action-plan/items?wave=Q1\" class=\"add-item\""
            ),
            "{page}"
        );
        assert!(
            page.contains("Area: unknown area &#34;exhaustion&#34;")
                || page.contains("Area: unknown area &quot;exhaustion&quot;"),
            "{page}"
        );
        assert!(
            page.contains("Due date: &#34;tomorrow&#34; is not a date")
                || page.contains("Due date: &quot;tomorrow&quot; is not a date"),
            "{page}"
        );
        assert!(page.contains("value=\"Kept Owner\""));
        assert_eq!(items::list(&mut conn, "Acme/Big").unwrap().len(), 1);

        // The item is listed, escaped.
        let res = test::call_service(&app, get("/m/big/action-plan")).await;
        let page = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(page.contains(&format!("<tr id=\"item-{id}\">")));
        assert!(
            page.contains("first &#60;b&#62;step&#60;/b&#62;")
                || page.contains("first &lt;b&gt;step&lt;/b&gt;"),
            "{page}"
        );

        // Status changes: CSRF checked, only this unit's items, known statuses.
        let status = |id: &str, s: &str, token: &str| {
            form(&[("id", id), ("status", s), ("csrf_token", token)])
        };
        let res = test::call_service(
            &app,
            post("/m/big/action-plan/status", status(&id, "done", "x")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = test::call_service(
            &app,
            post("/m/big/action-plan/status", status(&other, "done", CSRF)),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "another unit's item");
        assert_eq!(
            items::find(&mut conn, &other).unwrap().status,
            ItemStatus::NotStarted
        );
        let res = test::call_service(
            &app,
            post("/m/big/action-plan/status", status(&id, "finished", CSRF)),
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = test::call_service(
            &app,
            post("/m/big/action-plan/status", status(&id, "done", CSRF)),
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            items::find(&mut conn, &id).unwrap().status,
            ItemStatus::Done
        );

        // Editing: CSRF checked, only this unit's items, checked like adding, and all or
        // nothing; the status stays.
        let edit = |id: &str, title: &str, token: &str| {
            form(&[
                ("id", id),
                ("title", title),
                ("area", "control"),
                ("owner", "Lee"),
                ("due", "2027-01-15"),
                ("notes", "agreed in the retro"),
                ("csrf_token", token),
            ])
        };
        let before = items::find(&mut conn, &id).unwrap();
        let res = test::call_service(
            &app,
            post("/m/big/action-plan/edit", edit(&id, "New title", "x")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = test::call_service(
            &app,
            post("/m/big/action-plan/edit", edit(&other, "Not mine", CSRF)),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "another unit's item");
        assert_eq!(items::find(&mut conn, &other).unwrap().title, "Theirs");
        let res = test::call_service(
            &app,
            post("/m/big/action-plan/edit", edit(&id, &"x".repeat(201), CSRF)),
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let page = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(page.contains("<h3>Edit the action item</h3>"), "{page}");
        assert!(page.contains(&format!("name=\"id\" value=\"{id}\"")));
        assert!(page.contains("Action: is 201 characters long, at most 200 are allowed"));
        assert!(page.contains("value=\"Lee\""), "what was typed is kept");
        assert_eq!(
            items::find(&mut conn, &id).unwrap(),
            before,
            "nothing written"
        );
        let res = test::call_service(
            &app,
            post(
                "/m/big/action-plan/edit",
                edit(&id, "Review the rota", CSRF),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let edited = items::find(&mut conn, &id).unwrap();
        assert_eq!(
            (
                edited.title.as_str(),
                edited.area.id(),
                edited.owner.as_str(),
                edited.due_date.map(|d| d.to_string()),
                edited.notes.as_str(),
                edited.status,
                edited.created_wave_id.is_some(),
            ),
            (
                "Review the rota",
                "control",
                "Lee",
                Some("2027-01-15".to_string()),
                "agreed in the retro",
                ItemStatus::Done,
                true,
            )
        );
        // A NUL (refused by PostgreSQL, stored by SQLite) is the sender's mistake on both.
        for (path, body) in [
            (
                "/m/big/action-plan/edit",
                edit("a\0b", "Review the rota", CSRF),
            ),
            (
                "/m/big/action-plan/edit",
                edit(&id, "Review\0the rota", CSRF),
            ),
            ("/m/big/action-plan/status", status("\0", "done", CSRF)),
        ] {
            let res = test::call_service(&app, post(path, body)).await;
            assert!(
                res.status().is_client_error(),
                "{backend:?} {path}: {}",
                res.status()
            );
        }
        assert_eq!(
            items::find(&mut conn, &id).unwrap().title,
            "Review the rota"
        );
        // `?edit=ID` opens the form filled with the item.
        let res = test::call_service(&app, get(&format!("/m/big/action-plan?edit={id}"))).await;
        let page = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(page.contains("<h3>Edit the action item</h3>"));
        assert!(page.contains("value=\"Review the rota\""));
        assert!(page.contains("<time datetime=\"2027-01-15\">15 Jan 2027</time>"));
        assert!(page.contains("<span class=\"wave-tag\">Q1</span>"));

        // The exports are the CLI's, byte for byte.
        for (ext, format, content_type) in [
            ("csv", "csv", "text/csv; charset=utf-8"),
            ("md", "md", "text/markdown; charset=utf-8"),
        ] {
            let res = test::call_service(&app, get(&format!("/m/big/action-plan.{ext}"))).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(
                res.headers()
                    .get(header::CONTENT_TYPE)
                    .unwrap()
                    .to_str()
                    .unwrap(),
                content_type
            );
            assert_eq!(
                res.headers()
                    .get(header::CONTENT_DISPOSITION)
                    .unwrap()
                    .to_str()
                    .unwrap(),
                format!("attachment; filename=\"action-plan-Q1-Acme_Big.{ext}\"")
            );
            let body = test::read_body(res).await;
            let cli = ws.ok(&plan_args("Q1", "Acme/Big", format));
            assert_eq!(
                String::from_utf8(body.to_vec()).unwrap(),
                cli,
                "{backend:?} {ext}"
            );
        }

        // A unit under k: no figure on its page, the reason, and the whole library.
        let res = test::call_service(&app, get("/m/small/action-plan")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        assert!(
            page.contains("fewer than 5 people answered, or showing them"),
            "{page}"
        );
        assert!(!page.contains("id=\"focus-"));
        assert!(!page.contains("Respondents"));
        assert!(!page.contains("Focus areas"));
        for area in [
            "Workload",
            "Control",
            "Reward",
            "Community",
            "Fairness",
            "Values",
        ] {
            assert!(page.contains(&format!("<h3>{area}</h3>")), "{area}");
        }
        // The visible page, without the head and without character references (`&#39;`).
        let body = &page[page.find("<main").unwrap()..];
        let mut text = String::new();
        let mut in_entity = false;
        for c in body.chars() {
            match c {
                '&' => in_entity = true,
                ';' if in_entity => in_entity = false,
                _ if in_entity => {}
                '<' | '>' | '=' => text.push(' '),
                _ => text.push(c),
            }
        }
        // k in the reason, the title's maximum length and the notes' rows: no figure.
        let numbers = numbers_in(&text);
        assert!(
            numbers.iter().all(|n| n == "5" || n == "200" || n == "3"),
            "{backend:?}: {numbers:?}"
        );
    }
}
