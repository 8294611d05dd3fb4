//! Three `worklife serve` replicas on one PostgreSQL (docs/architecture.md, scaling out): the schedule opens, reminds
//! and closes a wave exactly once between them, submissions driven through all three at once
//! (the same token often sent to two replicas together) are stored exactly once each, and
//! after closing every replica serves the same heat map.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use worklife_server::db::schema::{answers, responses, waves};
use worklife_server::db::DbConn;
use worklife_tests::mail_common::*;
use worklife_tests::smtp::SmtpSink;
use worklife_tests::{backends, Backend, Workspace};

const PEOPLE: usize = 60;

fn wait_until(t: chrono::DateTime<Utc>) {
    let left = (t - Utc::now()).num_milliseconds();
    if left > 0 {
        std::thread::sleep(Duration::from_millis(left as u64));
    }
}

fn get_body(url: &str, token: &str) -> (u16, String) {
    let mut r = client()
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap_or_default())
}

#[test]
fn three_replicas_share_the_schedule_the_submissions_and_the_heat_map() {
    if !backends().contains(&Backend::Postgres) {
        println!(
            "skipped: replicas need PostgreSQL ({})",
            worklife_tests::POSTGRES_ENV
        );
        return;
    }
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let ws = Workspace::new(Backend::Postgres);
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster(PEOPLE))]);
    let opens = Utc::now() + chrono::Duration::seconds(6);
    let closes = opens + chrono::Duration::seconds(24);
    let reminder = opens + chrono::Duration::seconds(12);
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
        "--every",
        "quarter",
        "--reminders",
        "50%",
    ]);
    ws.ok(&[
        "user",
        "add",
        "--email",
        "hr@example.org",
        "--role",
        "viewer",
    ]);
    let token = ws
        .ok(&["token", "create", "--user", "hr@example.org"])
        .trim()
        .to_string();
    let env = [sink.env(), quick()].concat();
    let replicas: Vec<Served> = (0..3).map(|_| serve(&ws, &env)).collect();

    // The schedule opens the wave once: one invitation per person.
    let invitations = sink.wait_for(PEOPLE, Duration::from_secs(30));
    assert_eq!(invitations.len(), PEOPLE);
    let by_person = sink.by_recipient();
    assert_eq!(by_person.len(), PEOPLE, "every person invited");
    assert!(
        by_person.values().all(|m| m.len() == 1),
        "nobody invited twice"
    );
    assert!(
        Utc::now() < reminder,
        "the test machine is too slow for this window"
    );

    // Two thirds answer, through all three replicas at once; every token is also sent to a
    // second replica at the same moment.
    let answering: Vec<(usize, String)> = invitations
        .iter()
        .filter(|m| {
            let n: usize = m.to[1..5].parse().unwrap();
            !n.is_multiple_of(3)
        })
        .map(|m| {
            let n: usize = m.to[1..5].parse().unwrap();
            (n, m.tokens()[0].clone())
        })
        .collect();
    let addresses: Vec<String> = replicas.iter().map(|r| r.address.clone()).collect();
    let outcomes: Vec<(u16, u16)> = std::thread::scope(|s| {
        let handles: Vec<_> = answering
            .iter()
            .map(|(n, t)| {
                let first = format!("{}/s/{t}", addresses[n % 3]);
                let second = format!("{}/s/{t}", addresses[(n + 1) % 3]);
                let a = s.spawn(move || submit(&first));
                let b = s.spawn(move || submit(&second));
                (a, b)
            })
            .collect();
        handles
            .into_iter()
            .map(|(a, b)| (a.join().unwrap(), b.join().unwrap()))
            .collect()
    });
    for (a, b) in &outcomes {
        let mut pair = [*a, *b];
        pair.sort_unstable();
        assert_eq!(pair, [200, 410], "one stored, the other told it was used");
    }

    // The reminder goes once, to those who did not answer only.
    wait_until(reminder + chrono::Duration::seconds(4));
    let reminded: Vec<String> = sink
        .messages()
        .into_iter()
        .filter(|m| m.is_reminder())
        .map(|m| m.to)
        .collect();
    let expected: HashSet<String> = (0..PEOPLE)
        .filter(|n| n.is_multiple_of(3))
        .map(email)
        .collect();
    assert_eq!(reminded.len(), expected.len(), "each reminder once");
    assert_eq!(reminded.into_iter().collect::<HashSet<_>>(), expected);

    // The schedule closes the wave once; every stored sheet is there once.
    wait_until(closes + chrono::Duration::seconds(3));
    let status = ws.ok(&["wave", "status", "Pulse"]);
    assert!(status.contains("(closed)"), "{status}");
    let list = ws.ok(&["wave", "list"]);
    assert_eq!(
        list.lines().count(),
        3,
        "one quarterly follow-up only: {list}"
    );
    let pool = ws.pool();
    let mut conn = pool.get().unwrap();
    let DbConn::Postgres(c) = &mut conn else {
        unreachable!()
    };
    let wave_id: String = waves::table
        .filter(waves::name.eq("Pulse"))
        .select(waves::id)
        .first(c)
        .unwrap();
    let stored: i64 = responses::table
        .filter(responses::wave_id.eq(&wave_id))
        .count()
        .get_result(c)
        .unwrap();
    assert_eq!(stored as usize, answering.len());
    let answer_rows: i64 = answers::table
        .inner_join(responses::table.on(responses::id.eq(answers::response_id)))
        .filter(responses::wave_id.eq(&wave_id))
        .count()
        .get_result(c)
        .unwrap();
    assert_eq!(answer_rows, stored, "one answer (p_wl1) per sheet");

    // Every replica serves the same heat map, and it is not empty.
    let maps: BTreeMap<String, String> = addresses
        .iter()
        .map(|a| {
            let (status, body) = get_body(&format!("{a}/api/v1/waves/Pulse/heatmap.csv"), &token);
            assert_eq!(status, 200, "{a}: {body}");
            (a.clone(), body)
        })
        .collect();
    let first = maps.values().next().unwrap();
    assert!(
        first.lines().count() > 1 && first.contains(",shown,"),
        "{first}"
    );
    assert!(
        maps.values().all(|m| m == first),
        "replicas disagree: {maps:?}"
    );
    drop(replicas);
}
