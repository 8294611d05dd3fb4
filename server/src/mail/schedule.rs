//! The wave schedule: the server opens, reminds and closes scheduled waves at their times.
//!
//! A wave is scheduled when `wave create` got `--auto`, `--every` or `--reminders` (a row
//! in `wave_schedules`); other waves are opened and closed by hand only. Every tick
//! (`mail.tick_ms`) each replica runs [`tick`]; every step is a compare-and-set on a row, so
//! it happens exactly once however many replicas tick:
//! - open: `scheduled -> open` on the wave row (inside [`wave_ops::open`]), when `opens_at` has
//!   passed and `closes_at` has not (a window missed entirely during downtime is cancelled
//!   without inviting anyone);
//! - reminders: the due `wave_reminders` rows flip `done` in the same transaction that
//!   queues one reminder per invitation not yet answered; several overdue reminders after
//!   downtime collapse into one; none is sent once the wave is past closing;
//! - close: `-> closed` on the wave row (inside [`wave_ops::close`]) when `closes_at` passed;
//!   a wave that never opened becomes `cancelled` instead (no report, no comparison).
//!
//! `--every quarter`: when a repeating wave opens, its follow-up is created (same instrument,
//! k, attributes, window length and reminder plan, three months later), so there is always
//! exactly one next wave; the follow-up's name is unique, which makes its creation
//! idempotent across replicas and crashes (each tick re-checks open repeating waves).

use chrono::{Months, NaiveDateTime};
use diesel::prelude::*;

use crate::clock::{now, Clock};
use crate::db::schema::{invitations, outbox, people, wave_reminders, wave_schedules, waves};
use crate::db::{new_id, DbConn, DbPool, InvitationId, PersonId, WaveId};
use crate::error::{AppError, AppResult};
use crate::mail::Kind;
use crate::survey::waves::{self as wave_ops, NewWave, Wave, WaveStatus};
use crate::{db_run, db_write};

pub const MAX_REMINDERS: usize = 3;
const MAX_REMINDER_LEAD_DAYS: i64 = 366;

/// One planned reminder: a share of the window after opening, or a time before closing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReminderAt {
    ShareOfWindow(f64),
    BeforeClose(chrono::Duration),
}

/// Parses `50%,2d` (also `h`, `m`, `s`), or `none`. At most three.
pub fn parse_reminders(spec: &str) -> AppResult<Vec<ReminderAt>> {
    let spec = spec.trim();
    if spec.is_empty() || spec == "none" {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim) {
        let bad = || {
            AppError::validation(format!(
                "reminders: \"{part}\" is neither N% (of the window, after opening) nor a \
                 time before closing like 2d, 12h, 30m or 45s"
            ))
        };
        if let Some(p) = part.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(p > 0.0 && p < 100.0) {
                return Err(AppError::validation(format!(
                    "reminders: \"{part}\" must lie strictly between 0% and 100%"
                )));
            }
            out.push(ReminderAt::ShareOfWindow(p / 100.0));
        } else {
            let mut chars = part.chars();
            let unit = chars.next_back().ok_or_else(bad)?;
            let n: i64 = chars.as_str().trim().parse().map_err(|_| bad())?;
            let seconds = match unit {
                'd' => n.checked_mul(86_400),
                'h' => n.checked_mul(3_600),
                'm' => n.checked_mul(60),
                's' => Some(n),
                _ => return Err(bad()),
            };
            // Longer than any survey window would be dropped anyway; refusing it keeps the
            // date arithmetic in range.
            let d = seconds
                .filter(|s| (1..=MAX_REMINDER_LEAD_DAYS * 86_400).contains(s))
                .map(chrono::Duration::seconds)
                .ok_or_else(|| {
                    AppError::validation(format!(
                        "reminders: \"{part}\" must be more than nothing and at most \
                         {MAX_REMINDER_LEAD_DAYS} days before closing"
                    ))
                })?;
            out.push(ReminderAt::BeforeClose(d));
        }
    }
    if out.len() > MAX_REMINDERS {
        return Err(AppError::validation(format!(
            "reminders: {} reminders given, at most {MAX_REMINDERS} are sent",
            out.len()
        )));
    }
    Ok(out)
}

