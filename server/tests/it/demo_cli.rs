//! `worklife demo` and `worklife serve --demo` on SQLite and PostgreSQL, through the real
//! binary: the organisation, two closed waves and an open one, stored as the real form
//! stores answers; the printed admin login and answer links; idempotence; determinism.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use worklife_server::db::schema::{
    answers, invitation_tokens, invitations, people, responses, units, users, wave_units, waves,
};
use worklife_server::db::DbPool;
use worklife_server::db_run;
use worklife_server::survey::responses::{self as form, InstrumentCache};
use worklife_tests::reports_common::{get, session, As};
use worklife_tests::{
    backends, closed_release, spawn_app, token_of, unescape, worklife_bin, Workspace,
};

/// What `worklife demo` printed.
struct Printed {
    admin_email: String,
    password: String,
    links: Vec<String>,
    /// (story, unit path)
    plot: Vec<(String, String)>,
}

/// Whether `email` signs in with `password` (checked against the stored argon2 hash).
fn signs_in(pool: &DbPool, email: &str, password: &str) -> bool {
    let mut conn = pool.get().unwrap();
    let hash: String = db_run!(&mut conn, |c| users::table
        .filter(users::email.eq(email))
        .select(users::password_hash)
        .first(c))
    .unwrap();
    worklife_server::auth::password::verify_password(&hash, password)
}

/// The `(email, password)` of each login line a run printed.
fn logins(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter(|l| l.starts_with("admin login") || l.starts_with("manager login"))
        .filter_map(|l| l.split_once(": ").map(|(_, rest)| rest))
        .filter_map(|l| l.split_once(" / "))
        .map(|(e, p)| (e.to_string(), p.to_string()))
        .collect()
}

fn parse(out: &str) -> Printed {
    let login = out
        .lines()
        .find_map(|l| l.strip_prefix("admin login: "))
        .unwrap_or_else(|| panic!("no admin login in {out}"));
    let (admin_email, password) = login.split_once(" / ").unwrap();
    let links = out
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("/s/"))
        .map(String::from)
        .collect();
    let plot = out
        .lines()
        .skip_while(|l| !l.starts_with("what to look for:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            let (story, path) = l.trim().split_once(' ').unwrap();
            (story.to_string(), path.trim().to_string())
        })
        .collect();
    Printed {
        admin_email: admin_email.to_string(),
        password: password.to_string(),
        links,
        plot,
    }
}

/// (name, status, id) of every wave, in `wave list` order.
fn wave_rows(pool: &DbPool) -> Vec<(String, String, String)> {
    let mut conn = pool.get().unwrap();
    db_run!(&mut conn, |c| waves::table
        .order(waves::opens_at)
        .select((waves::name, waves::status, waves::id))
        .load(c))
    .unwrap()
}

/// Rows per table.
fn table_counts(pool: &DbPool) -> BTreeMap<&'static str, i64> {
    let mut conn = pool.get().unwrap();
    db_run!(&mut conn, |c| {
        BTreeMap::from([
            ("units", units::table.count().get_result(c).unwrap()),
            ("people", people::table.count().get_result(c).unwrap()),
            ("waves", waves::table.count().get_result(c).unwrap()),
            (
                "wave_units",
                wave_units::table.count().get_result(c).unwrap(),
            ),
            (
                "invitations",
                invitations::table.count().get_result(c).unwrap(),
            ),
            (
                "invitation_tokens",
                invitation_tokens::table.count().get_result(c).unwrap(),
            ),
            ("responses", responses::table.count().get_result(c).unwrap()),
            ("answers", answers::table.count().get_result(c).unwrap()),
            ("users", users::table.count().get_result(c).unwrap()),
        ])
    })
}

/// Every stored answer sheet: (wave name, unit path, attributes, answers by item).
type Sheet = (String, String, String, BTreeMap<String, i32>);

