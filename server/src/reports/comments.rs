//! A closed wave's comments as readers may see them. Comment writers are a measure of their
//! own: a cell (a unit's subtree, or unit x attribute value, as on the heat map) shows its
//! comments only when at least the comment threshold of people wrote one there, and only when
//! no group of fewer writers can be isolated by intersecting or subtracting shown cells
//! (`survey_engine::disclosure::comments`). A reader who knows how many people were invited
//! per team can pin no writer count under the threshold either (P1 of docs/privacy.md D7,
//! with the threshold as k). Held comments (the review list) are not shown until an admin
//! releases them; withheld ones never are.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use survey_engine::comments::themes::themes_of;
use survey_engine::disclosure::comments::comment_statuses;
use survey_engine::disclosure::{CellKey, CellStatus, CountModel, Layout, Placement};

use super::release::WaveRelease;
use crate::db::schema::{comments, responses, waves};
use crate::db::{DbConn, ResponseId, WaveId};
use crate::db_run;
use crate::error::{AppError, AppResult};
use crate::survey::comments::{CLEAR, HELD, RELEASED};
use crate::survey::waves::Wave;

/// Where a comment stands in every list: the SHA-256 of its sheet's id and its question.
fn order_key(rows: &[(ResponseId, String, String, String)], c: &Visible) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let (response, prompt) = rows
        .get(c.row)
        .map(|r| (r.0.as_str(), r.1.as_str()))
        .unwrap_or_default();
    Sha256::digest(format!("{response}|{prompt}").as_bytes()).into()
}

/// The default comment threshold; a wave's is never below its k.
pub const DEFAULT_THRESHOLD: usize = 10;

/// One comment a reader may see (in a shown cell).
#[derive(Clone, Debug)]
pub struct Visible {
    /// The comment's row as loaded (for its order key).
    row: usize,
    /// The writer, as an index into the wave's writers.
    writer: usize,
    pub prompt: String,
    pub body: String,
    /// Theme ids the comment touches.
    pub themes: Vec<&'static str>,
}

/// The wave's comments with the cells that may show them.
pub struct CommentRelease {
    pub threshold: usize,
    layout: Layout,
    writers: Vec<Placement>,
    /// One status per cell of the layout.
    status: Vec<CellStatus>,
    comments: Vec<Visible>,
    /// Comments held for an admin (the whole wave; never per cell).
    pub held: usize,
}

/// A wave's comment threshold: its own setting (default 10), never below its k.
pub fn threshold(conn: &mut DbConn, wave: &Wave) -> AppResult<usize> {
    let own: Option<i32> = db_run!(conn, |c| waves::table
        .filter(waves::id.eq(&wave.id))
        .select(waves::comment_min)
        .first(c)
        .optional())?;
    let own = own
        .and_then(|t| usize::try_from(t).ok())
        .unwrap_or(DEFAULT_THRESHOLD);
    let k = usize::try_from(wave.min_group_size).unwrap_or(DEFAULT_THRESHOLD);
    Ok(own.max(k))
}

