//! What an auditor would check, on SQLite and PostgreSQL: after a submission the database
//! holds nothing that leads from a person to an answer sheet (A1, A2, A6), closing a wave
//! destroys what linked them while the wave was open (A3), and the real server's logs carry
//! no token, address, user agent or answer (A4).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use diesel::RunQueryDsl;
use worklife_server::db_run;
use worklife_server::survey::tokens;
use worklife_tests::survey_common::*;
use worklife_tests::{backends, worklife_bin};

const FAR: &str = "2099-12-31";
const PULSE_ANSWERS: &str = "p_wl1=2&p_ct1=4&p_rw1=1&p_cm1=5&p_fr1=3&p_vl1=4&p_ex1=5&p_ex2=4\
                             &p_cy1=2&p_cy2=&p_rc1=1";

fn is_uuid_v4(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| {
        u.get_version_num() == 4
            && u.get_variant() == uuid::Variant::RFC4122
            && u.hyphenated().to_string() == id
    })
}

/// The value of `col` in a dumped row (`a=1|b=2`).
fn field<'a>(row: &'a str, col: &str) -> &'a str {
    row.split('|')
        .find_map(|kv| kv.strip_prefix(&format!("{col}=")))
        .unwrap_or_default()
}

/// Rows added and removed per table between two dumps.
fn changes(
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut out = BTreeMap::new();
    for (table, rows) in after {
        let old: BTreeSet<&String> = before.get(table).into_iter().flatten().collect();
        let new: BTreeSet<&String> = rows.iter().collect();
        let added: Vec<String> = new.difference(&old).map(|r| (*r).clone()).collect();
        let removed: Vec<String> = old.difference(&new).map(|r| (*r).clone()).collect();
        if !added.is_empty() || !removed.is_empty() {
            out.insert(table.clone(), (added, removed));
        }
    }
    out
}

/// Tables reachable from `start` by following foreign keys.
/// The data file of each table that held per-person or per-sheet rows (PostgreSQL only;
/// SQLite zeroes deleted content in place with secure_delete).
fn data_files(conn: &mut worklife_server::db::DbConn) -> Vec<(&'static str, i64)> {
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;
    #[derive(QueryableByName)]
    struct Node {
        #[diesel(sql_type = BigInt)]
        node: i64,
    }
    let worklife_server::db::DbConn::Postgres(c) = conn else {
        return Vec::new();
    };
    [
        "responses",
        "answers",
        "comments",
        "invitations",
        "invitation_tokens",
    ]
    .into_iter()
    .map(|t| {
        let q = format!("SELECT pg_relation_filenode('{t}')::bigint AS node");
        (t, diesel::sql_query(q).get_result::<Node>(c).unwrap().node)
    })
    .collect()
}

fn reachable(edges: &[(String, String)], start: &[&str]) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = start.iter().map(|s| (*s).to_string()).collect();
    loop {
        let next: Vec<String> = edges
            .iter()
            .filter(|(s, t)| seen.contains(s) && !seen.contains(t))
            .map(|(_, t)| t.clone())
            .collect();
        if next.is_empty() {
            return seen;
        }
        seen.extend(next);
    }
}

