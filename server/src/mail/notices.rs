//! Emails to staff, beside the respondents' outbox: "results released" to each manager of a
//! closed wave's unit, a gentle weekly nudge while that manager's action plan stays empty,
//! and an admin's test email from the settings page.
//!
//! Like the outbox, each email is a row (`notices`) before anything is sent, delivered by the
//! outbox's [`super::outbox::Worker`] with the same claim, lease and retries. A notice names
//! a member of staff, a wave and a unit, never a respondent: no notice says who answered or
//! how many did (a count could be under k). A nudge's unsubscribe link is made when it is
//! sent and only its SHA-256 is stored, as for answer links.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::outbox_state::{FAILED, PENDING, SENT};
use crate::auth::{random_secret, sha256_hex, Role};
use crate::configuration::MailSettings;
use crate::db::schema::{action_items, notices, users, waves};
use crate::db::{new_id, DbConn};
use crate::display::enc;
use crate::error::{AppError, AppResult};
use crate::{db_run, db_write};

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// A wave closed: a manager's team results and action plan are ready.
    Results,
    /// The manager's action plan is still empty after the results came out.
    Nudge,
    /// An admin checks that email leaves the server.
    Test,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Results => "results",
            NoticeKind::Nudge => "nudge",
            NoticeKind::Test => "test",
        }
    }

    fn parse(s: &str) -> Option<NoticeKind> {
        [NoticeKind::Results, NoticeKind::Nudge, NoticeKind::Test]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Nudges stop this long after the results came out (four weekly nudges at most).
pub const NUDGE_WINDOW_DAYS: i64 = 28;
/// Never more often than weekly, whatever the setting says.
pub const NUDGE_MIN_DAYS: u32 = 7;

/// A notice to write.
#[derive(Insertable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = notices)]
pub struct NewNotice {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub user_id: Option<String>,
    pub wave_id: Option<String>,
    pub unit_path: Option<String>,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
}

impl NewNotice {
    fn new(
        kind: NoticeKind,
        user: (&str, &str),
        wave: Option<&str>,
        unit: Option<&str>,
        at: NaiveDateTime,
    ) -> NewNotice {
        NewNotice {
            id: new_id(),
            kind: kind.as_str().to_string(),
            recipient: user.1.to_string(),
            user_id: Some(user.0.to_string()),
            wave_id: wave.map(str::to_string),
            unit_path: unit.map(str::to_string),
            created_at: at,
            next_attempt_at: at,
        }
    }
}

/// (user id, email, kind, wave id, unit path, created at) of a recent notice.
type RecentNotice = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
);

/// A manager as the close of a wave sees them: (user id, email, unit path).
pub type ManagerRow = (String, String, Option<String>);

/// The "results released" notices of a wave that closes at `at`: one per manager whose unit
/// was part of the wave (`unit_paths`). Written in the closing transaction, so a close never
/// loses them.
pub fn results_released(
    wave_id: &str,
    managers: Vec<ManagerRow>,
    unit_paths: &std::collections::HashSet<String>,
    at: NaiveDateTime,
) -> Vec<NewNotice> {
    managers
        .into_iter()
        .filter_map(|(id, email, unit)| {
            let unit = unit.filter(|u| unit_paths.contains(u))?;
            Some(NewNotice::new(
                NoticeKind::Results,
                (&id, &email),
                Some(wave_id),
                Some(&unit),
                at,
            ))
        })
        .collect()
}

/// The role whose users get "results released" notices.
pub const MANAGER: Role = Role::Manager;

/// Queues a test email to `email` (an admin's own address); returns its id.
pub fn queue_test(
    conn: &mut DbConn,
    user_id: &str,
    email: &str,
    at: NaiveDateTime,
) -> AppResult<String> {
    let row = NewNotice::new(NoticeKind::Test, (user_id, email), None, None, at);
    let id = row.id.clone();
    db_write!(conn, |c| diesel::insert_into(notices::table)
        .values(&row)
        .execute(c))?;
    Ok(id)
}

/// Where a notice stands, for the page that queued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeState {
    pub state: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
}

/// The newest test email queued by `user_id`, if any.
pub fn latest_test(conn: &mut DbConn, user_id: &str) -> AppResult<Option<NoticeState>> {
    let row: Option<(String, i32, NaiveDateTime, NaiveDateTime, Option<String>)> =
        db_run!(conn, |c| notices::table
            .filter(notices::user_id.eq(user_id))
            .filter(notices::kind.eq(NoticeKind::Test.as_str()))
            .order(notices::created_at.desc())
            .select((
                notices::state,
                notices::attempts,
                notices::created_at,
                notices::next_attempt_at,
                notices::last_error,
            ))
            .first(c)
            .optional())?;
    Ok(row.map(
        |(state, attempts, created_at, next_attempt_at, last_error)| NoticeState {
            state,
            attempts,
            created_at,
            next_attempt_at,
            last_error,
        },
    ))
}

