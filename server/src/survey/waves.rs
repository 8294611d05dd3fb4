//! Quarterly waves: create, open (snapshot the tree, invite everyone), close (A3), status.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::seq::SliceRandom;

use super::roster::{PersonRow, UnitRow};
use super::{instruments, roster, tokens};
use crate::clock::now;
use crate::db::schema::{
    answers, comments, invitation_tokens, invitations, notices as notices_table, outbox, people,
    responses, units, users, wave_invited, wave_mail_counts, wave_units, waves,
};
use crate::db::{
    new_id, DbConn, DbPool, InvitationId, Json, ResponseId, UnitId, WaveId, WaveUnitId,
};
use crate::error::{AppError, AppResult};
use crate::mail::outbox_state::{self, StateCount};
use crate::mail::{notices, Kind};
use crate::{db_run, db_write};

pub const DEFAULT_K: i32 = 5;
pub const MIN_K: i32 = 3;

/// A wave's state, stored as text. A value the program does not know fails the query that
/// reads it, instead of passing for another state.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum WaveStatus {
    Scheduled,
    Open,
    Closed,
    /// Closed without ever opening: no invitations, no answers, no report.
    Cancelled,
}

impl WaveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WaveStatus::Scheduled => "scheduled",
            WaveStatus::Open => "open",
            WaveStatus::Closed => "closed",
            WaveStatus::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for WaveStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for WaveStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<WaveStatus, String> {
        match s {
            "scheduled" => Ok(WaveStatus::Scheduled),
            "open" => Ok(WaveStatus::Open),
            "closed" => Ok(WaveStatus::Closed),
            "cancelled" => Ok(WaveStatus::Cancelled),
            other => Err(format!("unknown wave status \"{other}\" in the database")),
        }
    }
}

impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for WaveStatus
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        Ok(String::from_sql(bytes)?.parse()?)
    }
}

impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for WaveStatus
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        self.as_str().to_sql(out)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = waves)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Wave {
    pub id: WaveId,
    pub name: String,
    pub instrument: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub min_group_size: i32,
    pub attributes: Json<Vec<String>>,
    pub status: WaveStatus,
    pub link_tag: String,
}

/// A unit of a wave's snapshot of the tree, as stored: written when the wave opens, with the
/// number of people invited from it; the organisation as that wave saw it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = wave_units)]
// Plain values, never DEFAULT: SQLite inserts a batch of them in one statement inside the
// caller's transaction, instead of row by row in a transaction of diesel's own.
#[diesel(treat_none_as_default_value = false)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct WaveUnitRow {
    pub id: WaveUnitId,
    pub wave_id: WaveId,
    pub parent_id: Option<WaveUnitId>,
    pub name: String,
    pub path: String,
    pub invited: i32,
}

/// A response as closing moves it to a new id (A3). Its attributes are copied as stored,
/// byte for byte: closing never reads them, so it cannot fail on them either.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = responses)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct MovedResponse {
    id: ResponseId,
    unit_id: WaveUnitId,
    attributes: String,
}

/// One stored answer: a response's value for one item. A submission writes it
/// ([`super::responses`]), closing moves it to the response's new id, the release reads it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = answers)]
// Plain values, never DEFAULT: SQLite inserts a batch of them in one statement inside the
// caller's transaction, instead of row by row in a transaction of diesel's own.
#[diesel(treat_none_as_default_value = false)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AnswerRow {
    pub response_id: ResponseId,
    pub item_id: String,
    pub value: i32,
}

/// A comment as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = comments)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CommentRow {
    pub response_id: ResponseId,
    pub prompt_id: String,
    pub body: String,
    pub review: String,
    pub concerns: String,
}

/// A snapshot unit and its number of responses (a group-by count).
type UnitCount = (WaveUnitId, i64);

impl Wave {
    pub fn status(&self) -> WaveStatus {
        self.status
    }

