//! Operations, on the real binary and both databases: readiness, Prometheus metrics that
//! never carry a token (A4), graceful shutdown on SIGTERM, and online SQLite backups.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use worklife_server::db_run;
use worklife_tests::ops_common::{
    client, count, get, pulse_items, submission, submit, wave_of, Served,
};
use worklife_tests::{backends, Backend, Workspace};

#[test]
fn readyz_answers_503_while_a_migration_is_pending_and_healthz_stays_alive() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let served = Served::start(&ws);
        assert_eq!(get(&served.address, "/readyz"), (200, "ready".into()));
        assert_eq!(get(&served.address, "/healthz"), (200, "ok".into()));

        // Forget the newest migration, as if the binary were newer than the database.
        let pool = ws.pool();
        let mut conn = pool.get().unwrap();
        db_run!(conn, |c| c.batch_execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = \
             (SELECT MAX(version) FROM __diesel_schema_migrations)"
        ))
        .unwrap();
        assert_eq!(
            get(&served.address, "/readyz"),
            (503, "migrations pending: run `worklife migrate`".into()),
            "{backend:?}"
        );
        assert_eq!(get(&served.address, "/healthz"), (200, "ok".into()));
    }
}

#[test]
fn metrics_count_submissions_by_route_template_on_their_own_listener_and_never_show_the_token() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let tokens = wave_of(&ws, 3);
        let items = pulse_items();
        let served = Served::start(&ws);
        let agent = client();
        assert_eq!(
            submit(&agent, &served.address, &submission(&tokens[0], &items)).unwrap(),
            201
        );
        assert_eq!(
            submit(&agent, &served.address, &submission(&tokens[0], &items)).unwrap(),
            410
        );
        assert_eq!(get(&served.address, &format!("/s/{}", tokens[1])).0, 200);

        // Not on the application port: live counts of submissions and failed logins are for
        // monitoring only.
        assert_eq!(get(&served.address, "/metrics").0, 404, "{backend:?}");
        let (status, body) = get(&served.metrics_address, "/metrics");
        assert_eq!(status, 200);
        for line in [
            "worklife_submissions_total 1",
            "worklife_http_requests_total{route=\"/api/v1/responses\",method=\"POST\",status=\"201\"} 1",
            "worklife_http_requests_total{route=\"/api/v1/responses\",method=\"POST\",status=\"410\"} 1",
            "worklife_http_requests_total{route=\"/s/{token}\",method=\"GET\",status=\"200\"} 1",
            "worklife_http_request_duration_seconds_count{route=\"/api/v1/responses\",method=\"POST\"} 2",
            // Fed by the mail worker; its value depends on the mail side.
            "worklife_outbox_pending ",
            "worklife_db_pool_max_connections ",
        ] {
            assert!(
                body.lines().any(|l| l.starts_with(line)),
                "{backend:?}: no line starting {line:?} in:\n{body}"
            );
        }
        assert!(
            body.contains("worklife_db_pool_connections ")
                && body.contains("worklife_db_pool_idle_connections "),
            "{body}"
        );
        for token in &tokens {
            assert!(!body.contains(token.as_str()), "a token in /metrics");
        }
    }
}

/// Sends a POST's headers and half its body, so the request is in flight until the rest.
fn half_sent_submission(address: &str, body: &str) -> (TcpStream, String) {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    write!(
        stream,
        "POST /api/v1/responses HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    (stream, rest.to_string())
}

#[test]
fn sigterm_lets_requests_in_flight_finish_then_exits_0() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let tokens = wave_of(&ws, 2);
        let items = pulse_items();
        let mut served = Served::start(&ws);
        let (mut stream, rest) =
            half_sent_submission(&served.address, &submission(&tokens[0], &items));
        std::thread::sleep(Duration::from_millis(200));

        served.signal("TERM");
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            served.child.try_wait().unwrap().is_none(),
            "{backend:?}: exited with a request in flight"
        );
        // No new connections once stopping.
        assert!(
            submit(&client(), &served.address, &submission(&tokens[1], &items)).is_err(),
            "{backend:?}: a new request was accepted after SIGTERM"
        );

        stream.write_all(rest.as_bytes()).unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        assert!(
            reply.starts_with("HTTP/1.1 201"),
            "{backend:?}: in-flight request: {reply}"
        );
        let status = served
            .wait_for_exit(Duration::from_secs(10))
            .expect("still running 10 s after SIGTERM");
        assert_eq!(status.code(), Some(0), "{backend:?}");
        assert_eq!(count(&ws, "responses", ""), 1, "{backend:?}");
    }
}

#[test]
fn sigint_on_an_idle_server_exits_0_at_once() {
    let ws = Workspace::new(Backend::Sqlite);
    let mut served = Served::start(&ws);
    served.signal("INT");
    let status = served
        .wait_for_exit(Duration::from_secs(5))
        .expect("still running 5 s after SIGINT");
    assert_eq!(status.code(), Some(0));
}

