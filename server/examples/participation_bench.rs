//! The participation benchmark (issue 12): an OPEN wave "bench-open" of 100,000 invited
//! people in 8,000 units (the heat-map benchmark's organisation, see `common`), about 75% of
//! them answered, the invitation and reminder emails in several delivery states. Seeded once
//! per database through the real domain: `roster::import` of a generated roster, then
//! `waves::create` and `waves::open`; then the answers of about 75% (their invitations marked
//! responded, one response row each, as a submission leaves them) and the outbox's states.
//! Measures, on the given database:
//! - floor: the plain SQL count of invited and responded per unit over the wave's
//!   invitations, loaded into the process;
//! - status: `waves::status` (the snapshot, the response counts, roll-up and the disclosure
//!   protection of every count), alone;
//! - page: `GET /reports/waves/bench-open/participation` over HTTP against the running app,
//!   warm (checked: 200, every unit's row, some counts "hidden").
//!
//! cargo run --release -p worklife-server --example participation_bench -- DATABASE_URL [RUNS]

use std::collections::BTreeMap;
use std::time::Instant;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use worklife_server::db::schema::{invitations, outbox, responses, wave_units};
use worklife_server::db::{DbConn, DbPool, InvitationId, ResponseId, WaveId, WaveUnitId};
use worklife_server::mail::outbox_state;
use worklife_server::mail::Kind;
use worklife_server::survey::{roster, waves};
use worklife_server::{db_run, db_write};

mod common;
use common::{
    http_get, invited_per_unit, median, serve_as_admin, unit_paths, FIRST_TEAM, PEOPLE, UNITS,
};

const WAVE: &str = "bench-open";
const PAGE: &str = "/reports/waves/bench-open/participation";

/// The roster: every team's scaled size, the remainder of 100,000 spread one each over the
/// first teams; nobody sits directly on an inner unit.
fn roster_csv() -> String {
    let units = unit_paths();
    let mut people = invited_per_unit(units.len());
    let short = PEOPLE - people.iter().sum::<i64>();
    for n in people.iter_mut().skip(FIRST_TEAM).take(short as usize) {
        *n += 1;
    }
    let mut csv = String::from("email,unit\n");
    let mut p = 0;
    for ((path, _), n) in units.iter().zip(&people) {
        for _ in 0..*n {
            csv.push_str(&format!("person{p:06}@bench.example,{path}\n"));
            p += 1;
        }
    }
    csv
}

/// Of a team of `n`, how many answered: the rate varies by team between 55% and 95%
/// (75% on average, decided by the team's path, so alike on every database), so small
/// teams land under k and their neighbours get hidden too.
fn answered(path: &str, n: usize) -> usize {
    let team: usize = path.bytes().map(usize::from).sum();
    let rate = 0.55 + 0.05 * ((team * 13) % 9) as f64;
    ((n as f64) * rate).round() as usize
}