    pub fn attribute_names(&self) -> Vec<String> {
        self.attributes.0.clone()
    }

    /// Whether answers are accepted now.
    pub fn accepting(&self, now: NaiveDateTime) -> bool {
        self.status() == WaveStatus::Open && now < self.closes_at
    }
}

/// Parses `2026-12-01`, `2026-12-01 09:00`, `2026-12-01T09:00:00` or RFC 3339, as UTC.
pub fn parse_time(s: &str) -> AppResult<NaiveDateTime> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.naive_utc());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(t);
        }
    }
    if let Some(t) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t);
    }
    Err(AppError::validation(format!(
        "\"{s}\" is not a time (use 2026-12-01, 2026-12-01 09:00 or RFC 3339)"
    )))
}

pub struct NewWave<'a> {
    pub name: &'a str,
    pub instrument: &'a str,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub min_group_size: i32,
    pub attributes: &'a [String],
    /// Comments show only where at least this many people wrote one; `None`: the default
    /// ([`DEFAULT_COMMENT_MIN`], or k where k is larger).
    pub comment_min: Option<i32>,
}

/// The default comment threshold.
pub const DEFAULT_COMMENT_MIN: i32 = 10;

impl NewWave<'_> {
    /// The comment threshold the wave gets.
    pub fn comment_min(&self) -> i32 {
        self.comment_min
            .unwrap_or(DEFAULT_COMMENT_MIN.max(self.min_group_size))
    }
}

