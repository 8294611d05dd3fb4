//! The schedule and the outbox on a manual clock, moved instead of waited for: a scheduled
//! wave opens at its opening time (not before), reminds only those who have not answered at
//! the reminder time, closes at its closing time, schedules its quarterly follow-up, and
//! sends nothing once closed, nor past a closing time nobody acted on yet. Each step happens
//! once even when two servers tick at the same moment. (The real `serve` processes run the
//! same schedule in `mail_schedule`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDateTime};
use worklife_server::clock::Clock;
use worklife_server::mail::outbox::Worker;
use worklife_server::mail::schedule::{self, Tick};
use worklife_server::survey::responses::{self, InstrumentCache};
use worklife_server::survey::waves;
use worklife_tests::mail_common::{email, roster};
use worklife_tests::{backends, token_of, Workspace};

/// The recipient of each email in the workspace's outbox (the file transport's `.eml`s).
fn recipients(ws: &Workspace) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(ws.outbox()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        if let Some(to) = text.lines().find_map(|l| l.strip_prefix("To: ")) {
            out.push(to.trim().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn a_scheduled_wave_opens_reminds_and_closes_on_time_once_as_the_clock_moves() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster(10))]);
        // A wave two days ahead of the real clock, open for two weeks, a reminder halfway.
        let start = worklife_server::clock::now();
        let opens = (start + Duration::days(2))
            .date()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let closes = opens + Duration::days(14);
        let extra = ["--every", "quarter", "--reminders", "50%"];
        create(&ws, "Pulse", opens, closes, &extra);
        let reminder = opens + Duration::days(7);

        let clock = Clock::manual(start);
        let pool = ws.pool();
        let worker = Worker::new(pool.clone(), &ws.settings())
            .unwrap()
            .with_clock(clock.clone());
        // Two servers on PostgreSQL tick at the same moments; SQLite is served by one.
        let servers = if backend == worklife_tests::Backend::Postgres {
            2
        } else {
            1
        };
        let tick = || {
            let mut total = Tick::default();
            for _ in 0..servers {
                let t = schedule::tick(&pool, &clock).unwrap();
                total.opened += t.opened;
                total.reminders += t.reminders;
                total.closed += t.closed;
                total.failed += t.failed;
            }
            worker.drain().unwrap();
            total
        };

        // A second before opening: nothing.
        clock.advance(opens - start - Duration::seconds(1));
        assert_eq!(tick(), Tick::default(), "{backend:?}");
        assert!(recipients(&ws).is_empty());

        // At the opening time: ten invitations, once.
        clock.advance(Duration::seconds(1));
        assert_eq!(tick().opened, 1, "{backend:?}");
        let everyone: Vec<String> = (0..10).map(email).collect();
        assert_eq!(recipients(&ws), everyone, "{backend:?}");
        assert_eq!(tick(), Tick::default());

        // Three answer on the first day.
        clock.advance(Duration::hours(5));
        let mut conn = pool.get().unwrap();
        let cache = InstrumentCache::default();
        let wave = waves::find(&mut conn, "Pulse").unwrap();
        let instrument = cache.get(&mut conn, &wave.instrument).unwrap();
        let answers: BTreeMap<String, Option<i32>> = instrument
            .items
            .iter()
            .map(|item| (item.id.clone(), Some(3)))
            .collect();
        let links: BTreeMap<String, String> = invitation_links(&ws);
        for who in everyone.iter().take(3) {
            let token = token_of(&links[who]);
            responses::submit_answers(&mut conn, &cache, &token, &answers, clock.now()).unwrap();
        }

        // Just before the reminder time nothing more; at it, the seven others, once.
        clock.advance(reminder - clock.now() - Duration::seconds(1));
        assert_eq!(tick(), Tick::default(), "{backend:?}");
        clock.advance(Duration::seconds(1));
        assert_eq!(
            tick().reminders,
            7,
            "{backend:?}: the seven who have not answered"
        );
        let mut expected: Vec<String> = everyone.clone();
        expected.extend(everyone[3..].iter().cloned());
        expected.sort();
        assert_eq!(
            recipients(&ws),
            expected,
            "{backend:?}: reminders to the 7 others"
        );
        assert_eq!(tick(), Tick::default());

        // At the closing time: closed once, its follow-up a quarter later scheduled once.
        clock.advance(closes - clock.now());
        assert_eq!(tick().closed, 1, "{backend:?}");
        assert_eq!(tick(), Tick::default());
        let list = ws.ok(&["wave", "list"]);
        let next = (opens.date() + chrono::Months::new(3))
            .format("%Y-%m")
            .to_string();
        assert!(
            list.contains(&format!("Pulse {next}")) && list.contains("scheduled"),
            "{list}"
        );
        assert_eq!(list.lines().count(), 3, "one follow-up only: {list}");
        let status = ws.ok(&["wave", "status", "Pulse"]);
        assert!(status.contains("wave \"Pulse\" (closed)"), "{status}");
        assert_eq!(recipients(&ws).len(), 17, "nothing after the close");
    }
}

/// Each invitee's answer link, read from the invitation emails.
fn invitation_links(ws: &Workspace) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for e in std::fs::read_dir(ws.outbox()).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let to = text.lines().find_map(|l| l.strip_prefix("To: "));
        let link = text.lines().find(|l| l.contains("/s/") && !l.contains('<'));
        if let (Some(to), Some(link)) = (to, link) {
            if seen.insert(to.trim().to_string()) {
                out.insert(to.trim().to_string(), link.trim().to_string());
            }
        }
    }
    out
}

