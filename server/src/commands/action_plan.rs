//! `worklife report action-plan --wave W --unit PATH --format csv|md`, and the plan's inputs
//! (release, previous release, focus areas, items), which the web pages share.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use survey_engine::actions::{focus_areas, FocusArea, Library, PLAN_FOCUS_AREAS};
use survey_engine::disclosure::Placement;
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Release};

use crate::action_plan::{action_plan_csv, action_plan_md};
use crate::actions::{self, ActionItem};
use crate::cli::{PlanFormat, ReportCommand};
use crate::db::schema::{answers, responses, wave_units, waves};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::waves::{Wave, WaveStatus};
use crate::{db_run, instruments};

pub fn run(cmd: ReportCommand) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    match cmd {
        ReportCommand::ActionPlan { wave, unit, format } => {
            let plan = plan_data(&mut conn, &wave, &unit)?;
            let bytes = match format {
                PlanFormat::Csv => plan.csv()?,
                PlanFormat::Md => plan.md().into_bytes(),
            };
            super::emit(&bytes)
        }
    }
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

// replaced by reports::wave_release after merge
/// The suppressed release of a closed wave, from its unit snapshot and stored answers (as
/// `worklife score --output heatmap` builds one from a file). Open waves have no release:
/// watching figures change while answers arrive would single people out.
pub fn wave_release(conn: &mut DbConn, wave: &Wave) -> AppResult<Release> {
    if wave.status() != WaveStatus::Closed {
        return Err(AppError::Conflict(format!(
            "wave \"{}\" is {}; its results are released when it closes",
            wave.name, wave.status
        )));
    }
    let instrument = instruments::load(conn, &wave.instrument)?;
    let units: Vec<(String, String)> = db_run!(conn, |c| wave_units::table
        .filter(wave_units::wave_id.eq(&wave.id))
        .select((wave_units::id, wave_units::path))
        .order(wave_units::path)
        .load(c))?;
    let tree = OrgTree::from_paths(units.iter().map(|u| u.1.as_str()))
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let unit_index: HashMap<&str, usize> = units
        .iter()
        .filter_map(|(id, path)| Some((id.as_str(), tree.find(path)?)))
        .collect();
    let rows: Vec<(String, String, String)> = db_run!(conn, |c| responses::table
        .filter(responses::wave_id.eq(&wave.id))
        .select((responses::id, responses::unit_id, responses::attributes))
        .order(responses::id)
        .load(c))?;
    let stored: Vec<(String, String, i32)> = db_run!(conn, |c| answers::table
        .filter(
            answers::response_id.eq_any(
                responses::table
                    .filter(responses::wave_id.eq(&wave.id))
                    .select(responses::id)
            )
        )
        .select((answers::response_id, answers::item_id, answers::value))
        .load(c))?;
    let mut sheets: HashMap<&str, Vec<Option<i32>>> = rows
        .iter()
        .map(|r| (r.0.as_str(), vec![None; instrument.items.len()]))
        .collect();
    for (response, item, value) in &stored {
        if let (Some(sheet), Some(i)) = (
            sheets.get_mut(response.as_str()),
            instrument.item_index(item),
        ) {
            if let Some(slot) = sheet.get_mut(i) {
                *slot = Some(*value);
            }
        }
    }
    let names = wave.attribute_names();
    let values: Vec<BTreeMap<String, String>> = rows
        .iter()
        .map(|r| serde_json::from_str(&r.2).unwrap_or_default())
        .collect();
    let attributes: Vec<Attribute> = names
        .iter()
        .map(|name| Attribute {
            name: name.clone(),
            values: values
                .iter()
                .filter_map(|v| v.get(name).filter(|s| !s.trim().is_empty()).cloned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        })
        .collect();
    let placed: Vec<PlacedSheet> = rows
        .iter()
        .zip(&values)
        .filter_map(|(r, v)| {
            let unit = *unit_index.get(r.1.as_str())?;
            let answers = sheets.get(r.0.as_str())?;
            Some(PlacedSheet {
                placement: Placement {
                    unit,
                    values: attributes
                        .iter()
                        .map(|a| {
                            let value = v.get(&a.name)?;
                            a.values.binary_search(value).ok()
                        })
                        .collect(),
                },
                scores: instrument.score_unchecked(answers),
            })
        })
        .collect();
    let k = usize::try_from(wave.min_group_size).unwrap_or(usize::MAX);
    Release::build(&instrument, tree, attributes, &placed, k, &wave.name)
        .map_err(|e| AppError::Unexpected(e.into()))
}
