//! The benchmark organisation shared by the examples: 100,000 people in 8,000 units (the
//! root, 20 divisions, 400 departments, 7,579 teams of 2..=24 before scaling), so that some
//! teams fall under k = 5 and force complementary hiding. Also what both benchmarks measure
//! with: the median, a timed GET, the app served with an admin's token.

// Each benchmark program uses part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use diesel::prelude::*;
use worklife_server::auth;
use worklife_server::configuration::{Secret, Settings};
use worklife_server::db::schema::wave_units;
use worklife_server::db::{DbConn, DbPool, WaveId};
use worklife_server::db_write;
use worklife_server::web::{self, AppState};

pub const UNITS: usize = 8_000;
pub const PEOPLE: i64 = 100_000;
/// The index of the first team in [`unit_paths`]: the root, 20 divisions and 400
/// departments come before it.
pub const FIRST_TEAM: usize = 421;

/// Units: the root, 20 divisions, 400 departments, 7,579 teams; each with its parent's index.
pub fn unit_paths() -> Vec<(String, Option<usize>)> {
    let mut units = vec![("Org".to_string(), None)];
    for d in 0..20 {
        units.push((format!("Org/D{d:02}"), Some(0)));
    }
    for p in 0..400 {
        units.push((format!("Org/D{:02}/P{p:03}", p % 20), Some(1 + p % 20)));
    }
    let teams = UNITS - units.len();
    for t in 0..teams {
        let dept = t % 400;
        let parent = 21 + dept;
        units.push((format!("{}/T{t:04}", units[parent].0), Some(parent)));
    }
    units
}

/// A team's size before scaling, by its index in [`unit_paths`]: 2..=24.
pub fn team_size(unit: usize) -> usize {
    2 + (unit * 7) % 23
}

/// People invited from each unit (by index in [`unit_paths`]): team sizes scaled to
/// [`PEOPLE`] in all, rounded down; inner units have no people of their own.
pub fn invited_per_unit(units: usize) -> Vec<i64> {
    let total: usize = (FIRST_TEAM..units).map(team_size).sum();
    (0..units)
        .map(|i| {
            if i >= FIRST_TEAM {
                team_size(i) as i64 * PEOPLE / total as i64
            } else {
                0
            }
        })
        .collect()
}

/// The median of `v` (NaN for none).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `GET path` with a bearer token over a fresh connection: milliseconds and the whole
/// answer (status line and headers included); anything but 200 is an error.
pub fn http_get(addr: &str, path: &str, token: &str) -> anyhow::Result<(f64, Vec<u8>)> {
    let t = Instant::now();
    let mut s = TcpStream::connect(addr)?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )?;
    let mut body = Vec::new();
    s.read_to_end(&mut body)?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        body.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&body[..body.len().min(300)])
    );
    Ok((ms, body))
}

/// Serves the app on `pool` on a loopback port, with a new admin and their bearer token
/// (named `purpose`): the address and the token.
pub fn serve_as_admin(
    pool: &DbPool,
    url: &str,
    conn: &mut DbConn,
    purpose: &str,
) -> anyhow::Result<(String, String)> {
    let email = format!("bench-{}@example.org", uuid::Uuid::new_v4().simple());
    auth::add_user(conn, &email, auth::Role::Admin, None, "bench-password-123")?;
    let (token, _) = auth::create_token(conn, &email, purpose, None)?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let state = AppState::new(
        pool.clone(),
        Settings {
            database_url: Secret::new(url.to_string()),
            ..Settings::default()
        },
    )?;
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            if let Ok(server) = web::run(listener, state) {
                let _ = server.await;
            }
        })
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    Ok((addr, token))
}

/// Writes the benchmark organisation as `wave`'s unit snapshot (ids `{prefix}-00000`...) with
/// its invited counts; returns the ids by unit index.
pub fn seed_units(conn: &mut DbConn, wave: &WaveId, prefix: &str) -> anyhow::Result<Vec<String>> {
    let units = unit_paths();
    let invited = invited_per_unit(units.len());
    let ids: Vec<String> = (0..units.len())
        .map(|i| format!("{prefix}-{i:05}"))
        .collect();
    db_write!(conn, |c| {
        for chunk in units.iter().enumerate().collect::<Vec<_>>().chunks(1000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(i, (path, parent))| {
                    (
                        wave_units::id.eq(ids[*i].clone()),
                        wave_units::wave_id.eq(wave.clone()),
                        wave_units::parent_id.eq(parent.map(|p| ids[p].clone())),
                        wave_units::name.eq(path.rsplit('/').next().unwrap_or("").to_string()),
                        wave_units::path.eq(path.clone()),
                        wave_units::invited.eq(invited[*i] as i32),
                    )
                })
                .collect();
            diesel::insert_into(wave_units::table)
                .values(rows)
                .execute(c)?;
        }
        diesel::result::QueryResult::Ok(())
    })?;
    Ok(ids)
}

/// The team of each of `sheets` answer sheets, over the teams in proportion to their size.
pub fn team_of_sheets(sheets: usize) -> Vec<usize> {
    let teams: Vec<usize> = (FIRST_TEAM..UNITS).collect();
    let mut placed = Vec::with_capacity(sheets);
    let mut t = 0usize;
    while placed.len() < sheets {
        let team = teams[t % teams.len()];
        if (t / teams.len()) < team_size(team) {
            placed.push(team);
        }
        t += 1;
    }
    placed
}
