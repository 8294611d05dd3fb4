//! Cronbach's alpha of every unit's scales as a release shows it (docs/privacy.md D6), worked
//! out when the release is built, so the print page reads it from the release like every
//! other figure. Alpha is computed over complete cases (respondents who answered every item
//! of the scale), which can be a smaller group than the shown scale cell: it is shown only
//! beside a shown scale cell and only when those complete cases are themselves at least k
//! people. Nor is it shown where the cell shows its sd only as a band (D7) or its mean as a
//! band (D9): with the items' variances, which their shown distributions give, alpha would
//! give the sd back.

use crate::disclosure::{CellStatus, UnitTree};
use crate::instrument::Instrument;
use crate::release::{HeatCell, PlacedSheet};
use crate::stats::AlphaTally;

/// What a release may say about one scale's alpha in one unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReleasedAlpha {
    /// The scale is shown and at least k people answered all its items; `None` where alpha
    /// is undefined (no variance).
    Shown(Option<f64>),
    /// The scale is shown, but fewer than k people answered all its items.
    TooFewCompleteSheets,
    /// The scale is shown with its sd only as a band (docs/privacy.md D7): alpha, with the
    /// items' shown distributions (which give their variances), would give the sd back.
    SpreadWithheld,
    /// The scale is hidden for the unit: nothing is said.
    Hidden,
}

/// Every unit's alpha tallies over its whole subtree, `[unit * scales + scale]`: each sheet's
/// complete cases are added to its own unit, then every unit's tallies to its parent's.
pub(crate) fn unit_tallies(
    tree: &UnitTree,
    instrument: &Instrument,
    sheets: &[PlacedSheet],
) -> Vec<AlphaTally> {
    let scales = instrument.scales.len();
    let mut tallies: Vec<AlphaTally> = (0..tree.len())
        .flat_map(|_| (0..scales).map(|s| AlphaTally::new(instrument.scale_items(s).len())))
        .collect();
    let mut keyed = Vec::new();
    for sheet in sheets {
        for s in 0..scales {
            if let Some(t) = tallies.get_mut(sheet.placement.unit * scales + s) {
                add_complete_case(t, instrument, s, &sheet.answers, &mut keyed);
            }
        }
    }
    for &unit in tree.top_down().iter().rev() {
        let Some(parent) = tree.parent(unit) else {
            continue;
        };
        for s in 0..scales {
            // Taken out for the merge and put back: no copy of the child's tally.
            let Some(child) = tallies
                .get_mut(unit * scales + s)
                .map(|t| std::mem::replace(t, AlphaTally::new(0)))
            else {
                continue;
            };
            if let Some(p) = tallies.get_mut(parent * scales + s) {
                p.merge(&child);
            }
            if let Some(slot) = tallies.get_mut(unit * scales + s) {
                *slot = child;
            }
        }
    }
    tallies
}

/// Adds a sheet's keyed answers to scale `s`'s alpha when it answered every item of the
/// scale (a complete case); `keyed` is scratch.
pub(crate) fn add_complete_case(
    alpha: &mut AlphaTally,
    instrument: &Instrument,
    s: usize,
    answers: &[Option<i32>],
    keyed: &mut Vec<f64>,
) {
    keyed.clear();
    for &item in instrument.scale_items(s) {
        match answers.get(item).copied().flatten() {
            Some(v) => keyed.push(f64::from(instrument.keyed(item, v))),
            None => return,
        }
    }
    alpha.add(keyed);
}

/// What the release says of a scale's alpha in a unit: from the unit's complete cases
/// (`tally`) and the scale's whole-unit cell as the release shows it.
pub(crate) fn released(tally: &AlphaTally, cell: Option<&HeatCell>, k: usize) -> ReleasedAlpha {
    let Some(cell) = cell.filter(|c| c.status == CellStatus::Shown) else {
        return ReleasedAlpha::Hidden;
    };
    if cell.sd_below.is_some() || cell.mean_band.is_some() {
        ReleasedAlpha::SpreadWithheld
    } else if tally.cases() >= u64::try_from(k).unwrap_or(u64::MAX) {
        ReleasedAlpha::Shown(tally.alpha())
    } else {
        ReleasedAlpha::TooFewCompleteSheets
    }
}
