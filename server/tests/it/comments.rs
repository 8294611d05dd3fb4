//! Comments end to end, on both databases: redaction read back from the database, the
//! comment threshold and the intersection rule as a reader of every view sees them, held
//! comments and the review queue, the support contacts first after a self-harm match.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use serde_json::json;
use survey_engine::instrument::builtin;

use worklife_server::db::schema::comments;
use worklife_tests::reports_common::*;
use worklife_tests::{
    backends, client, spawn_app, Backend, Reply, TestApp, Workspace, WorkspaceTemplate,
};

/// Units of the comment roster: (path, people).
pub const UNITS: [(&str, usize); 3] = [("Acme/Big", 12), ("Acme/Other", 11), ("Acme/Small", 4)];

/// A roster with names, a wave of the core instrument (k = 3) open, the app served; the
/// answer links by the email they went to.
pub fn comment_wave(backend: Backend) -> (TestApp, BTreeMap<String, String>, String) {
    static TEMPLATE: WorkspaceTemplate<(BTreeMap<String, String>, String)> =
        WorkspaceTemplate::new();
    let (ws, (links, password)) = TEMPLATE.copy(backend, |ws| {
        let mut csv = String::from("email,unit,name\n");
        let mut n = 0;
        for (unit, people) in UNITS {
            for _ in 0..people {
                n += 1;
                csv.push_str(&format!("p{n}@example.org,{unit},Person{n} Surname{n}\n"));
            }
        }
        csv.push_str("peter@example.org,Acme/Big,Peter Müller\n");
        // Small has five invited and four numbered writers: were all five to write, a reader
        // who knows the roster could pin Small's count (see `a_reader_who_knows_team_sizes_...`).
        csv.push_str("sara@example.org,Acme/Small,Sara Schmidt\n");
        ws.ok(&["roster", "import", &ws.write("roster.csv", &csv)]);
        ws.create_wave("C1", "worklife-core", "3");
        ws.ok(&["wave", "open", "C1"]);
        let links: BTreeMap<String, String> = ws
            .invitations()
            .into_iter()
            .map(|(token, email)| (email, token))
            .collect();
        let password = password_of(&ws.ok(&["user", "add", "--email", ADMIN, "--role", "admin"]));
        (links, password)
    });
    (spawn_app(ws), links, password)
}

/// The numbered roster people (`p1@...`), not Peter or Sara.
pub fn numbered(email: &str) -> bool {
    email
        .strip_prefix('p')
        .and_then(|rest| rest.strip_suffix("@example.org"))
        .is_some_and(|n| n.parse::<usize>().is_ok())
}

/// Every scored item answered 3, and `comment` for the open question `c_change`.
pub fn form_body(comment: &str) -> String {
    let core = builtin::load("worklife-core").unwrap().unwrap();
    let mut body: Vec<String> = core.items.iter().map(|i| format!("{}=3", i.id)).collect();
    body.push(format!("comment.c_change={}", form_value(comment)));
    body.join("&")
}

pub fn answer(app: &TestApp, token: &str, comment: &str) -> Reply {
    post_form(&app.url(&format!("/s/{token}")), None, &form_body(comment))
}

fn stored_comments(app: &TestApp) -> Vec<(String, String)> {
    let pool = app.workspace.pool();
    let mut conn = pool.get().unwrap();
    let rows: Vec<(String, String)> = worklife_server::db_run!(&mut conn, |c| comments::table
        .select((comments::body, comments::review))
        .load(c))
    .unwrap();
    rows
}

fn token_for(app: &TestApp) -> As {
    As::Bearer(
        app.workspace
            .ok(&["token", "create", "--user", ADMIN])
            .trim()
            .to_string(),
    )
}

