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

/// [`record`], unless the same actor recorded the same action and detail in the last
/// `window`: a page that refreshes itself (participation, every 30 s) is one reading, not
/// one entry per refresh.
pub fn record_once_within(
    conn: &mut DbConn,
    actor: &str,
    action: &str,
    detail: &str,
    window: chrono::Duration,
) -> AppResult<()> {
    let since = crate::clock::now() - window;
    db_write!(conn, |c| {
        let recent: i64 = audit_log::table
            .filter(audit_log::actor.eq(actor))
            .filter(audit_log::action.eq(action))
            .filter(audit_log::detail.eq(detail))
            .filter(audit_log::at.ge(since))
            .count()
            .get_result(c)?;
        if recent == 0 {
            diesel::insert_into(audit_log::table)
                .values((
                    audit_log::id.eq(new_id()),
                    audit_log::at.eq(crate::clock::now()),
                    audit_log::actor.eq(actor),
                    audit_log::action.eq(action),
                    audit_log::detail.eq(detail),
                ))
                .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
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

/// What the audit log page filters by; empty fields filter nothing.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// The actor's email, exactly.
    pub actor: String,
    /// The action, exactly (e.g. `view heatmap`).
    pub action: String,
    /// A wave's name: entries whose detail names that wave.
    pub wave: String,
}

/// One entry as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// `wave=NAME` as a LIKE pattern that matches that wave only: `%` and `_` in the name are
/// escaped, and the name ends at a space or at the end of the detail.
fn wave_patterns(wave: &str) -> (String, String) {
    let escaped: String = wave
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    (format!("wave={escaped} %"), format!("wave={wave}"))
}

/// The newest entries first that pass `filter`: at most `limit`, after skipping `offset`.
pub fn search(
    conn: &mut DbConn,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> AppResult<Vec<Entry>> {
    let (starts, whole) = wave_patterns(&filter.wave);
    let rows: Vec<(NaiveDateTime, String, String, String)> = db_run!(conn, |c| {
        let mut q = audit_log::table
            .select((
                audit_log::at,
                audit_log::actor,
                audit_log::action,
                audit_log::detail,
            ))
            .into_boxed();
        if !filter.actor.is_empty() {
            q = q.filter(audit_log::actor.eq(&filter.actor));
        }
        if !filter.action.is_empty() {
            q = q.filter(audit_log::action.eq(&filter.action));
        }
        if !filter.wave.is_empty() {
            q = q.filter(
                audit_log::detail
                    .like(&starts)
                    .escape('\\')
                    .or(audit_log::detail.eq(&whole)),
            );
        }
        q.order((audit_log::at.desc(), audit_log::id.desc()))
            .offset(offset)
            .limit(limit)
            .load(c)
    })?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, action, detail)| Entry {
            at,
            actor,
            action,
            detail,
        })
        .collect())
}

/// Every action and every actor in the log, sorted, for the page's filter choices.
pub fn choices(conn: &mut DbConn) -> AppResult<(Vec<String>, Vec<String>)> {
    let actions: Vec<String> = db_run!(conn, |c| audit_log::table
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action)
        .load(c))?;
    let actors: Vec<String> = db_run!(conn, |c| audit_log::table
        .select(audit_log::actor)
        .distinct()
        .order(audit_log::actor)
        .load(c))?;
    Ok((actions, actors))
}
