//! `worklife report action-plan --wave W --unit PATH --format csv|md`, and the plan's inputs
//! (release, previous release, focus areas, items), which the web pages share.

use std::sync::Arc;

use survey_engine::actions::{focus_areas, FocusArea, Library, PLAN_FOCUS_AREAS};
use survey_engine::release::Release;

use crate::action_plan::{action_plan_csv, action_plan_md};
use crate::actions::{self, ActionItem};
use crate::auth::audit;
use crate::cli::PlanFormat;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::reports::{Context, ReleaseCache, WaveRelease};
use crate::responses::InstrumentCache;
use crate::waves::Wave;

pub fn run(wave: &str, unit: &str, format: PlanFormat) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    let plan = plan_data(
        &mut conn,
        &ReleaseCache::default(),
        &InstrumentCache::default(),
        wave,
        unit,
    )?;
    let bytes = match format {
        PlanFormat::Csv => plan.csv()?,
        PlanFormat::Md => plan.md().into_bytes(),
    };
    audit::record(
        &mut conn,
        "cli",
        &format!(
            "export action-plan.{}",
            match format {
                PlanFormat::Csv => "csv",
                PlanFormat::Md => "md",
            }
        ),
        &super::report::detail(wave, Some(&plan.unit_path), None),
    )?;
    super::emit(&bytes)
}

/// Everything a unit's action plan is made of.
pub struct PlanData {
    pub wave: Wave,
    pub unit_path: String,
    pub current: Arc<WaveRelease>,
    pub focus: Vec<FocusArea>,
    pub items: Vec<ActionItem>,
    pub library: &'static Library,
}

impl PlanData {
    pub fn release(&self) -> &Release {
        &self.current.release
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
    let unit_path = actions::known_unit(conn, unit_path)?;
    let ctx = Context::load(conn, releases, instruments, wave_name)?;
    let previous = ctx.previous.as_ref().map(|(_, r)| &r.release);
    let mut focus = focus_areas(&ctx.current.release, &unit_path, previous);
    focus.truncate(PLAN_FOCUS_AREAS);
    let items = actions::list(conn, &unit_path)?;
    let library = Library::builtin().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(PlanData {
        current: ctx.current.clone(),
        wave: ctx.wave,
        unit_path,
        focus,
        items,
        library,
    })
}
