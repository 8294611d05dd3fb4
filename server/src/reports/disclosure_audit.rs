//! The disclosure audit of a closed wave's release (docs/privacy.md D5, P1 and P2 of D7), run
//! once when the wave closes and kept in `wave_audits`: the release never changes after
//! close, so neither does its audit, and nobody waits for it again. Only counts are kept: no
//! group, figure or person.

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use survey_engine::release::AuditFindings;

use crate::db::schema::wave_audits;
use crate::db::{DbConn, DbPool, WaveId};
use crate::error::{AppError, AppResult};
use crate::survey::responses::InstrumentCache;
use crate::survey::waves::{self, Wave, WaveStatus};
use crate::{db_run, db_write};

use super::ReleaseCache;

/// A wave's kept audit: how many findings of each kind, when, and how long it took.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = wave_audits)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct KeptAudit {
    pub wave_id: WaveId,
    pub audited_at: NaiveDateTime,
    /// Building the release and auditing it.
    pub milliseconds: i32,
    pub measures: i32,
    /// `None`: the release is too large for D4's exact auditor
    /// (`survey_engine::release::EXACT_AUDIT_MAX_CELLS`).
    pub breaches: Option<i32>,
    pub pinned_counts: i32,
    pub excused_counts: i32,
    pub narrow_means: i32,
    pub mean_exceptions: i32,
    /// D9: rests of shown distributions whose answers one category holds all or all but
    /// one of.
    pub alike_rests: i32,
}

impl KeptAudit {
    /// No breach, no pinned count, no narrow mean, no alike rest (the counted exceptions
    /// aside).
    pub fn clean(&self) -> bool {
        self.breaches.unwrap_or(0) == 0
            && self.pinned_counts == 0
            && self.narrow_means == 0
            && self.alike_rests == 0
    }

