//! The durable outbox and its delivery worker.
//!
//! Every email (invitation, reminder) is an `outbox` row before anything is sent. A worker
//! claims a batch of due rows (PostgreSQL: `FOR UPDATE SKIP LOCKED` and a lease in one
//! statement, so replicas never claim the same row; SQLite: one process, a plain claim in a
//! write transaction), makes a fresh token per email and commits only its hash (A2) before
//! sending, sends the batch over several SMTP connections at once, then marks the batch in
//! one transaction. Temporary failures (connection refused, timeouts, 4xx) come back after
//! an exponential backoff (`mail.retry_base_secs` doubling up to `mail.retry_cap_secs`) until
//! `mail.max_attempts`; permanent ones (5xx, an unusable address) are marked `failed`.
//! A claim whose lease ran out (its worker died) is claimed again.
//!
//! At most one repeat: a worker that dies after the SMTP server accepted some emails of its
//! batch but before it committed the batch's "sent" mark leaves those rows claimed; when the
//! lease (`mail.lease_secs`) runs out they are claimed and sent once more. So each such
//! crash can deliver each email of the one batch in flight a second time (with a second,
//! fresh link: both open the same single answer sheet), never more, and never an email of
//! another batch. A worker stops sending its batch when half its lease has passed (or
//! the server is stopping) and hands the unsent rest back at once, so a slow SMTP server
//! never lets a second worker claim an email the first is still sending; marking is retried
//! a few times before the batch is left to its lease. Nothing goes out once the wave's
//! closing time has passed, nor to someone who has already answered.
//! `last_error` and the logs never hold a token or an address: both are redacted from the
//! server's answer.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use crate::clock::Clock;
use crate::configuration::{MailSettings, Settings};
use crate::db::schema::{invitation_tokens, invitations, outbox, wave_mail_counts, waves};
use crate::db::{new_id, DbConn, DbPool, WaveId};
use crate::error::AppResult;
use crate::mail::notices::{self, Settle};
use crate::mail::{Invitation, Kind, Mailer};
use crate::survey::tokens;
use crate::survey::waves::WaveStatus;
use crate::{db_run, db_write};

pub use super::outbox_state::{FAILED, PENDING, SENDING, SENT, SKIPPED};

#[derive(QueryableByName, Debug)]
struct Claimed {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    recipient: String,
    #[diesel(sql_type = Text)]
    wave_id: String,
    #[diesel(sql_type = Text)]
    invitation_id: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

const CLAIM_POSTGRES: &str = "UPDATE outbox SET state = 'sending', claimed_by = $1, \
     claimed_until = $2, attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox \
     WHERE (state = 'pending' AND next_attempt_at <= $3) OR (state = 'sending' AND \
     claimed_until < $3) ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, recipient, wave_id, invitation_id, attempts";

// SQLite has no row locks: one worker per database, inside BEGIN IMMEDIATE.
const CLAIM_SQLITE: &str = "UPDATE outbox SET state = 'sending', claimed_by = ?, \
     claimed_until = ?, attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox \
     WHERE (state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND \
     claimed_until < ?) ORDER BY next_attempt_at LIMIT ?) \
     RETURNING id, kind, recipient, wave_id, invitation_id, attempts";

fn claim(
    conn: &mut DbConn,
    worker: &str,
    cfg: &MailSettings,
    at: NaiveDateTime,
) -> AppResult<Vec<Claimed>> {
    let until = at + chrono::Duration::seconds(cfg.lease_secs as i64);
    let limit = i64::from(cfg.batch_size.max(1));
    Ok(match conn {
        DbConn::Postgres(c) => diesel::sql_query(CLAIM_POSTGRES)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(at)
            .bind::<BigInt, _>(limit)
            .load(&mut **c)?,
        DbConn::Sqlite(..) => db_write!(conn, |c| diesel::sql_query(CLAIM_SQLITE)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(at)
            .bind::<Timestamp, _>(at)
            .bind::<BigInt, _>(limit)
            .load::<Claimed>(c))?,
    })
}

/// One claimed email, built and ready to go.
struct Ready {
    id: String,
    invitation_id: String,
    attempts: i32,
    token: String,
    to: String,
    message: lettre::Message,
}

/// An email's id, what became of it, and its attempts so far.
type Settled = (String, Outcome, i32);

#[derive(Clone)]
enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
    Skipped,
    /// Not tried: the batch ran out of time or the server is stopping. Back to pending at
    /// once, not counted as an attempt.
    Released,
}

