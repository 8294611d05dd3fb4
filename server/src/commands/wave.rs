//! `worklife wave create|open|remind|close|list|status|audit`, one function each.

use crate::cli::{WaveCommand, WaveCreateArgs};
use crate::configuration::Settings;
use crate::db::{DbConn, DbPool};
use chrono::NaiveDateTime;

use crate::error::AppError;
use crate::reports::{disclosure_audit, ReleaseCache};
use crate::survey::responses::InstrumentCache;
use crate::survey::waves::{self, NewWave, WaveStatus};
use survey_engine::disclosure::CountGroup;

pub fn run(cmd: WaveCommand) -> anyhow::Result<()> {
    let (settings, pool) = super::storage()?;
    match cmd {
        WaveCommand::Create(args) => create(&settings, &mut pool.get()?, args),
        WaveCommand::Open { name, no_send } => open(&settings, &pool, &name, no_send),
        WaveCommand::Remind { name } => remind(&settings, &pool, &name),
        WaveCommand::Close { name } => close(&pool, &name),
        WaveCommand::List => list(&mut pool.get()?),
        WaveCommand::Status { name } => status(&mut pool.get()?, &name),
        WaveCommand::Audit { name } => audit(&mut pool.get()?, &name),
    }
}

fn create(settings: &Settings, conn: &mut DbConn, args: WaveCreateArgs) -> anyhow::Result<()> {
    let WaveCreateArgs {
        name,
        instrument,
        opens,
        closes,
        min_group_size,
        comment_min,
        attributes,
        auto,
        every,
        reminders,
    } = args;
    let scheduled = auto || every.is_some() || reminders.is_some();
    // Everything is checked before anything is written, the configured plan too, and every
    // problem is told at once.
    let from_setting = reminders.is_none();
    let plan = reminders.unwrap_or_else(|| settings.mail.reminders.clone());
    let mut problems = Vec::new();
    if let Some(Err(AppError::Validation(found))) =
        every.as_deref().map(crate::mail::schedule::parse_every)
    {
        problems.extend(found);
    }
    if scheduled {
        if let Err(AppError::Validation(found)) = crate::mail::schedule::parse_reminders(&plan) {
            let source = if from_setting {
                " (the mail.reminders setting)"
            } else {
                ""
            };
            problems.extend(found.into_iter().map(|p| format!("{p}{source}")));
        }
    }
    let mut time = |field: &str, s: &str| match waves::parse_time(s) {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(format!("{field}: {e}"));
            None
        }
    };
    let (opens_at, closes_at) = (time("opens", &opens), time("closes", &closes));
    let new = NewWave {
        name: &name,
        instrument: &instrument,
        // A time that could not be read is told above; these stand-ins keep the order check
        // from adding a second problem about it.
        opens_at: opens_at.unwrap_or(NaiveDateTime::MIN),
        closes_at: closes_at.unwrap_or(NaiveDateTime::MAX),
        min_group_size,
        attributes: &attributes,
        comment_min,
    };
    problems.extend(waves::problems(conn, &new)?);
    if !problems.is_empty() {
        return Err(AppError::Validation(problems).into());
    }
    let wave = waves::create(conn, &new)?;
    say!(
        "wave \"{}\" scheduled: {} from {} to {}, k = {}, comments where at least {} wrote one",
        wave.name,
        wave.instrument,
        wave.opens_at,
        wave.closes_at,
        wave.min_group_size,
        new.comment_min()
    );
    if scheduled {
        let times = crate::mail::schedule::schedule(conn, &wave, every.as_deref(), &plan)?;
        let times: Vec<String> = times
            .iter()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .collect();
        say!(
            "the server opens and closes it at these times{}; reminders: {}",
            if every.is_some() {
                ", and schedules the next wave three months later when it opens"
            } else {
                ""
            },
            if times.is_empty() {
                "none".to_string()
            } else {
                times.join(", ")
            }
        );
    }
    Ok(())
}

fn open(settings: &Settings, pool: &DbPool, name: &str, no_send: bool) -> anyhow::Result<()> {
    let opened = waves::open(pool, name)?;
    say!(
        "wave \"{name}\" is open: {} people invited, {} invitation(s) queued",
        opened.invited,
        opened.queued
    );
    if !no_send {
        super::mail::send_due(pool, settings)?;
    }
    Ok(())
}

fn remind(settings: &Settings, pool: &DbPool, name: &str) -> anyhow::Result<()> {
    let queued = crate::mail::schedule::remind_now(pool, name)?;
    say!("wave \"{name}\": {queued} reminder(s) queued");
    super::mail::send_due(pool, settings)?;
    Ok(())
}

fn close(pool: &DbPool, name: &str) -> anyhow::Result<()> {
    match waves::close(pool, name)? {
        waves::Closing::Closed { kept } => {
            say!(
                "wave \"{name}\" is closed: {kept} response(s) kept; links and who-answered records destroyed"
            );
            // The audit is kept with the wave. The close is committed already: stopping the
            // audit loses nothing.
            say!(
                "auditing the release (minutes for a large organisation; Ctrl-C stops only the audit, `worklife wave audit {name}` runs it later)"
            );
            let mut conn = pool.get()?;
            let wave = waves::find(&mut conn, name)?;
            let (kept, _) = disclosure_audit::run(
                &mut conn,
                &ReleaseCache::default(),
                &InstrumentCache::default(),
                &wave,
            )?;
            say!("disclosure audit: {}", kept.summary(&wave.name, &utc(kept.audited_at)));
        }
        waves::Closing::Cancelled => say!(
            "wave \"{name}\" never opened and is now cancelled: nobody was invited, it has no report"
        ),
    }
    Ok(())
}