#[test]
fn a_stored_response_holds_nothing_that_leads_back_to_the_person() {
    for backend in backends() {
        let ws = workspace(backend);
        let tokens = open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        let address = serve(&ws);
        let token = &tokens[0];
        let hash = tokens::hash(token);
        let mut conn = ws.pool().get().unwrap();

        // The schema: a response is an id, the wave, the unit snapshot and the report
        // attributes; its answers are item and value. No person, token, address or time.
        assert_eq!(
            columns(&mut conn, "responses"),
            ["id", "wave_id", "unit_id", "attributes"],
            "{backend:?}"
        );
        assert_eq!(
            columns(&mut conn, "answers"),
            ["response_id", "item_id", "value"]
        );
        // A comment is its sheet's, its question's, its (redacted) text and its review
        // state: no person, time or order either.
        assert_eq!(
            columns(&mut conn, "comments"),
            ["response_id", "prompt_id", "body", "review", "concerns"]
        );
        // A6: no chain of foreign keys leads from responses, answers or comments to people,
        // and nothing but answers and comments refers to responses.
        let edges = foreign_keys(&mut conn);
        assert!(!edges.is_empty(), "{backend:?}: foreign keys were read");
        let from_answers = reachable(&edges, &["responses", "answers", "comments"]);
        for table in [
            "people",
            "invitations",
            "invitation_tokens",
            "units",
            "users",
        ] {
            assert!(
                !from_answers.contains(table),
                "{backend:?}: responses/answers reach {table}: {edges:?}"
            );
        }
        for (source, target) in &edges {
            // A sheet's answers and comments refer to it; nothing else does.
            if target == "responses" || target == "answers" {
                assert!(
                    source == "answers" || source == "comments",
                    "{backend:?}: {source} refers to {target}"
                );
            }
        }

        let before = dump(&mut conn);
        assert!(
            mentions(&before, token).is_empty(),
            "A2: the token is never stored"
        );
        assert_eq!(
            mentions(&before, &hash).len(),
            1,
            "A2: only the token's hash, in invitation_tokens"
        );

        let reply = post_form(&format!("{address}/s/{token}"), PULSE_ANSWERS);
        assert_eq!(reply.status, 200, "{backend:?}");
        let after = dump(&mut conn);

        // The submission added one response and its answers, flipped one "responded" flag,
        // and wrote nothing else anywhere: no time, no token, no address.
        let changed = changes(&before, &after);
        assert_eq!(
            changed.keys().collect::<Vec<_>>(),
            ["answers", "invitations", "responses"],
            "{backend:?}: {changed:#?}"
        );
        let (added, removed) = &changed["responses"];
        assert_eq!((added.len(), removed.len()), (1, 0));
        let response = &added[0];
        assert_eq!(changed["answers"].0.len(), 10);
        assert!(changed["answers"].1.is_empty());
        let (flag_on, flag_off) = &changed["invitations"];
        assert_eq!((flag_on.len(), flag_off.len()), (1, 1));
        assert_eq!(
            flag_on[0].replace("responded=true", "responded=1"),
            flag_off[0]
                .replace("responded=false", "responded=1")
                .replace("responded=0", "responded=1"),
            "only the flag changed"
        );

        // A1: a random UUIDv4 id; the unit is the wave's snapshot, not the live roster unit.
        let id = field(response, "id");
        assert!(is_uuid_v4(id), "{backend:?}: {id}");
        let unit = field(response, "unit_id");
        assert!(after["wave_units"].iter().any(|r| field(r, "id") == unit));
        assert!(!after["units"].iter().any(|r| field(r, "id") == unit));
        assert!(field(response, "attributes").contains("\"tenure\""));
        assert!(mentions(&after, token).is_empty());
        assert_eq!(mentions(&after, &hash).len(), 1);
        if is_sqlite(&conn) {
            // No rowid: nothing in the file orders responses by arrival.
            assert!(!has_rowid(&mut conn, "responses"));
            assert!(!has_rowid(&mut conn, "answers"));
        }

        // A6: removing people from the roster leaves every response as it was.
        let sheets_before = sheets(&mut conn);
        let out = ws.ok(&[
            "roster",
            "import",
            &ws.write(
                "two.csv",
                "email,unit,tenure\neve@example.org,Acme/Eng,<1y\nfay@example.org,Acme/Eng,5y+\n",
            ),
            "--prune",
        ]);
        assert!(out.contains("removed:"), "{out}");
        assert_eq!(count(&mut conn, "people"), 2);
        assert_eq!(sheets(&mut conn), sheets_before, "{backend:?}");
        let pruned = dump(&mut conn);
        assert_eq!(pruned["responses"], after["responses"]);
        assert_eq!(pruned["answers"], after["answers"]);
    }
}

