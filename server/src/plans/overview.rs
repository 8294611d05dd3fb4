//! HR's overview of every unit's action plan: per unit the items by status and how many are
//! overdue, whether the latest closed wave shows the unit's scores, and the units whose
//! scores are shown but which have no plan yet. Only units in the reader's scope appear.
//!
//! "Scores shown" is read from the suppressed release exactly as the plan page reads it
//! ([`unit_figures`]): a unit under k and a unit hidden to protect a smaller one read alike,
//! and no count of respondents is given (D3, D6).

use std::collections::HashMap;

use chrono::NaiveDate;
use survey_engine::csv_out::CsvWriter;
use survey_engine::release::Release;

use super::export::{unit_figures, UnitFigures};
use super::items::{self, ActionItem, ItemStatus};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::reports::{ReleaseCache, Scope};
use crate::survey::responses::InstrumentCache;
use crate::survey::waves::{self, WaveStatus};

/// What the latest closed wave says about a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scores {
    Shown,
    /// Under k, or hidden to protect a smaller group: one word for both.
    Hidden,
    /// The unit was not in the wave (or no wave has closed).
    NotInWave,
}

impl Scores {
    pub fn as_str(self) -> &'static str {
        match self {
            Scores::Shown => "shown",
            Scores::Hidden => "hidden",
            Scores::NotInWave => "not_in_wave",
        }
    }
}

/// One unit's line of the overview.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitPlan {
    pub unit_path: String,
    pub scores: Scores,
    /// Items per status, in the order of [`ItemStatus::ALL`].
    pub by_status: [usize; 4],
    /// Open items due before today.
    pub overdue: usize,
}

impl UnitPlan {
    pub fn total(&self) -> usize {
        self.by_status.iter().sum()
    }

    pub fn count(&self, status: ItemStatus) -> usize {
        ItemStatus::ALL
            .iter()
            .position(|s| *s == status)
            .and_then(|i| self.by_status.get(i))
            .copied()
            .unwrap_or_default()
    }
}

/// The overview as of one day.
#[derive(Clone, Debug)]
pub struct Overview {
    /// The latest closed wave, whose release says which units' scores are shown.
    pub wave: Option<String>,
    pub today: NaiveDate,
    /// Units in tree order (depth first, children by name).
    pub units: Vec<UnitPlan>,
    /// Overdue items in scope, the longest overdue first.
    pub overdue: Vec<ActionItem>,
}

impl Overview {
    /// Units whose scores the latest wave shows and that have no action item.
    pub fn without_plan(&self) -> impl Iterator<Item = &UnitPlan> {
        self.units
            .iter()
            .filter(|u| u.scores == Scores::Shown && u.total() == 0)
    }
}

/// Builds the overview from every item and the latest closed wave's release. Units are those
/// of the release's tree and those that have items, kept only when `scope` contains them.
pub fn overview(
    items: &[ActionItem],
    release: Option<&Release>,
    scope: &Scope,
    today: NaiveDate,
) -> Overview {
    let mut paths: Vec<String> = release
        .map(|r| (0..r.tree.len()).map(|u| r.tree.path(u)).collect())
        .unwrap_or_default();
    paths.extend(items.iter().map(|i| i.unit_path.clone()));
    paths.retain(|p| scope.contains(p));
    // Tree order: comparing by segments puts a unit before its children, children by name.
    paths.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    paths.dedup();
    // Grouped once, so that thousands of units do not each scan every item.
    let mut by_unit: HashMap<&str, Vec<&ActionItem>> = HashMap::new();
    for item in items {
        by_unit.entry(&item.unit_path).or_default().push(item);
    }
    let units = paths
        .into_iter()
        .map(|unit_path| {
            let scores = match release.map(|r| (r, r.tree.find(&unit_path))) {
                Some((r, Some(_))) => match unit_figures(r, &unit_path) {
                    UnitFigures::Shown { .. } => Scores::Shown,
                    UnitFigures::Hidden { .. } => Scores::Hidden,
                },
                _ => Scores::NotInWave,
            };
            let mine = by_unit.get(unit_path.as_str()).into_iter().flatten();
            let mut by_status = [0; 4];
            let mut overdue = 0;
            for item in mine {
                if let Some(i) = ItemStatus::ALL.iter().position(|s| *s == item.status) {
                    if let Some(n) = by_status.get_mut(i) {
                        *n += 1;
                    }
                }
                overdue += usize::from(item.is_overdue(today));
            }
            UnitPlan {
                unit_path,
                scores,
                by_status,
                overdue,
            }
        })
        .collect();
    let mut overdue: Vec<ActionItem> = items
        .iter()
        .filter(|i| scope.contains(&i.unit_path) && i.is_overdue(today))
        .cloned()
        .collect();
    overdue.sort_by(|a, b| (a.due_date, &a.unit_path).cmp(&(b.due_date, &b.unit_path)));
    Overview {
        wave: release.map(|r| r.wave.clone()),
        today,
        units,
        overdue,
    }
}