/// Delivers due emails: one claim, build, send, mark round per call.
pub struct Worker {
    pub id: String,
    pool: DbPool,
    mailer: Mailer,
    base_url: String,
    organisation: String,
    /// Closing times are written on the organisation's clock, as the answer form shows them.
    timezone: crate::configuration::TimeZone,
    cfg: MailSettings,
    /// The demo replays past quarters: their closing times have passed by design.
    replaying_history: bool,
    clock: Clock,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Round {
    fn plus(self, other: Round) -> Round {
        Round {
            claimed: self.claimed + other.claimed,
            sent: self.sent + other.sent,
            retried: self.retried + other.retried,
            failed: self.failed + other.failed,
        }
    }
}

/// What an email needs of its wave.
#[derive(Queryable, Selectable)]
#[diesel(table_name = waves)]
struct WaveInfo {
    id: WaveId,
    name: String,
    closes_at: NaiveDateTime,
    min_group_size: i32,
    link_tag: String,
    status: WaveStatus,
}

impl Worker {
    pub fn new(pool: DbPool, settings: &Settings) -> anyhow::Result<Worker> {
        Ok(Worker {
            id: new_id(),
            pool,
            mailer: Mailer::new(settings)?,
            base_url: settings.base_url.trim_end_matches('/').to_string(),
            organisation: settings.organisation.clone(),
            timezone: settings.timezone,
            cfg: settings.mail.clone(),
            replaying_history: false,
            clock: Clock::system(),
        })
    }

    /// The worker reading `clock` for what is due and what may still be sent.
    pub fn with_clock(mut self, clock: Clock) -> Worker {
        self.clock = clock;
        self
    }