/// Everything wrong with a new wave, all at once, each problem tagged with the field it is
/// about as `field: message` (the `wave create` options' names: `name`, `instrument`,
/// `closes`, `min-group-size`, `attribute`), so a form can place it next to that field.
pub fn problems(conn: &mut DbConn, new: &NewWave<'_>) -> AppResult<Vec<String>> {
    let mut problems = Vec::new();
    if new.name.trim().is_empty() {
        problems.push("name: the wave name is empty".to_string());
    }
    if let Err(AppError::Validation(found)) = instruments::resolve(conn, new.instrument) {
        problems.extend(found.into_iter().map(|p| format!("instrument: {p}")));
    }
    if new.comment_min() < new.min_group_size {
        problems.push(format!(
            "comment-min: {} is below k = {}: comments need at least as many writers as figures need people",
            new.comment_min(),
            new.min_group_size
        ));
    }
    if new.min_group_size < MIN_K {
        problems.push(format!(
            "min-group-size: {} is refused: the minimum group size is at least {MIN_K}",
            new.min_group_size
        ));
    }
    if new.closes_at <= new.opens_at {
        problems.push("closes: the wave must close after it opens".to_string());
    }
    let known = roster::attribute_names(conn)?;
    for a in new.attributes {
        if !known.contains(a) {
            problems.push(format!(
                "attribute: \"{a}\" is not a roster column (known: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
    }
    Ok(problems)
}

pub fn create(conn: &mut DbConn, new: &NewWave<'_>) -> AppResult<Wave> {
    let problems = problems(conn, new)?;
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let name = new.name.trim();
    let instrument = instruments::resolve(conn, new.instrument)?;
    let id = WaveId::new();
    let attributes =
        serde_json::to_string(new.attributes).map_err(|e| AppError::Unexpected(e.into()))?;
    let inserted = db_run!(conn, |c| diesel::insert_into(waves::table)
        .values((
            waves::id.eq(&id),
            waves::name.eq(name),
            waves::instrument.eq(&instrument),
            waves::opens_at.eq(new.opens_at),
            waves::closes_at.eq(new.closes_at),
            waves::min_group_size.eq(new.min_group_size),
            waves::comment_min.eq(new.comment_min()),
            waves::attributes.eq(&attributes),
            waves::status.eq(WaveStatus::Scheduled.as_str()),
            waves::link_tag.eq(tokens::new_tag()?),
        ))
        .execute(c));
    match inserted {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            return Err(AppError::Conflict(format!(
                "a wave named \"{name}\" exists already"
            )))
        }
        other => other?,
    };
    find(conn, name)
}

pub fn find(conn: &mut DbConn, name: &str) -> AppResult<Wave> {
    db_run!(conn, |c| waves::table
        .filter(waves::name.eq(name))
        .select(Wave::as_select())
        .first(c)
        .optional())?
    .ok_or_else(|| AppError::NotFound(format!("no wave named \"{name}\"")))
}

pub fn list(conn: &mut DbConn) -> AppResult<Vec<Wave>> {
    Ok(db_run!(conn, |c| waves::table
        .order((waves::opens_at, waves::name))
        .select(Wave::as_select())
        .load(c))?)
}

/// What opening did.
#[derive(Debug)]
pub struct Opened {
    pub invited: usize,
    /// Invitation emails queued in the outbox (sent by [`crate::mail::outbox`]).
    pub queued: usize,
}

/// Opens a wave: snapshots the unit tree and every person's unit and report attributes,
/// creates one invitation per person and queues one invitation email each, all in one
/// transaction. No token exists yet: the delivery worker makes one per email (A2).
pub fn open(pool: &DbPool, name: &str) -> AppResult<Opened> {
    let mut conn = pool.get()?;
    let wave = find(&mut conn, name)?;
    if wave.status() != WaveStatus::Scheduled {
        return Err(AppError::Conflict(format!(
            "wave \"{name}\" is {} already",
            wave.status().as_str()
        )));
    }
    let attribute_names = wave.attribute_names();
    let at = now();
    let invited = db_write!(&mut conn, |c| {
        // The status check again, inside the transaction, so two `open`s cannot both run.
        let changed = diesel::update(
            waves::table
                .filter(waves::id.eq(&wave.id))
                .filter(waves::status.eq(WaveStatus::Scheduled.as_str())),
        )
        .set(waves::status.eq(WaveStatus::Open.as_str()))
        .execute(c)?;
        if changed != 1 {
            return Err(AppError::Conflict(format!(
                "wave \"{name}\" was opened meanwhile"
            )));
        }
        let tree: Vec<UnitRow> = units::table
            .select(UnitRow::as_select())
            .order(units::path)
            .load(c)?;
        let fresh: Vec<WaveUnitId> = tree.iter().map(|_| WaveUnitId::new()).collect();
        let snapshot: HashMap<&UnitId, &WaveUnitId> =
            tree.iter().map(|u| &u.id).zip(&fresh).collect();
        let everyone: Vec<PersonRow> = people::table.select(PersonRow::as_select()).load(c)?;
        let mut invited: HashMap<&UnitId, i32> = HashMap::new();
        for person in &everyone {
            *invited.entry(&person.unit_id).or_default() += 1;
        }
        let rows: Vec<WaveUnitRow> = tree
            .iter()
            .zip(&fresh)
            .map(|(unit, id)| WaveUnitRow {
                id: id.clone(),
                wave_id: wave.id.clone(),
                parent_id: unit
                    .parent_id
                    .as_ref()
                    .and_then(|p| snapshot.get(p).copied())
                    .cloned(),
                name: unit.name.clone(),
                path: unit.path.clone(),
                invited: invited.get(&unit.id).copied().unwrap_or(0),
            })
            .collect();
        // Parents before children (paths sort that way), so the self-reference holds.
        for chunk in rows.chunks(1_000) {
            diesel::insert_into(wave_units::table)
                .values(chunk)
                .execute(c)?;
        }
        let mut invitation_rows = Vec::with_capacity(everyone.len());
        let mut mail_rows = Vec::with_capacity(everyone.len());
        for person in &everyone {
            // A person's unit is a roster unit (a foreign key), so it is in the snapshot.
            let unit = *snapshot.get(&person.unit_id).ok_or_else(|| {
                AppError::Unexpected(anyhow::anyhow!("a person's unit is not in the tree"))
            })?;
            let kept: BTreeMap<&String, &String> = person
                .attributes
                .0
                .iter()
                .filter(|(k, _)| attribute_names.contains(k))
                .collect();
            let invitation = InvitationId::new();
            mail_rows.push((
                outbox::id.eq(new_id()),
                outbox::wave_id.eq(wave.id.clone()),
                outbox::invitation_id.eq(invitation.clone()),
                outbox::kind.eq(Kind::Invitation.as_str()),
                outbox::recipient.eq(person.email.clone()),
                outbox::state.eq(outbox_state::PENDING),
                outbox::next_attempt_at.eq(at),
            ));
            invitation_rows.push((
                invitations::id.eq(invitation),
                invitations::wave_id.eq(wave.id.clone()),
                invitations::person_id.eq(Some(person.id.clone())),
                invitations::unit_id.eq(unit.clone()),
                invitations::attributes.eq(serde_json::to_string(&kept).unwrap_or_default()),
                invitations::responded.eq(false),
            ));
        }
        for chunk in invitation_rows.chunks(1_000) {
            diesel::insert_into(invitations::table)
                .values(chunk.to_vec())
                .execute(c)?;
        }
        for chunk in mail_rows.chunks(1_000) {
            diesel::insert_into(outbox::table)
                .values(chunk.to_vec())
                .execute(c)?;
        }
        Ok::<_, AppError>(everyone.len())
    })?;
    tracing::info!(wave = %wave.name, invited, "wave opened; invitations queued");
    Ok(Opened {
        invited,
        queued: invited,
    })
}

/// What [`close`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// An open wave closed, keeping this many responses.
    Closed { kept: usize },
    /// A wave that never opened (an admin's cancellation, or a window the server missed
    /// entirely): it becomes `cancelled`, which no report or comparison ever looks at,
    /// because it has no organisation snapshot and no answers.
    Cancelled,
}

/// Closes a wave (A3): destroys every token hash and every per-person invitation (with its
/// "responded" flag) of the wave, and rewrites its responses in random physical order under
/// new ids, so that nothing in the database leads from a person to an answer sheet.
pub fn close(pool: &DbPool, name: &str) -> AppResult<Closing> {
    let mut conn = pool.get()?;
    let wave = find(&mut conn, name)?;
    match wave.status() {
        WaveStatus::Closed | WaveStatus::Cancelled => {
            return Err(AppError::Conflict(format!(
                "wave \"{name}\" is {} already",
                wave.status().as_str()
            )))
        }
        WaveStatus::Scheduled => return cancel(&mut conn, &wave),
        WaveStatus::Open => {}
    }
    let kept = db_write!(&mut conn, |c| {
        // Compare-and-set first: it locks the wave row, so concurrent closes (replicas, the
        // scheduler and an admin) run one after the other and only the first does the work.
        let changed = diesel::update(
            waves::table
                .filter(waves::id.eq(&wave.id))
                .filter(waves::status.eq(WaveStatus::Open.as_str())),
        )
        .set(waves::status.eq(WaveStatus::Closed.as_str()))
        .execute(c)?;
        if changed != 1 {
            return Err(AppError::Conflict(format!(
                "wave \"{name}\" is closed already"
            )));
        }
        // Each manager of a unit in the wave hears that their results are out, in this
        // transaction so a close never loses the notices (no respondent is named in them).
        let managers: Vec<notices::ManagerRow> = users::table
            .filter(users::role.eq(notices::MANAGER.as_str()))
            .select((users::id, users::email, users::unit_path))
            .load(c)?;
        let paths: std::collections::HashSet<String> = wave_units::table
            .filter(wave_units::wave_id.eq(&wave.id))
            .select(wave_units::path)
            .load::<String>(c)?
            .into_iter()
            .collect();
        let released = notices::results_released(wave.id.as_str(), managers, &paths, now());
        diesel::insert_into(notices_table::table)
            .values(&released)
            .execute(c)?;
        // The outbox names people and shows who had not answered at reminder time: only
        // the wave's delivery counts survive (A3).
        let by_state: Vec<StateCount> = outbox::table
            .filter(outbox::wave_id.eq(&wave.id))
            .group_by(outbox::state)
            .select((outbox::state, diesel::dsl::count_star()))
            .load(c)?;
        let count = |s: &str| {
            by_state
                .iter()
                .filter(|(state, _)| state == s)
                .map(|(_, n)| i32::try_from(*n).unwrap_or(i32::MAX))
                .sum::<i32>()
        };
        diesel::insert_into(wave_mail_counts::table)
            .values((
                wave_mail_counts::wave_id.eq(&wave.id),
                wave_mail_counts::sent.eq(count(outbox_state::SENT)),
                wave_mail_counts::failed.eq(count(outbox_state::FAILED)),
            ))
            .execute(c)?;
        diesel::delete(outbox::table.filter(outbox::wave_id.eq(&wave.id))).execute(c)?;
        // Invited per unit and attribute values outlives the invitations: the release is
        // protected against a reader who knows these roster counts (P1).
        let invited: Vec<(WaveUnitId, String, i64)> = invitations::table
            .filter(invitations::wave_id.eq(&wave.id))
            .group_by((invitations::unit_id, invitations::attributes))
            .select((
                invitations::unit_id,
                invitations::attributes,
                diesel::dsl::count_star(),
            ))
            .load(c)?;
        for (unit, attributes, count) in invited {
            diesel::insert_into(wave_invited::table)
                .values((
                    wave_invited::wave_id.eq(&wave.id),
                    wave_invited::unit_id.eq(&unit),
                    wave_invited::attributes.eq(&attributes),
                    wave_invited::invited.eq(i32::try_from(count).unwrap_or(i32::MAX)),
                ))
                .execute(c)?;
        }
        diesel::delete(invitation_tokens::table.filter(invitation_tokens::wave_id.eq(&wave.id)))
            .execute(c)?;
        diesel::delete(invitations::table.filter(invitations::wave_id.eq(&wave.id))).execute(c)?;
        let mut sheets: Vec<MovedResponse> = responses::table
            .filter(responses::wave_id.eq(&wave.id))
            .select(MovedResponse::as_select())
            .load(c)?;
        // Every sheet moves to a new id, in a random order. A chunk of the shuffled sheets at a
        // time: its answers and comments read, the same rows written under the new ids, in
        // the shuffled order, then its old rows deleted. Only a chunk's answers are held at
        // once: a wave's answers are its people times its questions (3 million rows for
        // 75,000 sheets of 40), and all of them at once took 650 MB.
        sheets.shuffle(&mut rand::rng());
        for chunk in sheets.chunks(5_000) {
            let ids: Vec<&ResponseId> = chunk.iter().map(|s| &s.id).collect();
            let mut answers_of = by_response(
                answers::table
                    .filter(answers::response_id.eq_any(&ids))
                    .select(AnswerRow::as_select())
                    .load(c)?,
                |answer| &answer.response_id,
            );
            // Comments move with their sheets, like the answers.
            let mut comments_of = by_response(
                comments::table
                    .filter(comments::response_id.eq_any(&ids))
                    .select(CommentRow::as_select())
                    .load(c)?,
                |comment| &comment.response_id,
            );
            for sheet in chunk {
                let id = ResponseId::new();
                diesel::insert_into(responses::table)
                    .values((
                        responses::id.eq(&id),
                        responses::wave_id.eq(&wave.id),
                        responses::unit_id.eq(&sheet.unit_id),
                        responses::attributes.eq(&sheet.attributes),
                    ))
                    .execute(c)?;
                if let Some(mut moved) = answers_of.remove(&sheet.id) {
                    for answer in &mut moved {
                        answer.response_id = id.clone();
                    }
                    diesel::insert_into(answers::table)
                        .values(&moved)
                        .execute(c)?;
                }
                if let Some(mut moved) = comments_of.remove(&sheet.id) {
                    for comment in &mut moved {
                        comment.response_id = id.clone();
                    }
                    diesel::insert_into(comments::table)
                        .values(&moved)
                        .execute(c)?;
                }
            }
            // The old rows go after the new ones are written: SQLite numbers a new row of a
            // rowid table (comments) one past the highest row there, so a new row written
            // after the last-submitted comment was deleted would take a number below the
            // old ones and tell which chunk that comment's sheet was shuffled into.
            diesel::delete(comments::table.filter(comments::response_id.eq_any(&ids)))
                .execute(c)?;
            diesel::delete(answers::table.filter(answers::response_id.eq_any(&ids))).execute(c)?;
            diesel::delete(responses::table.filter(responses::id.eq_any(&ids))).execute(c)?;
        }
        Ok::<_, AppError>(sheets.len())
    })?;
    compact(&mut conn);
    tracing::info!(wave = %wave.name, responses = kept, "wave closed");
    Ok(Closing::Closed { kept })
}

/// Rows grouped by the response they belong to.
fn by_response<T>(rows: Vec<T>, id: impl Fn(&T) -> &ResponseId) -> HashMap<ResponseId, Vec<T>> {
    let mut of: HashMap<ResponseId, Vec<T>> = HashMap::new();
    for row in rows {
        of.entry(id(&row).clone()).or_default().push(row);
    }
    of
}

/// Cancels a wave that never opened (the admin console's "cancel"): nobody was invited, so
/// nothing but the wave's schedule goes. An open wave is refused: closing it is what ends it
/// (and keeps its answers).
pub fn cancel_scheduled(pool: &DbPool, name: &str) -> AppResult<()> {
    let mut conn = pool.get()?;
    let wave = find(&mut conn, name)?;
    match wave.status() {
        WaveStatus::Scheduled => cancel(&mut conn, &wave).map(|_| ()),
        WaveStatus::Open => Err(AppError::Conflict(format!(
            "wave \"{name}\" is open already: people were invited, so it can only be closed"
        ))),
        other => Err(AppError::Conflict(format!(
            "wave \"{name}\" is {} already",
            other.as_str()
        ))),
    }
}

/// `scheduled -> cancelled`, a compare-and-set like every other step. If the wave was opened
/// meanwhile, the caller is told to close it again.
fn cancel(conn: &mut DbConn, wave: &Wave) -> AppResult<Closing> {
    let changed = db_write!(conn, |c| diesel::update(
        waves::table
            .filter(waves::id.eq(&wave.id))
            .filter(waves::status.eq(WaveStatus::Scheduled.as_str())),
    )
    .set(waves::status.eq(WaveStatus::Cancelled.as_str()))
    .execute(c))?;
    if changed != 1 {
        return Err(AppError::Conflict(format!(
            "wave \"{}\" changed meanwhile; look at `wave status` and close it again",
            wave.name
        )));
    }
    tracing::info!(wave = %wave.name, "wave cancelled: it never opened");
    Ok(Closing::Cancelled)
}

/// After a close, let the database reclaim what was deleted: SQLite's secure_delete already
/// zeroed the pages, a WAL checkpoint moves them out of the log. On PostgreSQL a plain VACUUM
/// would only mark the dead row versions (old response ids, comments in the order they came,
/// invitations with their transaction ids) as free space, still readable in the data files;
/// VACUUM FULL writes the tables anew without them. It locks these tables for its duration,
/// once per wave.
fn compact(conn: &mut DbConn) {
    use diesel::connection::SimpleConnection;
    let result = match conn {
        DbConn::Sqlite(c, _) => c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);"),
        DbConn::Postgres(c) => c.batch_execute(
            "VACUUM FULL responses, answers, comments, invitations, invitation_tokens;",
        ),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "compacting after close failed");
    }
}

