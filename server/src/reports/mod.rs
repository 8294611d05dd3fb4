//! HR reports: every figure comes from a wave's suppressed release (D2, D6). A viewer's scope
//! selects rows of the release; it never computes anything new.

pub mod csv_out;
pub mod release;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use survey_engine::disclosure::{CellKey, CellStatus};
use survey_engine::items::ItemTally;
use survey_engine::release::{status_name, Release};
use survey_engine::stats::{welch_significant, ItemStats, Moments};

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::survey::responses::InstrumentCache;
use crate::survey::waves::{self, Wave, WaveStatus};
pub use release::{wave_release, ReleaseCache, WaveRelease};

/// Which units a reader may see: everything, or one unit's subtree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Everything,
    Subtree(String),
}

impl Scope {
    pub fn contains(&self, path: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Subtree(root) => {
                path == root
                    || path
                        .strip_prefix(root.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

/// A wave's release, and the previous closed wave's of the same instrument.
pub struct Context {
    pub wave: Wave,
    pub current: Arc<WaveRelease>,
    pub previous: Option<(Wave, Arc<WaveRelease>)>,
}

impl Context {
    pub fn load(
        conn: &mut DbConn,
        cache: &ReleaseCache,
        instruments: &InstrumentCache,
        wave_name: &str,
    ) -> AppResult<Context> {
        let wave = waves::find(conn, wave_name)?;
        let current = cache.get(conn, instruments, &wave)?;
        let previous = match previous_wave(conn, &wave)? {
            Some(p) => {
                let r = cache.get(conn, instruments, &p)?;
                Some((p, r))
            }
            None => None,
        };
        Ok(Context {
            wave,
            current,
            previous,
        })
    }

    pub fn release(&self) -> &Release {
        &self.current.release
    }

    /// The attribute index of `?attribute=NAME`; a name the wave does not have is refused.
    pub fn attribute(&self, name: Option<&str>) -> AppResult<Option<usize>> {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Ok(None);
        };
        let attrs = &self.release().attributes;
        attrs
            .iter()
            .position(|a| a.name == name)
            .map(Some)
            .ok_or_else(|| {
                AppError::validation(format!(
                    "attribute: wave \"{}\" has no report attribute \"{name}\" (it has: {})",
                    self.wave.name,
                    if attrs.is_empty() {
                        "none".to_string()
                    } else {
                        attrs
                            .iter()
                            .map(|a| a.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ))
            })
    }

    /// Report rows in tree order within `scope`: each whole unit, then its cuts of `attribute`.
    pub fn rows(&self, scope: &Scope, attribute: Option<usize>) -> Vec<CellKey> {
        let r = self.release();
        r.row_order()
            .into_iter()
            .filter(|k| match k.cut {
                None => true,
                Some((a, _)) => Some(a) == attribute,
            })
            .filter(|k| scope.contains(&r.tree.path(k.unit)))
            .collect()
    }

    /// Previous wave's shown moments by (unit path, cut label, scale id).
    fn previous_moments(&self) -> HashMap<(String, String, String), Moments> {
        let mut out = HashMap::new();
        let Some((_, prev)) = &self.previous else {
            return out;
        };
        let r = &prev.release;
        for key in r.row_order() {
            for (s, scale) in r.scales.iter().enumerate() {
                if let Some(m) = r
                    .heat_cell(s, key)
                    .filter(|c| c.status == CellStatus::Shown)
                    .and_then(|c| c.moments)
                {
                    out.insert((r.tree.path(key.unit), r.cut_label(key), scale.clone()), m);
                }
            }
        }
        out
    }

    /// One record per row and scale.
    pub fn heat_records(&self, scope: &Scope, attribute: Option<usize>) -> Vec<HeatRecord> {
        let r = self.release();
        let prev = self.previous_moments();
        let mut out = Vec::new();
        for key in self.rows(scope, attribute) {
            let (unit, cut) = (r.tree.path(key.unit), r.cut_label(key));
            for (s, scale) in r.scales.iter().enumerate() {
                let Some(cell) = r.heat_cell(s, key) else {
                    continue;
                };
                let shown = cell.status == CellStatus::Shown;
                let st = cell.stats.filter(|_| shown);
                let before = cell.moments.filter(|_| shown).and_then(|m| {
                    Some((m, *prev.get(&(unit.clone(), cut.clone(), scale.clone()))?))
                });
                out.push(HeatRecord {
                    wave: r.wave.clone(),
                    unit: unit.clone(),
                    cut: cut.clone(),
                    scale: scale.clone(),
                    status: status_name(cell.status),
                    respondents: st.map(|s| s.n),
                    mean: st.and_then(|s| s.mean),
                    sd: st.and_then(|s| s.sd),
                    ci_low: st.and_then(|s| s.ci_low),
                    ci_high: st.and_then(|s| s.ci_high),
                    favorable_pct: st.and_then(|s| s.favorable_pct),
                    delta_org: st.and(cell.delta_org),
                    significant: st.and(cell.significant),
                    delta_prev: before.and_then(|(now, then)| now.mean_minus(&then)),
                    significant_prev: before.and_then(|(now, then)| welch_significant(&now, &then)),
                });
            }
        }
        out
    }

    pub fn profile_records(&self, scope: &Scope, attribute: Option<usize>) -> Vec<ProfileRecord> {
        let r = self.release();
        self.rows(scope, attribute)
            .into_iter()
            .filter_map(|key| {
                let cell = r.profile_cell(key)?;
                let counts = cell.counts.filter(|_| cell.status == CellStatus::Shown);
                Some(ProfileRecord {
                    wave: r.wave.clone(),
                    unit: r.tree.path(key.unit),
                    cut: r.cut_label(key),
                    status: status_name(cell.status),
                    respondents: counts.map(|(n, _)| n),
                    percent: counts.map(|(n, c)| {
                        survey_engine::Profile::ALL
                            .iter()
                            .map(|p| {
                                let count = c.get(p.index()).copied().unwrap_or(0);
                                (
                                    p.as_str().to_string(),
                                    if n > 0 {
                                        100.0 * count as f64 / n as f64
                                    } else {
                                        0.0
                                    },
                                )
                            })
                            .collect()
                    }),
                })
            })
            .collect()
    }

    /// Respondents of a whole unit: the largest shown count over its scales (a published
    /// figure); `None` when no scale of the unit is shown.
    pub fn respondents(&self, unit: usize) -> Option<u64> {
        let r = self.release();
        let key = CellKey { unit, cut: None };
        (0..r.scales.len())
            .filter_map(|s| r.heat_cell(s, key))
            .filter(|c| c.status == CellStatus::Shown)
            .filter_map(|c| c.stats.map(|s| s.n))
            .max()
    }

    /// Response rate of a whole unit in percent, only where the unit is shown.
    pub fn response_rate(&self, unit: usize) -> Option<f64> {
        let n = self.respondents(unit)?;
        let invited = *self.current.invited.get(&self.release().tree.path(unit))?;
        (invited > 0).then(|| 100.0 * n as f64 / invited as f64)
    }

    /// Item statistics of the cells in scope (whole units, and their cuts by `attribute`),
    /// only for items whose scale is shown for the cell, and only when every respondent the
    /// shown scale cell counts answered the item: then the item's group is exactly the
    /// released group.
    pub fn item_records(&self, scope: &Scope, attribute: Option<usize>) -> Vec<ItemRecord> {
        let r = self.release();
        let inst = &self.current.instrument;
        let min = inst.response_scale.min;
        let w = &self.current;
        let tally = ItemTally::build(r, inst, &w.sheets, &w.answers, attribute);
        let mut out = Vec::new();
        for key in self.rows(scope, attribute) {
            let unit = key.unit;
            for (s, scale) in r.scales.iter().enumerate() {
                if r.heat_cell(s, key)
                    .is_none_or(|c| c.status != CellStatus::Shown)
                {
                    continue;
                }
                let Some(cell) = tally.cell(unit, key.cut) else {
                    continue;
                };
                let members = tally.members(cell, s);
                for &item in inst.scale_items(s) {
                    let st = ItemStats::from_counts(min, tally.counts(cell, item));
                    // Where someone skipped the item its answerers are a group the release
                    // does not hold, so nothing of it is shown.
                    let complete = st.n == members;
                    out.push(ItemRecord {
                        wave: r.wave.clone(),
                        unit: r.tree.path(unit),
                        cut: r.cut_label(key),
                        scale: scale.clone(),
                        item: inst
                            .items
                            .get(item)
                            .map(|i| i.id.clone())
                            .unwrap_or_default(),
                        status: if complete {
                            "shown"
                        } else {
                            "withheld_skipped"
                        },
                        respondents: complete.then_some(st.n),
                        mean: st.mean.filter(|_| complete),
                        sd: st.sd.filter(|_| complete),
                        pct: if complete { st.pct } else { Vec::new() },
                    });
                }
            }
        }
        out
    }
}

/// The closed wave before `wave` with the same instrument, if any.
pub fn previous_wave(conn: &mut DbConn, wave: &Wave) -> AppResult<Option<Wave>> {
    Ok(waves::list(conn)?
        .into_iter()
        .filter(|w| {
            w.status() == WaveStatus::Closed
                && w.instrument == wave.instrument
                && w.opens_at < wave.opens_at
        })
        .max_by_key(|w| w.opens_at))
}

#[derive(Serialize, Clone, Debug)]
pub struct HeatRecord {
    pub wave: String,
    pub unit: String,
    pub cut: String,
    pub scale: String,
    pub status: &'static str,
    pub respondents: Option<u64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub favorable_pct: Option<f64>,
    pub delta_org: Option<f64>,
    pub significant: Option<bool>,
    /// Mean minus the previous wave's (same unit path, cut and scale); only when both shown.
    pub delta_prev: Option<f64>,
    pub significant_prev: Option<bool>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ProfileRecord {
    pub wave: String,
    pub unit: String,
    pub cut: String,
    pub status: &'static str,
    pub respondents: Option<u64>,
    pub percent: Option<Vec<(String, f64)>>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ItemRecord {
    pub wave: String,
    pub unit: String,
    /// Empty for the whole unit, else `attribute=value`.
    pub cut: String,
    pub scale: String,
    pub item: String,
    pub status: &'static str,
    pub respondents: Option<u64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// % of answers at each scale point from min to max.
    pub pct: Vec<Option<f64>>,
}

/// The audit detail of a report read: wave, unit scope and attribute, never figures.
pub fn audit_detail(wave: &str, unit: Option<&str>, attribute: Option<&str>) -> String {
    let mut d = format!("wave={wave} unit={}", unit.unwrap_or("*"));
    if let Some(a) = attribute {
        d.push_str(&format!(" attribute={a}"));
    }
    d
}