    /// A worker for the demo, which builds past quarters through the real code paths: it
    /// sends for waves whose closing time has passed (still only while they are open).
    pub fn replaying_history(mut self) -> Worker {
        self.replaying_history = true;
        self
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// Claims, sends and marks one batch.
    pub fn round(&self) -> AppResult<Round> {
        self.round_until(&|| false)
    }

    /// [`Worker::round`] that stops sending (and hands the rest back) once `stop` says so.
    fn round_until(&self, stop: &(dyn Fn() -> bool + Sync)) -> AppResult<Round> {
        let mut conn = self.pool.get()?;
        // Half the lease for sending: the rest is margin for marking, so no other worker
        // can claim an email of this batch while it may still be sent.
        let deadline = std::time::Instant::now() + Duration::from_secs(self.cfg.lease_secs) / 2;
        // Staff notices first: a handful at most, and never held up by a large wave.
        let notices = self.notice_round(&mut conn)?;
        let claimed = claim(&mut conn, &self.id, &self.cfg, self.clock.now())?;
        if claimed.is_empty() {
            return Ok(notices);
        }
        let (ready, mut outcomes) = self.prepare(&mut conn, &claimed)?;
        let go_on = || std::time::Instant::now() < deadline && !stop();
        outcomes.extend(self.send_all(ready, &go_on));
        let round = Round {
            claimed: claimed.len(),
            sent: outcomes
                .iter()
                .filter(|o| matches!(o.1, Outcome::Sent))
                .count(),
            retried: outcomes
                .iter()
                .filter(|o| matches!(o.1, Outcome::Retry(_)))
                .count(),
            failed: outcomes
                .iter()
                .filter(|o| matches!(o.1, Outcome::Failed(_)))
                .count(),
        };
        self.mark_with_retries(&mut conn, outcomes)?;
        Ok(round.plus(notices))
    }

    /// Claims, sends and marks due staff notices ([`notices`]), one at a time.
    fn notice_round(&self, conn: &mut DbConn) -> AppResult<Round> {
        let at = self.clock.now();
        let claimed = notices::claim(conn, &self.id, &self.cfg, at)?;
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        for row in &claimed {
            let letter = notices::letter(conn, row, &self.base_url, &self.organisation)?;
            let settle = match letter {
                None => Settle::Failed("its wave no longer exists".into()),
                Some(letter) => match self.mailer.notice(&row.recipient, &letter) {
                    // Only the address can be wrong here; retrying cannot help.
                    Err(e) => Settle::Failed(redact(&e.to_string(), &row.recipient, "[recipient]")),
                    Ok(message) => match self.mailer.send(&message) {
                        Ok(()) => Settle::Sent,
                        Err(e) => {
                            let text = redact(
                                &redact(&e.message, &letter.unsubscribe_link, "[link]"),
                                &row.recipient,
                                "[recipient]",
                            );
                            if e.permanent || row.attempts >= self.cfg.max_attempts {
                                Settle::Failed(text)
                            } else {
                                Settle::Retry(at + backoff(&self.cfg, row.attempts), text)
                            }
                        }
                    },
                },
            };
            match &settle {
                Settle::Sent => {
                    round.sent += 1;
                    crate::metrics::mail_sent();
                }
                Settle::Retry(_, e) => {
                    round.retried += 1;
                    tracing::warn!(error = %e, attempts = row.attempts, "notice delivery failed; will retry");
                    crate::metrics::mail_failed(false);
                }
                Settle::Failed(e) => {
                    round.failed += 1;
                    tracing::warn!(error = %e, attempts = row.attempts, "notice delivery failed permanently");
                    crate::metrics::mail_failed(true);
                }
            }
            notices::mark(conn, &self.id, &row.id, settle)?;
        }
        Ok(round)
    }

    /// A failed mark would leave the batch to its lease and send it again: retried a few
    /// times first (about six seconds in all).
    fn mark_with_retries(&self, conn: &mut DbConn, outcomes: Vec<Settled>) -> AppResult<()> {
        let mut wait = Duration::from_millis(200);
        for _ in 0..5 {
            match self.mark(conn, outcomes.clone()) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(error = %e, "marking sent emails failed; trying again");
                    std::thread::sleep(wait);
                    wait *= 2;
                    if let Ok(fresh) = self.pool.get() {
                        *conn = fresh;
                    }
                }
            }
        }
        self.mark(conn, outcomes)
    }

    /// Sends until nothing is due; returns the totals.
    pub fn drain(&self) -> AppResult<Round> {
        let mut total = Round::default();
        loop {
            let r = self.round()?;
            if r.claimed == 0 {
                return Ok(total);
            }
            total = total.plus(r);
        }
    }

