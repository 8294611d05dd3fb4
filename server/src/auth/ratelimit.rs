//! Login rate limiting per account, kept in the database so that it holds across replicas:
//! after [`MAX_FAILURES`] failed logins within [`WINDOW_MINUTES`], further attempts for that
//! email are refused until the window passes.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::login_failures;
use crate::db::{new_id, DbConn};
use crate::error::AppResult;
use crate::{db_run, db_write};

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether the account is locked out now.
pub fn locked(conn: &mut DbConn, email: &str) -> AppResult<bool> {
    let since = crate::clock::now() - Duration::minutes(WINDOW_MINUTES);
    let failures: i64 = db_run!(conn, |c| login_failures::table
        .filter(login_failures::email.eq(key(email)))
        .filter(login_failures::at.gt(since))
        .count()
        .get_result(c))?;
    Ok(failures >= MAX_FAILURES)
}

pub fn fail(conn: &mut DbConn, email: &str) -> AppResult<()> {
    let old = crate::clock::now() - Duration::minutes(WINDOW_MINUTES);
    db_write!(conn, |c| {
        diesel::delete(login_failures::table.filter(login_failures::at.le(old))).execute(c)?;
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::id.eq(new_id()),
                login_failures::email.eq(key(email)),
                login_failures::at.eq(crate::clock::now()),
            ))
            .execute(c)
    })?;
    Ok(())
}

pub fn clear(conn: &mut DbConn, email: &str) -> AppResult<()> {
    db_write!(conn, |c| diesel::delete(
        login_failures::table.filter(login_failures::email.eq(key(email)))
    )
    .execute(c))?;
    Ok(())
}
