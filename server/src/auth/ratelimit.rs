//! Sign-in attempts per account, kept in the database so that the limit holds across
//! replicas: at most [`MAX_FAILURES`] password checks that did not succeed within
//! [`WINDOW_MINUTES`] per bucket. A bucket is the account (`email`), or, for a browser that
//! signed in to the account before (its device cookie, [`super::device`]), that browser's own
//! bucket: someone who can only reach the login form can use up the account's bucket, never
//! the one of the browser its owner uses, so they cannot keep the owner out.
//!
//! An attempt is recorded *before* its password is checked ([`reserve`]), in one step with the
//! count that allows it, and cleared when the password was right ([`clear`]). Parallel
//! attempts therefore cannot all pass the count before any is recorded: SQLite writes one at
//! a time, and on PostgreSQL a transaction-scoped advisory lock per bucket serialises them.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::login_failures;
use crate::db::{new_id, DbConn};
use crate::db_write;
use crate::error::AppResult;

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

/// The account's bucket.
pub fn account(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A browser's own bucket for an account (its device id comes from a signed cookie).
pub fn device(device_id: &str) -> String {
    format!("device:{device_id}")
}

/// Serialises attempts on one bucket for the rest of the transaction (PostgreSQL); SQLite
/// transactions that write are serial already.
trait BucketLock {
    fn lock_bucket(&mut self, bucket: &str) -> QueryResult<()>;
}

impl BucketLock for diesel::sqlite::SqliteConnection {
    fn lock_bucket(&mut self, _: &str) -> QueryResult<()> {
        Ok(())
    }
}

impl BucketLock for diesel::pg::PgConnection {
    fn lock_bucket(&mut self, bucket: &str) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(bucket)
            .execute(self)
            .map(|_| ())
    }
}

/// Records an attempt on `bucket` if fewer than [`MAX_FAILURES`] are recorded in the window;
/// `false` (nothing recorded) when the bucket is full. Old attempts are swept.
pub fn reserve(conn: &mut DbConn, bucket: &str) -> AppResult<bool> {
    let now = crate::clock::now();
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let reserved = db_write!(conn, |c| {
        c.lock_bucket(bucket)?;
        diesel::delete(login_failures::table.filter(login_failures::at.le(since))).execute(c)?;
        let recorded: i64 = login_failures::table
            .filter(login_failures::email.eq(bucket))
            .filter(login_failures::at.gt(since))
            .count()
            .get_result(c)?;
        if recorded >= MAX_FAILURES {
            return Ok::<bool, diesel::result::Error>(false);
        }
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::id.eq(new_id()),
                login_failures::email.eq(bucket),
                login_failures::at.eq(now),
            ))
            .execute(c)?;
        Ok(true)
    })?;
    Ok(reserved)
}

/// A successful sign-in empties its bucket.
pub fn clear(conn: &mut DbConn, bucket: &str) -> AppResult<()> {
    db_write!(conn, |c| diesel::delete(
        login_failures::table.filter(login_failures::email.eq(bucket))
    )
    .execute(c))?;
    Ok(())
}