fn seed(pool: &DbPool, conn: &mut DbConn) -> anyhow::Result<()> {
    let started = Instant::now();
    let (people, _) = roster::size(conn)?;
    if people == 0 {
        let t = Instant::now();
        let parsed = roster::parse(roster_csv().as_bytes())?;
        let report = roster::import(conn, &parsed, false, false)?;
        eprintln!(
            "roster import: {} people, {} units in {:.1} s",
            report.added,
            report.units_created,
            t.elapsed().as_secs_f64()
        );
    }
    let wave = match waves::find(conn, WAVE) {
        Ok(w) => w,
        Err(_) => {
            let opens_at = chrono::Utc::now().naive_utc() - chrono::Duration::days(7);
            waves::create(
                conn,
                &waves::NewWave {
                    name: WAVE,
                    instrument: "worklife-core",
                    opens_at,
                    // Far enough ahead that a later run still finds it open.
                    closes_at: opens_at + chrono::Duration::days(3650),
                    min_group_size: 5,
                    attributes: &[],
                    comment_min: None,
                },
            )?
        }
    };
    if wave.status() == waves::WaveStatus::Scheduled {
        let t = Instant::now();
        let opened = waves::open(pool, WAVE)?;
        eprintln!(
            "waves::open: {} invited in {:.1} s",
            opened.invited,
            t.elapsed().as_secs_f64()
        );
    }
    anyhow::ensure!(
        waves::find(conn, WAVE)?.status() == waves::WaveStatus::Open,
        "wave {WAVE} is not open"
    );
    let wave_id = wave.id;
    let done: i64 = db_run!(conn, |c| invitations::table
        .filter(invitations::wave_id.eq(&wave_id))
        .filter(invitations::responded.eq(true))
        .count()
        .get_result(c))?;
    if done > 0 {
        return Ok(());
    }
    let t = Instant::now();
    // Who answered: per team, the first of its invitations in id order (random ids).
    let all: Vec<(InvitationId, WaveUnitId, String)> = db_run!(conn, |c| invitations::table
        .filter(invitations::wave_id.eq(&wave_id))
        .order(invitations::id)
        .select((
            invitations::id,
            invitations::unit_id,
            invitations::attributes
        ))
        .load(c))?;
    let mut by_unit: BTreeMap<&WaveUnitId, Vec<(&InvitationId, &String)>> = BTreeMap::new();
    for (id, unit, attributes) in &all {
        by_unit.entry(unit).or_default().push((id, attributes));
    }
    let mut responded: Vec<(&InvitationId, &WaveUnitId, &String)> = Vec::new();
    let paths: std::collections::HashMap<WaveUnitId, String> = db_run!(conn, |c| {
        wave_units::table
            .filter(wave_units::wave_id.eq(&wave_id))
            .select((wave_units::id, wave_units::path))
            .load(c)
    })?
    .into_iter()
    .collect();
    for (unit, invited) in &by_unit {
        let take = answered(&paths[*unit], invited.len());
        for (id, attributes) in invited.iter().take(take) {
            responded.push((*id, *unit, *attributes));
        }
    }
    let answered_ids: std::collections::HashSet<&InvitationId> =
        responded.iter().map(|(id, _, _)| *id).collect();
    let silent: Vec<&InvitationId> = all
        .iter()
        .map(|(id, _, _)| id)
        .filter(|id| !answered_ids.contains(id))
        .collect();
    let now = chrono::Utc::now().naive_utc();
    db_write!(conn, |c| {
        for chunk in responded.chunks(2_000) {
            let ids: Vec<&InvitationId> = chunk.iter().map(|(id, _, _)| *id).collect();
            diesel::update(invitations::table.filter(invitations::id.eq_any(&ids)))
                .set(invitations::responded.eq(true))
                .execute(c)?;
            let rows: Vec<_> = chunk
                .iter()
                .map(|(_, unit, attributes)| {
                    (
                        responses::id.eq(ResponseId::new()),
                        responses::wave_id.eq(&wave_id),
                        responses::unit_id.eq(*unit),
                        responses::attributes.eq(*attributes),
                    )
                })
                .collect();
            diesel::insert_into(responses::table)
                .values(rows)
                .execute(c)?;
        }
        // Invitation emails: most sent, some still waiting, 1% failed for good.
        let mail: Vec<(String, InvitationId, String)> = outbox::table
            .filter(outbox::wave_id.eq(&wave_id))
            .order(outbox::id)
            .select((outbox::id, outbox::invitation_id, outbox::recipient))
            .load(c)?;
        let (failed, rest) = mail.split_at(mail.len() / 100);
        let (pending, _) = rest.split_at(rest.len() / 50);
        let pending: Vec<&String> = pending.iter().map(|(id, _, _)| id).collect();
        let failed: Vec<&String> = failed.iter().map(|(id, _, _)| id).collect();
        diesel::update(
            outbox::table
                .filter(outbox::wave_id.eq(&wave_id))
                .filter(outbox::state.eq(outbox_state::PENDING)),
        )
        .set((outbox::state.eq(outbox_state::SENT), outbox::attempts.eq(1)))
        .execute(c)?;
        for chunk in pending.chunks(2_000) {
            diesel::update(outbox::table.filter(outbox::id.eq_any(chunk)))
                .set(outbox::state.eq(outbox_state::PENDING))
                .execute(c)?;
        }
        for chunk in failed.chunks(2_000) {
            diesel::update(outbox::table.filter(outbox::id.eq_any(chunk)))
                .set((
                    outbox::state.eq(outbox_state::FAILED),
                    outbox::attempts.eq(5),
                    outbox::last_error.eq("550 mailbox unavailable"),
                ))
                .execute(c)?;
        }
        // A reminder to everyone who has not answered: half sent, half waiting.
        let recipients: std::collections::HashMap<&InvitationId, &String> =
            mail.iter().map(|(_, inv, to)| (inv, to)).collect();
        for (n, chunk) in silent.chunks(1_000).enumerate() {
            let rows: Vec<_> = chunk
                .iter()
                .map(|inv| {
                    (
                        outbox::id.eq(worklife_server::db::new_id()),
                        outbox::wave_id.eq(&wave_id),
                        outbox::invitation_id.eq(*inv),
                        outbox::kind.eq(Kind::Reminder.as_str()),
                        outbox::recipient.eq(recipients[*inv]),
                        outbox::state.eq(if n % 2 == 0 {
                            outbox_state::SENT
                        } else {
                            outbox_state::PENDING
                        }),
                        outbox::next_attempt_at.eq(now),
                    )
                })
                .collect();
            diesel::insert_into(outbox::table).values(rows).execute(c)?;
        }
        diesel::result::QueryResult::Ok(())
    })?;
    if let DbConn::Postgres(..) = conn {
        db_run!(conn, |c| diesel::sql_query("ANALYZE").execute(c))?;
    }
    eprintln!(
        "answers: {} of {} responded ({:.1}%), marked in {:.1} s; seeded in {:.1} s",
        responded.len(),
        all.len(),
        100.0 * responded.len() as f64 / all.len() as f64,
        t.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(QueryableByName)]
struct Agg {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    unit_id: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    r: i64,
}

/// The floor: invited and responded per unit over the wave's invitations, loaded into the
/// process. Returns the time and the number responded.
fn floor(conn: &mut DbConn, wave_id: &WaveId) -> anyhow::Result<(f64, i64)> {
    let sql = format!(
        "SELECT unit_id, COUNT(*) AS n, SUM(CASE WHEN responded THEN 1 ELSE 0 END) AS r \
         FROM invitations WHERE wave_id = '{wave_id}' GROUP BY unit_id"
    );
    let t = Instant::now();
    let rows: Vec<Agg> = db_run!(conn, |c| diesel::sql_query(&sql).load(c))?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let total: i64 = rows.iter().map(|r| r.n).sum();
    anyhow::ensure!(total == PEOPLE, "floor counted {total} invitations");
    Ok((ms, rows.iter().map(|r| r.r).sum()))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "participation-bench.db".into());
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(7);
    let pool = DbPool::connect(&url, 4)?;
    pool.migrate()?;
    let mut conn = pool.get()?;
    seed(&pool, &mut conn)?;
    let wave = waves::find(&mut conn, WAVE)?;

    let mut floors = Vec::new();
    let mut responded = 0;
    for _ in 0..runs {
        let (ms, r) = floor(&mut conn, &wave.id)?;
        floors.push(ms);
        responded = r;
    }
    let mut statuses = Vec::new();
    let mut hidden = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let lines = waves::status(&mut conn, &wave)?;
        statuses.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(lines.len() == UNITS, "status has {} units", lines.len());
        anyhow::ensure!(
            lines[0].invited == PEOPLE && lines[0].responded == responded,
            "status counts differ from the floor"
        );
        hidden = lines.iter().filter(|l| !l.shown).count();
    }

    let mut mail_counts = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        worklife_server::mail::outbox::counts(&mut conn, &wave.id)?;
        mail_counts.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    let (addr, token) = serve_as_admin(&pool, &url, &mut conn, "participation benchmark")?;
    let (first, body) = http_get(&addr, PAGE, &token)?;
    let text = String::from_utf8_lossy(&body);
    let rows = text.matches("<tr data-unit=").count();
    let hidden_cells = text.matches("class=\"hidden\"").count();
    anyhow::ensure!(rows == UNITS, "the page shows {rows} unit rows");
    anyhow::ensure!(
        hidden_cells == hidden && hidden > 0,
        "the page hides {hidden_cells} counts, status {hidden}"
    );
    let mut page = Vec::new();
    for _ in 0..runs {
        page.push(http_get(&addr, PAGE, &token)?.0);
    }
    let mail = worklife_server::mail::outbox::counts(&mut conn, &wave.id)?;
    println!("backend: {:?}", pool.backend());
    println!(
        "wave {WAVE}: {PEOPLE} invited in {UNITS} units, {responded} responded ({:.1}%), \
         {hidden} of {UNITS} counts hidden (k = {}); emails {} sent, {} waiting, {} failed",
        100.0 * responded as f64 / PEOPLE as f64,
        wave.min_group_size,
        mail.sent,
        mail.pending,
        mail.failed
    );
    println!(
        "floor SQL count per unit (median of {runs}): {:.1} ms",
        median(floors)
    );
    println!(
        "waves::status with protection (median of {runs}): {:.1} ms",
        median(statuses)
    );
    println!(
        "mail::outbox::counts (median of {runs}): {:.1} ms",
        median(mail_counts)
    );
    println!(
        "GET participation page, first request: {first:.0} ms, {} bytes",
        body.len()
    );
    println!(
        "GET participation page, warm (median of {runs}): {:.1} ms, {} bytes",
        median(page),
        body.len()
    );
    Ok(())
}
