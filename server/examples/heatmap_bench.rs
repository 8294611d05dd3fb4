//! The heat-map benchmark: an organisation of 100,000 people in 8,000 units, 75,000 answer
//! sheets of 40 items (worklife-core, its first 40 items answered) in one closed wave, k = 5.
//! Measures, on the given database:
//! - floor: the plain SQL aggregation the heat map needs (per unit and item: count, sum, sum
//!   of squares over the wave's answers), loaded into the process;
//! - cold: building the release from the database (load sheets, score, roll up, suppress);
//! - warm: `GET /api/v1/waves/bench/heatmap` over HTTP against the running app (the closed
//!   wave's release comes from the per-process cache), and the pages, items and a
//!   department's report as PDF the same way.
//!
//! cargo run --release -p worklife-server --example heatmap_bench -- DATABASE_URL [RUNS]

use std::time::Instant;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use worklife_server::db::schema::{responses, waves as wave_rows};
use worklife_server::db::{DbConn, DbPool, WaveId};
use worklife_server::reports::ReleaseCache;
use worklife_server::survey::responses::InstrumentCache;
use worklife_server::survey::waves;
use worklife_server::{db_run, db_write};

mod common;
use common::{median, seed_units, serve_as_admin, team_of_sheets};

const SHEETS: usize = 75_000;
const ITEMS: usize = 40;

