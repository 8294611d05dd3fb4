//! Taking an answer sheet (A1, A2, A5): the token is looked up by its hash, consumed and the
//! response stored in one transaction, so under any number of concurrent submissions of one
//! token exactly one response is stored. Nothing but the wave, the unit snapshot, the report
//! attribute values and the answers is written.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use survey_engine::{Instrument, SheetScores};

use super::comments::{self, CommentRules, Prepared};
use super::{instruments, tokens};
use crate::db::schema::{answers, invitation_tokens, invitations, responses, waves};
use crate::db::{self, DbConn, InvitationId, ResponseId, WaveId, WaveUnitId};
use crate::db_run;
use crate::error::{AppError, AppResult, Gone};
use crate::survey::waves::{AnswerRow, WaveStatus};

/// Parsed instruments by key; instruments never change once stored, so caching is safe.
#[derive(Default, Clone)]
pub struct InstrumentCache(Arc<RwLock<HashMap<String, Arc<Instrument>>>>);

impl InstrumentCache {
    pub fn get(&self, conn: &mut DbConn, key: &str) -> AppResult<Arc<Instrument>> {
        if let Some(i) = self.0.read().ok().and_then(|m| m.get(key).cloned()) {
            return Ok(i);
        }
        let parsed = Arc::new(instruments::load(conn, key)?);
        if let Ok(mut m) = self.0.write() {
            m.insert(key.to_string(), parsed.clone());
        }
        Ok(parsed)
    }
}

/// What a valid, unused token opens.
#[derive(Clone)]
pub struct Sheet {
    pub wave_name: String,
    pub closes_at: NaiveDateTime,
    pub min_group_size: i32,
    /// Comments show only where at least this many people wrote one.
    pub comment_min: i32,
    pub instrument: Arc<Instrument>,
}

/// The answer to a token that cannot be used, as the respondent should read it.
pub const UNKNOWN_TOKEN: &str = "This survey link is not valid.";

/// A token with no stored hash: "closed" when it carries the tag of a closed wave (whose
/// hashes were destroyed, A3), else "unknown".
fn unknown_or_closed(conn: &mut DbConn, token: &str) -> AppResult<AppError> {
    let Some(tag) = tokens::tag_of(token) else {
        return Ok(AppError::NotFound(UNKNOWN_TOKEN.into()));
    };
    let closed: i64 = db_run!(conn, |c| waves::table
        .filter(waves::link_tag.eq(tag))
        .filter(waves::status.eq(WaveStatus::Closed.as_str()))
        .count()
        .get_result(c))?;
    Ok(if closed > 0 {
        AppError::Gone(Gone::WaveClosed)
    } else {
        AppError::NotFound(UNKNOWN_TOKEN.into())
    })
}

/// What a token's hash leads to: its invitation, and the wave of the invitation.
#[derive(Queryable, Selectable)]
#[diesel(table_name = invitations)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct TokenRow {
    #[diesel(column_name = id)]
    invitation_id: InvitationId,
    responded: bool,
    #[diesel(select_expression = waves::id)]
    wave_id: WaveId,
    #[diesel(select_expression = waves::name)]
    wave_name: String,
    #[diesel(select_expression = waves::status)]
    status: WaveStatus,
    #[diesel(select_expression = waves::closes_at)]
    closes_at: NaiveDateTime,
    #[diesel(select_expression = waves::min_group_size)]
    min_group_size: i32,
    #[diesel(select_expression = waves::comment_min)]
    comment_min: i32,
    #[diesel(select_expression = waves::instrument)]
    instrument: String,
    unit_id: WaveUnitId,
    /// Copied to the response as stored, byte for byte; never read on the way.
    attributes: String,
}

fn find_token(conn: &mut DbConn, hash: &str) -> AppResult<Option<TokenRow>> {
    Ok(db_run!(conn, |c| invitation_tokens::table
        .inner_join(invitations::table.inner_join(waves::table))
        .filter(invitation_tokens::token_hash.eq(hash))
        .select(TokenRow::as_select())
        .first(c)
        .optional())?)
}

/// Where a valid token's answer sheet goes, read once before the write: the write itself
/// only has to consume the invitation and insert (the floor of a submission).
pub struct Ticket {
    invitation: InvitationId,
    wave_id: WaveId,
    unit_id: WaveUnitId,
    /// The invitation's report attributes, copied to the response as stored.
    attributes: String,
}

