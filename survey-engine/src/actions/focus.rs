//! Focus areas: which areas of worklife a unit might work on, proposed from the release.

use super::Area;
use crate::bands::Band;
use crate::disclosure::{CellKey, CellStatus};
use crate::release::{HeatCell, Release};
use crate::stats::{welch_significant, GroupStats};

/// How many focus areas a plan proposes: the first ones of [`focus_areas`]. More would be no
/// focus.
pub const PLAN_FOCUS_AREAS: usize = 3;

/// One proposed focus area of a unit, with the release's figures for it. Only built from
/// shown cells: every figure here is a figure of the release (or, for the previous wave, the
/// difference of two shown means).
#[derive(Clone, Debug, PartialEq)]
pub struct FocusArea {
    pub area: Area,
    /// Index of the area's scale in `release.scales`.
    pub scale: usize,
    /// The unit's statistics on the area's scale, as in the release.
    pub stats: GroupStats,
    /// Given instead of `stats.favorable_pct` near all or none (D9), as in the release.
    pub favorable_band: Option<Band>,
    /// Unit mean minus organisation mean, as in the release.
    pub delta_org: Option<f64>,
    /// Welch's t-test against the rest of the organisation, as in the release.
    pub significant_org: Option<bool>,
    /// The same unit's mean on the same scale in the previous wave, when shown in both.
    pub previous_mean: Option<f64>,
    /// Mean minus `previous_mean`.
    pub delta_prev: Option<f64>,
    /// Welch's t-test of this wave against the previous one (same unit and scale).
    pub significant_prev: Option<bool>,
}

impl FocusArea {
    /// Below the organisation's mean.
    pub fn below_org(&self) -> bool {
        self.delta_org.is_some_and(|d| d < 0.0)
    }

    /// Lower than in the previous wave.
    pub fn dropped(&self) -> bool {
        self.delta_prev.is_some_and(|d| d < 0.0)
    }

    /// A significant gap to the organisation or a significant drop (S8, p < 0.05).
    pub fn significant(&self) -> bool {
        (self.below_org() && self.significant_org == Some(true))
            || (self.dropped() && self.significant_prev == Some(true))
    }

    /// The larger of the two shortfalls (the more negative delta).
    pub fn gap(&self) -> f64 {
        [self.delta_org, self.delta_prev]
            .into_iter()
            .flatten()
            .filter(|d| *d < 0.0)
            .fold(0.0, f64::min)
    }
}

/// The focus areas of the unit at `unit_path` (its whole-unit cell, no attribute cut).
///
/// An area is proposed when its scale's cell of the unit is shown and its mean lies below
/// the organisation's (`delta_org < 0`) or below the same unit's mean on the same scale in
/// `previous` (both cells shown). Burnout and outcome scales are never areas; areas are
/// matched to scales by id. Hidden cells contribute nothing (D2, D6): a unit whose cells are
/// all hidden, or a path the release does not know, gets an empty list.
///
/// Order: significant ones first ([`FocusArea::significant`]), then the larger shortfall
/// first ([`FocusArea::gap`], most negative delta), then the model's order of the areas.
pub fn focus_areas(
    release: &Release,
    unit_path: &str,
    previous: Option<&Release>,
) -> Vec<FocusArea> {
    let Some(unit) = release.tree.find(unit_path) else {
        return Vec::new();
    };
    let key = CellKey { unit, cut: None };
    let mut found: Vec<FocusArea> = release
        .scales
        .iter()
        .enumerate()
        .filter_map(|(scale, id)| {
            let area = Area::from_id(id)?;
            let cell = shown(release.heat_cell(scale, key))?;
            let stats = cell.stats?;
            let mean = stats.mean?;
            let before = previous.and_then(|p| previous_cell(p, unit_path, id));
            let previous_mean = before.and_then(|c| c.stats?.mean);
            // Welch's test uses both sds: not where either release shows its sd as a band.
            let significant_prev = match (cell.moments, before.and_then(|c| c.moments)) {
                (Some(now), Some(then))
                    if cell.sd_below.is_none() && before.is_some_and(|c| c.sd_below.is_none()) =>
                {
                    welch_significant(&now, &then)
                }
                _ => None,
            };
            let focus = FocusArea {
                area,
                scale,
                stats,
                favorable_band: cell.favorable_band,
                delta_org: cell.delta_org,
                significant_org: cell.significant,
                previous_mean,
                delta_prev: previous_mean.map(|p| mean - p),
                significant_prev: previous_mean.and(significant_prev),
            };
            (focus.below_org() || focus.dropped()).then_some(focus)
        })
        .collect();
    found.sort_by(|a, b| {
        b.significant()
            .cmp(&a.significant())
            .then_with(|| a.gap().total_cmp(&b.gap()))
            .then_with(|| a.area.cmp(&b.area))
    });
    found
}

fn shown(cell: Option<&HeatCell>) -> Option<&HeatCell> {
    cell.filter(|c| c.status == CellStatus::Shown)
}

fn previous_cell<'a>(
    previous: &'a Release,
    unit_path: &str,
    scale_id: &str,
) -> Option<&'a HeatCell> {
    let unit = previous.tree.find(unit_path)?;
    let scale = previous.scales.iter().position(|s| s == scale_id)?;
    shown(previous.heat_cell(scale, CellKey { unit, cut: None }))
}
