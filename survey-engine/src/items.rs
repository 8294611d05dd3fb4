//! Item statistics per released cell: answer counts per cell (a unit's subtree, or its cut
//! by one attribute value) and item, built in one pass over the sheets and rolled up the
//! tree. The server cuts them by what a reader may see; the rule for showing an item lives
//! with the caller of [`ItemTally::counts`].

use crate::instrument::Instrument;
use crate::release::{PlacedSheet, Release};

/// Answer counts per cell (unit subtree, or its cut by one attribute value) and item, and
/// per cell and scale the respondents with that scale's score, built in one pass over the
/// sheets and rolled up the tree, instead of a pass over every sheet per cell and scale.
/// An item's counts take only the sheets that have a score for the item's scale.
pub struct ItemTally {
    /// Cells per unit: the whole unit, then one per value of the attribute.
    per_unit: usize,
    scales: usize,
    items: usize,
    points: usize,
    /// `[cell * scales + scale]`
    members: Vec<u64>,
    /// `[(cell * items + item) * points + point]`
    answers: Vec<u64>,
}

impl ItemTally {
    /// The tally of `sheets` (with their raw `answers`, aligned with the instrument's items)
    /// over `release`'s tree, with cuts by `attribute` when given.
    pub fn build(
        r: &Release,
        inst: &Instrument,
        sheets: &[PlacedSheet],
        answers: &[Vec<Option<i32>>],
        attribute: Option<usize>,
    ) -> ItemTally {
        let min = inst.response_scale.min;
        let points = inst.response_scale.points().count();
        let values = attribute.map_or(0, |a| r.layout.value_counts.get(a).copied().unwrap_or(0));
        let tree = &r.layout.tree;
        let mut t = ItemTally {
            per_unit: 1 + values,
            scales: r.scales.len(),
            items: inst.items.len(),
            points,
            members: Vec::new(),
            answers: Vec::new(),
        };
        let cells = tree.len() * t.per_unit;
        t.members = vec![0; cells * t.scales];
        t.answers = vec![0; cells * t.items * points];
        for (sheet, answers) in sheets.iter().zip(answers) {
            let unit = sheet.placement.unit;
            let cut = attribute
                .and_then(|a| sheet.placement.values.get(a).copied().flatten())
                .filter(|v| *v < values)
                .map(|v| unit * t.per_unit + 1 + v);
            for cell in std::iter::once(unit * t.per_unit).chain(cut) {
                for s in 0..t.scales {
                    if sheet.scores.score(s).is_some() {
                        t.members[cell * t.scales + s] += 1;
                    }
                }
                for (item, answer) in answers.iter().enumerate().take(t.items) {
                    let scored = inst
                        .items
                        .get(item)
                        .is_some_and(|i| sheet.scores.score(i.scale).is_some());
                    let point = answer.and_then(|v| usize::try_from(v - min).ok());
                    if let (true, Some(p)) = (scored, point.filter(|p| *p < points)) {
                        t.answers[(cell * t.items + item) * points + p] += 1;
                    }
                }
            }
        }
        // Children before parents: each unit's cells add into its parent's.
        for &u in tree.top_down().iter().rev() {
            if let Some(p) = tree.parent(u) {
                for c in 0..t.per_unit {
                    let (from, to) = (u * t.per_unit + c, p * t.per_unit + c);
                    for s in 0..t.scales {
                        t.members[to * t.scales + s] += t.members[from * t.scales + s];
                    }
                    let width = t.items * points;
                    for i in 0..width {
                        t.answers[to * width + i] += t.answers[from * width + i];
                    }
                }
            }
        }
        t
    }

    /// The cell of a unit (`cut` None) or of its cut `(attribute, value)`.
    pub fn cell(&self, unit: usize, cut: Option<(usize, usize)>) -> Option<usize> {
        match cut {
            None => Some(unit * self.per_unit),
            Some((_, v)) if v + 1 < self.per_unit => Some(unit * self.per_unit + 1 + v),
            Some(_) => None,
        }
    }

    /// Respondents of a cell with a score for `scale`.
    pub fn members(&self, cell: usize, scale: usize) -> u64 {
        self.members[cell * self.scales + scale]
    }

    /// Answers of a cell to `item` per scale point, from the scale's minimum up.
    pub fn counts(&self, cell: usize, item: usize) -> &[u64] {
        let at = (cell * self.items + item) * self.points;
        &self.answers[at..at + self.points]
    }
}
