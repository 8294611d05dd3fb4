//! The schedule, end to end with real `worklife serve` processes and a loopback SMTP server:
//! a wave a few seconds ahead is opened, reminded (only those who have not answered) and
//! closed by the server, each exactly once (two servers on PostgreSQL), and its quarterly
//! follow-up is scheduled once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use worklife_tests::mail_common::*;
use worklife_tests::smtp::SmtpSink;
use worklife_tests::{backends, Backend, Workspace};

fn wait_until(t: chrono::DateTime<Utc>) {
    let left = (t - Utc::now()).num_milliseconds();
    if left > 0 {
        std::thread::sleep(Duration::from_millis(left as u64));
    }
}

#[test]
fn the_server_opens_reminds_and_closes_a_scheduled_wave_exactly_once() {
    for backend in backends() {
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
        let servers: Vec<Server> = match backend {
            Backend::Postgres => vec![Server::start(&ws, &env), Server::start(&ws, &env)],
            Backend::Sqlite => vec![Server::start(&ws, &env)],
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

#[test]
fn a_follow_up_that_cannot_be_made_holds_up_neither_reminders_nor_the_close() {
    // Step isolation does not depend on the database: SQLite only.
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let ws = Workspace::new(Backend::Sqlite);
    let with_tenure: String = roster(10)
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l},tenure\n"),
            _ => format!("{l},{}\n", if i % 2 == 0 { "short" } else { "long" }),
        })
        .collect();
    ws.ok(&["roster", "import", &ws.write("tenure.csv", &with_tenure)]);
    let opens = Utc::now() + chrono::Duration::seconds(4);
    let closes = opens + chrono::Duration::seconds(8);
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    ws.ok(&[
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
        "--attribute",
        "tenure",
        "--every",
        "quarter",
        "--reminders",
        "50%",
    ]);
    // HR drops the column: the follow-up (same attributes) can no longer be created.
    ws.ok(&["roster", "import", &ws.write("plain.csv", &roster(10))]);
    let _server = Server::start(&ws, &[sink.env(), quick()].concat());

    wait_until(closes + chrono::Duration::seconds(3));
    let all = sink.messages();
    assert_eq!(all.iter().filter(|m| !m.is_reminder()).count(), 10);
    assert_eq!(
        all.iter().filter(|m| m.is_reminder()).count(),
        10,
        "the reminder went out"
    );
    let status = ws.ok(&["wave", "status", "Pulse"]);
    assert!(status.contains("wave \"Pulse\" (closed)"), "{status}");
    let list = ws.ok(&["wave", "list"]);
    assert_eq!(list.lines().count(), 2, "no follow-up: {list}");
}

#[test]
fn a_follow_up_left_without_its_schedule_by_a_crash_is_scheduled() {
    // A crash between creating the next wave of a series and scheduling it leaves the next
    // wave unscheduled; the next tick finishes the job instead of leaving it closed forever.
    let ws = Workspace::new(Backend::Sqlite);
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster(6))]);
    let opens = Utc::now() + chrono::Duration::seconds(2);
    let closes = opens + chrono::Duration::days(10);
    let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let create =
        |name: &str, opens: chrono::DateTime<Utc>, closes: chrono::DateTime<Utc>, every: bool| {
            let (o, c) = (fmt(opens), fmt(closes));
            let mut args = vec![
                "wave",
                "create",
                name,
                "--instrument",
                "worklife-pulse",
                "--opens",
                &o,
                "--closes",
                &c,
                "--min-group-size",
                "3",
            ];
            if every {
                args.extend(["--every", "quarter"]);
            }
            ws.ok(&args);
        };
    create("Pulse", opens, closes, true);
    // The follow-up as the crashed replica left it: created, not scheduled.
    let (next_opens, next_closes) = (
        opens.checked_add_months(chrono::Months::new(3)).unwrap(),
        closes.checked_add_months(chrono::Months::new(3)).unwrap(),
    );
    let next = format!("Pulse {}", next_opens.format("%Y-%m"));
    create(&next, next_opens, next_closes, false);
    let schedules = |ws: &Workspace| -> i64 {
        let mut conn = ws.pool().get().unwrap();
        worklife_server::db_run!(&mut conn, |c| {
            use diesel::prelude::*;
            use worklife_server::db::schema::wave_schedules;
            wave_schedules::table.count().get_result::<i64>(c).unwrap()
        })
    };
    assert_eq!(schedules(&ws), 1);
    let _server = Server::start(&ws, &quick());
    wait_until(opens + chrono::Duration::seconds(3));
    let list = ws.ok(&["wave", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("Pulse ") && l.contains("open")),
        "{list}"
    );
    assert_eq!(schedules(&ws), 2, "the follow-up is scheduled now: {list}");
    assert_eq!(list.lines().count(), 3, "and not created twice: {list}");
}