#[test]
fn comments_are_redacted_before_anything_is_stored() {
    for backend in backends() {
        let (app, links, _) = comment_wave(backend);
        // The form says where comments will show: the wave's threshold.
        let form = get(
            &app.url(&format!("/s/{}", links["p1@example.org"])),
            &As::Anonymous,
        );
        assert!(
            form.body
                .contains("only shown where at least 10 people wrote one"),
            "{backend:?}"
        );
        assert!(form.body.contains("name=\"comment.c_change\""));
        let r = answer(
            &app,
            &links["p1@example.org"],
            "Ask Peter Müller (peter.mueller@acme.test) or Person2 about it, call \
             +49 30 1234567 or see https://intranet.acme.test/overtime. Peters idea was good.",
        );
        assert_eq!(r.status, 200, "{backend:?}: {}", r.body);
        let stored = stored_comments(&app);
        assert_eq!(stored.len(), 1, "{backend:?}");
        let (body, review) = &stored[0];
        assert_eq!(review, "clear");
        for gone in [
            "Peter",
            "Müller",
            "peter.mueller",
            "acme.test",
            "Person2",
            "1234567",
            "intranet",
        ] {
            assert!(
                !body.contains(gone),
                "{backend:?}: {gone} was stored: {body}"
            );
        }
        assert!(
            body.contains("[removed]") && body.contains("idea was good"),
            "{body}"
        );

        // Through the API too; a comment over 2,000 characters or for an unknown question is
        // refused with the question's name, and nothing is stored.
        let core = builtin::load("worklife-core").unwrap().unwrap();
        let answers: serde_json::Map<String, serde_json::Value> = core
            .items
            .iter()
            .map(|i| (i.id.clone(), json!(4)))
            .collect();
        let api = |token: &str, comments: serde_json::Value| {
            Reply::from(
                client()
                    .post(&app.url("/api/v1/responses"))
                    .send_json(json!({ "token": token, "answers": answers, "comments": comments }))
                    .unwrap(),
            )
        };
        let long = "x".repeat(2001);
        let r = api(&links["p2@example.org"], json!({ "c_change": long }));
        assert_eq!(r.status, 400, "{backend:?}: {}", r.body);
        assert!(
            r.body.contains("c_change") && r.body.contains("2000"),
            "{}",
            r.body
        );
        assert!(!r.body.contains("xxxx"), "the text is not echoed");
        let r = api(&links["p2@example.org"], json!({ "nope": "hello" }));
        assert_eq!(r.status, 400);
        assert!(r.body.contains("nope"), "{}", r.body);
        assert_eq!(
            stored_comments(&app).len(),
            1,
            "{backend:?}: nothing more stored"
        );
        let r = api(
            &links["p2@example.org"],
            json!({ "c_change": "Mail me: p2@example.org" }),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let stored = stored_comments(&app);
        assert!(stored.iter().all(|(b, _)| !b.contains("p2@example.org")));
    }
}

/// Every writer's comment text, unique, by email.
fn text_of(email: &str) -> String {
    format!(
        "My workload note, writer {}",
        email.trim_end_matches("@example.org")
    )
}

/// P1 for writer counts (docs/privacy.md D7, D10): a reader who knows how many were invited
/// per team (Big 13, Other 11, Small 5) and reads every comments view must not be able to
/// work out how many of Small wrote. Here everybody wrote, Sara too: with Big and Acme shown
/// (Other hidden with Small to keep Small's four comments out of reach), Other and Small
/// would hold 16 writers with at most 11 in Other, so all five of Small; the release hides
/// Big too, and the reader is left with more than one possibility.
#[test]
fn a_reader_who_knows_team_sizes_cannot_pin_how_many_of_a_small_team_wrote() {
    let (app, links, _) = comment_wave(Backend::Sqlite);
    for (email, token) in &links {
        if numbered(email) || email.starts_with("sara@") {
            let r = answer(&app, token, &text_of(email));
            assert_eq!(r.status, 200, "{email}: {}", r.body);
        }
    }
    app.workspace.ok(&["wave", "close", "C1"]);
    let admin = token_for(&app);
    let invited = [("Acme/Big", 13), ("Acme/Other", 11), ("Acme/Small", 5)];
    let mut seen: HashMap<&str, Option<i64>> = HashMap::new();
    for unit in ["Acme", "Acme/Big", "Acme/Other", "Acme/Small"] {
        let body = get(
            &app.url(&format!("/api/v1/waves/C1/comments?unit={unit}")),
            &admin,
        )
        .json();
        let count = body["comments"].as_array().unwrap().len() as i64;
        let shown = body["status"] == "shown";
        seen.insert(unit, shown.then_some(count));
    }
    assert_eq!(
        seen["Acme"],
        Some(28),
        "the organisation's comments stay shown"
    );
    assert_eq!(seen["Acme/Big"], None, "Big shown would pin Small");
    // Every spread of writers over the three teams consistent with what was shown.
    let mut small = BTreeSet::new();
    for big in 0..=invited[0].1 {
        for other in 0..=invited[1].1 {
            for s in 0..=invited[2].1 {
                let fits = |unit: &str, n: i64| seen[unit].is_none_or(|shown| shown == n);
                if fits("Acme", big + other + s)
                    && fits("Acme/Big", big)
                    && fits("Acme/Other", other)
                    && fits("Acme/Small", s)
                {
                    small.insert(s);
                }
            }
        }
    }
    assert!(small.len() >= 2, "Small's writers pinned to {small:?}");
}

#[test]
fn comments_show_only_where_no_group_under_the_threshold_can_be_picked_out() {
    for backend in backends() {
        let (app, links, password) = comment_wave(backend);
        let writers: Vec<&String> = links.keys().filter(|e| numbered(e)).collect();
        for email in &writers {
            let r = answer(&app, &links[*email], &text_of(email));
            assert_eq!(r.status, 200, "{backend:?} {email}: {}", r.body);
        }
        app.workspace.ok(&["wave", "close", "C1"]);
        let admin = token_for(&app);
        let cells = ["Acme", "Acme/Big", "Acme/Other", "Acme/Small"];
        let mut shown: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for unit in cells {
            let r = get(
                &app.url(&format!("/api/v1/waves/C1/comments?unit={unit}")),
                &admin,
            );
            assert_eq!(r.status, 200, "{backend:?} {unit}: {}", r.body);
            let body = r.json();
            assert_eq!(body["threshold"], 10);
            let texts: BTreeSet<String> = body["comments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["text"].as_str().unwrap().to_string())
                .collect();
            match body["status"].as_str().unwrap() {
                "shown" => assert!(texts.len() >= 10, "{backend:?} {unit}: {texts:?}"),
                "hidden" => assert!(texts.is_empty(), "{backend:?} {unit}"),
                other => panic!("{other}"),
            }
            shown.insert(unit, texts);
        }
        // A unit of 12 writers shows its comments, one of 4 never does.
        assert_eq!(shown["Acme/Big"].len(), 12, "{backend:?}");
        assert!(shown["Acme/Small"].is_empty());
        // The reader matches texts across views: writers grouped by the exact set of shown
        // views their comment is in; every group that is shown anywhere is at least 10.
        let mut groups: BTreeMap<Vec<&str>, usize> = BTreeMap::new();
        for email in &writers {
            let text = text_of(email);
            let signature: Vec<&str> = cells
                .iter()
                .copied()
                .filter(|c| shown[c].contains(&text))
                .collect();
            if !signature.is_empty() {
                *groups.entry(signature).or_default() += 1;
            }
        }
        assert!(!groups.is_empty());
        for (signature, n) in &groups {
            assert!(
                *n >= 10,
                "{backend:?}: {n} writers picked out by {signature:?}"
            );
        }
        // A manager reads their subtree only, under the same threshold.
        app.workspace.ok(&[
            "user",
            "add",
            "--email",
            SALES,
            "--role",
            "manager",
            "--unit",
            "Acme/Small",
        ]);
        let manager = As::Bearer(
            app.workspace
                .ok(&["token", "create", "--user", SALES])
                .trim()
                .to_string(),
        );
        let own = get(&app.url("/api/v1/waves/C1/comments"), &manager).json();
        assert_eq!(own["unit"], "Acme/Small");
        assert_eq!(own["status"], "hidden", "{backend:?}");
        assert_eq!(
            get(
                &app.url("/api/v1/waves/C1/comments?unit=Acme/Big"),
                &manager
            )
            .status,
            403
        );
        // The page says the same in words; the CSV goes through the guarded writer.
        let cookie = As::Cookie(session(&app, ADMIN, &password));
        let page = get(
            &app.url("/reports/waves/C1/comments?unit=Acme/Small"),
            &cookie,
        );
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<strong>Hidden.</strong>"));
        assert!(!page.body.contains("My workload note"));
        let page = get(
            &app.url("/reports/waves/C1/comments?unit=Acme/Big"),
            &cookie,
        );
        assert!(page.body.contains("12 comments"), "{}", page.body);
        let csv = get(
            &app.url("/api/v1/waves/C1/comments.csv?unit=Acme/Big"),
            &admin,
        );
        assert_eq!(csv.status, 200);
        assert_eq!(csv.body.lines().count(), 13, "{}", csv.body);
    }
}

#[test]
fn a_held_comment_waits_for_an_admin_and_its_writer_sees_support_first() {
    for backend in backends() {
        let (app, links, password) = comment_wave(backend);
        let writers: Vec<&String> = links
            .keys()
            .filter(|e| numbered(e) && unit_of(e) == "Acme/Big")
            .collect();
        // One of them writes of self-harm: their thank-you page puts support first.
        let (first, rest) = writers.split_first().unwrap();
        let r = answer(&app, &links[*first], "Some days I want to kill myself.");
        assert_eq!(r.status, 200);
        let support = r.body.find("support-heading").unwrap();
        let results = r.body.find("results-heading").unwrap();
        assert!(support < results, "{backend:?}: support first");
        for email in rest {
            let r = answer(&app, &links[*email], &text_of(email));
            assert!(r.body.find("results-heading") < r.body.find("support-heading"));
        }
        for email in links
            .keys()
            .filter(|e| numbered(e) && unit_of(e) == "Acme/Other")
        {
            answer(&app, &links[email], &text_of(email));
        }
        assert_eq!(
            stored_comments(&app)
                .iter()
                .filter(|(_, review)| review == "held")
                .count(),
            1
        );
        // While the wave is open, the queue lists nothing (it would tell who just sent it).
        let cookie = As::Cookie(session(&app, ADMIN, &password));
        let queue = get(&app.url("/admin/comments"), &cookie);
        assert!(!queue.body.contains("kill myself"), "{backend:?}");
        app.workspace.ok(&["wave", "close", "C1"]);
        let admin = token_for(&app);
        let big = |who: &As| get(&app.url("/api/v1/waves/C1/comments?unit=Acme/Big"), who).json();
        let before = big(&admin);
        assert!(
            !before.to_string().contains("kill myself"),
            "{backend:?}: held"
        );
        let queue = get(&app.url("/admin/comments"), &cookie);
        assert!(queue.body.contains("Some days I want to kill myself."));
        assert!(queue.body.contains("held for: self-harm"));
        assert!(!queue.body.contains("Acme/Big"), "no unit in the queue");
        // A viewer or a manager cannot see the queue.
        app.workspace
            .ok(&["user", "add", "--email", VIEWER, "--role", "viewer"]);
        let viewer = As::Bearer(
            app.workspace
                .ok(&["token", "create", "--user", VIEWER])
                .trim()
                .to_string(),
        );
        assert_eq!(get(&app.url("/admin/comments"), &viewer).status, 403);
        // Released, it is shown under the same rules.
        let response = queue
            .body
            .split("name=\"response\" value=\"")
            .nth(1)
            .unwrap();
        let response = response.split('"').next().unwrap();
        let r = post_form(
            &app.url("/admin/comments"),
            Some(match &cookie {
                As::Cookie(c) => c,
                _ => unreachable!(),
            }),
            &format!(
                "csrf={}&response={}&prompt=c_change&action=release&part=",
                form_value(&csrf_of(&queue.body)),
                form_value(response)
            ),
        );
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(
            big(&admin).to_string().contains("kill myself"),
            "{backend:?}"
        );
        let audit = app.workspace.ok(&["audit", "list"]);
        assert!(audit.contains("release comment"), "{audit}");
        assert!(!audit.contains("kill myself"), "no text in the audit log");
    }
}

pub fn unit_of(email: &str) -> &'static str {
    let n: usize = email
        .trim_start_matches('p')
        .trim_end_matches("@example.org")
        .parse()
        .unwrap_or(0);
    let mut upto = 0;
    for (unit, people) in UNITS {
        upto += people;
        if n <= upto {
            return unit;
        }
    }
    "Acme/Big"
}

#[test]
fn a_wave_sets_its_comment_threshold_never_below_k() {
    let ws = Workspace::new(Backend::Sqlite);
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster())]);
    let create = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "wave",
            "create",
            name,
            "--instrument",
            "worklife-core",
            "--opens",
            "2020-01-01",
            "--closes",
            "2099-01-01",
            "--min-group-size",
            "5",
        ];
        args.extend(extra);
        ws.worklife(&args)
    };
    let out = create("T1", &["--comment-min", "4"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("comment-min: 4 is below k = 5"), "{err}");
    let out = create("T2", &["--comment-min", "12"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("comments where at least 12 wrote one"));
    let out = create("T3", &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("comments where at least 10 wrote one"));
}

#[test]
fn configured_phrases_hold_a_comment_too() {
    let (app, links, _) = comment_wave(Backend::Sqlite);
    let replica = spawn_replica_with(&app, |s| {
        s.comments.review_harassment = vec!["stupid questions".into()];
    });
    let body = form_body("Our lead calls them Stupid Questions in every meeting.");
    let r = post_form(
        &format!("{replica}/s/{}", links["p1@example.org"]),
        None,
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = answer(
        &app,
        &links["p2@example.org"],
        "Nothing to add about stupid things.",
    );
    assert_eq!(r.status, 200);
    let reviews: Vec<String> = stored_comments(&app).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        reviews.iter().filter(|r| *r == "held").count(),
        1,
        "{reviews:?}"
    );
}

#[test]
fn the_roster_export_keeps_the_names_for_the_next_import() {
    let ws = Workspace::new(Backend::Sqlite);
    let csv = "email,unit,tenure,name\na@example.org,Acme/A,long,Peter Müller\nb@example.org,Acme/A,short,\n";
    ws.ok(&["roster", "import", &ws.write("roster.csv", csv)]);
    let out = ws.ok(&["roster", "export"]);
    assert_eq!(
        out,
        "email,unit,tenure,name\na@example.org,Acme/A,long,Peter Müller\nb@example.org,Acme/A,short,\n"
    );
    // `name` is no report attribute.
    assert!(!ws
        .ok(&["roster", "import", &ws.write("again.csv", &out)])
        .contains("error"));
    let out = ws.ok(&["roster", "export"]);
    assert!(out.contains("Peter Müller"));
    // A new name alone is a change, and is kept.
    let renamed = out.replace("Peter Müller", "Peter Mueller-Schmidt");
    let said = ws.ok(&["roster", "import", &ws.write("renamed.csv", &renamed)]);
    assert!(said.contains("1 were updated, 1 unchanged"), "{said}");
    assert!(ws
        .ok(&["roster", "export"])
        .contains("Peter Mueller-Schmidt"));
}