fn sheets(pool: &DbPool) -> Vec<Sheet> {
    let mut conn = pool.get().unwrap();
    let wave_names: HashMap<String, String> = db_run!(&mut conn, |c| waves::table
        .select((waves::id, waves::name))
        .load::<(String, String)>(c))
    .unwrap()
    .into_iter()
    .collect();
    let paths: HashMap<String, (String, String)> = db_run!(&mut conn, |c| wave_units::table
        .select((wave_units::id, wave_units::wave_id, wave_units::path))
        .load::<(String, String, String)>(c))
    .unwrap()
    .into_iter()
    .map(|(id, w, p)| (id, (w, p)))
    .collect();
    let rows: Vec<(String, String, String, String)> = db_run!(&mut conn, |c| responses::table
        .select((
            responses::id,
            responses::wave_id,
            responses::unit_id,
            responses::attributes
        ))
        .load(c))
    .unwrap();
    let mut by_response: HashMap<String, BTreeMap<String, i32>> = HashMap::new();
    let all: Vec<(String, String, i32)> = db_run!(&mut conn, |c| answers::table
        .select((answers::response_id, answers::item_id, answers::value))
        .load(c))
    .unwrap();
    for (r, item, v) in all {
        by_response.entry(r).or_default().insert(item, v);
    }
    rows.into_iter()
        .map(|(id, wave, unit, attrs)| {
            let (unit_wave, path) = paths.get(&unit).cloned().expect("unit in the snapshot");
            assert_eq!(
                unit_wave, wave,
                "a response's unit is in its own wave's snapshot"
            );
            (
                wave_names[&wave].clone(),
                path,
                attrs,
                by_response.remove(&id).unwrap_or_default(),
            )
        })
        .collect()
}

/// Answers counted per (wave, unit, attributes, item, value): the answer distribution.
fn distribution(pool: &DbPool) -> BTreeMap<(String, String, String, String, i32), usize> {
    let mut out = BTreeMap::new();
    for (wave, unit, attrs, answers) in sheets(pool) {
        for (item, v) in answers {
            *out.entry((wave.clone(), unit.clone(), attrs.clone(), item, v))
                .or_default() += 1;
        }
    }
    out
}

