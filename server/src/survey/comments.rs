//! Comments: the answers to an instrument's open questions. Checked against the instrument,
//! redacted and screened for the review list when the sheet is stored (no unredacted text is
//! ever written), stored with the sheet and nothing else, moved with it at close.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use survey_engine::comments::redact::{redact, Names};
use survey_engine::comments::review::{Concern, ReviewList};
use survey_engine::instrument::COMMENT_MAX_CHARS;
use survey_engine::Instrument;

use crate::db::schema::comments;
use crate::db::{DbConn, ResponseId};
use crate::db_run;
use crate::error::{AppError, AppResult};
use crate::survey::waves::WaveStatus;
use crate::timed::Timed;

/// Review states as stored.
pub const CLEAR: &str = "clear";
pub const HELD: &str = "held";
pub const RELEASED: &str = "released";
pub const WITHHELD: &str = "withheld";

/// A comment ready to store: redacted, and held for an admin when it raised a concern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    pub prompt: String,
    pub body: String,
    pub concerns: Vec<Concern>,
}

impl Prepared {
    pub fn held(&self) -> bool {
        !self.concerns.is_empty()
    }
}

/// Checks posted comments (`prompt id -> text`) against the instrument: every id an open
/// question, at most [`COMMENT_MAX_CHARS`] characters. Empty ones are dropped. Problems name
/// the question, never the text (A4).
pub fn check(
    instrument: &Instrument,
    posted: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (id, text) in posted {
        let text = text.trim();
        if instrument.prompt_index(id).is_none() {
            problems.push(format!("unknown open question \"{id}\""));
        } else if text.chars().count() > COMMENT_MAX_CHARS {
            problems.push(format!(
                "open question \"{id}\": the comment is longer than {COMMENT_MAX_CHARS} characters"
            ));
        } else if !text.is_empty() {
            out.push((id.clone(), text.to_string()));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Redacts and screens checked comments.
pub fn prepare(
    checked: Vec<(String, String)>,
    names: &Names,
    review: &ReviewList,
) -> Vec<Prepared> {
    checked
        .into_iter()
        .map(|(prompt, text)| {
            let body = redact(&text, names).text;
            // Screened on what was written, before redaction: a threat against a colleague
            // is held even though their name is removed from the stored text.
            let mut concerns = review.concerns(&text);
            concerns.sort();
            concerns.dedup();
            Prepared {
                prompt,
                body,
                concerns,
            }
        })
        .collect()
}

fn concerns_text(concerns: &[Concern]) -> String {
    concerns
        .iter()
        .map(|c| concern_id(*c))
        .collect::<Vec<_>>()
        .join(",")
}

/// A concern as stored and shown: `self-harm`, `threat`, `harassment`.
pub fn concern_id(c: Concern) -> &'static str {
    match c {
        Concern::SelfHarm => "self-harm",
        Concern::Threat => "threat",
        Concern::Harassment => "harassment",
    }
}

/// Stores a sheet's comments (inside the sheet's transaction).
pub fn insert(conn: &mut DbConn, response: &ResponseId, prepared: &[Prepared]) -> AppResult<()> {
    for c in prepared {
        let review = if c.held() { HELD } else { CLEAR };
        db_run!(conn, |cx| diesel::insert_into(comments::table)
            .values((
                comments::response_id.eq(response),
                comments::prompt_id.eq(&c.prompt),
                comments::body.eq(&c.body),
                comments::review.eq(review),
                comments::concerns.eq(concerns_text(&c.concerns)),
            ))
            .execute(cx))?;
    }
    Ok(())
}

/// Roster names for redaction, per process, read again after five minutes: a roster import
/// is picked up within that time (a wave's roster rarely changes while it is open).
#[derive(Clone)]
pub struct NameCache(Timed<Names>);

impl Default for NameCache {
    fn default() -> Self {
        NameCache(Timed::new(Duration::from_secs(300)))
    }
}

impl NameCache {
    pub fn get(&self, conn: &mut DbConn) -> AppResult<Arc<Names>> {
        self.0
            .get(|| Ok(Names::new(crate::survey::roster::names(conn)?)))
    }
}

/// What screening comments needs: the roster's names and the review list.
#[derive(Clone)]
pub struct CommentRules {
    pub names: NameCache,
    pub review: Arc<ReviewList>,
}

impl Default for CommentRules {
    fn default() -> Self {
        CommentRules {
            names: NameCache::default(),
            review: Arc::new(ReviewList::builtin()),
        }
    }
}

impl CommentRules {
    /// The built-in review list with the configured extra phrases.
    pub fn from_settings(settings: &crate::configuration::CommentSettings) -> CommentRules {
        let review = ReviewList::builtin()
            .with_extra(Concern::SelfHarm, &settings.review_self_harm)
            .with_extra(Concern::Threat, &settings.review_threat)
            .with_extra(Concern::Harassment, &settings.review_harassment);
        CommentRules {
            names: NameCache::default(),
            review: Arc::new(review),
        }
    }

    /// Checks, redacts and screens a sheet's comments; problems as the form shows them.
    pub fn prepare_sheet(
        &self,
        conn: &mut DbConn,
        instrument: &Instrument,
        posted: &BTreeMap<String, String>,
    ) -> AppResult<Vec<Prepared>> {
        let checked = check(instrument, posted).map_err(AppError::Validation)?;
        if checked.is_empty() {
            return Ok(Vec::new());
        }
        let names = self.names.get(conn)?;
        Ok(prepare(checked, &names, &self.review))
    }
}

/// A held comment as the review queue shows it: the text and what held it, never its unit,
/// attributes or anything else about the sheet (the reviewer need not know who wrote it).
#[derive(Clone, Debug)]
pub struct HeldComment {
    pub response_id: ResponseId,
    pub prompt_id: String,
    pub wave: String,
    pub instrument: String,
    pub body: String,
    pub concerns: String,
}

/// Comments held for review in closed waves. An open wave's are not listed: a comment
/// appearing in the queue right after someone pressed "send" would tell who wrote it.
pub fn held(conn: &mut DbConn) -> AppResult<Vec<HeldComment>> {
    use crate::db::schema::{responses, waves};
    let rows: Vec<(ResponseId, String, String, String, String, String)> =
        db_run!(conn, |c| comments::table
            .inner_join(responses::table.inner_join(waves::table))
            .filter(comments::review.eq(HELD))
            .filter(waves::status.eq(WaveStatus::Closed.as_str()))
            .select((
                comments::response_id,
                comments::prompt_id,
                waves::name,
                waves::instrument,
                comments::body,
                comments::concerns,
            ))
            .order((waves::name, comments::response_id, comments::prompt_id))
            .load(c))?;
    Ok(rows
        .into_iter()
        .map(
            |(response_id, prompt_id, wave, instrument, body, concerns)| HeldComment {
                response_id,
                prompt_id,
                wave,
                instrument,
                body,
                concerns,
            },
        )
        .collect())
}

/// An admin's decision on a held comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Shown under the same rules as every comment.
    Release,
    /// Never shown; kept (and counted), never deleted.
    Withhold,
    /// This part of the text becomes "[removed]"; the comment stays held.
    Redact(String),
}

/// Applies a decision to a held comment of a closed wave; returns the wave's name for the
/// audit log. A comment decided already, or of an open wave, is not found.
pub fn decide(
    conn: &mut DbConn,
    response: &ResponseId,
    prompt: &str,
    decision: &Decision,
) -> AppResult<String> {
    let Some(found) = held(conn)?
        .into_iter()
        .find(|h| h.response_id == *response && h.prompt_id == prompt)
    else {
        return Err(AppError::NotFound(
            "no such held comment (decided already?)".into(),
        ));
    };
    let target = comments::table
        .filter(comments::response_id.eq(response))
        .filter(comments::prompt_id.eq(prompt))
        .filter(comments::review.eq(HELD));
    match decision {
        Decision::Release => {
            db_run!(conn, |c| diesel::update(target)
                .set(comments::review.eq(RELEASED))
                .execute(c))?;
        }
        Decision::Withhold => {
            db_run!(conn, |c| diesel::update(target)
                .set(comments::review.eq(WITHHELD))
                .execute(c))?;
        }
        Decision::Redact(part) => {
            let part = part.trim();
            if part.is_empty() || !found.body.contains(part) {
                return Err(AppError::Validation(vec![
                    "part: copy the words to remove exactly as they appear in the comment".into(),
                ]));
            }
            let body = found.body.replace(part, "[removed]");
            db_run!(conn, |c| diesel::update(target)
                .set(comments::body.eq(&body))
                .execute(c))?;
        }
    }
    Ok(found.wave)
}

/// Held, released and withheld comments of closed waves, for the queue's counts.
pub fn review_counts(conn: &mut DbConn) -> AppResult<(i64, i64, i64)> {
    use crate::db::schema::{responses, waves};
    let count = |conn: &mut DbConn, state: &str| -> AppResult<i64> {
        Ok(db_run!(conn, |c| comments::table
            .inner_join(responses::table.inner_join(waves::table))
            .filter(comments::review.eq(state))
            .filter(waves::status.eq(WaveStatus::Closed.as_str()))
            .count()
            .get_result(c))?)
    };
    Ok((
        count(conn, HELD)?,
        count(conn, RELEASED)?,
        count(conn, WITHHELD)?,
    ))
}