    /// Makes a token per email and commits the hashes before any send, so a link works the
    /// moment its email arrives. Emails whose invitation vanished (the wave closed) or whose
    /// reminder is moot (the invitee answered) are settled without sending.
    fn prepare(
        &self,
        conn: &mut DbConn,
        claimed: &[Claimed],
    ) -> AppResult<(Vec<Ready>, Vec<Settled>)> {
        let wave_ids: Vec<&String> = claimed
            .iter()
            .map(|c| &c.wave_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let infos: Vec<WaveInfo> = db_run!(conn, |c| waves::table
            .filter(waves::id.eq_any(&wave_ids))
            .select(WaveInfo::as_select())
            .load(c))?;
        let infos: HashMap<&str, &WaveInfo> = infos.iter().map(|w| (w.id.as_str(), w)).collect();
        let mut ready = Vec::with_capacity(claimed.len());
        let mut settled = Vec::new();
        let mut hashes = Vec::with_capacity(claimed.len());
        let invitation_ids: Vec<&String> = claimed.iter().map(|c| &c.invitation_id).collect();
        // Invitations still there whose person is still on the roster (a person removed
        // after the wave opened gets no more email).
        let live: HashMap<String, bool> = db_run!(conn, |c| invitations::table
            .filter(invitations::id.eq_any(&invitation_ids))
            .filter(invitations::person_id.is_not_null())
            .select((invitations::id, invitations::responded))
            .load::<(String, bool)>(c))?
        .into_iter()
        .collect();
        let at = self.clock.now();
        for row in claimed {
            let kind = Kind::parse(&row.kind);
            let wave = infos.get(row.wave_id.as_str());
            let responded = live.get(&row.invitation_id);
            let (Some(wave), Some(responded)) = (wave, responded) else {
                settled.push((row.id.clone(), Outcome::Skipped, row.attempts));
                continue;
            };
            // Past closing, or answered already (a retried or repeated invitation too):
            // the link would only say so.
            let past_closing = wave.closes_at <= at && !self.replaying_history;
            if wave.status != WaveStatus::Open || past_closing || *responded {
                settled.push((row.id.clone(), Outcome::Skipped, row.attempts));
                continue;
            }
            let token = tokens::new_token(&wave.link_tag)?;
            let link = format!("{}/s/{token}", self.base_url);
            let closes = self
                .timezone
                .local(wave.closes_at)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string();
            let built = self.mailer.build(
                kind,
                &row.recipient,
                &Invitation {
                    organisation: &self.organisation,
                    wave: &wave.name,
                    closes: &closes,
                    link: &link,
                    min_group_size: wave.min_group_size,
                },
            );
            match built {
                Ok(message) => {
                    hashes.push((tokens::hash(&token), &row.invitation_id, &row.wave_id));
                    ready.push(Ready {
                        id: row.id.clone(),
                        invitation_id: row.invitation_id.clone(),
                        attempts: row.attempts,
                        token,
                        to: row.recipient.clone(),
                        message,
                    });
                }
                // Only the address can be wrong here; retrying cannot help.
                Err(e) => settled.push((row.id.clone(), Outcome::Failed(e.to_string()), 0)),
            }
        }
        let still = db_write!(conn, |c| {
            // Invitations of a wave closing right now may be gone: their emails are settled
            // without sending (their link was never stored).
            let still: HashSet<String> = invitations::table
                .filter(invitations::id.eq_any(&invitation_ids))
                .select(invitations::id)
                .load::<String>(c)?
                .into_iter()
                .collect();
            let rows: Vec<_> = hashes
                .iter()
                .filter(|(_, invitation, _)| still.contains(*invitation))
                .map(|(hash, invitation, wave)| {
                    (
                        invitation_tokens::token_hash.eq(hash),
                        invitation_tokens::invitation_id.eq(*invitation),
                        invitation_tokens::wave_id.eq(*wave),
                    )
                })
                .collect();
            for chunk in rows.chunks(1_000) {
                diesel::insert_into(invitation_tokens::table)
                    .values(chunk.to_vec())
                    .execute(c)?;
            }
            Ok::<_, diesel::result::Error>(still)
        })?;
        let (ready, gone): (Vec<Ready>, Vec<Ready>) = ready
            .into_iter()
            .partition(|r| still.contains(&r.invitation_id));
        settled.extend(
            gone.into_iter()
                .map(|r| (r.id, Outcome::Skipped, r.attempts)),
        );
        Ok((ready, settled))
    }

    /// Sends concurrently over `mail.connections` threads (each with a pooled connection).
    fn send_all(&self, ready: Vec<Ready>, go_on: &(dyn Fn() -> bool + Sync)) -> Vec<Settled> {
        let threads = (self.cfg.connections.max(1) as usize).min(ready.len().max(1));
        let per = ready.len().div_ceil(threads).max(1);
        let mailer = &self.mailer;
        std::thread::scope(|s| {
            let handles: Vec<_> = ready
                .chunks(per)
                .map(|chunk| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|r| {
                                if !go_on() {
                                    return (r.id.clone(), Outcome::Released, r.attempts);
                                }
                                let outcome = match mailer.send(&r.message) {
                                    Ok(()) => Outcome::Sent,
                                    Err(e) => {
                                        // Servers may echo what they got: logs and the
                                        // outbox keep neither link nor address (A4).
                                        let text = redact(
                                            &e.message.replace(&r.token, "[token]"),
                                            &r.to,
                                            "[recipient]",
                                        );
                                        if e.permanent {
                                            Outcome::Failed(text)
                                        } else {
                                            Outcome::Retry(text)
                                        }
                                    }
                                };
                                (r.id.clone(), outcome, r.attempts)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    }

    /// Marks a batch in one transaction; only rows this worker still holds are touched.
    fn mark(&self, conn: &mut DbConn, outcomes: Vec<Settled>) -> AppResult<()> {
        let at = self.clock.now();
        let mut sent = Vec::new();
        let mut skipped = Vec::new();
        let mut others = Vec::new();
        let mut released = Vec::new();
        for (id, outcome, attempts) in outcomes {
            match outcome {
                Outcome::Sent => sent.push(id),
                Outcome::Skipped => skipped.push(id),
                Outcome::Released => released.push(id),
                Outcome::Retry(e) if attempts < self.cfg.max_attempts => {
                    let delay = backoff(&self.cfg, attempts);
                    tracing::warn!(error = %e, attempts, "email delivery failed; will retry");
                    others.push((id, PENDING, at + delay, e));
                }
                Outcome::Retry(e) | Outcome::Failed(e) => {
                    tracing::warn!(error = %e, attempts, "email delivery failed permanently");
                    others.push((id, FAILED, at, e));
                }
            }
        }
        let me = self.id.as_str();
        db_write!(conn, |c| {
            for (ids, state) in [(&sent, SENT), (&skipped, SKIPPED)] {
                for chunk in ids.chunks(1_000) {
                    diesel::update(
                        outbox::table
                            .filter(outbox::id.eq_any(chunk))
                            .filter(outbox::claimed_by.eq(me)),
                    )
                    .set((
                        outbox::state.eq(state),
                        outbox::claimed_by.eq(None::<String>),
                        outbox::claimed_until.eq(None::<NaiveDateTime>),
                        outbox::last_error.eq(None::<String>),
                    ))
                    .execute(c)?;
                }
            }
            for chunk in released.chunks(1_000) {
                diesel::update(
                    outbox::table
                        .filter(outbox::id.eq_any(chunk))
                        .filter(outbox::claimed_by.eq(me)),
                )
                .set((
                    outbox::state.eq(PENDING),
                    outbox::next_attempt_at.eq(at),
                    outbox::attempts.eq(outbox::attempts - 1),
                    outbox::claimed_by.eq(None::<String>),
                    outbox::claimed_until.eq(None::<NaiveDateTime>),
                ))
                .execute(c)?;
            }
            for (id, state, next, error) in &others {
                diesel::update(
                    outbox::table
                        .filter(outbox::id.eq(id))
                        .filter(outbox::claimed_by.eq(me)),
                )
                .set((
                    outbox::state.eq(*state),
                    outbox::next_attempt_at.eq(next),
                    outbox::claimed_by.eq(None::<String>),
                    outbox::claimed_until.eq(None::<NaiveDateTime>),
                    outbox::last_error.eq(Some(error)),
                ))
                .execute(c)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        for _ in &sent {
            crate::metrics::mail_sent();
        }
        for (_, state, ..) in &others {
            crate::metrics::mail_failed(*state == FAILED);
        }
        Ok(())
    }

    /// Runs forever: a round, or a pause when nothing was due (the `serve` background thread).
    pub fn run_forever(self, stop: tokio::sync::watch::Receiver<bool>) {
        let idle = Duration::from_millis(self.cfg.poll_ms.max(10));
        // A stop ends the batch in flight after the email being sent: the rest is handed back
        // and the batch marked, so a graceful shutdown leaves no claim behind.
        let stopping = {
            let stop = stop.clone();
            move || *stop.borrow()
        };
        while !*stop.borrow() {
            match self.round_until(&stopping) {
                Ok(r) if r.claimed > 0 => {
                    tracing::info!(
                        sent = r.sent,
                        retried = r.retried,
                        failed = r.failed,
                        "emails delivered"
                    );
                    // A batch full of temporary failures would otherwise spin.
                    if r.sent == 0 {
                        crate::shutdown::pause(&stop, idle);
                    }
                }
                Ok(_) => {
                    crate::shutdown::pause(&stop, idle);
                }
                Err(e) => {
                    tracing::error!(error = %e, "email worker round failed");
                    crate::shutdown::pause(&stop, idle);
                }
            }
            if let Ok(pending) = self.pending() {
                crate::metrics::set_outbox_depth(pending);
            }
        }
        tracing::info!("email worker stopped");
    }

    /// Emails waiting to be sent (the outbox depth metric).
    fn pending(&self) -> AppResult<u64> {
        let mut conn = self.pool.get()?;
        let n: i64 = db_run!(&mut conn, |c| outbox::table
            .filter(outbox::state.eq(PENDING))
            .count()
            .get_result(c))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// `text` with every occurrence of `needle` replaced, ignoring ASCII case: servers may echo
/// an address lower-cased.
fn redact(text: &str, needle: &str, with: &str) -> String {
    if needle.is_empty() {
        return text.to_string();
    }
    let (lower, low_needle) = (text.to_ascii_lowercase(), needle.to_ascii_lowercase());
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(at) = lower[from..].find(&low_needle) {
        out.push_str(&text[from..from + at]);
        out.push_str(with);
        from += at + low_needle.len();
    }
    out.push_str(&text[from..]);
    out
}

/// Delay before the next attempt: base * 2^(attempts-1), capped.
fn backoff(cfg: &MailSettings, attempts: i32) -> chrono::Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
    let secs = cfg
        .retry_base_secs
        .saturating_mul(1u64 << exp)
        .min(cfg.retry_cap_secs);
    chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2_000))
}

/// Per-wave delivery counts for `wave status`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailCounts {
    pub sent: i64,
    pub pending: i64,
    pub failed: i64,
}

/// Counts of a wave's emails: from its outbox rows while open, from the kept aggregate
/// once closed (the rows are gone then, A3).
pub fn counts(conn: &mut DbConn, wave_id: &WaveId) -> AppResult<MailCounts> {
    let kept: Option<(i32, i32)> = db_run!(conn, |c| wave_mail_counts::table
        .find(wave_id)
        .select((wave_mail_counts::sent, wave_mail_counts::failed))
        .first(c)
        .optional())?;
    let rows: Vec<super::outbox_state::StateCount> = db_run!(conn, |c| outbox::table
        .filter(outbox::wave_id.eq(wave_id))
        .group_by(outbox::state)
        .select((outbox::state, diesel::dsl::count_star()))
        .load(c))?;
    let mut out = MailCounts::default();
    if let Some((sent, failed)) = kept {
        out.sent = i64::from(sent);
        out.failed = i64::from(failed);
    }
    for (state, n) in rows {
        match state.as_str() {
            SENT => out.sent += n,
            FAILED => out.failed += n,
            PENDING | SENDING => out.pending += n,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_redacted_whatever_their_case() {
        assert_eq!(
            redact(
                "550 <alice.smith@example.org> unknown; Alice.Smith@Example.org",
                "Alice.Smith@Example.org",
                "[recipient]"
            ),
            "550 <[recipient]> unknown; [recipient]"
        );
        assert_eq!(redact("no address here", "a@b.c", "[r]"), "no address here");
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let cfg = MailSettings::default();
        let secs: Vec<i64> = [1, 2, 3, 7, 8, 12, 40]
            .iter()
            .map(|a| backoff(&cfg, *a).num_seconds())
            .collect();
        assert_eq!(secs, vec![30, 60, 120, 1920, 3600, 3600, 3600]);
    }
}
