//! Delivery through a real SMTP server on loopback, on SQLite and PostgreSQL: every
//! invitation arrives once with a working link, SMTP outages are ridden out, two servers
//! never send an email twice, reminders reach only those who have not answered, permanent
//! failures show in `wave status`, and a closed wave keeps no per-person mail record (A3).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use worklife_tests::mail_common::*;
use worklife_tests::smtp::SmtpSink;
use worklife_tests::{backends, spawn_app, Backend, Workspace};

#[test]
fn five_hundred_invitations_arrive_once_each_and_every_link_works() {
    for backend in backends() {
        let Some(sink) = SmtpSink::start() else {
            return;
        };
        let ws = workspace(backend, 500, "Q1");
        let out = run(&ws, &sink, &["wave", "open", "Q1"], &[]);
        assert!(
            out.contains("500 email(s) sent to the SMTP server"),
            "{out}"
        );
        assert_eq!(sink.messages().len(), 500, "{backend:?}");
        let by_to = sink.by_recipient();
        let expected: HashSet<String> = (0..500).map(email).collect();
        for e in &expected {
            assert_eq!(by_to.get(e).map(Vec::len), Some(1), "{backend:?} {e}");
        }
        let app = spawn_app(ws);
        let mut tokens = HashSet::new();
        for e in &expected {
            let m = &by_to[e][0];
            assert!(m
                .text
                .contains("Subject: Your organisation: the Q1 worklife survey"));
            assert!(m.text.contains("Content-Type: text/html"), "HTML part");
            assert!(
                m.text.contains("at least 3 people"),
                "privacy statement with k"
            );
            let t = m.tokens();
            assert_eq!(t.len(), 1, "{backend:?}: one link per email");
            assert!(tokens.insert(t[0].clone()), "tokens differ");
            assert_eq!(get_status(&app.url(&format!("/s/{}", t[0]))), 200, "{e}");
        }
        // A second email to one invitee carries a fresh token; both open the same sheet,
        // and one submission retires both.
        let ws = &app.workspace;
        let out = run(ws, &sink, &["wave", "remind", "Q1"], &[]);
        assert!(out.contains("500 reminder(s) queued"), "{out}");
        let by_to = sink.by_recipient();
        let mine = &by_to[&email(7)];
        assert_eq!(mine.len(), 2, "{backend:?}");
        let all: Vec<String> = mine.iter().flat_map(|m| m.tokens()).collect();
        assert_eq!(all.len(), 2);
        assert_ne!(all[0], all[1]);
        for t in &all {
            assert_eq!(get_status(&app.url(&format!("/s/{t}"))), 200);
        }
        assert_eq!(submit(&app.url(&format!("/s/{}", all[1]))), 200);
        for t in &all {
            assert_eq!(get_status(&app.url(&format!("/s/{t}"))), 410, "{backend:?}");
        }
        assert_eq!(submit(&app.url(&format!("/s/{}", all[0]))), 410);
        // Plain tokens are stored nowhere: no outbox column holds one.
        let mut conn = ws.pool().get().unwrap();
        let errors: Vec<Option<String>> = worklife_server::db_run!(&mut conn, |c| {
            use diesel::prelude::*;
            use worklife_server::db::schema::outbox;
            outbox::table.select(outbox::last_error).load(c).unwrap()
        });
        assert_eq!(errors.len(), 1_000);
        assert!(errors.iter().all(Option::is_none));
    }
}

#[test]
fn an_smtp_outage_during_the_send_delays_but_loses_and_repeats_nothing() {
    for backend in backends() {
        let Some(mut sink) = SmtpSink::start() else {
            return;
        };
        let before = 0;
        let ws = workspace(backend, 40, "Q1");
        sink.down();
        let out = run(&ws, &sink, &["wave", "open", "Q1"], &quick());
        assert!(
            out.contains("0 email(s) sent") && out.contains("40 will be retried later"),
            "{out}"
        );
        let status = run(&ws, &sink, &["wave", "status", "Q1"], &[]);
        assert_eq!(
            mail_line(&status),
            "emails: 0 sent, 40 pending, 0 failed permanently"
        );
        sink.up();
        // The server's worker retries after the backoff (one second here).
        let _server = serve(&ws, &[sink.env(), quick()].concat());
        let got = sink.wait_for(before + 40, Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(1_500));
        let got_after = sink.messages();
        assert_eq!(got.len(), before + 40, "{backend:?}");
        assert_eq!(got_after.len(), before + 40, "none twice");
        let status = run(&ws, &sink, &["wave", "status", "Q1"], &[]);
        assert_eq!(
            mail_line(&status),
            "emails: 40 sent, 0 pending, 0 failed permanently"
        );
    }
}