/// The overview of the units in `scope` on `today`, against the latest closed wave.
pub fn load(
    conn: &mut DbConn,
    releases: &ReleaseCache,
    instruments: &InstrumentCache,
    scope: &Scope,
    today: NaiveDate,
) -> AppResult<Overview> {
    let latest = waves::list(conn)?
        .into_iter()
        .rev()
        .find(|w| w.status() == WaveStatus::Closed);
    let release = match &latest {
        Some(wave) => Some(releases.get(conn, instruments, wave)?),
        None => None,
    };
    let items = items::all(conn)?;
    Ok(overview(
        &items,
        release.as_ref().map(|r| &r.release),
        scope,
        today,
    ))
}

pub const CSV_HEADER: [&str; 10] = [
    "unit",
    "wave",
    "scores",
    "not_started",
    "in_progress",
    "done",
    "dropped",
    "total",
    "overdue",
    "as_of",
];

/// One record per unit (RFC 4180, UTF-8), through the project's one CSV writer.
pub fn overview_csv(o: &Overview) -> anyhow::Result<Vec<u8>> {
    let mut w = CsvWriter::crlf();
    w.record(CSV_HEADER)?;
    for u in &o.units {
        let mut cells = vec![
            u.unit_path.clone(),
            o.wave.clone().unwrap_or_default(),
            u.scores.as_str().to_string(),
        ];
        cells.extend(u.by_status.iter().map(usize::to_string));
        cells.push(u.total().to_string());
        cells.push(u.overdue.to_string());
        cells.push(o.today.to_string());
        w.record(cells)?;
    }
    Ok(w.finish()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::NaiveDateTime;
    use survey_engine::actions::Area;

    fn item(unit: &str, status: ItemStatus, due: Option<&str>) -> ActionItem {
        ActionItem {
            id: format!("{unit}-{}-{due:?}", status.as_str()),
            unit_path: unit.into(),
            area: Area::Workload,
            title: "t".into(),
            owner: String::new(),
            due_date: due.map(|d| d.parse().unwrap()),
            status,
            notes: String::new(),
            created_at: NaiveDateTime::default(),
            updated_at: NaiveDateTime::default(),
            created_wave_id: None,
        }
    }

    #[test]
    fn counts_by_status_overdue_by_the_given_day_and_only_in_scope() {
        let items = [
            item("Acme/Eng", ItemStatus::NotStarted, Some("2026-12-01")),
            item("Acme/Eng", ItemStatus::InProgress, Some("2026-12-05")),
            item("Acme/Eng", ItemStatus::Done, Some("2026-11-01")),
            item("Acme/Eng/Platform", ItemStatus::Dropped, None),
            item("Acme/Sales", ItemStatus::InProgress, Some("2026-01-01")),
        ];
        let today: NaiveDate = "2026-12-05".parse().unwrap();
        let all = overview(&items, None, &Scope::Everything, today);
        let paths: Vec<&str> = all.units.iter().map(|u| u.unit_path.as_str()).collect();
        assert_eq!(paths, ["Acme/Eng", "Acme/Eng/Platform", "Acme/Sales"]);
        let eng = &all.units[0];
        assert_eq!(eng.by_status, [1, 1, 1, 0]);
        assert_eq!(eng.count(ItemStatus::Done), 1);
        // Due today is not late; done is never late.
        assert_eq!(eng.overdue, 1);
        assert_eq!(eng.scores, Scores::NotInWave);
        let late: Vec<&str> = all.overdue.iter().map(|i| i.unit_path.as_str()).collect();
        assert_eq!(late, ["Acme/Sales", "Acme/Eng"]);
        // A day later the item due today is late too.
        let next = overview(&items, None, &Scope::Everything, today.succ_opt().unwrap());
        assert_eq!(next.units[0].overdue, 2);

        let manager = overview(&items, None, &Scope::Subtree("Acme/Eng".into()), today);
        let paths: Vec<&str> = manager.units.iter().map(|u| u.unit_path.as_str()).collect();
        assert_eq!(paths, ["Acme/Eng", "Acme/Eng/Platform"]);
        assert!(manager.overdue.iter().all(|i| i.unit_path == "Acme/Eng"));

        let csv = String::from_utf8(overview_csv(&all).unwrap()).unwrap();
        assert_eq!(
            csv.lines().next().unwrap(),
            "unit,wave,scores,not_started,in_progress,done,dropped,total,overdue,as_of"
        );
        assert!(
            csv.contains("Acme/Eng,,not_in_wave,1,1,1,0,3,1,2026-12-05\r\n"),
            "{csv}"
        );
    }
}