/// Responded and invited of the root line of `wave status`.
fn root_status(ws: &Workspace, wave: &str) -> (i64, i64) {
    let out = ws.ok(&["wave", "status", wave]);
    let line = out
        .lines()
        .find(|l| l.starts_with("Northwind "))
        .unwrap_or_else(|| panic!("{out}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    (cols[1].parse().unwrap(), cols[2].parse().unwrap())
}

#[test]
fn demo_builds_two_closed_waves_and_an_open_one_as_real_use_would() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let started = std::time::Instant::now();
        let out = ws.ok(&["demo"]);
        let took = started.elapsed();
        eprintln!("{backend:?}: worklife demo took {took:?}");
        let printed = parse(&out);
        let pool = ws.pool();

        // wave list: two closed waves, then the open one.
        let list = ws.ok(&["wave", "list"]);
        let rows = wave_rows(&pool);
        let statuses: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(
            statuses,
            ["closed", "closed", "open"],
            "{backend:?}: {list}"
        );
        for (name, status, _) in &rows {
            assert!(
                list.lines()
                    .any(|l| l.starts_with(name.as_str()) && l.contains(status.as_str())),
                "{list}"
            );
            assert!(list.contains("worklife-core@2"), "{list}");
        }

        // wave status: about 300 invited, 60-90% answered in closed waves, fewer so far in
        // the open one; small teams are shown as "<5".
        let people: i64 = table_counts(&pool)["people"];
        assert!((270..=330).contains(&people), "{people} people");
        for (name, status, _) in &rows {
            let (invited, responded) = root_status(&ws, name);
            assert_eq!(invited, people, "{name}");
            let rate = responded as f64 / invited as f64;
            if status == "closed" {
                assert!((0.6..=0.9).contains(&rate), "{name}: {rate}");
            } else {
                assert!((0.2..0.6).contains(&rate), "{name}: {rate}");
            }
        }
        let status = ws.ok(&["wave", "status", &rows[1].0]);
        assert!(
            status.contains("hidden"),
            "suppression is visible: {status}"
        );
        assert!(
            status.lines().count() > 45,
            "about 40 teams over 3 levels: {status}"
        );
        assert!(status.contains("Northwind/Engineering/Platform/Infrastructure"));

        // Closed waves keep no path from a person to an answer sheet (A3); the open one keeps
        // one invitation and one token hash per person.
        let mut conn = pool.get().unwrap();
        for (name, status, id) in &rows {
            let (inv, tok, resp, flagged): (i64, i64, i64, i64) = db_run!(&mut conn, |c| (
                invitations::table
                    .filter(invitations::wave_id.eq(id))
                    .count()
                    .get_result(c)
                    .unwrap(),
                invitation_tokens::table
                    .filter(invitation_tokens::wave_id.eq(id))
                    .count()
                    .get_result(c)
                    .unwrap(),
                responses::table
                    .filter(responses::wave_id.eq(id))
                    .count()
                    .get_result(c)
                    .unwrap(),
                invitations::table
                    .filter(invitations::wave_id.eq(id))
                    .filter(invitations::responded.eq(true))
                    .count()
                    .get_result(c)
                    .unwrap(),
            ));
            if status == "closed" {
                assert_eq!((inv, tok), (0, 0), "{name}");
            } else {
                assert_eq!((inv, tok), (people, people), "{name}");
                assert_eq!(flagged, resp, "{name}");
            }
        }
        drop(conn);

        // Every response has answers on the instrument's scale, a few items skipped, and
        // only the wave's report attributes.
        let instrument = survey_engine::instrument::builtin::load("worklife-core")
            .unwrap()
            .unwrap();
        let all = sheets(&pool);
        assert!(all.len() > 400, "{}", all.len());
        let mut skipped = 0;
        for (_, _, attrs, answers) in &all {
            assert!(!answers.is_empty());
            assert!(answers.values().all(|v| (1..=5).contains(v)));
            assert!(answers.keys().all(|k| instrument.item_index(k).is_some()));
            skipped += instrument.items.len() - answers.len();
            let attrs: BTreeMap<String, String> = serde_json::from_str(attrs).unwrap();
            let keys: Vec<&str> = attrs.keys().map(String::as_str).collect();
            assert_eq!(keys, ["location", "tenure"]);
            assert!(["<1y", "1-3y", "3-10y", "10y+"].contains(&attrs["tenure"].as_str()));
        }
        let answered: usize = all.iter().map(|s| s.3.len()).sum();
        let skip_rate = skipped as f64 / (skipped + answered) as f64;
        assert!(
            (0.001..0.05).contains(&skip_rate),
            "occasional skips: {skip_rate}"
        );

        // Teams differ the way the printed story says, in the engine's own scoring.
        assert_eq!(printed.plot.len(), 5, "{out}");
        let workload = instrument.scale_index("workload").unwrap();
        let exhaustion = instrument.scale_index("exhaustion").unwrap();
        let mean = |wave: &str, unit: Option<&str>, scale: usize| {
            let scores: Vec<f64> = all
                .iter()
                .filter(|s| s.0 == wave && (unit.is_none() || unit == Some(s.1.as_str())))
                .filter_map(|s| {
                    let aligned: Vec<Option<i32>> = instrument
                        .items
                        .iter()
                        .map(|i| s.3.get(&i.id).copied())
                        .collect();
                    instrument.score_unchecked(&aligned).score(scale)
                })
                .collect();
            assert!(scores.len() >= 5, "{wave} {unit:?}");
            scores.iter().sum::<f64>() / scores.len() as f64
        };
        let (q1, q2) = (rows[0].0.as_str(), rows[1].0.as_str());
        for (story, unit) in &printed.plot {
            let u = Some(unit.as_str());
            match story.as_str() {
                "overloaded" => {
                    for w in [q1, q2] {
                        assert!(mean(w, u, workload) < mean(w, None, workload) - 0.5);
                        assert!(mean(w, u, exhaustion) > mean(w, None, exhaustion) + 0.5);
                    }
                }
                "improving" => {
                    assert!(
                        mean(q2, u, workload) > mean(q1, u, workload) + 0.3,
                        "{unit}"
                    )
                }
                "worsening" => {
                    assert!(
                        mean(q2, u, exhaustion) > mean(q1, u, exhaustion) + 0.3,
                        "{unit}"
                    )
                }
                _ => {}
            }
        }

        // The stored sheets score through `worklife score` like any export would: a heat
        // map with the root shown and small groups suppressed.
        let mut csv = String::from("unit,tenure,location");
        for item in &instrument.items {
            csv.push(',');
            csv.push_str(&item.id);
        }
        csv.push('\n');
        for (wave, unit, attrs, answers) in &all {
            if wave != q2 {
                continue;
            }
            let attrs: BTreeMap<String, String> = serde_json::from_str(attrs).unwrap();
            csv.push_str(&format!("{unit},{},{}", attrs["tenure"], attrs["location"]));
            for item in &instrument.items {
                csv.push(',');
                if let Some(v) = answers.get(&item.id) {
                    csv.push_str(&v.to_string());
                }
            }
            csv.push('\n');
        }
        let file = ws.write("q.csv", &csv);
        let heatmap = ws.ok(&[
            "score",
            "--instrument",
            "worklife-core",
            "--responses",
            &file,
            "--output",
            "heatmap",
            "--min-group-size",
            "5",
            "--attribute",
            "tenure",
            "--wave",
            q2,
        ]);
        assert!(
            heatmap
                .lines()
                .any(|l| l.starts_with(&format!("{q2},Northwind,,workload,shown,"))),
            "{heatmap}"
        );
        assert!(heatmap.contains(",hidden,"), "{heatmap}");

        // The admin login: an argon2id hash of the printed password.
        assert_eq!(printed.admin_email, "admin@northwind.example");
        let mut conn = pool.get().unwrap();
        let (role, hash): (String, String) = db_run!(&mut conn, |c| users::table
            .filter(users::email.eq(&printed.admin_email))
            .select((users::role, users::password_hash))
            .first(c))
        .unwrap();
        assert_eq!(role, "admin");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(&printed.password));
        assert!(worklife_server::demo::verify_password(
            &hash,
            &printed.password
        ));

        // The printed links are live tokens of the open wave, stored only as hashes, among
        // the invitations written to the outbox; one of them takes an answer sheet once.
        let open_id = &rows[2].2;
        assert!((3..=5).contains(&printed.links.len()), "{out}");
        let outbox: HashSet<String> = ws.links().into_iter().collect();
        assert_eq!(
            outbox.len() as i64,
            people,
            "one invitation email per person"
        );
        let stored: HashSet<String> = db_run!(&mut conn, |c| invitation_tokens::table
            .filter(invitation_tokens::wave_id.eq(open_id))
            .select(invitation_tokens::token_hash)
            .load::<String>(c))
        .unwrap()
        .into_iter()
        .collect();
        for link in &printed.links {
            assert!(link.starts_with("http://127.0.0.1:9/s/"), "{link}");
            assert!(outbox.contains(link), "{link}");
            let token = token_of(link);
            assert!(!stored.contains(&token), "never stored in plain text");
            assert!(stored.contains(&worklife_server::survey::tokens::hash(&token)));
        }
        let cache = InstrumentCache::default();
        let now = worklife_server::clock::now();
        for link in &printed.links {
            form::open_sheet(&mut conn, &cache, &token_of(link), now)
                .unwrap_or_else(|e| panic!("{link}: {e}"));
        }
        let sheet = BTreeMap::from([("wl1".to_string(), Some(4)), ("ex1".to_string(), None)]);
        let token = token_of(&printed.links[0]);
        let before = table_counts(&pool)["responses"];
        form::submit_answers(&mut conn, &cache, &token, &sheet, now).unwrap();
        assert_eq!(table_counts(&pool)["responses"], before + 1);
        let again = form::submit_answers(&mut conn, &cache, &token, &sheet, now);
        assert!(
            matches!(
                again,
                Err(worklife_server::error::AppError::Gone(
                    worklife_server::error::Gone::UsedLink
                ))
            ),
            "a link works once"
        );
    }
}