/// The reminder times inside a window; plans falling outside it are dropped.
pub fn reminder_times(
    plan: &[ReminderAt],
    opens: NaiveDateTime,
    closes: NaiveDateTime,
) -> Vec<NaiveDateTime> {
    let window = closes - opens;
    let mut times: Vec<NaiveDateTime> = plan
        .iter()
        .map(|r| match r {
            ReminderAt::ShareOfWindow(s) => {
                let ms = (window.num_milliseconds() as f64 * s).round() as i64;
                opens + chrono::Duration::milliseconds(ms)
            }
            ReminderAt::BeforeClose(d) => closes.checked_sub_signed(*d).unwrap_or(opens),
        })
        .filter(|t| *t > opens && *t < closes)
        .map(|t| t.with_nanosecond_zeroed())
        .collect();
    times.sort();
    times.dedup();
    times
}

trait Whole {
    fn with_nanosecond_zeroed(self) -> Self;
}

impl Whole for NaiveDateTime {
    /// Whole seconds: times are compared as text on SQLite.
    fn with_nanosecond_zeroed(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// How a scheduled wave repeats.
pub fn parse_every(s: &str) -> AppResult<()> {
    if s == "quarter" {
        Ok(())
    } else {
        Err(AppError::validation(format!(
            "every: \"{s}\" is refused: the only repetition is \"quarter\""
        )))
    }
}

/// Puts a wave under the schedule with its reminder plan.
pub fn schedule(
    conn: &mut DbConn,
    wave: &Wave,
    every: Option<&str>,
    reminders: &str,
) -> AppResult<Vec<NaiveDateTime>> {
    let plan = parse_reminders(reminders)?;
    let times = reminder_times(&plan, wave.opens_at, wave.closes_at);
    db_write!(conn, |c| {
        diesel::insert_into(wave_schedules::table)
            .values((
                wave_schedules::wave_id.eq(&wave.id),
                wave_schedules::every.eq(every),
                wave_schedules::reminders.eq(reminders),
            ))
            .execute(c)?;
        for t in &times {
            diesel::insert_into(wave_reminders::table)
                .values((
                    wave_reminders::wave_id.eq(&wave.id),
                    wave_reminders::due_at.eq(t),
                    wave_reminders::done.eq(false),
                ))
                .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(times)
}

/// The name of a wave's follow-up: `2026-Q4` becomes `2027-Q1`; any other name gets the
/// follow-up's opening month (`Pulse` -> `Pulse 2027-03`).
pub fn follow_up_name(name: &str, next_opens: NaiveDateTime) -> String {
    if let Some((year, q)) = name
        .rsplit_once("-Q")
        .and_then(|(y, q)| Some((y.get(y.len().checked_sub(4)?..)?, q)))
        .and_then(|(y, q)| Some((y.parse::<i32>().ok()?, q.parse::<u32>().ok()?)))
        .filter(|(_, q)| (1..=4).contains(q))
    {
        let prefix = &name[..name.len() - 4 - 2 - q_len(name)];
        let (y, q) = if q == 4 { (year + 1, 1) } else { (year, q + 1) };
        return format!("{prefix}{y}-Q{q}");
    }
    let base = match name.rsplit_once(' ') {
        Some((b, month)) if is_month(month) => b,
        _ => name,
    };
    format!("{base} {}", next_opens.format("%Y-%m"))
}

fn q_len(name: &str) -> usize {
    name.rsplit_once("-Q").map(|(_, q)| q.len()).unwrap_or(0)
}

fn is_month(s: &str) -> bool {
    s.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok()
}

/// Creates the follow-up of an open repeating wave unless it exists.
fn ensure_follow_up(pool: &DbPool, wave: &Wave, reminders: &str) -> AppResult<()> {
    let (Some(opens), Some(closes)) = (
        wave.opens_at.checked_add_months(Months::new(3)),
        wave.closes_at.checked_add_months(Months::new(3)),
    ) else {
        return Ok(());
    };
    let name = follow_up_name(&wave.name, opens);
    let mut conn = pool.get()?;
    let instrument: String = db_run!(&mut conn, |c| crate::db::schema::instruments::table
        .find(&wave.instrument)
        .select(crate::db::schema::instruments::instrument_id)
        .first::<String>(c))?;
    let version: i32 = db_run!(&mut conn, |c| crate::db::schema::instruments::table
        .find(&wave.instrument)
        .select(crate::db::schema::instruments::version)
        .first::<i32>(c))?;
    // The next quarter keeps the comment threshold too.
    let comment_min: i32 = db_run!(&mut conn, |c| crate::db::schema::waves::table
        .find(&wave.id)
        .select(crate::db::schema::waves::comment_min)
        .first::<i32>(c))?;
    let created = wave_ops::create(
        &mut conn,
        &NewWave {
            name: &name,
            instrument: &format!("{instrument}@{version}"),
            opens_at: opens,
            closes_at: closes,
            min_group_size: wave.min_group_size,
            attributes: &wave.attribute_names(),
            comment_min: Some(comment_min),
        },
    );
    match created {
        Ok(next) => {
            schedule(&mut conn, &next, Some("quarter"), reminders)?;
            tracing::info!(wave = %wave.name, next = %next.name, "next wave of the series scheduled");
            Ok(())
        }
        Err(AppError::Conflict(_)) => {
            finish_follow_up(&mut conn, &name, wave, (opens, closes), reminders)
        }
        Err(e) => Err(e),
    }
}

/// Creating the follow-up and scheduling it are two transactions: after a crash between
/// them, the follow-up exists without a schedule and would never open. It is scheduled
/// here if it is exactly the follow-up (same instrument and window, still scheduled); a wave
/// of that name made by hand is left alone.
fn finish_follow_up(
    conn: &mut DbConn,
    name: &str,
    wave: &Wave,
    (opens, closes): (NaiveDateTime, NaiveDateTime),
    reminders: &str,
) -> AppResult<()> {
    let existing = wave_ops::find(conn, name)?;
    let has_schedule: i64 = db_run!(conn, |c| wave_schedules::table
        .filter(wave_schedules::wave_id.eq(&existing.id))
        .count()
        .get_result(c))?;
    let is_follow_up = existing.instrument == wave.instrument
        && existing.opens_at == opens
        && existing.closes_at == closes
        && existing.status() == WaveStatus::Scheduled;
    if has_schedule > 0 || !is_follow_up {
        return Ok(());
    }
    match schedule(conn, &existing, Some("quarter"), reminders) {
        // Another replica finished it first.
        Ok(_) | Err(AppError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A wave under the schedule, with how it repeats and its reminder plan.
#[derive(Queryable, Selectable)]
#[diesel(table_name = wave_schedules)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Scheduled {
    #[diesel(embed)]
    wave: Wave,
    every: Option<String>,
    reminders: String,
}

fn scheduled_waves(conn: &mut DbConn) -> AppResult<Vec<Scheduled>> {
    Ok(db_run!(conn, |c| waves::table
        .inner_join(wave_schedules::table)
        .filter(waves::status.eq_any([WaveStatus::Scheduled.as_str(), WaveStatus::Open.as_str()]))
        .select(Scheduled::as_select())
        .load(c))?)
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub opened: usize,
    pub reminders: usize,
    pub closed: usize,
    /// Steps that failed (logged with the wave's name); retried next tick.
    pub failed: usize,
}

/// One scheduler pass: opens, reminds, closes what is due. A wave whose step fails is
/// logged and counted in `failed`; the pass goes on with the other waves, so one broken
/// wave never holds up another's reminders or its close (A3).
pub fn tick(pool: &DbPool, clock: &Clock) -> AppResult<Tick> {
    let at = clock.now();
    let mut done = Tick::default();
    let mut conn = pool.get()?;
    for s in scheduled_waves(&mut conn)? {
        if let Err(e) = step(
            pool,
            &mut conn,
            &s.wave,
            s.every.is_some(),
            &s.reminders,
            at,
            &mut done,
        ) {
            tracing::error!(wave = %s.wave.name, error = %e, "schedule step failed");
            done.failed += 1;
        }
    }
    Ok(done)
}

fn step(
    pool: &DbPool,
    conn: &mut DbConn,
    wave: &Wave,
    repeats: bool,
    reminders: &str,
    at: NaiveDateTime,
    done: &mut Tick,
) -> AppResult<()> {
    let mut status = wave.status();
    if status == WaveStatus::Scheduled && wave.opens_at <= at && at < wave.closes_at {
        match wave_ops::open(pool, &wave.name) {
            Ok(_) => {
                done.opened += 1;
                status = WaveStatus::Open;
            }
            Err(AppError::Conflict(_)) => status = WaveStatus::Open,
            Err(e) => return Err(e),
        }
    }
    if status == WaveStatus::Open && repeats {
        // The follow-up can fail on its own (a report attribute dropped from the roster);
        // this wave's reminders and close go ahead regardless.
        if let Err(e) = ensure_follow_up(pool, wave, reminders) {
            tracing::error!(wave = %wave.name, error = %e, "the next wave of the series could not be created");
            done.failed += 1;
        }
    }
    if status == WaveStatus::Open && at < wave.closes_at {
        done.reminders += remind(conn, wave, at)?;
    }
    if wave.closes_at <= at {
        match wave_ops::close(pool, &wave.name) {
            Ok(_) => done.closed += 1,
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// An invitation not answered yet, and its person (none once they left the roster).
#[derive(Queryable, Selectable)]
#[diesel(table_name = invitations)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Unanswered {
    id: InvitationId,
    person_id: Option<PersonId>,
}

/// A person and their email address: a lookup table's pair.
type Address = (PersonId, String);

/// Queues reminders for the due reminder rows of an open wave: claims them (flips `done`)
/// and queues one reminder per unanswered invitation in one transaction. Returns how many
/// reminder emails were queued.
fn remind(conn: &mut DbConn, wave: &Wave, at: NaiveDateTime) -> AppResult<usize> {
    let wave_id = &wave.id;
    db_write!(conn, |c| {
        let claimed = diesel::update(
            wave_reminders::table
                .filter(wave_reminders::wave_id.eq(wave_id))
                .filter(wave_reminders::done.eq(false))
                .filter(wave_reminders::due_at.le(at)),
        )
        .set(wave_reminders::done.eq(true))
        .execute(c)?;
        if claimed == 0 {
            return Ok::<_, AppError>(0);
        }
        let pending: Vec<Unanswered> = invitations::table
            .filter(invitations::wave_id.eq(wave_id))
            .filter(invitations::responded.eq(false))
            .select(Unanswered::as_select())
            .load(c)?;
        let emails: std::collections::HashMap<PersonId, String> = people::table
            .select((people::id, people::email))
            .load::<Address>(c)?
            .into_iter()
            .collect();
        let rows: Vec<_> = pending
            .iter()
            .filter_map(|invitation| {
                let email = emails.get(invitation.person_id.as_ref()?)?;
                Some((
                    outbox::id.eq(new_id()),
                    outbox::wave_id.eq(wave_id),
                    outbox::invitation_id.eq(invitation.id.clone()),
                    outbox::kind.eq(Kind::Reminder.as_str()),
                    outbox::recipient.eq(email.clone()),
                    outbox::state.eq(crate::mail::outbox::PENDING),
                    outbox::next_attempt_at.eq(at),
                ))
            })
            .collect();
        for chunk in rows.chunks(1_000) {
            diesel::insert_into(outbox::table)
                .values(chunk.to_vec())
                .execute(c)?;
        }
        tracing::info!(wave = %wave.name, reminders = rows.len(), "reminders queued");
        Ok(rows.len())
    })
}

/// Queues reminders for a wave now (the `wave remind` command), to those not yet answered.
pub fn remind_now(pool: &DbPool, name: &str) -> AppResult<usize> {
    let mut conn = pool.get()?;
    let wave = wave_ops::find(&mut conn, name)?;
    let at = now();
    if !wave.accepting(at) {
        return Err(AppError::Conflict(format!(
            "wave \"{name}\" is not open: reminders go out only while a wave is open"
        )));
    }
    db_write!(&mut conn, |c| diesel::insert_into(wave_reminders::table)
        .values((
            wave_reminders::wave_id.eq(&wave.id),
            wave_reminders::due_at.eq(at.with_nanosecond_zeroed()),
            wave_reminders::done.eq(false),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    remind(&mut conn, &wave, at)
}

/// A wave's place in the schedule, as the admin console shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// How it repeats (`quarter`), if it does.
    pub every: Option<String>,
    /// The reminder plan as given (`50%,2d`).
    pub reminders: String,
    /// The reminders not sent yet, earliest first.
    pub due_reminders: Vec<NaiveDateTime>,
}

/// The plan of every wave under the schedule (a wave opened and closed by hand has none).
pub fn plans(conn: &mut DbConn) -> AppResult<std::collections::HashMap<WaveId, Plan>> {
    let rows: Vec<(WaveId, Option<String>, String)> = db_run!(conn, |c| wave_schedules::table
        .select((
            wave_schedules::wave_id,
            wave_schedules::every,
            wave_schedules::reminders
        ))
        .load(c))?;
    let due: Vec<(WaveId, NaiveDateTime)> = db_run!(conn, |c| wave_reminders::table
        .filter(wave_reminders::done.eq(false))
        .order(wave_reminders::due_at)
        .select((wave_reminders::wave_id, wave_reminders::due_at))
        .load(c))?;
    let mut out: std::collections::HashMap<WaveId, Plan> = rows
        .into_iter()
        .map(|(id, every, reminders)| {
            (
                id,
                Plan {
                    every,
                    reminders,
                    due_reminders: Vec::new(),
                },
            )
        })
        .collect();
    for (id, at) in due {
        if let Some(plan) = out.get_mut(&id) {
            plan.due_reminders.push(at);
        }
    }
    Ok(out)
}

/// A reminder plan in words: `50%,2d` reads "halfway through the window, and 2 days before
/// it closes".
pub fn reminders_in_words(plan: &[ReminderAt]) -> String {
    if plan.is_empty() {
        return "no reminders".to_string();
    }
    let each: Vec<String> = plan
        .iter()
        .map(|r| match r {
            ReminderAt::ShareOfWindow(s) if (*s - 0.5).abs() < 1e-9 => {
                "halfway through the window".to_string()
            }
            ReminderAt::ShareOfWindow(s) => format!("{}% of the way through the window", s * 100.0),
            ReminderAt::BeforeClose(d) => {
                let secs = d.num_seconds();
                let (n, unit) = if secs % 86_400 == 0 {
                    (secs / 86_400, "day")
                } else if secs % 3_600 == 0 {
                    (secs / 3_600, "hour")
                } else if secs % 60 == 0 {
                    (secs / 60, "minute")
                } else {
                    (secs, "second")
                };
                format!(
                    "{n} {unit}{} before it closes",
                    if n == 1 { "" } else { "s" }
                )
            }
        })
        .collect();
    match each.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("one reminder {}, and one {last}", rest.join(", one "))
        }
        _ => format!("one reminder {}", each.join("")),
    }
}

/// Runs forever: a tick, then a pause (the `serve` background thread).
/// Each tick also queues the managers' nudges that are due (`nudge_every_days`, see
/// [`super::notices::queue_nudges`]).
pub fn run_forever(
    pool: DbPool,
    clock: Clock,
    (tick_ms, nudge_every_days): (u64, u32),
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let pause = std::time::Duration::from_millis(tick_ms.max(10));
    while !*stop.borrow() {
        let nudged = (|| -> AppResult<usize> {
            let mut conn = pool.get()?;
            super::notices::queue_nudges(&mut conn, clock.now(), nudge_every_days)
        })();
        match nudged {
            Ok(0) => {}
            Ok(n) => tracing::info!(nudges = n, "action plan nudges queued"),
            Err(e) => tracing::error!(error = %e, "queueing nudges failed"),
        }
        match tick(&pool, &clock) {
            Ok(t) if t != Tick::default() => tracing::info!(
                opened = t.opened,
                reminders = t.reminders,
                closed = t.closed,
                failed = t.failed,
                "schedule tick"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "schedule tick failed"),
        }
        crate::shutdown::pause(&stop, pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        wave_ops::parse_time(s).unwrap()
    }

    #[test]
    fn default_reminders_are_halfway_and_two_days_before_closing() {
        let plan = parse_reminders("50%,2d").unwrap();
        let times = reminder_times(&plan, t("2026-12-01"), t("2026-12-15"));
        assert_eq!(times, vec![t("2026-12-08"), t("2026-12-13")]);
        // Outside a one-day window the two-day reminder is dropped.
        let times = reminder_times(&plan, t("2026-12-01"), t("2026-12-02"));
        assert_eq!(times, vec![t("2026-12-01 12:00")]);
    }

    #[test]
    fn bad_reminder_plans_name_the_problem() {
        assert!(parse_reminders("none").unwrap().is_empty());
        let e = parse_reminders("10%,20%,30%,40%").unwrap_err().to_string();
        assert!(e.contains("at most 3"), "{e}");
        let e = parse_reminders("2w").unwrap_err().to_string();
        assert!(e.contains("\"2w\""), "{e}");
        let e = parse_reminders("120%").unwrap_err().to_string();
        assert!(e.contains("between 0% and 100%"), "{e}");
        for huge in ["1000000000d", "99999999999999999d", "0h", "-2d"] {
            let e = parse_reminders(huge).unwrap_err().to_string();
            assert!(e.contains(&format!("\"{huge}\"")), "{e}");
        }
        // A multi-byte last character is an error, not a panic.
        let e = parse_reminders("5€").unwrap_err().to_string();
        assert!(e.contains("\"5€\""), "{e}");
        assert_eq!(
            parse_reminders("366d").unwrap(),
            vec![ReminderAt::BeforeClose(chrono::Duration::days(366))]
        );
    }

    #[test]
    fn reminder_plans_in_words() {
        let words = |s: &str| reminders_in_words(&parse_reminders(s).unwrap());
        assert_eq!(
            words("50%,2d"),
            "one reminder halfway through the window, and one 2 days before it closes"
        );
        assert_eq!(words("12h"), "one reminder 12 hours before it closes");
        assert_eq!(words("none"), "no reminders");
    }

    #[test]
    fn follow_up_names() {
        assert_eq!(follow_up_name("2026-Q4", t("2027-03-01")), "2027-Q1");
        assert_eq!(
            follow_up_name("Pulse 2026-Q2", t("2026-09-01")),
            "Pulse 2026-Q3"
        );
        assert_eq!(follow_up_name("Pulse", t("2027-03-01")), "Pulse 2027-03");
        assert_eq!(
            follow_up_name("Pulse 2027-03", t("2027-06-01")),
            "Pulse 2027-06"
        );
    }
}