/// A wave of `worklife-pulse` created through the CLI; `extra` adds flags.
fn create(ws: &Workspace, name: &str, opens: NaiveDateTime, closes: NaiveDateTime, extra: &[&str]) {
    let fmt = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
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
    args.extend(extra);
    ws.ok(&args);
}

/// A day ahead of the real clock at 09:00, so the CLI takes it as a future opening time.
fn tomorrow_nine() -> NaiveDateTime {
    (worklife_server::clock::now() + Duration::days(1))
        .date()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

#[test]
fn a_follow_up_that_cannot_be_made_holds_up_neither_reminders_nor_the_close() {
    // Step isolation does not depend on the database: SQLite only.
    let ws = Workspace::new(worklife_tests::Backend::Sqlite);
    let with_tenure: String = roster(10)
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{l},tenure\n"),
            _ => format!("{l},{}\n", if i % 2 == 0 { "short" } else { "long" }),
        })
        .collect();
    ws.ok(&["roster", "import", &ws.write("tenure.csv", &with_tenure)]);
    let opens = tomorrow_nine();
    let closes = opens + Duration::days(10);
    let extra = [
        "--attribute",
        "tenure",
        "--every",
        "quarter",
        "--reminders",
        "50%",
    ];
    create(&ws, "Pulse", opens, closes, &extra);
    // HR drops the column: the follow-up (same attributes) can no longer be created.
    ws.ok(&["roster", "import", &ws.write("plain.csv", &roster(10))]);

    let clock = Clock::manual(opens);
    let pool = ws.pool();
    let worker = Worker::new(pool.clone(), &ws.settings())
        .unwrap()
        .with_clock(clock.clone());
    let tick = || {
        let t = schedule::tick(&pool, &clock).unwrap();
        worker.drain().unwrap();
        t
    };
    assert_eq!(tick().opened, 1);
    clock.advance(Duration::days(5));
    assert_eq!(tick().reminders, 10, "the reminder went out");
    clock.advance(Duration::days(5));
    let closing = tick();
    assert_eq!(closing.closed, 1, "{closing:?}");
    assert_eq!(
        closing.failed, 1,
        "the follow-up step failed and was counted"
    );
    assert_eq!(recipients(&ws).len(), 20);
    let status = ws.ok(&["wave", "status", "Pulse"]);
    assert!(status.contains("wave \"Pulse\" (closed)"), "{status}");
    let list = ws.ok(&["wave", "list"]);
    assert_eq!(list.lines().count(), 2, "no follow-up: {list}");
}

#[test]
fn a_follow_up_left_without_its_schedule_by_a_crash_is_scheduled() {
    // A crash between creating the next wave of a series and scheduling it leaves the next
    // wave unscheduled; the next tick finishes the job instead of leaving it closed forever.
    let ws = Workspace::new(worklife_tests::Backend::Sqlite);
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster(6))]);
    let opens = tomorrow_nine();
    let closes = opens + Duration::days(10);
    create(&ws, "Pulse", opens, closes, &["--every", "quarter"]);
    // The follow-up as the crashed replica left it: created, not scheduled.
    let quarter = chrono::Months::new(3);
    let (next_opens, next_closes) = (
        opens.checked_add_months(quarter).unwrap(),
        closes.checked_add_months(quarter).unwrap(),
    );
    let next = format!("Pulse {}", next_opens.format("%Y-%m"));
    create(&ws, &next, next_opens, next_closes, &[]);
    let schedules = || -> i64 {
        let mut conn = ws.pool().get().unwrap();
        worklife_server::db_run!(&mut conn, |c| {
            use diesel::prelude::*;
            use worklife_server::db::schema::wave_schedules;
            wave_schedules::table.count().get_result::<i64>(c).unwrap()
        })
    };
    assert_eq!(schedules(), 1);
    let clock = Clock::manual(opens);
    let t = schedule::tick(&ws.pool(), &clock).unwrap();
    assert_eq!(t.opened, 1, "{t:?}");
    let list = ws.ok(&["wave", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("Pulse ") && l.contains("open")),
        "{list}"
    );
    assert_eq!(schedules(), 2, "the follow-up is scheduled now: {list}");
    assert_eq!(list.lines().count(), 3, "and not created twice: {list}");
}

#[test]
fn nothing_goes_out_once_the_wave_closing_time_has_passed() {
    // A wave whose closing time passed but that nobody closed yet: queued invitations would
    // carry links that already say "closed", so the worker settles them unsent.
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster(5))]);
        let now = worklife_server::clock::now();
        let opens = now - Duration::days(1);
        let closes = now + Duration::hours(1);
        create(&ws, "Late", opens, closes, &[]);
        ws.ok(&["wave", "open", "Late", "--no-send"]);
        let clock = Clock::manual(closes + Duration::seconds(1));
        let worker = Worker::new(ws.pool(), &ws.settings())
            .unwrap()
            .with_clock(clock);
        let round = worker.drain().unwrap();
        assert_eq!((round.claimed, round.sent), (5, 0), "{backend:?}");
        assert!(recipients(&ws).is_empty());
        let status = ws.ok(&["wave", "status", "Late"]);
        assert!(
            status.contains("emails: 0 sent, 0 pending, 0 failed permanently"),
            "{backend:?}: {status}"
        );
    }
}
