//! The comments benchmark (issue 18): 75,000 answer sheets in the heat-map benchmark's
//! organisation of 8,000 units, 40% of them with a comment of about 300 characters.
//! Measures:
//! - redaction at submission: checking, redacting and screening one sheet's comment against
//!   a roster of 100,000 names (what `CommentRules::prepare_sheet` does after reading the
//!   names), per sheet; the floor is copying the text;
//! - the comments release, cold: loading the wave's 30,000 comments from the database,
//!   theming each and running the disclosure rule (the score release it is cut from is
//!   built first and not timed);
//! - warm: `GET /api/v1/waves/comments-bench/comments` of a department over HTTP (the
//!   release from the per-process cache).
//!
//! cargo run --release -p worklife-server --example comments_bench -- DATABASE_URL [RUNS]

use std::collections::BTreeMap;
use std::time::Instant;

use diesel::prelude::*;
use survey_engine::comments::redact::Names;
use survey_engine::comments::review::ReviewList;
use worklife_server::db::schema::{comments, responses, waves as wave_rows};
use worklife_server::db::{DbConn, DbPool};
use worklife_server::reports::comments::CommentRelease;
use worklife_server::reports::ReleaseCache;
use worklife_server::survey::comments::{check, prepare};
use worklife_server::survey::responses::InstrumentCache;
use worklife_server::survey::waves;
use worklife_server::{db_run, db_write};

mod common;
use common::{http_get, median, seed_units, serve_as_admin, team_of_sheets, unit_paths};

const SHEETS: usize = 75_000;
const WAVE: &str = "comments-bench";

const GIVEN: [&str; 20] = [
    "Anna", "Peter", "Jörg", "Mark", "Sabine", "Li", "Ayşe", "Tom", "Julia", "Frank", "Maria",
    "Lukas", "Sofia", "David", "Lea", "Jonas", "Emma", "Noah", "Mia", "Paul",
];

/// About 300 characters, some with an e-mail address, a phone number or a colleague's name.
fn comment(i: usize) -> String {
    const PARTS: [&str; 8] = [
        "Too much overtime before every release; we need one more person in the team.",
        "Deadlines are set without asking us how long the work actually takes.",
        "More say in how we plan our own work would help a lot, and fewer meetings.",
        "Recognition for the work behind the scenes, not only for the launches.",
        "The pay has not kept up with what the job asks of us over the last years.",
        "Better tools: the build takes forever and the laptops are old and slow.",
        "Clearer priorities from management; everything is urgent at the same time.",
        "Time to recover after on-call weeks would make a real difference for us.",
    ];
    let mut text = String::new();
    let mut k = i;
    while text.len() < 260 {
        text.push_str(PARTS[k % PARTS.len()]);
        text.push(' ');
        k = k / 3 + 7;
    }
    match i % 5 {
        0 => text.push_str("Ask Peter Family12 about it."),
        1 => text.push_str("Call me on +49 30 1234567."),
        2 => text.push_str("Mail anna.family7@example.org."),
        _ => text.push_str("That is all from me."),
    }
    text
}