/// One unit's line in `wave status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitStatus {
    pub path: String,
    /// Invited in the unit's subtree.
    pub invited: i64,
    /// Responses from the unit's subtree.
    pub responded: i64,
    /// Whether `responded` may be shown: decided by the heat map's own suppressor, so a
    /// count under k is hidden and so is any count it could be subtracted from (D3, D4) or
    /// pinned with the invited counts (P1).
    pub shown: bool,
}

/// Invited and responded per unit of the wave's snapshot, rolled up over each subtree.
pub fn status(conn: &mut DbConn, wave: &Wave) -> AppResult<Vec<UnitStatus>> {
    use survey_engine::disclosure::{
        protect_counts, suppress, CellKey, CellStatus, Invited, Layout, Placement, UnitTree,
    };

    let mut tree: Vec<WaveUnitRow> = db_run!(conn, |c| wave_units::table
        .filter(wave_units::wave_id.eq(&wave.id))
        .select(WaveUnitRow::as_select())
        .load(c))?;
    // Byte order of the paths, not the database's collation: every backend numbers units
    // alike, so the suppressor decides alike.
    tree.sort_by(|a, b| a.path.cmp(&b.path));
    if tree.is_empty() {
        return Ok(Vec::new());
    }
    let counts: Vec<UnitCount> = db_run!(conn, |c| responses::table
        .filter(responses::wave_id.eq(&wave.id))
        .group_by(responses::unit_id)
        .select((responses::unit_id, diesel::dsl::count_star()))
        .load(c))?;
    let counts: HashMap<WaveUnitId, i64> = counts.into_iter().collect();
    let index: HashMap<&WaveUnitId, usize> =
        tree.iter().enumerate().map(|(i, t)| (&t.id, i)).collect();
    // Paths sort parents first, so the root is unit 0 and every parent precedes its children.
    let parents: Vec<Option<usize>> = tree
        .iter()
        .map(|t| t.parent_id.as_ref().and_then(|p| index.get(p)).copied())
        .collect();
    let mut out: Vec<UnitStatus> = tree
        .iter()
        .map(|unit| UnitStatus {
            path: unit.path.clone(),
            invited: i64::from(unit.invited),
            responded: counts.get(&unit.id).copied().unwrap_or(0),
            shown: false,
        })
        .collect();
    let placements: Vec<Placement> = out
        .iter()
        .enumerate()
        .flat_map(|(unit, u)| {
            let n = usize::try_from(u.responded).unwrap_or(0);
            std::iter::repeat_with(move || Placement {
                unit,
                values: Vec::new(),
            })
            .take(n)
        })
        .collect();
    for i in (0..tree.len()).rev() {
        if let Some(p) = parents[i] {
            let (inv, resp) = (out[i].invited, out[i].responded);
            out[p].invited += inv;
            out[p].responded += resp;
        }
    }
    let problem = |e: survey_engine::disclosure::DisclosureError| {
        AppError::Unexpected(anyhow::anyhow!("wave \"{}\" snapshot: {e}", wave.name))
    };
    let layout = Layout::new(UnitTree::new(parents).map_err(problem)?, Vec::new());
    let k = usize::try_from(wave.min_group_size).unwrap_or(usize::MAX);
    let everyone = vec![true; placements.len()];
    let mut statuses = suppress(&layout, &placements, &everyone, k).map_err(problem)?;
    // The reader knows every unit's invited count (P1): no hidden count may follow from it.
    let invited = Invited {
        atoms: tree
            .iter()
            .enumerate()
            .map(|(unit, row)| {
                let placement = Placement {
                    unit,
                    values: Vec::new(),
                };
                (placement, u64::try_from(row.invited).unwrap_or(0))
            })
            .collect(),
    };
    protect_counts(&layout, &invited, &placements, &everyone, &mut statuses, k).map_err(problem)?;
    for (unit, line) in out.iter_mut().enumerate() {
        line.shown = statuses[layout.cell_index(CellKey { unit, cut: None })] == CellStatus::Shown;
    }
    Ok(out)
}