#[test]
fn two_servers_on_one_postgresql_send_no_email_twice() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let ws = workspace(Backend::Postgres, 500, "Q1");
    run(&ws, &sink, &["wave", "open", "Q1", "--no-send"], &[]);
    let env = [
        sink.env(),
        quick(),
        vec![("WORKLIFE_MAIL__BATCH_SIZE", "20".to_string())],
    ]
    .concat();
    let a = serve(&ws, &env);
    let b = serve(&ws, &env);
    let got = sink.wait_for(500, Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(2));
    drop((a, b));
    assert_eq!(got.len(), 500);
    assert_eq!(sink.messages().len(), 500, "no duplicates");
    let by_to = sink.by_recipient();
    assert_eq!(by_to.len(), 500);
    assert!(by_to.values().all(|m| m.len() == 1));
}

#[test]
fn a_batch_slower_than_its_lease_is_not_sent_twice_by_another_server() {
    // A slow relay (300 ms a message, one connection) and a two-second lease: a worker's
    // batch of 20 would take six seconds. It sends for half its lease, hands the rest back,
    // and another server never claims an email the first may still be sending.
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    sink.slow_down(300);
    let ws = workspace(Backend::Postgres, 30, "Q1");
    run(&ws, &sink, &["wave", "open", "Q1", "--no-send"], &[]);
    let env = [
        sink.env(),
        quick(),
        vec![
            ("WORKLIFE_MAIL__BATCH_SIZE", "20".to_string()),
            ("WORKLIFE_MAIL__CONNECTIONS", "1".to_string()),
            ("WORKLIFE_MAIL__LEASE_SECS", "2".to_string()),
        ],
    ]
    .concat();
    let a = serve(&ws, &env);
    let b = serve(&ws, &env);
    let got = sink.wait_for(30, Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(3));
    drop((a, b));
    assert_eq!(got.len(), 30);
    let by_to = sink.by_recipient();
    let twice: Vec<&String> = by_to
        .iter()
        .filter(|(_, m)| m.len() > 1)
        .map(|(t, _)| t)
        .collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    assert_eq!(sink.messages().len(), 30);
    let status = run(&ws, &sink, &["wave", "status", "Q1"], &[]);
    assert_eq!(
        mail_line(&status),
        "emails: 30 sent, 0 pending, 0 failed permanently"
    );
}