#[test]
fn closing_a_wave_destroys_every_path_from_person_to_answers() {
    for backend in backends() {
        let ws = workspace(backend);
        let tokens = open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        let address = serve(&ws);
        for (i, token) in tokens.iter().take(4).enumerate() {
            let reply = post_form(
                &format!("{address}/s/{token}"),
                &format!("p_wl1={}&p_ct1={}&p_ex1=3", i + 1, 5 - i),
            );
            assert_eq!(reply.status, 200);
        }
        let mut conn = ws.pool().get().unwrap();
        let open_sheets = sheets(&mut conn);
        assert_eq!(open_sheets.len(), 4);
        let status_open = ws.ok(&["wave", "status", "Q4"]);
        let eng = format!("{:<40} {:>8} {:>10} {:>6}", "Acme/Eng", 6, 4, "67%");
        assert!(status_open.contains(&eng), "{backend:?}: {status_open}");
        assert_eq!(count(&mut conn, "invitation_tokens"), 6);
        assert_eq!(count(&mut conn, "invitations WHERE responded = TRUE"), 4);

        let files_open = data_files(&mut conn);
        let out = ws.ok(&["wave", "close", "Q4"]);
        assert!(out.contains("closed: 4 response(s) kept"), "{out}");
        // On PostgreSQL the tables are written anew, so the dead row versions (old ids, the
        // invitations' transaction ids) are not left in their data files.
        let files_closed = data_files(&mut conn);
        for ((table, before), (_, after)) in files_open.iter().zip(&files_closed) {
            assert_ne!(before, after, "{table}: not rewritten");
        }
        assert_eq!(files_closed.len(), files_open.len());

        // Token hashes and per-person invitations (with their "responded" flags) are gone.
        assert_eq!(count(&mut conn, "invitation_tokens"), 0, "{backend:?}");
        assert_eq!(count(&mut conn, "invitations"), 0, "{backend:?}");
        let closed = dump(&mut conn);
        for token in &tokens {
            assert!(mentions(&closed, token).is_empty());
            assert!(
                mentions(&closed, &tokens::hash(token)).is_empty(),
                "{backend:?}: a token hash survived the close"
            );
        }
        // The responses were rewritten under new random ids: same sheets, no old id left.
        let closed_sheets = sheets(&mut conn);
        assert_eq!(closed_sheets.len(), 4);
        let old_ids: BTreeSet<&String> = open_sheets.keys().collect();
        assert!(closed_sheets
            .keys()
            .all(|id| !old_ids.contains(id) && is_uuid_v4(id)));
        let mut old_answers: Vec<&Vec<String>> = open_sheets.values().collect();
        let mut new_answers: Vec<&Vec<String>> = closed_sheets.values().collect();
        old_answers.sort();
        new_answers.sort();
        assert_eq!(
            old_answers, new_answers,
            "{backend:?}: answers kept as they were"
        );
        for old in &old_ids {
            assert!(
                mentions(&closed, old).is_empty(),
                "{backend:?}: old id {old} left"
            );
        }
        // Response rates survive as counts per unit.
        let status_closed = ws.ok(&["wave", "status", "Q4"]);
        // A closed wave's status ends with its kept disclosure audit (release_audit tests it).
        assert!(
            status_closed.contains("\ndisclosure audit: "),
            "{backend:?}: {status_closed}"
        );
        assert_eq!(
            status_closed
                .lines()
                .skip(1)
                .filter(|l| !l.starts_with("disclosure audit: "))
                .collect::<Vec<_>>(),
            status_open.lines().skip(1).collect::<Vec<_>>(),
            "{backend:?}"
        );
        assert!(status_closed.contains("(closed)"));
    }
}

/// Each sheet's answers and comments, without its id, as a reader of the tables has them:
/// (unit, attributes, answers, comments) per sheet, sorted.
fn sheets_without_ids(dump: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut of: BTreeMap<&str, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for row in &dump["answers"] {
        let entry = of.entry(field(row, "response_id")).or_default();
        entry
            .0
            .push(format!("{}={}", field(row, "item_id"), field(row, "value")));
    }
    for row in &dump["comments"] {
        let entry = of.entry(field(row, "response_id")).or_default();
        entry.1.push(format!(
            "{}={}",
            field(row, "prompt_id"),
            field(row, "body")
        ));
    }
    let mut sheets: Vec<String> = dump["responses"]
        .iter()
        .map(|row| {
            let (mut answers, mut comments) = of.remove(field(row, "id")).unwrap_or_default();
            answers.sort();
            comments.sort();
            format!(
                "{} {} {answers:?} {comments:?}",
                field(row, "unit_id"),
                field(row, "attributes")
            )
        })
        .collect();
    assert!(of.is_empty(), "answers or comments of no sheet: {of:?}");
    sheets.sort();
    sheets
}

