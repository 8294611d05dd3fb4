//! `worklife report action-plan --wave W --unit PATH --format csv|md`, and the plan's inputs
//! (release, previous release, focus areas, items), which the web pages share.

use diesel::prelude::*;
use survey_engine::actions::{focus_areas, FocusArea, Library, PLAN_FOCUS_AREAS};
use survey_engine::release::Release;

use crate::action_plan::{action_plan_csv, action_plan_md};
use crate::actions::{self, ActionItem};
use crate::auth::audit;
use crate::cli::PlanFormat;
use crate::db::schema::waves;
use crate::db::DbConn;
use crate::db_run;
use crate::error::{AppError, AppResult};
use crate::responses::InstrumentCache;
use crate::waves::{Wave, WaveStatus};

pub fn run(wave: &str, unit: &str, format: PlanFormat) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    let plan = plan_data(&mut conn, wave, unit)?;
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
    pub release: Release,
    pub focus: Vec<FocusArea>,
    pub items: Vec<ActionItem>,
    pub library: &'static Library,
}

impl PlanData {
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        action_plan_csv(
            &self.release,
            &self.unit_path,
            &self.focus,
            &self.items,
            self.library,
        )
    }

    pub fn md(&self) -> String {
        action_plan_md(
            &self.release,
            &self.unit_path,
            &self.focus,
            &self.items,
            self.library,
        )
    }
}

/// The plan of `unit_path` for the closed wave `wave_name`: focus areas from its release and
/// the closed wave before it (the first [`PLAN_FOCUS_AREAS`]), and the unit's items (kept across waves).
pub fn plan_data(conn: &mut DbConn, wave_name: &str, unit_path: &str) -> AppResult<PlanData> {
    let wave = crate::waves::find(conn, wave_name)?;
    let unit_path = actions::known_unit(conn, unit_path)?;
    let release = wave_release(conn, &wave)?;
    let previous = match previous_wave(conn, &wave)? {
        Some(p) => Some(wave_release(conn, &p)?),
        None => None,
    };
    let mut focus = focus_areas(&release, &unit_path, previous.as_ref());
    focus.truncate(PLAN_FOCUS_AREAS);
    let items = actions::list(conn, &unit_path)?;
    let library = Library::builtin().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(PlanData {
        wave,
        unit_path,
        release,
        focus,
        items,
        library,
    })
}

/// The closed wave that opened last before `wave`.
fn previous_wave(conn: &mut DbConn, wave: &Wave) -> AppResult<Option<Wave>> {
    Ok(db_run!(conn, |c| waves::table
        .filter(waves::status.eq(WaveStatus::Closed.as_str()))
        .filter(waves::opens_at.lt(wave.opens_at))
        .order((waves::opens_at.desc(), waves::name.desc()))
        .first::<Wave>(c)
        .optional())?)
}

/// The suppressed release of a closed wave (open waves have none: watching figures change
/// while answers arrive would single people out).
pub fn wave_release(conn: &mut DbConn, wave: &Wave) -> AppResult<Release> {
    crate::reports::release::wave_release(conn, &InstrumentCache::default(), wave)
}