impl CommentRelease {
    /// Builds the comment release of a closed wave from its score release (the same tree,
    /// attributes and placements).
    pub fn build(conn: &mut DbConn, built: &WaveRelease, wave: &Wave) -> AppResult<Self> {
        let t = threshold(conn, wave)?;
        let rows: Vec<(ResponseId, String, String, String)> = db_run!(conn, |c| comments::table
            .inner_join(responses::table)
            .filter(responses::wave_id.eq(&wave.id))
            .select((
                comments::response_id,
                comments::prompt_id,
                comments::body,
                comments::review,
            ))
            .order((comments::response_id, comments::prompt_id))
            .load(c))?;
        let sheet_of: HashMap<&ResponseId, usize> = built
            .response_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id, i))
            .collect();
        let mut writer_of_sheet: BTreeMap<usize, usize> = BTreeMap::new();
        let mut writers = Vec::new();
        let mut visible = Vec::new();
        let mut held = 0;
        for (row, (response, prompt, body, review)) in rows.iter().enumerate() {
            if review == HELD {
                held += 1;
            }
            if review != CLEAR && review != RELEASED {
                continue;
            }
            let Some(&sheet) = sheet_of.get(response) else {
                continue;
            };
            let Some(placed) = built.sheets.get(sheet) else {
                continue;
            };
            let writer = *writer_of_sheet.entry(sheet).or_insert_with(|| {
                writers.push(placed.placement.clone());
                writers.len() - 1
            });
            visible.push(Visible {
                row,
                writer,
                prompt: prompt.clone(),
                body: body.clone(),
                themes: themes_of(body),
            });
        }
        // A stable order that says nothing: not when anything was written (response ids are
        // random after close anyway), and not which comments share a writer, whose two
        // answers would otherwise stand next to each other.
        visible.sort_by_cached_key(|c| order_key(&rows, c));
        let layout = built.release.layout.clone();
        let mut status = comment_statuses(&layout, &writers, t);
        // The writer counts follow from the shown lists, and the reader knows the roster:
        // hide further cells until no count under the threshold can be pinned (hiding only
        // merges the groups above, so the intersection rule keeps holding).
        if let Some(invited) = built.release.invited.as_ref() {
            let placements: Vec<Placement> =
                built.sheets.iter().map(|s| s.placement.clone()).collect();
            let wrote: Vec<bool> = (0..built.sheets.len())
                .map(|i| writer_of_sheet.contains_key(&i))
                .collect();
            let model = CountModel::new(&layout, invited, &placements, t)
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
            model.protect(&wrote, &mut status);
        }
        Ok(CommentRelease {
            threshold: t,
            layout,
            writers,
            status,
            comments: visible,
            held,
        })
    }

    /// How many cells show their comments.
    pub fn shown_cells(&self) -> usize {
        self.status
            .iter()
            .filter(|s| **s == CellStatus::Shown)
            .count()
    }

    /// Whether a cell shows its comments.
    pub fn status(&self, key: CellKey) -> CellStatus {
        self.layout
            .try_cell_index(key)
            .and_then(|i| self.status.get(i).copied())
            .unwrap_or(CellStatus::BelowMin)
    }

    fn writer_in(&self, writer: usize, key: CellKey) -> bool {
        let Some(p) = self.writers.get(writer) else {
            return false;
        };
        self.layout.tree.is_ancestor_or_self(key.unit, p.unit)
            && match key.cut {
                None => true,
                Some((a, v)) => p.values.get(a).copied().flatten() == Some(v),
            }
    }

    /// The comments of a shown cell, in a stable order that tells nothing; none for a hidden
    /// cell.
    pub fn in_cell(&self, key: CellKey) -> Vec<&Visible> {
        if self.status(key) != CellStatus::Shown {
            return Vec::new();
        }
        self.comments
            .iter()
            .filter(|c| self.writer_in(c.writer, key))
            .collect()
    }

    /// Themes of a shown cell that at least the threshold of its writers touched, with how
    /// many writers did; a theme fewer wrote about is not shown at all.
    pub fn themes_in_cell(&self, key: CellKey) -> Vec<(&'static str, usize)> {
        let mut writers: BTreeMap<&'static str, std::collections::BTreeSet<usize>> =
            BTreeMap::new();
        for c in self.in_cell(key) {
            for t in &c.themes {
                writers.entry(t).or_default().insert(c.writer);
            }
        }
        let order = survey_engine::comments::themes::themes();
        let mut out: Vec<(&'static str, usize)> = writers
            .into_iter()
            .map(|(t, w)| (t, w.len()))
            .filter(|(_, n)| *n >= self.threshold)
            .collect();
        out.sort_by_key(|(t, _)| order.iter().position(|x| x.id == *t));
        out
    }
}

/// What a wave's comment release depends on besides the closed wave itself: how many of its
/// comments are in each review state (a release or a withholding changes it).
type Version = Vec<(String, i64)>;

/// Comment releases of closed waves, per process, rebuilt when a review decision changed
/// what may be shown. Building one themes and places every comment of the wave; a page view
/// should not pay that each time.
#[derive(Clone, Default)]
pub struct CommentCache(Arc<Mutex<HashMap<WaveId, Cached>>>);

/// A cached release and the review counts it was built at.
type Cached = (Version, Arc<CommentRelease>);

impl CommentCache {
    pub fn get(
        &self,
        conn: &mut DbConn,
        built: &WaveRelease,
        wave: &Wave,
    ) -> AppResult<Arc<CommentRelease>> {
        let version: Version = db_run!(conn, |c| comments::table
            .inner_join(responses::table)
            .filter(responses::wave_id.eq(&wave.id))
            .group_by(comments::review)
            .select((comments::review, diesel::dsl::count_star()))
            .order(comments::review)
            .load(c))?;
        if let Some((v, release)) = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&wave.id)
        {
            if *v == version {
                return Ok(release.clone());
            }
        }
        let release = Arc::new(CommentRelease::build(conn, built, wave)?);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(wave.id.clone(), (version, release.clone()));
        Ok(release)
    }
}