/// Closing moves the sheets to new ids a chunk of 5,000 at a time (a wave's answers are its
/// people times its questions, and all of them at once took 650 MB on 75,000 sheets). With
/// more sheets than a chunk, every sheet keeps its unit, answers and comments, once, and
/// no old id is left.
#[test]
fn closing_a_wave_of_more_sheets_than_a_chunk_keeps_every_sheet_once_under_a_new_id() {
    const SHEETS: usize = 5_003;
    for backend in backends() {
        let ws = workspace(backend);
        open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        let mut conn = ws.pool().get().unwrap();
        let before = dump(&mut conn);
        let wave = field(
            before["waves"]
                .iter()
                .find(|r| field(r, "name") == "Q4")
                .unwrap(),
            "id",
        )
        .to_string();
        let units: Vec<&str> = before["wave_units"]
            .iter()
            .filter(|r| field(r, "wave_id") == wave)
            .map(|r| field(r, "id"))
            .collect();
        // Written straight into the tables (submitting 10,000 forms would take minutes).
        let rows: Vec<usize> = (0..SHEETS).collect();
        for chunk in rows.chunks(500) {
            let responses: Vec<String> = chunk
                .iter()
                .map(|i| {
                    let unit = units[i % units.len()];
                    format!("('old-{i:05}', '{wave}', '{unit}', '{{}}')")
                })
                .collect();
            let answers: Vec<String> = chunk
                .iter()
                .flat_map(|i| {
                    [("p_wl1", 1 + i % 5), ("p_ct1", 1 + i / 5 % 5)]
                        .map(|(item, value)| format!("('old-{i:05}', '{item}', {value})"))
                })
                .collect();
            let comments: Vec<String> = chunk
                .iter()
                .filter(|i| *i % 7 == 0)
                .map(|i| format!("('old-{i:05}', 'open', 'comment {i}')"))
                .collect();
            for (table, rows) in [
                ("responses (id, wave_id, unit_id, attributes)", responses),
                ("answers (response_id, item_id, value)", answers),
                ("comments (response_id, prompt_id, body)", comments),
            ] {
                if rows.is_empty() {
                    continue;
                }
                let sql = format!("INSERT INTO {table} VALUES {}", rows.join(", "));
                db_run!(conn, |c| diesel::sql_query(&sql).execute(c)).unwrap();
            }
        }
        let open = sheets_without_ids(&dump(&mut conn));
        assert_eq!(open.len(), SHEETS);
        // SQLite numbers the rows of `comments` (a rowid table) in the order they are written.
        let rowid = |conn: &mut worklife_server::db::DbConn, of: &str| {
            #[derive(diesel::QueryableByName)]
            struct Rowid {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let sql = format!("SELECT {of}(rowid) AS n FROM comments");
            db_run!(conn, |c| diesel::sql_query(&sql).get_result::<Rowid>(c))
                .unwrap()
                .n
        };
        let last_old = is_sqlite(&conn).then(|| rowid(&mut conn, "MAX"));
        let out = ws.ok(&["wave", "close", "Q4"]);
        assert!(
            out.contains(&format!("closed: {SHEETS} response(s) kept")),
            "{out}"
        );
        let closed = dump(&mut conn);
        assert_eq!(sheets_without_ids(&closed), open, "{backend:?}");
        assert!(
            closed["responses"]
                .iter()
                .all(|r| is_uuid_v4(field(r, "id"))),
            "{backend:?}: an old id is left"
        );
        assert_eq!(count(&mut conn, "comments"), SHEETS.div_ceil(7) as i64);
        // Every moved comment is numbered past every old one: a comment numbered below the
        // last-submitted one would tell which chunk that one's sheet was shuffled into.
        if let Some(last_old) = last_old {
            let first_new = rowid(&mut conn, "MIN");
            assert!(first_new > last_old, "{first_new} <= {last_old}");
        }
    }
}

#[test]
fn the_real_server_logs_no_token_address_agent_or_answer() {
    const AGENT: &str = "LeakCheckAgent/7.7";
    const FORWARDED: &str = "203.0.113.77";
    const VALUE_MARKER: &str = "987654321";
    const ITEM_MARKER: &str = "leakcheck_item";
    for backend in backends() {
        let ws = workspace(backend);
        let tokens = open_wave(&ws, "Q4", "worklife-pulse", "2026-01-01", FAR);
        let log_path = ws.dir.path().join("serve.log");
        // The server listens on 127.0.0.2; the client connects from 127.0.0.1, so that
        // address in the log could only be the client's.
        let mut child = Command::new(worklife_bin())
            .args(["serve", "--bind", "127.0.0.2:0"])
            .current_dir(ws.dir.path())
            .env("WORKLIFE_METRICS_BIND", "")
            .env("WORKLIFE_DATABASE_URL", &ws.db.url)
            .env("WORKLIFE_OUTBOX_DIR", ws.outbox())
            .env("RUST_LOG", "debug")
            .env_remove("WORKLIFE_CONFIG")
            .env_remove("WORKLIFE_LOG_FORMAT")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("worklife listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "no address in {line:?}: {}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                )
            })
            .to_string();

        let agent = client();
        let send = |method: &str, path: &str, content_type: &str, body: &str| -> u16 {
            let url = format!("{address}{path}");
            let response = if method == "GET" {
                agent
                    .get(&url)
                    .header("User-Agent", AGENT)
                    .header("X-Forwarded-For", FORWARDED)
                    .header("Accept-Language", "de")
                    .call()
            } else {
                agent
                    .post(&url)
                    .header("User-Agent", AGENT)
                    .header("X-Forwarded-For", FORWARDED)
                    .content_type(content_type)
                    .send(body)
            };
            response.unwrap().status().as_u16()
        };
        let form = "application/x-www-form-urlencoded";
        let json = "application/json";
        let (t0, t1, t2) = (&tokens[0], &tokens[1], &tokens[2]);
        let unknown = "B".repeat(51);
        let statuses = [
            send("GET", &format!("/s/{t0}?lang=de"), "", ""),
            send("GET", &format!("/s/{t0}?lang=%ZZ&x"), "", ""),
            send(
                "POST",
                &format!("/s/{t0}"),
                form,
                &format!("p_wl1={VALUE_MARKER}"),
            ),
            send(
                "POST",
                &format!("/s/{t0}"),
                form,
                &format!("{ITEM_MARKER}=3"),
            ),
            send("POST", &format!("/s/{t0}"), form, PULSE_ANSWERS),
            send("POST", &format!("/s/{t0}"), form, PULSE_ANSWERS),
            send(
                "POST",
                "/api/v1/responses",
                json,
                &format!(r#"{{"token":"{t1}","answers":{{"p_wl1":{VALUE_MARKER}}}}}"#),
            ),
            send(
                "POST",
                "/api/v1/responses",
                json,
                &format!(r#"{{"token":"{t1}","answers":{{"p_wl1":"{VALUE_MARKER}"}}}}"#),
            ),
            send(
                "POST",
                "/api/v1/responses",
                json,
                &format!(r#"{{"token":"{t1}","answers":{{"p_wl1":4}}}}"#),
            ),
            send(
                "POST",
                "/api/v1/responses",
                json,
                &format!(r#"{{"token":"{t1}","answers":{{"p_wl1":4}}}}"#),
            ),
            send("GET", &format!("/s/{unknown}"), "", ""),
            send("GET", &format!("/nowhere/{t2}?token={t2}"), "", ""),
            send(
                "POST",
                &format!("/s/{t2}"),
                "text/plain",
                &format!("{t2} {VALUE_MARKER}"),
            ),
        ];
        assert_eq!(
            statuses,
            [200, 200, 400, 400, 200, 410, 400, 400, 201, 410, 404, 404, 400],
            "{backend:?}"
        );
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(&log_path).unwrap();

        // The log is not silent: requests are there, by route template and status.
        for expected in [
            "/s/{token}",
            "/api/v1/responses",
            "unmatched",
            "http.status_code=200",
            "http.status_code=410",
            "http.status_code=201",
        ] {
            assert!(
                log.contains(expected),
                "{backend:?}: log lacks {expected:?}:\n{log}"
            );
        }
        let mut secrets: Vec<String> = vec![
            AGENT.into(),
            FORWARDED.into(),
            "127.0.0.1".into(),
            VALUE_MARKER.into(),
            ITEM_MARKER.into(),
            "p_wl1".into(),
            "p_ex1".into(),
            unknown.clone(),
            tokens::hash(&unknown),
        ];
        for t in &tokens {
            secrets.push(t.clone());
            secrets.push(tokens::hash(t));
        }
        for secret in &secrets {
            assert!(
                !log.contains(secret.as_str()),
                "{backend:?}: the log carries {secret:?}:\n{log}"
            );
        }
    }
}