    /// The audit in one sentence, for `wave status` (times in UTC) and the waves console
    /// (which gives `when` in the organisation's time zone).
    pub fn summary(&self, wave_name: &str, when: &str) -> String {
        let seconds = f64::from(self.milliseconds) / 1000.0;
        let checked = format!(
            "{} measures checked in {seconds:.1} s on {when}",
            self.measures
        );
        let checked = match self.breaches {
            Some(_) => checked,
            None => format!(
                "{checked}; adding and subtracting not audited in a release this large, the \
                 suppression alone keeps it"
            ),
        };
        if self.clean() {
            return format!("passed: no small group can be seen or worked out ({checked})");
        }
        let breaches = self.breaches.unwrap_or(0);
        let kinds = [
            (
                breaches,
                "small group(s) isolated by adding and subtracting figures",
            ),
            (
                self.pinned_counts,
                "small group(s) whose count a reader who knows the roster can pin",
            ),
            (
                self.narrow_means,
                "small group(s) whose average falls within a narrow range",
            ),
            (
                self.alike_rests,
                "group(s) a reader can work out answered alike (all or all but one)",
            ),
        ];
        let found: Vec<String> = kinds
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        let found = if breaches == 0 && self.pinned_counts == 0 {
            format!(
                "nothing isolated by adding and subtracting and no pinned count, but {}",
                found.join(", ")
            )
        } else {
            found.join(", ")
        };
        // The audit checks every group; protection counts those only the organisation's
        // own figure pins as its one exception (docs/privacy.md D7), which the audit lists too.
        let exceptions = match self.mean_exceptions {
            0 => String::new(),
            n => format!(
                "; the release counts {n} group(s) as the exception only the organisation's \
                 own figure pins"
            ),
        };
        format!(
            "found {found} ({checked}{exceptions}); `worklife wave audit {wave_name}` lists them"
        )
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Builds the closed wave's release (through `releases`, which keeps it for the readers
/// after) and audits it in full, keeps the counts, and returns them with the findings.
pub fn run(
    conn: &mut DbConn,
    releases: &ReleaseCache,
    instruments: &InstrumentCache,
    wave: &Wave,
) -> AppResult<(KeptAudit, AuditFindings)> {
    let started = Instant::now();
    let built = releases.get(conn, instruments, wave)?;
    let findings = built
        .release
        .audit_all(&built.sheets)
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let kept = KeptAudit {
        wave_id: wave.id.clone(),
        audited_at: crate::clock::now(),
        milliseconds: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        measures: count(findings.measures),
        breaches: findings.breaches.as_ref().map(|b| count(b.len())),
        pinned_counts: count(findings.pinned.len()),
        excused_counts: count(findings.excused),
        narrow_means: count(findings.narrow.len()),
        mean_exceptions: count(findings.mean_exceptions),
        alike_rests: count(findings.alike.len()),
    };
    db_write!(conn, |c| {
        diesel::delete(wave_audits::table.filter(wave_audits::wave_id.eq(&kept.wave_id)))
            .execute(c)?;
        diesel::insert_into(wave_audits::table)
            .values(&kept)
            .execute(c)?;
        Ok::<_, AppError>(())
    })?;
    if kept.clean() {
        tracing::info!(
            wave = %wave.name,
            measures = kept.measures,
            milliseconds = kept.milliseconds,
            "disclosure audit passed"
        );
    } else {
        tracing::warn!(
            wave = %wave.name,
            breaches = kept.breaches,
            pinned_counts = kept.pinned_counts,
            narrow_means = kept.narrow_means,
            alike_rests = kept.alike_rests,
            "disclosure audit found groups under k or answered alike"
        );
    }
    Ok((kept, findings))
}

/// The wave's kept audit, if it has run.
pub fn kept(conn: &mut DbConn, wave: &WaveId) -> AppResult<Option<KeptAudit>> {
    Ok(db_run!(conn, |c| wave_audits::table
        .filter(wave_audits::wave_id.eq(wave))
        .select(KeptAudit::as_select())
        .first(c)
        .optional())?)
}

/// [`run`] on a thread of its own for a wave that has just closed (the console's close): the
/// page answers at once, and the audit fills the report cache for the first reader too. A
/// failure is logged; `worklife wave audit` runs it again.
pub fn in_background(
    pool: DbPool,
    releases: ReleaseCache,
    instruments: InstrumentCache,
    wave_name: String,
) {
    let spawned = std::thread::Builder::new()
        .name("release-audit".into())
        .spawn(move || {
            let audit = || -> AppResult<KeptAudit> {
                let mut conn = pool.get()?;
                let wave = waves::find(&mut conn, &wave_name)?;
                Ok(run(&mut conn, &releases, &instruments, &wave)?.0)
            };
            if let Err(e) = audit() {
                tracing::warn!(wave = %wave_name, error = %e, "the disclosure audit failed");
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the disclosure audit");
    }
}

/// Every kept audit, by wave.
pub fn kept_all(conn: &mut DbConn) -> AppResult<HashMap<WaveId, KeptAudit>> {
    let all: Vec<KeptAudit> = db_run!(conn, |c| wave_audits::table
        .select(KeptAudit::as_select())
        .load(c))?;
    Ok(all.into_iter().map(|a| (a.wave_id.clone(), a)).collect())
}

/// Closed waves without a kept audit.
fn unaudited(conn: &mut DbConn) -> AppResult<Vec<Wave>> {
    let audited: Vec<WaveId> = db_run!(conn, |c| wave_audits::table
        .select(wave_audits::wave_id)
        .load(c))?;
    Ok(waves::list(conn)?
        .into_iter()
        .filter(|w| w.status() == WaveStatus::Closed && !audited.contains(&w.id))
        .collect())
}

/// The waves closed and unaudited when the server starts (closed before audits were kept,
/// or by `worklife demo`), which [`run_forever`] leaves to `worklife wave audit`: on a large
/// organisation each takes a while, and a start should not wait on them. Taken before the
/// server says it listens, not when the worker's thread first runs: a busy machine can start
/// that thread late, and a wave closed meanwhile would be taken for an old one and never
/// audited.
pub fn left_at_start(pool: &DbPool) -> Vec<WaveId> {
    pool.get()
        .map_err(AppError::from)
        .and_then(|mut conn| unaudited(&mut conn))
        .map(|waves| waves.into_iter().map(|w| w.id).collect())
        .unwrap_or_default()
}

/// For the life of `serve`: audits every wave that closes while it runs, whoever closed it
/// (the schedule, the console, another replica, the command line without a server), looking
/// again after each `pause`; `skip` ([`left_at_start`]) are left to `worklife wave audit`.
/// A wave whose audit fails is logged and not tried again by this process.
pub fn run_forever(
    pool: DbPool,
    releases: ReleaseCache,
    instruments: InstrumentCache,
    pause: std::time::Duration,
    mut skip: Vec<WaveId>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    while !crate::shutdown::pause(&stop, pause) {
        let round = (|| -> AppResult<()> {
            let mut conn = pool.get()?;
            for wave in unaudited(&mut conn)? {
                if *stop.borrow() || skip.contains(&wave.id) {
                    continue;
                }
                if let Err(e) = run(&mut conn, &releases, &instruments, &wave) {
                    tracing::warn!(wave = %wave.name, error = %e, "the disclosure audit failed");
                    skip.push(wave.id.clone());
                }
            }
            Ok(())
        })();
        if let Err(e) = round {
            tracing::warn!(error = %e, "looking for waves to audit failed");
        }
    }
}
