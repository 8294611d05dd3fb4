//! Cronbach's alpha of a unit's scales as a release may show it (docs/privacy.md D6). Alpha
//! is computed over complete cases (respondents who answered every item of the scale),
//! which can be a smaller group than the shown scale cell: it is shown only beside a shown
//! scale cell and only when those complete cases are themselves at least k people. Nor is it
//! shown where the cell shows its sd only as a band (D7) or its mean as a band (D9): with the
//! items' variances, which their shown distributions give, alpha would give the sd back.

use crate::aggregate::Aggregate;
use crate::disclosure::{CellKey, CellStatus};
use crate::instrument::Instrument;
use crate::release::{PlacedSheet, Release};

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

/// The alpha of each of `release`'s scales for `unit` (its whole subtree), in scale order.
pub fn unit_alphas(
    release: &Release,
    instrument: &Instrument,
    sheets: &[PlacedSheet],
    unit: usize,
) -> Vec<ReleasedAlpha> {
    let tree = &release.layout.tree;
    let mut agg = Aggregate::new(instrument);
    for sheet in sheets {
        if tree.is_ancestor_or_self(unit, sheet.placement.unit) {
            agg.add(instrument, &sheet.answers, &sheet.scores);
        }
    }
    let (alphas, cases) = (agg.alpha(), agg.alpha_cases());
    let k = u64::try_from(release.k).unwrap_or(u64::MAX);
    let key = CellKey { unit, cut: None };
    (0..release.scales.len())
        .map(|s| {
            let cell = release
                .heat_cell(s, key)
                .filter(|c| c.status == CellStatus::Shown);
            let Some(cell) = cell else {
                return ReleasedAlpha::Hidden;
            };
            if cell.sd_below.is_some() || cell.mean_band.is_some() {
                return ReleasedAlpha::SpreadWithheld;
            }
            if cases.get(s).is_some_and(|c| *c >= k) {
                ReleasedAlpha::Shown(alphas.get(s).copied().flatten())
            } else {
                ReleasedAlpha::TooFewCompleteSheets
            }
        })
        .collect()
}
