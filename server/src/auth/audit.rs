//! The audit log: who read which report of which wave, for which unit. Never answers or
//! figures.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::{new_id, DbConn};
use crate::error::AppResult;
use crate::{db_run, db_write};

/// Writes one entry; `detail` is e.g. `wave=2026-Q3 unit=Acme/Sales attribute=tenure`.
pub fn record(conn: &mut DbConn, actor: &str, action: &str, detail: &str) -> AppResult<()> {
    db_write!(conn, |c| diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::at.eq(crate::clock::now()),
            audit_log::actor.eq(actor),
            audit_log::action.eq(action),
            audit_log::detail.eq(detail),
        ))
        .execute(c))?;
    Ok(())
}

/// Entries, oldest first.
pub fn list(conn: &mut DbConn) -> AppResult<Vec<(NaiveDateTime, String, String, String)>> {
    Ok(db_run!(conn, |c| audit_log::table
        .select((
            audit_log::at,
            audit_log::actor,
            audit_log::action,
            audit_log::detail
        ))
        .order((audit_log::at, audit_log::id))
        .load(c))?)
}