fn list(conn: &mut DbConn) -> anyhow::Result<()> {
    say!(
        "{:<20} {:<9} {:<20} {:<17} {:<17} k",
        "wave",
        "status",
        "instrument",
        "opens",
        "closes"
    );
    for w in waves::list(conn)? {
        say!(
            "{:<20} {:<9} {:<20} {:<17} {:<17} {}",
            w.name,
            w.status,
            w.instrument,
            w.opens_at.format("%Y-%m-%d %H:%M"),
            w.closes_at.format("%Y-%m-%d %H:%M"),
            w.min_group_size
        );
    }
    Ok(())
}

fn status(conn: &mut DbConn, name: &str) -> anyhow::Result<()> {
    let wave = waves::find(conn, name)?;
    let k = i64::from(wave.min_group_size);
    say!("wave \"{}\" ({}), k = {k}", wave.name, wave.status);
    let mail = crate::mail::outbox::counts(conn, &wave.id)?;
    say!(
        "emails: {} sent, {} pending, {} failed permanently",
        mail.sent,
        mail.pending,
        mail.failed
    );
    say!(
        "{:<40} {:>8} {:>10} {:>6}",
        "unit",
        "invited",
        "responded",
        "rate"
    );
    let (releases, instruments) = (ReleaseCache::default(), InstrumentCache::default());
    for u in crate::reports::release::unit_counts(conn, &releases, &instruments, &wave)? {
        // One word for every hidden count: "fewer than k" would itself be a figure (P1).
        let (responded, rate) = if !u.shown {
            ("hidden".to_string(), String::new())
        } else {
            let rate = if u.invited > 0 {
                format!("{:.0}%", 100.0 * u.responded as f64 / u.invited as f64)
            } else {
                String::new()
            };
            (u.responded.to_string(), rate)
        };
        say!(
            "{:<40} {:>8} {:>10} {:>6}",
            u.path,
            u.invited,
            responded,
            rate
        );
    }
    if wave.status() == WaveStatus::Closed {
        match disclosure_audit::kept(conn, &wave.id)? {
            Some(kept) => say!("disclosure audit: {}", kept.summary(&wave.name, &utc(kept.audited_at))),
            None => say!(
                "disclosure audit: not run yet: a running server audits each wave that closes while it runs; `worklife wave audit {}` runs it now",
                wave.name
            ),
        }
    }
    Ok(())
}

/// A time as `wave list` and `wave status` print it.
fn utc(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Prints the first findings of one kind, and how many more there are.
fn print_some(lines: impl Iterator<Item = String>, total: usize) -> anyhow::Result<()> {
    const SHOWN: usize = 20;
    for line in lines.take(SHOWN) {
        say!("{line}");
    }
    if total > SHOWN {
        say!("  ... and {} more of this kind", total - SHOWN);
    }
    Ok(())
}

/// Runs the closed wave's disclosure audit again, keeps it, and lists every finding by
/// measure and group (for the operator: no figure and no respondent is printed).
fn audit(conn: &mut DbConn, name: &str) -> anyhow::Result<()> {
    let wave = waves::find(conn, name)?;
    let (releases, instruments) = (ReleaseCache::default(), InstrumentCache::default());
    let (kept, findings) = disclosure_audit::run(conn, &releases, &instruments, &wave)?;
    say!(
        "wave \"{}\": disclosure audit {}",
        wave.name,
        kept.summary(&wave.name, &utc(kept.audited_at))
    );
    let release = releases.get(conn, &instruments, &wave)?;
    let group = |g: &CountGroup| release.release.group_label(g);
    match &findings.breaches {
        Some(found) => {
            let breaches = found.iter().map(|(measure, breach)| {
                format!(
                    "  adding and subtracting: {measure}: a group of {} respondent(s) under k",
                    breach.respondents.len()
                )
            });
            print_some(breaches, found.len())?;
        }
        None => say!(
            "  adding and subtracting: not audited (more than {} cells per measure)",
            survey_engine::release::EXACT_AUDIT_MAX_CELLS
        ),
    }
    let pinned = findings
        .pinned
        .iter()
        .map(|(measure, g)| format!("  count pinned: {measure}: {}", group(g)));
    print_some(pinned, findings.pinned.len())?;
    let narrow = findings.narrow.iter().map(|(measure, g)| {
        format!(
            "  narrow average: {measure}: {} (range {:.2} wide)",
            group(&g.group),
            g.width
        )
    });
    print_some(narrow, findings.narrow.len())?;
    let alike = findings.alike.iter().map(|(measure, f)| {
        let key = release.release.layout.cell_key(f.holder);
        let holder = CountGroup {
            unit: key.unit,
            cut: key.cut,
            direct: false,
        };
        format!(
            "  answered alike, worked out: {measure}: {} less the shown cells inside it ({} respondents)",
            group(&holder),
            f.n
        )
    });
    print_some(alike, findings.alike.len())?;
    if !findings.counts_checked {
        say!("  counts: not checked against the roster (this wave kept no invited counts)");
    }
    if findings.excused > 0 || findings.mean_exceptions > 0 {
        say!(
            "  counted exceptions (docs/privacy.md D7): {} count(s) inside teams that all answered, {} average(s) only the organisation's own figure pins",
            findings.excused, findings.mean_exceptions
        );
    }
    Ok(())
}
