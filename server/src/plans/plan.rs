//! What a unit's action plan is made of: its release, focus areas and items. The CLI export
//! and the web pages share it.

use std::sync::Arc;

use survey_engine::actions::{focus_areas, FocusArea, Library, PLAN_FOCUS_AREAS};
use survey_engine::release::Release;

use super::export::{action_plan_csv, action_plan_md};
use super::items::{self, ActionItem};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::reports::{Context, ReleaseCache, WaveRelease};
use crate::survey::responses::InstrumentCache;
use crate::survey::waves::{self, Wave};

/// Everything a unit's action plan is made of.
pub struct PlanData {
    pub wave: Wave,
    pub unit_path: String,
    pub current: Arc<WaveRelease>,
    pub focus: Vec<FocusArea>,
    pub items: Vec<ActionItem>,
    pub library: &'static Library,
    /// Every wave, to name the one that raised each item.
    pub waves: Vec<Wave>,
}

impl PlanData {
    pub fn release(&self) -> &Release {
        &self.current.release
    }

    /// The name of the wave whose plan an item was added from (none for items added
    /// without one, e.g. by `worklife action add` without `--wave`).
    pub fn raised_in(&self, item: &ActionItem) -> Option<&str> {
        let id = item.created_wave_id.as_ref()?;
        self.waves
            .iter()
            .find(|w| &w.id == id)
            .map(|w| w.name.as_str())
    }

    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        action_plan_csv(
            self.release(),
            &self.unit_path,
            &self.focus,
            &self.items,
            self.library,
        )
    }

    pub fn md(&self) -> String {
        action_plan_md(
            self.release(),
            &self.unit_path,
            &self.focus,
            &self.items,
            self.library,
        )
    }
}

/// The plan of `unit_path` for the closed wave `wave_name`: focus areas from its release and
/// the previous closed wave's of the same instrument (the first [`PLAN_FOCUS_AREAS`]), and the
/// unit's items (kept across waves). Releases come from `releases`, as the reports' do.
pub fn plan_data(
    conn: &mut DbConn,
    releases: &ReleaseCache,
    instruments: &InstrumentCache,
    wave_name: &str,
    unit_path: &str,
) -> AppResult<PlanData> {
    let unit_path = items::known_unit(conn, unit_path)?;
    let ctx = Context::load(conn, releases, instruments, wave_name)?;
    let previous = ctx.previous.as_ref().map(|(_, r)| &r.release);
    let mut focus = focus_areas(&ctx.current.release, &unit_path, previous);
    focus.truncate(PLAN_FOCUS_AREAS);
    let items = items::list(conn, &unit_path)?;
    let library = Library::builtin().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(PlanData {
        current: ctx.current.clone(),
        wave: ctx.wave,
        unit_path,
        focus,
        items,
        library,
        waves: waves::list(conn)?,
    })
}
