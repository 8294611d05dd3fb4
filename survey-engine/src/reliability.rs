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
use crate::stats::{add_alpha_case, cronbach_alpha, AlphaTally, Moments};

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

/// Every unit's alpha tallies over its whole subtree, in one flat vector: per unit, per
/// scale, the moments of each of its items and then of their total. Flat because there are
/// units x scales of them (130,000 in the benchmark organisation): with a vector each, the
/// alpha tallies took up to a third of the roll-up thread's time.
pub(crate) struct UnitTallies {
    /// Per scale: its first slot within a unit's block, and its items.
    scales: Vec<(usize, usize)>,
    /// Slots per unit.
    per_unit: usize,
    moments: Vec<Moments>,
    /// A buffer for one sheet's answers to a scale, keyed.
    keyed: Vec<f64>,
}

impl UnitTallies {
    /// No sheet yet, for `units` units.
    pub(crate) fn empty(instrument: &Instrument, units: usize) -> Self {
        let mut scales = Vec::with_capacity(instrument.scales.len());
        let mut per_unit = 0;
        for s in 0..instrument.scales.len() {
            let items = instrument.scale_items(s).len();
            scales.push((per_unit, items));
            per_unit += items + 1;
        }
        UnitTallies {
            scales,
            per_unit,
            moments: vec![Moments::default(); units * per_unit],
            keyed: Vec::new(),
        }
    }

    /// A sheet's complete cases, added to its own unit.
    pub(crate) fn add(&mut self, instrument: &Instrument, sheet: &PlacedSheet) {
        let block = sheet.placement.unit * self.per_unit;
        for (s, &(first, items)) in self.scales.iter().enumerate() {
            let from = block + first;
            let Some((items, rest)) = self
                .moments
                .get_mut(from..from + items + 1)
                .and_then(|slots| slots.split_at_mut_checked(items))
            else {
                continue;
            };
            if let (true, Some(total)) = (
                complete_case(instrument, s, &sheet.answers, &mut self.keyed),
                rest.first_mut(),
            ) {
                add_alpha_case(items, total, &self.keyed);
            }
        }
    }

    /// Every unit's block added to its parent's, bottom-up: each unit's tallies over its
    /// whole subtree.
    pub(crate) fn summed_up(mut self, tree: &UnitTree) -> Self {
        tree.sum_up(&mut self.moments, self.per_unit, Moments::merge);
        self
    }

    /// What the release says of scale `s`'s alpha in `unit`: from the unit's complete cases
    /// and the scale's whole-unit cell as the release shows it.
    pub(crate) fn released(
        &self,
        unit: usize,
        s: usize,
        cell: Option<&HeatCell>,
        k: usize,
    ) -> ReleasedAlpha {
        let Some(cell) = cell.filter(|c| c.status == CellStatus::Shown) else {
            return ReleasedAlpha::Hidden;
        };
        if cell.sd_below.is_some() || cell.mean_band.is_some() {
            return ReleasedAlpha::SpreadWithheld;
        }
        let (items, total) = self
            .scales
            .get(s)
            .and_then(|&(first, items)| {
                let from = unit * self.per_unit + first;
                let slots = self.moments.get(from..from + items + 1)?;
                let (items, total) = slots.split_at(items);
                Some((items, total.first().copied()?))
            })
            .unwrap_or_default();
        if total.n() >= u64::try_from(k).unwrap_or(u64::MAX) {
            ReleasedAlpha::Shown(cronbach_alpha(items, &total))
        } else {
            ReleasedAlpha::TooFewCompleteSheets
        }
    }
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
    if complete_case(instrument, s, answers, keyed) {
        alpha.add(keyed);
    }
}

/// Whether the sheet answered every item of scale `s` (a complete case); if so, `keyed`
/// holds those answers keyed, in the scale's item order.
fn complete_case(
    instrument: &Instrument,
    s: usize,
    answers: &[Option<i32>],
    keyed: &mut Vec<f64>,
) -> bool {
    keyed.clear();
    for &item in instrument.scale_items(s) {
        match answers.get(item).copied().flatten() {
            Some(v) => keyed.push(f64::from(instrument.keyed(item, v))),
            None => return false,
        }
    }
    true
}