fn seed(conn: &mut DbConn) -> anyhow::Result<()> {
    let existing: i64 = db_run!(conn, |c| wave_rows::table
        .filter(wave_rows::name.eq("bench"))
        .count()
        .get_result(c))?;
    if existing > 0 {
        return Ok(());
    }
    let started = Instant::now();
    let wave = waves::create(
        conn,
        &waves::NewWave {
            name: "bench",
            instrument: "worklife-core",
            opens_at: waves::parse_time("2026-01-01")?,
            closes_at: waves::parse_time("2026-01-21")?,
            min_group_size: 5,
            attributes: &[],
            comment_min: None,
        },
    )?;
    let ids = seed_units(conn, &wave.id, "bench-unit")?;
    let placed = team_of_sheets(SHEETS);
    db_write!(conn, |c| {
        for (chunk_no, chunk) in placed.chunks(2000).enumerate() {
            let rows: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(j, team)| {
                    let i = chunk_no * 2000 + j;
                    (
                        responses::id.eq(format!("{i:06}-{}", uuid::Uuid::new_v4())),
                        responses::wave_id.eq(wave.id.clone()),
                        responses::unit_id.eq(ids[*team].clone()),
                        responses::attributes.eq("{}"),
                    )
                })
                .collect();
            diesel::insert_into(responses::table)
                .values(rows)
                .execute(c)?;
        }
        diesel::result::QueryResult::Ok(())
    })?;
    // Answers in SQL: 40 items per sheet, values spread over 1..5 by sheet and item.
    let instrument = InstrumentCache::default().get(conn, &wave.instrument)?;
    let items: Vec<String> = instrument
        .items
        .iter()
        .take(ITEMS)
        .map(|i| {
            format!(
                "('{}', {})",
                i.id,
                i.id.len() * 13 + i.id.bytes().map(usize::from).sum::<usize>()
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO answers (response_id, item_id, value) \
         SELECT r.id, i.item, 1 + ((CAST(substr(r.id, 1, 6) AS INTEGER) * 31 + i.n * 17 \
             + CAST(substr(r.id, 1, 6) AS INTEGER) / 997) % 5) \
         FROM responses r CROSS JOIN (VALUES {}) AS i(item, n) WHERE r.wave_id = '{}'",
        items.join(", "),
        wave.id
    );
    let sqlite_sql = sql.replace(
        &format!("(VALUES {}) AS i(item, n)", items.join(", ")),
        &format!(
            "(SELECT column1 AS item, column2 AS n FROM (VALUES {})) AS i",
            items.join(", ")
        ),
    );
    match conn {
        DbConn::Sqlite(..) => db_write!(conn, |c| diesel::sql_query(&sqlite_sql).execute(c))?,
        DbConn::Postgres(..) => db_write!(conn, |c| diesel::sql_query(&sql).execute(c))?,
    };
    db_write!(conn, |c| diesel::update(
        wave_rows::table.filter(wave_rows::id.eq(&wave.id))
    )
    .set(wave_rows::status.eq("closed"))
    .execute(c))?;
    if let DbConn::Postgres(..) = conn {
        db_run!(conn, |c| diesel::sql_query("ANALYZE").execute(c))?;
    }
    eprintln!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

#[derive(QueryableByName)]
struct Agg {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    unit_id: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The floor: per unit and item, count, sum and sum of squares, loaded into the process.
fn floor(conn: &mut DbConn, wave_id: &WaveId) -> anyhow::Result<f64> {
    let sql = format!(
        "SELECT r.unit_id AS unit_id, COUNT(*) AS n, SUM(a.value) AS s, SUM(a.value * a.value) AS q \
         FROM answers a JOIN responses r ON r.id = a.response_id \
         WHERE r.wave_id = '{wave_id}' GROUP BY r.unit_id, a.item_id"
    );
    let t = Instant::now();
    let rows: Vec<Agg> = db_run!(conn, |c| diesel::sql_query(&sql).load(c))?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let total: i64 = rows.iter().map(|r| r.n).sum();
    anyhow::ensure!(
        total == (SHEETS * ITEMS) as i64,
        "floor counted {total} answers"
    );
    Ok(ms)
}

/// [`common::http_get`], with the answer's size.
fn http_get(addr: &str, path: &str, token: &str) -> anyhow::Result<(f64, usize)> {
    common::http_get(addr, path, token).map(|(ms, body)| (ms, body.len()))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "heatmap-bench.db".into());
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(7);
    let pool = DbPool::connect(&url, 4)?;
    pool.migrate()?;
    let mut conn = pool.get()?;
    seed(&mut conn)?;
    let wave = waves::find(&mut conn, "bench")?;

    let floors: Vec<f64> = (0..runs)
        .map(|_| floor(&mut conn, &wave.id))
        .collect::<Result<_, _>>()?;
    let instruments = InstrumentCache::default();
    let mut colds = Vec::new();
    for _ in 0..3.min(runs) {
        let t = Instant::now();
        let r = ReleaseCache::default().get(&mut conn, &instruments, &wave)?;
        colds.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(r.sheets.len() == SHEETS);
    }

    let (addr, token) = serve_as_admin(&pool, &url, &mut conn, "heat-map benchmark")?;
    let (first, bytes) = http_get(&addr, "/api/v1/waves/bench/heatmap", &token)?;
    let mut warm = Vec::new();
    for _ in 0..runs {
        warm.push(http_get(&addr, "/api/v1/waves/bench/heatmap", &token)?.0);
    }
    let mut warm_csv = Vec::new();
    for _ in 0..runs {
        warm_csv.push(http_get(&addr, "/api/v1/waves/bench/heatmap.csv", &token)?.0);
    }
    // The heat-map page as HR opens it: the organisation and two levels below it (421 of
    // the 8,000 units; the rest folded), and a division's page after a drill-down.
    let mut page = Vec::new();
    let mut page_bytes = 0;
    for _ in 0..runs {
        let (ms, bytes) = http_get(&addr, "/reports/waves/bench", &token)?;
        page.push(ms);
        page_bytes = bytes;
    }
    let mut division = Vec::new();
    let mut division_bytes = 0;
    for _ in 0..runs {
        let (ms, bytes) = http_get(&addr, "/reports/waves/bench?unit=Org%2FD07", &token)?;
        division.push(ms);
        division_bytes = bytes;
    }
    let (all_ms, all_bytes) = http_get(&addr, "/reports/waves/bench?levels=all", &token)?;
    let mut items = Vec::new();
    let mut items_bytes = 0;
    for _ in 0..runs.min(3) {
        let (ms, bytes) = http_get(&addr, "/api/v1/waves/bench/items", &token)?;
        items.push(ms);
        items_bytes = bytes;
    }
    // A department's unit report as a PDF file (under 1 s, issue 13).
    let mut pdf = Vec::new();
    let mut pdf_bytes = 0;
    for _ in 0..runs {
        let (ms, bytes) = http_get(
            &addr,
            "/reports/waves/bench/report.pdf?unit=Org%2FD07%2FP007",
            &token,
        )?;
        pdf.push(ms);
        pdf_bytes = bytes;
    }
    println!("backend: {:?}", pool.backend());
    println!(
        "floor SQL aggregation (median of {runs}): {:.0} ms",
        median(floors)
    );
    println!(
        "release build from the database, cold (median of {}): {:.0} ms",
        colds.len(),
        median(colds)
    );
    println!(
        "GET heatmap, first request (builds and caches the release): {first:.0} ms, {bytes} bytes"
    );
    println!(
        "GET heatmap, warm (median of {runs}): {:.0} ms",
        median(warm)
    );
    println!(
        "GET heatmap.csv, warm (median of {runs}): {:.0} ms",
        median(warm_csv)
    );
    println!(
        "GET heat-map page, warm, levels folded (median of {runs}): {:.0} ms, {page_bytes} bytes",
        median(page)
    );
    println!(
        "GET heat-map page of a division, warm (median of {runs}): {:.0} ms, {division_bytes} bytes",
        median(division)
    );
    println!("GET heat-map page, every level (once): {all_ms:.0} ms, {all_bytes} bytes");
    println!(
        "GET items (item statistics of every shown cell), warm (median of {}): {:.0} ms, {items_bytes} bytes",
        items.len(),
        median(items)
    );
    println!(
        "GET a department's report as PDF, warm (median of {runs}): {:.0} ms, {pdf_bytes} bytes",
        median(pdf)
    );
    Ok(())
}
