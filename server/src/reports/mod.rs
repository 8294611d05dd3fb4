//! HR reports: every figure comes from a wave's suppressed release (D2, D6). A viewer's scope
//! selects rows of the release; it never computes anything new.

pub mod comments;
pub mod csv_out;
pub mod disclosure_audit;
pub mod release;

use std::sync::Arc;

use survey_engine::disclosure::{CellKey, CellStatus};
use survey_engine::release::Release;
use survey_engine::report::{self, HeatRow, HeatRows, ItemRow, ProfileRow};

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

    /// The organisation's own rows (its whole cell, then its cuts by `attribute`) for a
    /// reader whose rows are narrowed to a subtree below it: the benchmark most tools show
    /// managers. They are cells of the same release under the same rules (a hidden one
    /// stays hidden), and every reader may compute them anyway from `delta_org`. Empty when
    /// the rows hold the organisation already.
    pub fn comparison(&self, scope: &Scope, attribute: Option<usize>) -> Vec<CellKey> {
        let r = self.release();
        let root = r.tree.path(0);
        if scope.contains(&root) {
            return Vec::new();
        }
        r.row_order()
            .into_iter()
            .filter(|k| k.unit == 0)
            .filter(|k| k.cut.is_none_or(|(a, _)| Some(a) == attribute))
            .collect()
    }

    /// The rows an export of `scope` holds: the comparison rows, then the rows in scope.
    pub fn export_rows(&self, scope: &Scope, attribute: Option<usize>) -> Vec<CellKey> {
        let mut keys = self.comparison(scope, attribute);
        keys.extend(self.rows(scope, attribute));
        keys
    }

    /// One row per cell in scope and scale, with changes against the previous wave.
    pub fn heat_records(&self, scope: &Scope, attribute: Option<usize>) -> Vec<HeatRow> {
        self.heat_rows(&self.rows(scope, attribute)).to_vec()
    }

    /// One row per key and scale, with changes against the previous wave, copied out.
    pub fn heat_rows_of(&self, keys: &[CellKey]) -> Vec<HeatRow> {
        self.heat_rows(keys).to_vec()
    }

    /// The heat-map rows of `keys` (from [`Context::rows`]) against the previous wave, not
    /// yet copied out of the release: what the API's JSON and CSV are written from.
    pub fn heat_rows(&self, keys: &[CellKey]) -> HeatRows<'_> {
        let previous = self.previous.as_ref().map(|(_, p)| &p.release);
        HeatRows::new(self.release(), keys, previous)
    }

    pub fn profile_records(&self, scope: &Scope, attribute: Option<usize>) -> Vec<ProfileRow> {
        self.profile_rows_of(&self.rows(scope, attribute))
    }

    pub fn profile_rows_of(&self, keys: &[CellKey]) -> Vec<ProfileRow> {
        report::profile_rows(self.release(), keys)
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

    /// Item rows of the cells in scope (whole units, and their cuts by `attribute`).
    pub fn item_records(&self, scope: &Scope, attribute: Option<usize>) -> Vec<ItemRow> {
        self.item_rows_of(&self.rows(scope, attribute))
    }

    pub fn item_rows_of(&self, keys: &[CellKey]) -> Vec<ItemRow> {
        let w = &self.current;
        report::item_rows(&w.release, &w.instrument, keys)
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

/// The audit detail of a report read: wave, unit scope and attribute, never figures.
pub fn audit_detail(wave: &str, unit: Option<&str>, attribute: Option<&str>) -> String {
    let mut d = format!("wave={wave} unit={}", unit.unwrap_or("*"));
    if let Some(a) = attribute {
        d.push_str(&format!(" attribute={a}"));
    }
    d
}
