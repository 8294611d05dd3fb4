//! Shared by the `mail_*` tests: rosters, HTTP, and `worklife serve` processes with SMTP.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::smtp::SmtpSink;
use crate::Workspace;
pub use crate::{client, Served};

/// `n` people spread over ten teams.
pub fn roster(n: usize) -> String {
    let mut s = String::from("email,unit\n");
    for i in 0..n {
        s.push_str(&format!("p{i:04}@example.org,Acme/T{}\n", i % 10));
    }
    s
}

pub fn email(i: usize) -> String {
    format!("p{i:04}@example.org")
}

/// A workspace with `n` people and an open-ended wave `name` created (not opened).
pub fn workspace(backend: crate::Backend, n: usize, name: &str) -> Workspace {
    let ws = Workspace::new(backend);
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster(n))]);
    ws.ok(&[
        "wave",
        "create",
        name,
        "--instrument",
        "worklife-pulse",
        "--opens",
        "2026-01-01",
        "--closes",
        "2099-01-01",
        "--min-group-size",
        "3",
    ]);
    ws
}

/// Runs `worklife` with the sink's SMTP settings (and `extra`), asserting success.
pub fn run(ws: &Workspace, sink: &SmtpSink, args: &[&str], extra: &[(&str, String)]) -> String {
    let mut env = sink.env();
    env.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
    let o = ws.worklife_env(args, &env);
    assert!(
        o.status.success(),
        "worklife {args:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn get_status(url: &str) -> u16 {
    client().get(url).call().unwrap().status().as_u16()
}

/// Submits one answer through the form; returns the status.
pub fn submit(url: &str) -> u16 {
    client()
        .post(url)
        .content_type("application/x-www-form-urlencoded")
        .send("lang=en&p_wl1=4")
        .unwrap()
        .status()
        .as_u16()
}

/// A `worklife serve` process with the mail tests' settings (`env`) and a quiet JSON log.
pub fn serve(ws: &Workspace, env: &[(&str, String)]) -> Served {
    let mut all = vec![
        ("WORKLIFE_LOG_FORMAT", "json".to_string()),
        ("RUST_LOG", "warn".to_string()),
    ];
    all.extend(env.iter().cloned());
    Served::start_with(ws, &all)
}

/// Settings that make the worker and scheduler quick, for tests.
pub fn quick() -> Vec<(&'static str, String)> {
    vec![
        ("WORKLIFE_MAIL__POLL_MS", "100".into()),
        ("WORKLIFE_MAIL__TICK_MS", "200".into()),
        ("WORKLIFE_MAIL__RETRY_BASE_SECS", "1".into()),
        ("WORKLIFE_MAIL__RETRY_CAP_SECS", "2".into()),
    ]
}

/// `emails: ...` line of `wave status`.
pub fn mail_line(status: &str) -> String {
    status
        .lines()
        .find(|l| l.starts_with("emails:"))
        .unwrap_or_default()
        .to_string()
}

/// The last error of every outbox row that has one.
pub fn last_errors(ws: &Workspace) -> Vec<String> {
    let mut conn = ws.pool().get().unwrap();
    worklife_server::db_run!(&mut conn, |c| {
        use diesel::prelude::*;
        use worklife_server::db::schema::outbox;
        outbox::table
            .filter(outbox::last_error.is_not_null())
            .select(outbox::last_error.assume_not_null())
            .load::<String>(c)
            .unwrap()
    })
}
