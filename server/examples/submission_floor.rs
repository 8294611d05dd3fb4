//! The floor for the submission benchmark: the rows one submission writes (the invitation's
//! responded flag, one response, its answers), inserted by a plain loop of one transaction per
//! submission, in the same database with the same settings as the service.
//!
//! cargo run --release -p worklife-server --example submission_floor -- DATABASE_URL COUNT ITEMS

use std::time::Instant;

use diesel::prelude::*;
use worklife_server::db::schema::{answers, invitations, responses, wave_units, waves};
use worklife_server::db::{new_id, DbPool};
use worklife_server::{db_run, db_write};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| "floor.db".into());
    let count: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let items: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(13);
    let pool = DbPool::connect(&url, 1)?;
    pool.migrate()?;
    let mut conn = pool.get()?;
    let wave = new_id();
    let unit = new_id();
    db_run!(&mut conn, |c| {
        diesel::insert_into(worklife_server::db::schema::instruments::table)
            .values((
                worklife_server::db::schema::instruments::id.eq("floor@1"),
                worklife_server::db::schema::instruments::instrument_id.eq("floor"),
                worklife_server::db::schema::instruments::version.eq(1),
                worklife_server::db::schema::instruments::title.eq("floor"),
                worklife_server::db::schema::instruments::source.eq(""),
            ))
            .execute(c)?;
        diesel::insert_into(waves::table)
            .values((
                waves::id.eq(&wave),
                waves::name.eq(&wave),
                waves::instrument.eq("floor@1"),
                waves::opens_at.eq(chrono::Utc::now().naive_utc()),
                waves::closes_at.eq(chrono::Utc::now().naive_utc()),
                waves::min_group_size.eq(5),
                waves::status.eq("open"),
            ))
            .execute(c)?;
        diesel::insert_into(wave_units::table)
            .values((
                wave_units::id.eq(&unit),
                wave_units::wave_id.eq(&wave),
                wave_units::name.eq("u"),
                wave_units::path.eq("u"),
            ))
            .execute(c)
    })?;
    let ids: Vec<String> = (0..count).map(|_| new_id()).collect();
    for chunk in ids.chunks(1_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|id| {
                (
                    invitations::id.eq(id.clone()),
                    invitations::wave_id.eq(wave.clone()),
                    invitations::unit_id.eq(unit.clone()),
                )
            })
            .collect();
        db_run!(&mut conn, |c| diesel::insert_into(invitations::table)
            .values(rows)
            .execute(c))?;
    }
    let started = Instant::now();
    for invitation in &ids {
        db_write!(&mut conn, |c| {
            diesel::update(invitations::table.find(invitation))
                .set(invitations::responded.eq(true))
                .execute(c)?;
            let id = new_id();
            diesel::insert_into(responses::table)
                .values((
                    responses::id.eq(&id),
                    responses::wave_id.eq(&wave),
                    responses::unit_id.eq(&unit),
                    responses::attributes.eq("{}"),
                ))
                .execute(c)?;
            let rows: Vec<_> = (0..items)
                .map(|i| {
                    (
                        answers::response_id.eq(id.clone()),
                        answers::item_id.eq(format!("i{i}")),
                        answers::value.eq(3),
                    )
                })
                .collect();
            diesel::insert_into(answers::table)
                .values(rows)
                .execute(c)?;
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "floor: {count} submissions of {items} answers in {secs:.2} s = {:.0} per second",
        count as f64 / secs
    );
    Ok(())
}