#[test]
fn reminders_reach_only_those_who_have_not_answered() {
    for backend in backends() {
        let Some(sink) = SmtpSink::start() else {
            return;
        };
        let ws = workspace(backend, 10, "Q1");
        run(&ws, &sink, &["wave", "open", "Q1"], &[]);
        let invitations: HashMap<String, String> = sink
            .by_recipient()
            .into_iter()
            .filter(|(to, _)| to.starts_with('p'))
            .map(|(to, m)| (to, m[0].tokens()[0].clone()))
            .collect();
        let app = spawn_app(ws);
        let answered: Vec<String> = (0..3).map(email).collect();
        for e in &answered {
            assert_eq!(submit(&app.url(&format!("/s/{}", invitations[e]))), 200);
        }
        let before = sink.messages().len();
        let out = run(&app.workspace, &sink, &["wave", "remind", "Q1"], &[]);
        assert!(out.contains("7 reminder(s) queued"), "{out}");
        let reminders: Vec<_> = sink
            .messages()
            .into_iter()
            .filter(|m| m.is_reminder())
            .collect();
        assert_eq!(sink.messages().len() - before, 7);
        let to: HashSet<String> = reminders.iter().map(|m| m.to.clone()).collect();
        let expected: HashSet<String> = (3..10).map(email).collect();
        assert_eq!(to, expected, "{backend:?}");
        // After closing, no reminder can be asked for.
        run(&app.workspace, &sink, &["wave", "close", "Q1"], &[]);
        let o = app.workspace.worklife(&["wave", "remind", "Q1"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("not open"));
    }
}

#[test]
fn permanent_failures_show_in_wave_status_and_closing_keeps_only_counts() {
    for backend in backends() {
        let Some(sink) = SmtpSink::start() else {
            return;
        };
        sink.reject(&email(1));
        sink.reject(&email(2));
        sink.defer(&email(3));
        let ws = workspace(backend, 10, "Q1");
        let out = run(&ws, &sink, &["wave", "open", "Q1"], &quick());
        assert!(
            out.contains("7 email(s) sent")
                && out.contains("1 will be retried")
                && out.contains("2 failed permanently"),
            "{out}"
        );
        let status = run(&ws, &sink, &["wave", "status", "Q1"], &[]);
        assert_eq!(
            mail_line(&status),
            "emails: 7 sent, 1 pending, 2 failed permanently"
        );
        assert_eq!(outbox_rows(&ws), 10);
        let errors = last_errors(&ws);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors.iter().filter(|e| e.contains("550")).count(), 2);
        assert_eq!(errors.iter().filter(|e| e.contains("451")).count(), 1);
        assert!(
            errors.iter().all(|e| !e.contains("example.org")),
            "{errors:?}"
        );
        // A3: closing deletes every outbox row (who was mailed, who had not answered) and
        // every token; only the counts stay.
        run(&ws, &sink, &["wave", "close", "Q1"], &[]);
        assert_eq!(
            outbox_rows(&ws),
            0,
            "{backend:?}: a closed wave kept outbox rows"
        );
        let status = run(&ws, &sink, &["wave", "status", "Q1"], &[]);
        assert_eq!(
            mail_line(&status),
            "emails: 7 sent, 0 pending, 2 failed permanently"
        );
        let mut conn = ws.pool().get().unwrap();
        let per_person: i64 = worklife_server::db_run!(&mut conn, |c| {
            use diesel::prelude::*;
            use worklife_server::db::schema::{invitation_tokens, invitations, outbox};
            outbox::table.count().get_result::<i64>(c).unwrap()
                + invitations::table.count().get_result::<i64>(c).unwrap()
                + invitation_tokens::table
                    .count()
                    .get_result::<i64>(c)
                    .unwrap()
        });
        assert_eq!(per_person, 0, "{backend:?}");
    }
}

fn outbox_rows(ws: &Workspace) -> i64 {
    let mut conn = ws.pool().get().unwrap();
    worklife_server::db_run!(&mut conn, |c| {
        use diesel::prelude::*;
        use worklife_server::db::schema::outbox;
        outbox::table.count().get_result::<i64>(c).unwrap()
    })
}

#[test]
fn emails_claimed_by_a_dead_worker_are_sent_once_its_lease_runs_out() {
    for backend in backends() {
        let Some(sink) = SmtpSink::start() else {
            return;
        };
        let ws = workspace(backend, 5, "Q1");
        run(&ws, &sink, &["wave", "open", "Q1", "--no-send"], &[]);
        let claim_until = |minutes: i64| {
            let until = chrono::Utc::now().naive_utc() + chrono::Duration::minutes(minutes);
            let mut conn = ws.pool().get().unwrap();
            worklife_server::db_run!(&mut conn, |c| {
                use diesel::prelude::*;
                use worklife_server::db::schema::outbox;
                diesel::update(outbox::table)
                    .set((
                        outbox::state.eq("sending"),
                        outbox::claimed_by.eq(Some("a worker that died")),
                        outbox::claimed_until.eq(Some(until)),
                    ))
                    .execute(c)
                    .unwrap()
            })
        };
        assert_eq!(claim_until(60), 5);
        let out = run(&ws, &sink, &["mail", "send"], &[]);
        assert!(
            out.contains("0 email(s) sent"),
            "{backend:?}: lease held: {out}"
        );
        assert!(sink.messages().is_empty());
        claim_until(-1);
        let out = run(&ws, &sink, &["mail", "send"], &[]);
        assert!(out.contains("5 email(s) sent"), "{backend:?}: {out}");
        assert_eq!(sink.messages().len(), 5);
    }
}