#[test]
fn a_second_demo_changes_no_data_and_on_sqlite_prints_working_logins() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let first = ws.ok(&["demo"]);
        let pool = ws.pool();
        let counts = table_counts(&pool);
        let dist = distribution(&pool);
        let roster = ws.ok(&["roster", "export"]);
        let mails = ws.links().len();
        let mut previous = logins(&first);
        assert_eq!(previous.len(), 2, "{first}");
        for args in [vec!["demo"], vec!["demo", "--seed", "99"]] {
            let out = ws.ok(&args);
            assert!(!out.contains("/s/"), "{out}");
            if backend == worklife_tests::Backend::Sqlite {
                // Someone who lost the logins: new passwords that work, the old ones don't.
                let now = logins(&out);
                assert_eq!(now.len(), 2, "{out}");
                for ((email, password), (old_email, old)) in now.iter().zip(&previous) {
                    assert_eq!(email, old_email);
                    assert!(signs_in(&pool, email, password), "{out}");
                    assert!(!signs_in(&pool, email, old), "{out}");
                }
                assert!(out.contains("to start over"), "{out}");
                previous = now;
            } else {
                // Replicas started together: the first one's logins stay valid.
                assert!(
                    out.contains("already holds data") && out.contains("nothing was changed"),
                    "{backend:?}: {out}"
                );
                assert!(logins(&out).is_empty(), "{out}");
                for (email, password) in &previous {
                    assert!(signs_in(&pool, email, password));
                }
            }
            assert_eq!(table_counts(&pool), counts);
            assert_eq!(distribution(&pool), dist);
            assert_eq!(ws.ok(&["roster", "export"]), roster);
            assert_eq!(ws.links().len(), mails);
        }

        // Someone's real roster: the demo leaves it alone.
        let ws = Workspace::new(backend);
        ws.ok(&[
            "roster",
            "import",
            &ws.write("r.csv", "email,unit\nann@example.org,Acme/Eng\n"),
        ]);
        let out = ws.ok(&["demo"]);
        assert!(out.contains("already holds data"), "{out}");
        assert_eq!(
            ws.ok(&["roster", "export"]),
            "email,unit\nann@example.org,Acme/Eng\n"
        );
        assert_eq!(table_counts(&ws.pool())["users"], 0);
    }
}