fn seed(conn: &mut DbConn) -> anyhow::Result<()> {
    let existing: i64 = db_run!(conn, |c| wave_rows::table
        .filter(wave_rows::name.eq(WAVE))
        .count()
        .get_result(c))?;
    if existing > 0 {
        return Ok(());
    }
    let started = Instant::now();
    let wave = waves::create(
        conn,
        &waves::NewWave {
            name: WAVE,
            instrument: "worklife-core",
            opens_at: waves::parse_time("2026-01-01")?,
            closes_at: waves::parse_time("2026-01-21")?,
            min_group_size: 5,
            attributes: &[],
            comment_min: None,
        },
    )?;
    let ids = seed_units(conn, &wave.id, "cb-unit")?;
    let placed = team_of_sheets(SHEETS);
    db_write!(conn, |c| {
        for (chunk_no, chunk) in placed.chunks(2000).enumerate() {
            let mut sheets = Vec::new();
            let mut notes = Vec::new();
            for (j, team) in chunk.iter().enumerate() {
                let i = chunk_no * 2000 + j;
                let id = format!("{i:06}-{}", uuid::Uuid::new_v4());
                sheets.push((
                    responses::id.eq(id.clone()),
                    responses::wave_id.eq(wave.id.clone()),
                    responses::unit_id.eq(ids[*team].clone()),
                    responses::attributes.eq("{}"),
                ));
                // Four sheets in ten carry a comment.
                if i % 10 < 4 {
                    notes.push((
                        comments::response_id.eq(id),
                        comments::prompt_id.eq("c_change"),
                        comments::body.eq(comment(i)),
                        comments::review.eq("clear"),
                        comments::concerns.eq(""),
                    ));
                }
            }
            diesel::insert_into(responses::table)
                .values(sheets)
                .execute(c)?;
            diesel::insert_into(comments::table)
                .values(notes)
                .execute(c)?;
        }
        diesel::result::QueryResult::Ok(())
    })?;
    db_write!(conn, |c| diesel::update(
        wave_rows::table.filter(wave_rows::id.eq(&wave.id))
    )
    .set(wave_rows::status.eq("closed"))
    .execute(c))?;
    eprintln!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "comments-bench.db".into());
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);

    // Redaction at submission.
    let names = Names::new((0..100_000).map(|i| format!("{} Family{i}", GIVEN[i % GIVEN.len()])));
    let review = ReviewList::builtin();
    let instrument = survey_engine::instrument::builtin::load("worklife-core")
        .ok_or_else(|| anyhow::anyhow!("no worklife-core"))??;
    let texts: Vec<String> = (0..30_000).map(comment).collect();
    let mean_len = texts.iter().map(|t| t.chars().count()).sum::<usize>() / texts.len();
    let (mut per_sheet, mut floor) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let mut kept = 0usize;
        for text in &texts {
            let posted = BTreeMap::from([("c_change".to_string(), text.clone())]);
            let checked = check(&instrument, &posted).map_err(|p| anyhow::anyhow!("{p:?}"))?;
            kept += prepare(checked, &names, &review)
                .iter()
                .map(|c| c.body.len())
                .sum::<usize>();
        }
        per_sheet.push(t.elapsed().as_secs_f64() * 1e3 / texts.len() as f64);
        let t = Instant::now();
        let copied: usize = texts.iter().map(|x| x.clone().len()).sum();
        floor.push(t.elapsed().as_secs_f64() * 1e3 / texts.len() as f64);
        anyhow::ensure!(kept > 0 && copied > 0);
    }
    println!(
        "redaction at submission: {:.4} ms per sheet with a comment (median of {runs}; {} comments of {mean_len} characters on average, 100,000 roster names); floor (copying the text) {:.5} ms",
        median(per_sheet),
        texts.len(),
        median(floor)
    );

    // The comments release, cold.
    let pool = DbPool::connect(&url, 4)?;
    pool.migrate()?;
    let mut conn = pool.get()?;
    seed(&mut conn)?;
    let wave = waves::find(&mut conn, WAVE)?;
    let built = ReleaseCache::default().get(&mut conn, &InstrumentCache::default(), &wave)?;
    let mut cold = Vec::new();
    let mut shown = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let release = CommentRelease::build(&mut conn, &built, &wave)?;
        cold.push(t.elapsed().as_secs_f64() * 1e3);
        shown = release.shown_cells();
    }
    println!(
        "comments release of {} sheets (30,000 comments) in 8,000 units, cold: {:.0} ms (median of {runs}); {shown} cells show comments",
        built.sheets.len(),
        median(cold)
    );
    let (addr, token) = serve_as_admin(&pool, &url, &mut conn, "comments benchmark")?;
    let path = format!(
        "/api/v1/waves/{WAVE}/comments?unit={}",
        worklife_server::web::enc(&unit_paths()[21].0)
    );
    http_get(&addr, &path, &token)?;
    let mut warm = Vec::new();
    for _ in 0..runs {
        warm.push(http_get(&addr, &path, &token)?.0);
    }
    println!("GET {path} warm: {:.1} ms (median of {runs})", median(warm));
    Ok(())
}