/// Queues the nudges due at `at`: to every manager who still wants them, for their latest
/// "results released" notice, while their unit's action plan has had nothing added since
/// (nor anything raised from that wave), once the last nudge (or the results) is at least
/// `every_days` old, and at most [`NUDGE_WINDOW_DAYS`] / `every_days` times (four weekly
/// nudges). `every_days` of 0 turns nudges off; below [`NUDGE_MIN_DAYS`] it counts as
/// weekly. Returns how many were queued.
pub fn queue_nudges(conn: &mut DbConn, at: NaiveDateTime, every_days: u32) -> AppResult<usize> {
    if every_days == 0 {
        return Ok(0);
    }
    let days = every_days.max(NUDGE_MIN_DAYS);
    let every = Duration::days(i64::from(days));
    // Weekly: four nudges, a week, two, three and four weeks after the results.
    let most = usize::try_from(NUDGE_WINDOW_DAYS / i64::from(days))
        .unwrap_or(1)
        .max(1);
    let since = at - Duration::days(NUDGE_WINDOW_DAYS) - every - Duration::days(1);
    db_write!(conn, |c| {
        // Every manager's recent results and nudges, newest first.
        let rows: Vec<RecentNotice> = notices::table
            .inner_join(users::table)
            .filter(users::nudges.eq(true))
            .filter(users::role.eq(MANAGER.as_str()))
            .filter(
                notices::kind.eq_any([NoticeKind::Results.as_str(), NoticeKind::Nudge.as_str()]),
            )
            .filter(notices::created_at.gt(since))
            .order(notices::created_at.desc())
            .select((
                users::id,
                users::email,
                notices::kind,
                notices::wave_id,
                notices::unit_path,
                notices::created_at,
            ))
            .load(c)?;
        let mut queued = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (user, email, kind, wave, unit, created) in &rows {
            if kind != NoticeKind::Results.as_str() || !seen.insert(user.clone()) {
                continue;
            }
            // This manager's latest results: nudges only for these.
            let (Some(wave), Some(unit)) = (wave, unit) else {
                continue;
            };
            let nudges: Vec<&NaiveDateTime> = rows
                .iter()
                .filter(|r| {
                    &r.0 == user
                        && r.2 == NoticeKind::Nudge.as_str()
                        && r.3.as_ref() == Some(wave)
                        && r.5 >= *created
                })
                .map(|r| &r.5)
                .collect();
            let last = nudges.first().copied().unwrap_or(created);
            if nudges.len() >= most || at < *last + every {
                continue;
            }
            let planned: i64 = action_items::table
                .filter(action_items::unit_path.eq(unit))
                .filter(
                    action_items::created_at
                        .ge(created)
                        .or(action_items::created_wave_id.eq(wave)),
                )
                .count()
                .get_result(c)?;
            if planned > 0 {
                continue;
            }
            queued.push(NewNotice::new(
                NoticeKind::Nudge,
                (user, email),
                Some(wave),
                Some(unit),
                at,
            ));
        }
        for chunk in queued.chunks(500) {
            diesel::insert_into(notices::table)
                .values(chunk)
                .execute(c)?;
        }
        Ok::<_, AppError>(queued.len())
    })
}

/// Switches off the nudges of the manager whose nudge carried `token` (its unsubscribe
/// link); `on` switches them back on. Returns the manager's email.
pub fn set_nudges_by_link(conn: &mut DbConn, token: &str, on: bool) -> AppResult<String> {
    let hash = sha256_hex(token);
    db_write!(conn, |c| {
        let user: Option<(String, String)> = notices::table
            .inner_join(users::table)
            .filter(notices::link_hash.eq(&hash))
            .select((users::id, users::email))
            .first(c)
            .optional()?;
        let Some((id, email)) = user else {
            return Err(AppError::NotFound(
                "this unsubscribe link is not known (it may belong to a user who was removed)"
                    .into(),
            ));
        };
        diesel::update(users::table.filter(users::id.eq(&id)))
            .set(users::nudges.eq(on))
            .execute(c)?;
        Ok(email)
    })
}

/// Whether the manager whose nudge carried `token` still gets nudges.
pub fn nudges_by_link(conn: &mut DbConn, token: &str) -> AppResult<Option<(String, bool)>> {
    let hash = sha256_hex(token);
    Ok(db_run!(conn, |c| notices::table
        .inner_join(users::table)
        .filter(notices::link_hash.eq(&hash))
        .select((users::email, users::nudges))
        .first(c)
        .optional())?)
}