#[test]
fn the_same_seed_gives_the_same_organisation_and_answers_on_every_backend() {
    let mut runs = Vec::new();
    for backend in backends() {
        for _ in 0..2 {
            let ws = Workspace::new(backend);
            let out = ws.ok(&["demo", "--seed", "11"]);
            let pool = ws.pool();
            let names: Vec<String> = wave_rows(&pool).into_iter().map(|r| r.0).collect();
            runs.push((
                backend,
                ws.ok(&["roster", "export"]),
                distribution(&pool),
                names,
                parse(&out),
            ));
        }
    }
    let (_, roster, dist, names, printed) = &runs[0];
    assert!(roster.lines().count() > 250);
    assert!(dist.len() > 1_000);
    for (backend, r, d, n, p) in &runs[1..] {
        assert_eq!(r, roster, "{backend:?}: same organisation");
        assert_eq!(n, names, "{backend:?}");
        assert_eq!(d, dist, "{backend:?}: same answer distribution");
        assert_eq!(p.plot, printed.plot, "{backend:?}");
        // Secrets are not derived from the seed.
        assert_ne!(p.password, printed.password);
        assert!(p.links.iter().all(|l| !printed.links.contains(l)));
    }

    let backend = runs[0].0;
    let ws = Workspace::new(backend);
    ws.ok(&["demo", "--seed", "12"]);
    assert_ne!(
        &ws.ok(&["roster", "export"]),
        roster,
        "another seed, another org"
    );
    assert_ne!(&distribution(&ws.pool()), dist);
}

