//! The schedule as `worklife serve` runs it, end to end with a real process on the wall clock
//! and a loopback SMTP server: a wave a few seconds ahead is opened, reminded (only those who
//! have not answered) and closed by the server, each exactly once, and its quarterly
//! follow-up is scheduled once. SQLite only: the schedule's rules, and two servers ticking
//! together on PostgreSQL, are checked on a moved clock in `schedule_clock`; three real
//! replicas on PostgreSQL in `replicas`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use worklife_tests::mail_common::*;
use worklife_tests::smtp::SmtpSink;
use worklife_tests::{Backend, Workspace};

fn wait_until(t: chrono::DateTime<Utc>) {
    let left = (t - Utc::now()).num_milliseconds();
    if left > 0 {
        std::thread::sleep(Duration::from_millis(left as u64));
    }
}

#[test]
fn the_server_opens_reminds_and_closes_a_scheduled_wave_exactly_once() {
    for backend in [Backend::Sqlite] {
        let Some(sink) = SmtpSink::start() else {
            return;
        };
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster(10))]);
        let opens = Utc::now() + chrono::Duration::seconds(5);
        let closes = opens + chrono::Duration::seconds(12);
        let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
        let out = ws.ok(&[
            "wave",
            "create",
            "Pulse",
            "--instrument",
            "worklife-pulse",
            "--opens",
            &fmt(opens),
            "--closes",
            &fmt(closes),
            "--min-group-size",
            "3",
            "--every",
            "quarter",
            "--reminders",
            "50%",
        ]);
        let reminder = opens + chrono::Duration::seconds(6);
        assert!(
            out.contains(&format!("reminders: {}", fmt(reminder))),
            "{out}"
        );
        let env = [sink.env(), quick()].concat();
        let servers: Vec<Served> = match backend {
            Backend::Postgres => vec![serve(&ws, &env), serve(&ws, &env)],
            Backend::Sqlite => vec![serve(&ws, &env)],
        };
        assert!(sink.messages().is_empty(), "nothing before opening");

        let invitations = sink.wait_for(10, Duration::from_secs(20));
        assert_eq!(invitations.len(), 10, "{backend:?}");
        assert!(
            Utc::now() < reminder,
            "the test machine is too slow for this window"
        );
        let answered: Vec<String> = (0..3).map(email).collect();
        for m in &invitations {
            if answered.contains(&m.to) {
                let url = format!("{}/s/{}", servers[0].address, m.tokens()[0]);
                assert_eq!(submit(&url), 200);
            }
        }

        wait_until(reminder + chrono::Duration::seconds(3));
        let all = sink.messages();
        let reminded: HashSet<String> = all
            .iter()
            .filter(|m| m.is_reminder())
            .map(|m| m.to.clone())
            .collect();
        assert_eq!(reminded, (3..10).map(email).collect(), "{backend:?}");
        assert_eq!(all.len(), 17, "{backend:?}: each reminder once");

        wait_until(closes + chrono::Duration::seconds(2));
        let status = ws.ok(&["wave", "status", "Pulse"]);
        assert!(status.contains("wave \"Pulse\" (closed)"), "{status}");
        assert_eq!(
            mail_line(&status),
            "emails: 17 sent, 0 pending, 0 failed permanently"
        );
        assert_eq!(sink.messages().len(), 17);
        let list = ws.ok(&["wave", "list"]);
        let next = (opens.date_naive() + chrono::Months::new(3))
            .format("%Y-%m")
            .to_string();
        assert!(
            list.contains(&format!("Pulse {next}")) && list.contains("scheduled"),
            "{list}"
        );
        assert_eq!(list.lines().count(), 3, "one follow-up only: {list}");
        drop(servers);
    }
}