#[derive(QueryableByName)]
struct Integrity {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count_in(c: &mut SqliteConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).load::<N>(c).unwrap()[0].n
}

#[test]
fn backup_while_submissions_run_is_consistent_and_holds_what_was_committed_before() {
    let ws = Workspace::new(Backend::Sqlite);
    let tokens = wave_of(&ws, 120);
    let items = pulse_items();
    let served = Served::start(&ws);
    let address = served.address.clone();
    let items_for_load = items.clone();
    let load = std::thread::spawn(move || {
        let agent = client();
        for t in &tokens {
            assert_eq!(
                submit(&agent, &address, &submission(t, &items_for_load)).unwrap(),
                201
            );
        }
    });
    while count(&ws, "responses", "") < 30 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = count(&ws, "responses", "");
    let file = ws.dir.path().join("backup.db");
    let out = ws.ok(&["backup", file.to_str().unwrap()]);
    let after = count(&ws, "responses", "");
    assert!(out.starts_with("backed up the database to "), "{out}");
    load.join().unwrap();

    let mut copy = SqliteConnection::establish(file.to_str().unwrap()).unwrap();
    let check: Vec<Integrity> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut copy)
        .unwrap();
    assert_eq!(check.len(), 1);
    assert_eq!(check[0].integrity_check, "ok");
    let stored = count_in(&mut copy, "SELECT COUNT(*) AS n FROM responses");
    assert!(
        (before..=after).contains(&stored),
        "{before} <= {stored} <= {after}"
    );
    assert!(
        after < 120,
        "the load ended before the backup; nothing was tested"
    );
    // Whole sheets only: every stored response has all its answers, every consumed
    // invitation its response.
    assert_eq!(
        count_in(&mut copy, "SELECT COUNT(*) AS n FROM answers"),
        stored * items.len() as i64
    );
    assert_eq!(
        count_in(
            &mut copy,
            "SELECT COUNT(*) AS n FROM invitations WHERE responded = 1"
        ),
        stored
    );

    // An existing file is kept unless --force.
    let refused = ws.worklife(&["backup", file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr).trim(),
        format!(
            "error: {} exists; pass --force to replace it",
            file.display()
        )
    );
    let out = ws.ok(&["backup", "--force", file.to_str().unwrap()]);
    assert!(out.starts_with("backed up the database to "), "{out}");
    // Readable by its owner only (it holds answers and the roster).
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }
    // --force never replaces the live database with a copy of itself.
    let onto_itself = ws.worklife(&["backup", "--force", &ws.db.url]);
    assert_eq!(onto_itself.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&onto_itself.stderr).contains("is the database itself"));
    let mut copy = SqliteConnection::establish(file.to_str().unwrap()).unwrap();
    assert_eq!(
        count_in(&mut copy, "SELECT COUNT(*) AS n FROM responses"),
        120
    );
}

#[test]
fn backup_on_postgresql_points_to_pg_dump() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let ws = Workspace::new(Backend::Postgres);
    let file = ws.dir.path().join("backup.db");
    let out = ws.worklife(&["backup", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pg_dump") && err.contains("pg_restore"),
        "{err}"
    );
    assert!(!err.contains(&ws.db.url), "the database URL leaked: {err}");
    assert!(!file.exists());
}

#[test]
fn the_database_its_wal_the_outbox_and_backups_are_created_for_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    // The workspace only lends its folder: the database here is new, made by the binary.
    let ws = Workspace::new(Backend::Sqlite);
    let dir = &ws.dir;
    let db = dir.path().join("fresh.db");
    let outbox = dir.path().join("outbox");
    // Started with the usual umask 022, which would leave every file readable by all.
    let run = |args: &str| {
        let out = Command::new("sh")
            .args([
                "-c",
                &format!("umask 022; exec \"$0\" {args}"),
                worklife_tests::worklife_bin().to_str().unwrap(),
            ])
            .current_dir(dir.path())
            .env("WORKLIFE_DATABASE_URL", &db)
            .env("WORKLIFE_OUTBOX_DIR", &outbox)
            .env_remove("WORKLIFE_CONFIG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.path().join("roster.csv"),
        worklife_tests::mail_common::roster(3),
    )
    .unwrap();
    run("roster import roster.csv");
    run("wave create Q1 --instrument worklife-pulse --opens 2026-01-01 --closes 2099-01-01 --min-group-size 3");
    run("wave open Q1");
    run("backup copy.db");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let emails: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(emails.len(), 3, "one invitation each");
    let mut files = vec![db.clone(), dir.path().join("copy.db")];
    for suffix in ["-wal", "-shm"] {
        let p = dir.path().join(format!("fresh.db{suffix}"));
        if p.exists() {
            files.push(p);
        }
    }
    files.extend(emails);
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    assert_eq!(mode(&outbox), 0o700);
}