#[test]
fn serve_demo_builds_the_demo_once_and_serves() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        for round in 0..2 {
            let mut serve = Command::new(worklife_bin());
            serve
                .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
                .current_dir(ws.dir.path())
                .env("WORKLIFE_METRICS_BIND", "")
                .env("WORKLIFE_DATABASE_URL", &ws.db.url)
                .env("WORKLIFE_OUTBOX_DIR", ws.outbox())
                .env_remove("WORKLIFE_CONFIG")
                .env_remove("WORKLIFE_BASE_URL");
            // The first run names a base URL of its own; the second leaves it unset.
            if round == 0 {
                serve.env("WORKLIFE_BASE_URL", "http://127.0.0.1:9");
            }
            let mut child = serve
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            let mut printed = String::new();
            let address = loop {
                let line = rx
                    .recv_timeout(Duration::from_secs(120))
                    .unwrap_or_else(|_| panic!("{backend:?}: serve did not start: {printed}"));
                printed.push_str(&line);
                printed.push('\n');
                if let Some(a) = line.strip_prefix("worklife listening on ") {
                    break a.to_string();
                }
            };
            let body = ureq::get(&format!("{address}/healthz"))
                .call()
                .map(|mut r| r.body_mut().read_to_string().unwrap());
            // The form names the demo's organisation, as its invitations do, not the
            // placeholder of an unset `organisation`.
            let first_link = (round == 0).then(|| parse(&printed).links[0].clone());
            let form = first_link.map(|link| {
                ureq::get(&format!("{address}/s/{}", token_of(&link)))
                    .call()
                    .map(|mut r| r.body_mut().read_to_string().unwrap())
            });
            child.kill().unwrap();
            child.wait().unwrap();
            assert_eq!(body.unwrap(), "ok");
            if round == 0 {
                let form = form.unwrap().unwrap();
                assert!(form.contains("<p class=\"org\">Northwind</p>"), "{form}");
                assert!(!form.contains("Your organisation"), "{form}");
                assert!(printed.contains("admin login: "), "{printed}");
                assert_eq!(parse(&printed).links.len(), 5);
            } else if backend == worklife_tests::Backend::Sqlite {
                // The second run on the embedded default prints logins that work.
                let printed_logins = logins(&printed);
                assert_eq!(printed_logins.len(), 2, "{printed}");
                for (email, password) in &printed_logins {
                    assert!(signs_in(&ws.pool(), email, password), "{printed}");
                }
                assert!(!printed.contains("/s/"), "{printed}");
                // Without a base URL, the sign-in link is where the process listens.
                assert!(
                    printed.contains(&format!("sign in at {address}/login")),
                    "{printed}"
                );
            } else {
                assert!(printed.contains("already holds data"), "{printed}");
                assert!(!printed.contains("admin login"), "{printed}");
            }
        }
        let statuses: Vec<String> = wave_rows(&ws.pool()).into_iter().map(|r| r.1).collect();
        assert_eq!(statuses, ["closed", "closed", "open"]);
    }
}