/// Resolves a token: 404 when unknown, 410 when used or closed.
pub fn open_ticket(
    conn: &mut DbConn,
    cache: &InstrumentCache,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<(Sheet, Ticket)> {
    if !tokens::plausible(token) {
        return Err(AppError::NotFound(UNKNOWN_TOKEN.into()));
    }
    let Some(row) = find_token(conn, &tokens::hash(token))? else {
        return Err(unknown_or_closed(conn, token)?);
    };
    if row.status != WaveStatus::Open || now >= row.closes_at {
        return Err(AppError::Gone(Gone::WaveClosed));
    }
    if row.responded {
        return Err(AppError::Gone(Gone::UsedLink));
    }
    let sheet = Sheet {
        wave_name: row.wave_name,
        closes_at: row.closes_at,
        min_group_size: row.min_group_size,
        comment_min: row.comment_min,
        instrument: cache.get(conn, &row.instrument)?,
    };
    let ticket = Ticket {
        invitation: row.invitation_id,
        wave_id: row.wave_id,
        unit_id: row.unit_id,
        attributes: row.attributes,
    };
    Ok((sheet, ticket))
}

/// Resolves a token for showing the form: 404 when unknown, 410 when used or closed.
pub fn open_sheet(
    conn: &mut DbConn,
    cache: &InstrumentCache,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<Sheet> {
    open_ticket(conn, cache, token, now).map(|(sheet, _)| sheet)
}

/// Checks submitted answers against the instrument: every key a known item, every value on
/// the scale or skipped, at least one answer. Returns answers aligned with the items.
pub fn check_answers(
    instrument: &Instrument,
    submitted: &BTreeMap<String, Option<i32>>,
) -> AppResult<Vec<Option<i32>>> {
    let mut aligned = vec![None; instrument.items.len()];
    let mut problems = Vec::new();
    let rs = &instrument.response_scale;
    for (item, value) in submitted {
        match instrument.item_index(item) {
            None => problems.push(format!("unknown item \"{item}\"")),
            Some(i) => match value {
                // The value itself is not repeated: error messages carry no answers (A4).
                Some(v) if !rs.contains(*v) => problems.push(format!(
                    "item \"{item}\": the answer is not on the scale {}..{}",
                    rs.min, rs.max
                )),
                Some(v) => {
                    if let Some(slot) = aligned.get_mut(i) {
                        *slot = Some(*v);
                    }
                }
                None => {}
            },
        }
    }
    if problems.is_empty() && aligned.iter().all(Option::is_none) {
        problems.push("no question was answered".into());
    }
    if problems.is_empty() {
        Ok(aligned)
    } else {
        Err(AppError::Validation(problems))
    }
}

/// What a respondent sends: answers by item id, comments by open question id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Submitted {
    pub answers: BTreeMap<String, Option<i32>>,
    pub comments: BTreeMap<String, String>,
}

/// What a stored sheet gives back to its respondent: their own scores (shown, never stored),
/// and whether a comment of theirs matched the self-harm list, so that the thank-you page
/// puts the support contacts first. Nobody else is told.
pub struct Receipt {
    pub sheet: Sheet,
    pub scores: SheetScores,
    pub support_first: bool,
}

/// Stores an answer sheet and consumes the token.
pub fn submit(
    conn: &mut DbConn,
    cache: &InstrumentCache,
    rules: &CommentRules,
    token: &str,
    submitted: &Submitted,
    now: NaiveDateTime,
) -> AppResult<Receipt> {
    let (sheet, ticket) = open_ticket(conn, cache, token, now)?;
    let (aligned, comments) = check_sheet(conn, rules, &sheet, submitted)?;
    store(conn, &sheet, &ticket, &aligned, &comments, now)?;
    crate::metrics::submission_stored();
    Ok(receipt(sheet, &aligned, &comments))
}

/// [`submit`] of answers without comments (the demo, the CLI's tools and the tests).
pub fn submit_answers(
    conn: &mut DbConn,
    cache: &InstrumentCache,
    token: &str,
    answers: &BTreeMap<String, Option<i32>>,
    now: NaiveDateTime,
) -> AppResult<Receipt> {
    let submitted = Submitted {
        answers: answers.clone(),
        comments: BTreeMap::new(),
    };
    submit(
        conn,
        cache,
        &CommentRules::default(),
        token,
        &submitted,
        now,
    )
}

/// The answers aligned with the items, and the comments redacted and screened: every problem
/// of both at once.
pub fn check_sheet(
    conn: &mut DbConn,
    rules: &CommentRules,
    sheet: &Sheet,
    submitted: &Submitted,
) -> AppResult<(Vec<Option<i32>>, Vec<Prepared>)> {
    let answers = check_answers(&sheet.instrument, &submitted.answers);
    let comments = rules.prepare_sheet(conn, &sheet.instrument, &submitted.comments);
    match (answers, comments) {
        (Ok(a), Ok(c)) => Ok((a, c)),
        (Err(AppError::Validation(mut a)), Err(AppError::Validation(c))) => {
            a.extend(c);
            Err(AppError::Validation(a))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// The respondent's receipt for a stored sheet.
pub fn receipt(sheet: Sheet, aligned: &[Option<i32>], comments: &[Prepared]) -> Receipt {
    let scores = sheet.instrument.score_unchecked(aligned);
    let support_first = comments.iter().any(|c| {
        c.concerns
            .contains(&survey_engine::comments::review::Concern::SelfHarm)
    });
    Receipt {
        sheet,
        scores,
        support_first,
    }
}

/// The write of a submission: consumes the invitation (all its tokens with it) and stores the
/// response, in one transaction. Everything read before it is checked again here: the
/// consuming update only matches an unused invitation of a wave that is still open, so under
/// any number of concurrent submissions exactly one succeeds, and none after closing (closing
/// deletes the invitation).
pub fn store(
    conn: &mut DbConn,
    sheet: &Sheet,
    ticket: &Ticket,
    aligned: &[Option<i32>],
    comments: &[Prepared],
    now: NaiveDateTime,
) -> AppResult<()> {
    db::write_transaction(conn, |conn| {
        write_sheet(conn, sheet, ticket, aligned, comments, now)
    })
}

/// The statements of [`store`], for a caller that runs the transaction (see
/// [`crate::survey::submissions`]).
pub fn write_sheet(
    conn: &mut DbConn,
    sheet: &Sheet,
    ticket: &Ticket,
    aligned: &[Option<i32>],
    comments: &[Prepared],
    now: NaiveDateTime,
) -> AppResult<()> {
    let items = &sheet.instrument.items;
    let still_open = || {
        waves::table
            .filter(waves::id.eq(&ticket.wave_id))
            .filter(waves::status.eq(WaveStatus::Open.as_str()))
            .filter(waves::closes_at.gt(now))
    };
    let consumed = db_run!(conn, |c| diesel::update(
        invitations::table
            .filter(invitations::id.eq(&ticket.invitation))
            .filter(invitations::responded.eq(false))
            .filter(diesel::dsl::exists(still_open())),
    )
    .set(invitations::responded.eq(true))
    .execute(c))?;
    if consumed != 1 {
        // Rare path: tell "used" from "closed meanwhile".
        let used: i64 = db_run!(conn, |c| invitations::table
            .filter(invitations::id.eq(&ticket.invitation))
            .filter(invitations::responded.eq(true))
            .count()
            .get_result(c))?;
        return Err(AppError::Gone(if used > 0 {
            Gone::UsedLink
        } else {
            Gone::WaveClosed
        }));
    }
    let id = ResponseId::new();
    db_run!(conn, |c| diesel::insert_into(responses::table)
        .values((
            responses::id.eq(&id),
            responses::wave_id.eq(&ticket.wave_id),
            responses::unit_id.eq(&ticket.unit_id),
            responses::attributes.eq(&ticket.attributes),
        ))
        .execute(c))?;
    let rows: Vec<AnswerRow> = items
        .iter()
        .zip(aligned)
        .filter_map(|(item, v)| {
            v.map(|value| AnswerRow {
                response_id: id.clone(),
                item_id: item.id.clone(),
                value,
            })
        })
        .collect();
    db_run!(conn, |c| diesel::insert_into(answers::table)
        .values(&rows)
        .execute(c))?;
    comments::insert(conn, &id, comments)?;
    Ok(())
}