#[derive(QueryableByName, Debug)]
pub(super) struct Claimed {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub recipient: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub wave_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub unit_path: Option<String>,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

const CLAIM_POSTGRES: &str = "UPDATE notices SET state = 'sending', claimed_by = $1, \
     claimed_until = $2, attempts = attempts + 1 WHERE id IN (SELECT id FROM notices \
     WHERE (state = 'pending' AND next_attempt_at <= $3) OR (state = 'sending' AND \
     claimed_until < $3) ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, recipient, wave_id, unit_path, attempts";

const CLAIM_SQLITE: &str = "UPDATE notices SET state = 'sending', claimed_by = ?, \
     claimed_until = ?, attempts = attempts + 1 WHERE id IN (SELECT id FROM notices \
     WHERE (state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND \
     claimed_until < ?) ORDER BY next_attempt_at LIMIT ?) \
     RETURNING id, kind, recipient, wave_id, unit_path, attempts";

/// Claims due notices for `worker`, as the outbox claims its emails.
pub(super) fn claim(
    conn: &mut DbConn,
    worker: &str,
    cfg: &MailSettings,
    at: NaiveDateTime,
) -> AppResult<Vec<Claimed>> {
    let until = at + Duration::seconds(i64::try_from(cfg.lease_secs).unwrap_or(300));
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

/// What a claimed notice says, ready to be rendered by the mailer.
pub struct Letter {
    pub kind: NoticeKind,
    pub organisation: String,
    pub wave: String,
    pub unit: String,
    pub k: i32,
    /// The team's results, the action plan, and (nudges) the unsubscribe link.
    pub results_link: String,
    pub plan_link: String,
    pub unsubscribe_link: String,
}

/// Builds a claimed notice's letter. A nudge gets a fresh unsubscribe token whose hash is
/// stored before the email is sent. `None`: the notice's wave is gone, or its kind unknown.
pub(super) fn letter(
    conn: &mut DbConn,
    row: &Claimed,
    base_url: &str,
    organisation: &str,
) -> AppResult<Option<Letter>> {
    let Some(kind) = NoticeKind::parse(&row.kind) else {
        return Ok(None);
    };
    let (wave, k) = match &row.wave_id {
        Some(id) => {
            let found: Option<(String, i32)> = db_run!(conn, |c| waves::table
                .filter(waves::id.eq(id))
                .select((waves::name, waves::min_group_size))
                .first(c)
                .optional())?;
            match found {
                Some(w) => w,
                None => return Ok(None),
            }
        }
        None if kind == NoticeKind::Test => (String::new(), 0),
        None => return Ok(None),
    };
    let unit = row.unit_path.clone().unwrap_or_default();
    let unsubscribe_link = if kind == NoticeKind::Nudge {
        let token = random_secret()?;
        let hash = sha256_hex(&token);
        db_write!(conn, |c| diesel::update(
            notices::table.filter(notices::id.eq(&row.id))
        )
        .set(notices::link_hash.eq(&hash))
        .execute(c))?;
        format!("{base_url}/unsubscribe/{token}")
    } else {
        String::new()
    };
    Ok(Some(Letter {
        kind,
        organisation: organisation.to_string(),
        results_link: format!(
            "{base_url}/reports/waves/{}?unit={}",
            enc(&wave),
            enc(&unit)
        ),
        plan_link: format!(
            "{base_url}/units/{}/action-plan?wave={}",
            enc(&unit),
            enc(&wave)
        ),
        wave,
        unit,
        k,
        unsubscribe_link,
    }))
}

/// A settled notice: sent, to retry at a time, or failed (with the reason, which holds no
/// address or link).
pub(super) enum Settle {
    Sent,
    Retry(NaiveDateTime, String),
    Failed(String),
}

/// Marks one notice, if this worker still holds it.
pub(super) fn mark(conn: &mut DbConn, worker: &str, id: &str, how: Settle) -> AppResult<()> {
    let (state, next, error) = match how {
        Settle::Sent => (SENT, None, None),
        Settle::Retry(at, e) => (PENDING, Some(at), Some(e)),
        Settle::Failed(e) => (FAILED, None, Some(e)),
    };
    db_write!(conn, |c| {
        let target = notices::table
            .filter(notices::id.eq(id))
            .filter(notices::claimed_by.eq(worker));
        diesel::update(target)
            .set((
                notices::state.eq(state),
                notices::claimed_by.eq(None::<String>),
                notices::claimed_until.eq(None::<NaiveDateTime>),
                notices::last_error.eq(error),
            ))
            .execute(c)?;
        if let Some(next) = next {
            diesel::update(notices::table.filter(notices::id.eq(id)))
                .set(notices::next_attempt_at.eq(next))
                .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_go_to_managers_of_the_waves_units_only() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        let paths = ["Acme", "Acme/Eng"].map(String::from).into_iter().collect();
        let rows = results_released(
            "w1",
            vec![
                ("u1".into(), "eng@x.org".into(), Some("Acme/Eng".into())),
                ("u2".into(), "gone@x.org".into(), Some("Acme/Closed".into())),
                ("u3".into(), "none@x.org".into(), None),
            ],
            &paths,
            at,
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].recipient, "eng@x.org");
        assert_eq!(rows[0].unit_path.as_deref(), Some("Acme/Eng"));
        assert_eq!(rows[0].kind, "results");
        assert_eq!(NoticeKind::parse("nudge"), Some(NoticeKind::Nudge));
        assert_eq!(NoticeKind::parse("other"), None);
    }
}