#[test]
fn demos_started_together_on_postgresql_build_it_once() {
    for backend in backends() {
        if backend != worklife_tests::Backend::Postgres {
            continue; // SQLite is served by one process.
        }
        let ws = Workspace::new(backend);
        let spawn = || {
            Command::new(worklife_bin())
                .args(["demo"])
                .current_dir(ws.dir.path())
                .env("WORKLIFE_DATABASE_URL", &ws.db.url)
                .env("WORKLIFE_OUTBOX_DIR", ws.outbox())
                .env("WORKLIFE_BASE_URL", "http://127.0.0.1:9")
                .env_remove("WORKLIFE_CONFIG")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let children: Vec<_> = (0..3).map(|_| spawn()).collect();
        let outputs: Vec<String> = children
            .into_iter()
            .map(|c| {
                let o = c.wait_with_output().unwrap();
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                String::from_utf8_lossy(&o.stdout).into_owned()
            })
            .collect();
        let built = outputs
            .iter()
            .filter(|o| o.contains("admin login: "))
            .count();
        let left = outputs
            .iter()
            .filter(|o| o.contains("already holds data"))
            .count();
        assert_eq!((built, left), (1, 2), "{outputs:?}");
        assert_eq!(table_counts(&ws.pool())["waves"], 3);
    }
}

/// D8: the demo's answer sheets skip a few items here and there. Each item is a measure of
/// its own, so the organisation as a whole shows every item of both closed waves, each
/// counting exactly the people with a score on its scale who answered it (a scale whose
/// skippers or complete answerers numbered 1 to k - 1 there would hide its questions: read
/// with the scale's figures, they would give theirs back). And `wave status` of a closed wave prints the
/// release's own counts of everyone who answered (a measure of the release, audited below
/// with the others), hidden exactly where the release hides them.
#[test]
fn the_demo_root_shows_its_items_and_wave_status_prints_release_counts() {
    use survey_engine::disclosure::{CellKey, CellStatus};
    let backend = backends()[0];
    let ws = Workspace::new(backend);
    ws.ok(&["demo"]);
    let pool = ws.pool();
    let mut conn = pool.get().unwrap();
    let mut checked = 0;
    for (name, status, _) in wave_rows(&pool) {
        if status != "closed" {
            continue;
        }
        let built = closed_release(&mut conn, &name);
        let r = &built.release;
        let root = CellKey { unit: 0, cut: None };
        let skipped: usize = built
            .sheets
            .iter()
            .map(|s| s.answers.iter().filter(|a| a.is_none()).count())
            .sum();
        assert!(skipped > 0, "{name}: the demo skips some items");
        let rows = survey_engine::report::item_rows(r, &built.instrument, &[root]);
        assert_eq!(rows.len(), built.instrument.items.len(), "{name}");
        let mut hidden = Vec::new();
        for (row, item) in rows.iter().zip(0..) {
            let i = built
                .instrument
                .items
                .iter()
                .position(|x| x.id == row.item)
                .unwrap();
            // D8, read with the scale: the organisation's questions of a scale would be
            // hidden where 1 to k - 1 of its people with a score skipped one of them, or
            // answered them all (the scale's figures would give theirs back).
            let scale = built.instrument.items[i].scale;
            let questions = built.instrument.scale_items(scale);
            let scored = |s: &&survey_engine::release::PlacedSheet| s.scores.score(scale).is_some();
            let answered_of = |s: &survey_engine::release::PlacedSheet| {
                questions
                    .iter()
                    .filter(|&&q| s.answers[q].is_some())
                    .count()
            };
            let groups = [
                built
                    .sheets
                    .iter()
                    .filter(scored)
                    .filter(|s| answered_of(s) < questions.len())
                    .count(),
                built
                    .sheets
                    .iter()
                    .filter(|s| answered_of(s) == questions.len())
                    .count(),
            ];
            let small = questions.len() > 1 && groups.iter().any(|&g| (1..r.k).contains(&g));
            if row.status != CellStatus::Shown {
                assert!(small, "{name}: {row:?} hidden, groups {groups:?}");
                hidden.push(row.item.clone());
                continue;
            }
            let answered = built
                .sheets
                .iter()
                .filter(scored)
                .filter(|s| s.answers.get(i).copied().flatten().is_some())
                .count() as u64;
            assert_eq!(row.respondents, Some(answered), "{name}: item {item}");
        }
        // All of them show: in the demo, where some people skip, k or more of each scale's
        // people with a score skipped one of its questions (or none did).
        assert_eq!(hidden, Vec::<String>::new(), "{name}: hidden at the root");
        assert!(r.audit(&built.sheets).unwrap().is_empty(), "{name}");
        // P1: the demo keeps its invited counts at close, and no count under k can be
        // pinned with them (the worked case of docs/privacy.md is Engineering/Data here).
        let invited = r.invited.as_ref().unwrap();
        let (pinned, excused) = r.audit_counts(&built.sheets, invited).unwrap();
        assert!(pinned.is_empty(), "{name}: {pinned:?}");
        assert_eq!(excused.len(), r.count_exceptions, "{name}");
        // P2 on the demo (report attributes, fewer than 2,000 cells, so every group is
        // protected): every mean under k, of every scale and item, whole units and
        // attribute cuts, keeps a range of half the scale, shown sds included, but for the
        // counted exceptions.
        let narrow = r.audit_means(&built.sheets);
        assert_eq!(Some(narrow.len()), r.mean_exceptions, "{name}: {narrow:?}");
        let status = ws.ok(&["wave", "status", &name]);
        let mut lines = 0;
        let mut hidden = 0;
        for line in status
            .lines()
            .skip_while(|l| !l.starts_with("unit "))
            .skip(1)
        {
            if line.starts_with("disclosure audit: ") {
                break;
            }
            // "{path:<40} {invited:>8} {responded:>10} {rate:>6}": paths hold spaces, so the
            // columns are read from the right.
            let (path, tail) = line.split_at(line.len() - 27);
            let responded = tail[10..20].trim();
            let unit = r
                .tree
                .find(path.trim_end())
                .unwrap_or_else(|| panic!("{line}"));
            let cell = r.layout.cell_index(CellKey { unit, cut: None });
            let expected = r.answered[cell].map_or("hidden".to_string(), |n| n.to_string());
            assert_eq!(responded, expected, "{name}: {line}");
            lines += 1;
            hidden += usize::from(responded == "hidden");
        }
        assert_eq!(lines, r.tree.len(), "{name}: {status}");
        assert!(hidden > 0, "{name}: {status}");
        assert_eq!(
            r.answered[0],
            Some(built.sheets.len() as u64),
            "{name}: the organisation counts every answer sheet"
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
}

/// Before its tables the question page says how many of the cell's questions it shows, as
/// the items API counts them: "n of m questions are shown" where some are hidden, a note of
/// its own where none is shown, nothing where all are; a unit's printable report says the
/// same. Every whole unit of the demo's first closed wave and its tenure cuts, as the admin
/// the demo prints.
#[test]
fn the_question_page_says_how_many_of_its_questions_it_shows() {
    let backend = backends()[0];
    let ws = Workspace::new(backend);
    let printed = parse(&ws.ok(&["demo"]));
    let token = ws.ok(&["token", "create", "--user", &printed.admin_email]);
    let token = As::Bearer(token.lines().next().unwrap().trim().to_string());
    let app = spawn_app(ws);
    let cookie = As::Cookie(session(&app, &printed.admin_email, &printed.password));
    let wave = "2026-Q2";
    let api = get(
        &app.url(&format!("/api/v1/waves/{wave}/items?attribute=tenure")),
        &token,
    )
    .json();
    // Per (unit, cut): questions shown, questions in all.
    let mut cells: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for r in api["rows"].as_array().unwrap() {
        let key = (
            r["unit"].as_str().unwrap().to_string(),
            r["cut"].as_str().unwrap().to_string(),
        );
        let cell = cells.entry(key).or_default();
        cell.0 += usize::from(r["status"] == "shown");
        cell.1 += 1;
    }
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    // Cells with none, some and all of their questions shown.
    let mut seen = [0; 3];
    for ((unit, cut), &(shown, total)) in &cells {
        let (query, title) = match cut.split_once('=') {
            Some((attribute, value)) => (
                format!(
                    "unit={}&attribute={attribute}&value={}",
                    enc(unit),
                    enc(value)
                ),
                format!("{unit}, Tenure: {value}"),
            ),
            None => (format!("unit={}", enc(unit)), unit.clone()),
        };
        let page = get(
            &app.url(&format!("/reports/waves/{wave}/items?{query}")),
            &cookie,
        );
        assert_eq!(page.status, 200, "{query}");
        let body = unescape(&page.body);
        let none = format!("No question can be shown for {title} in this wave.");
        let some = format!("{shown} of {total} questions are shown for {title}.");
        let kind = if shown == 0 {
            0
        } else if shown < total {
            1
        } else {
            2
        };
        seen[kind] += 1;
        assert_eq!(
            body.contains(&none),
            kind == 0,
            "{title}: {shown} of {total}"
        );
        assert_eq!(
            body.contains(&some),
            kind == 1,
            "{title}: {shown} of {total}"
        );
        if kind < 2 {
            assert!(body.find("hidden-cell") < body.find("<table"), "{title}");
        }
        // A unit's printable report counts them too, before its questions.
        if cut.is_empty() {
            let print = get(
                &app.url(&format!("/reports/waves/{wave}/print?{query}")),
                &cookie,
            );
            assert_eq!(print.status, 200, "{query}");
            let count = match kind {
                0 => "No question can be shown for this unit in this wave.".to_string(),
                1 => format!("{shown} of {total} questions are shown; the others are hidden."),
                _ => format!("All {total} questions are shown."),
            };
            assert!(print.body.contains(&count), "{title}: {count}");
        }
    }
    assert!(
        seen.iter().all(|&n| n > 0),
        "{seen:?} (none, some, all shown)"
    );
}
