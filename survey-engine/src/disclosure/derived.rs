//! D9 for the groups a reader works out: a shown distribution (an item's answers per scale
//! point, the burnout profiles) less the shown distributions of cells inside it gives the
//! exact distribution of the rest, a group no cell shows. Where one answer holds all or all
//! but one of such a rest's respondents, the reader learns what a band hides in a cell (a
//! banded cell inside the rest, or a hidden one, is then known to have answered alike). So
//! the release hides cells until no such rest is left ([`protect`]), and [`check`] lists
//! what is left, for the auditor (docs/privacy.md D9, "worked out").
//!
//! A scale's figures are read the same way ([`Figures`]): a mean's sum and sum of squares,
//! and a favourable %'s answers, add up over disjoint groups as counts do, so a rest of them
//! can tell what a band hides (all or all but one at an end of the scale, or on one side of
//! it). The rule a rest is held to is the one a cell's band follows ([`crate::bands`]).
//!
//! The rests read are those of the sd's P2 ([`super::spread`]): along the chain of cells
//! holding a group (a hidden or banded cell, or a unit's direct members), each shown holder
//! at the group's cut less the largest shown cells off the chain; and a whole holder less
//! its unit's other values of the group's attribute. Only cells showing their exact
//! figures are read: a banded cell says only "all or nearly all".

use super::{CellKey, CellStatus, CountGroup, Layout};

/// A rest whose respondents all or all but one share one answer (or one end of a scale).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlikeRest {
    /// The shown cell the rest is taken from.
    pub holder: usize,
    /// A group inside the rest (the group the chain was read for).
    pub group: CountGroup,
    /// The rest's respondents.
    pub n: u64,
    /// What all or all but one of them share: the answer of a distribution, or the band's
    /// side for a scale's figures ([`Figures`]).
    pub category: usize,
}

/// What a reader reads rests from, and what tells them that a rest answered alike.
pub trait Reading {
    /// Figures per cell: the respondents first, then figures that add up over disjoint groups
    /// of respondents.
    fn width(&self) -> usize;
    /// Whether `cell` shows its figures exactly (a hidden or banded cell does not).
    fn exact(&self, cell: usize) -> bool;
    /// Writes an exactly shown cell's figures into `out` (`width` long).
    fn read(&self, cell: usize, out: &mut [u64]);
    /// Stops `cell` from showing its figures.
    fn hide(&mut self, cell: usize);
    /// What all or all but one of a rest's respondents share, when its figures (respondents
    /// first; at least 3) tell it.
    fn alike(&self, rest: &[u64]) -> Option<usize>;
    /// Writes any cell's true figures (hidden ones too) into `out` where the reading knows
    /// them, for the shortcut of [`Reading::may_hold_alike`] only; false where it does not.
    fn truth(&self, _cell: usize, _out: &mut [u64]) -> bool {
        false
    }

    /// Whether a rest holding `group` whole may be alike: a shortcut, where the reading knows
    /// the group's true figures ([`Reading::truth`]).
    ///
    /// - The rules ask of a rest that at most one of its respondents (or answers) lie off
    ///   one side, and a rest holds the group whole: a group with two off every side rules
    ///   out every rest holding it.
    /// - A cell (not a unit's direct members) with no respondents below a parent adds nothing
    ///   to its rests, and holds no exact cell: each of its rests is, respondent for
    ///   respondent, the rest its parent's direct members read at the same holder, so it is
    ///   read there.
    fn may_hold_alike(&self, layout: &Layout, group: CountGroup) -> bool {
        // Called for every group of every reading: figures on the stack, not the heap.
        const MOST: usize = 8;
        let w = self.width();
        let cell = |unit: usize| {
            layout.try_cell_index(CellKey {
                unit,
                cut: group.cut,
            })
        };
        let (mut own, mut child) = ([0; MOST], [0; MOST]);
        let (Some(of_group), Some(child)) = (own.get_mut(..w), child.get_mut(..w)) else {
            return true;
        };
        if !cell(group.unit).is_some_and(|c| self.truth(c, of_group)) {
            return true;
        }
        if group.direct {
            for &c in layout.tree.children(group.unit) {
                if cell(c).is_some_and(|c| self.truth(c, child)) {
                    for (g, c) in of_group.iter_mut().zip(child.iter()) {
                        *g = g.saturating_sub(*c);
                    }
                }
            }
        }
        match of_group.first() {
            Some(0) => group.direct || layout.tree.parent(group.unit).is_none(),
            Some(_) => self.alike(of_group).is_some(),
            None => true,
        }
    }
}

/// What the rests are read from: per cell, its exact distribution when the cell is shown
/// and not banded.
pub struct Distributions<'a> {
    pub categories: usize,
    /// How far apart two cells' distributions lie in `counts`: `categories` where the
    /// counts are one measure's, more where they are read in place among several measures'.
    pub stride: usize,
    /// `[cell * stride + category]`.
    pub counts: &'a [u64],
    /// Whether each cell shows its exact distribution.
    pub exact: Vec<bool>,
}

impl<'a> Distributions<'a> {
    /// A distribution as a release shows it: exact in every shown cell that is not banded
    /// ([`crate::bands::distribution_bands`]).
    pub fn as_shown(categories: usize, counts: &'a [u64], status: &[CellStatus]) -> Self {
        Self::as_shown_among(categories, categories, counts, status)
    }

    /// The same, for counts read in place `stride` apart (`[cell * stride + category]`),
    /// as one item's among every item's answers per cell.
    pub fn as_shown_among(
        categories: usize,
        stride: usize,
        counts: &'a [u64],
        status: &[CellStatus],
    ) -> Self {
        let mut d = Distributions {
            categories,
            stride,
            counts,
            exact: Vec::new(),
        };
        d.exact = status
            .iter()
            .enumerate()
            .map(|(cell, st)| {
                *st == CellStatus::Shown
                    && d.slot(cell)
                        .is_some_and(|c| crate::bands::distribution_bands(c).is_none())
            })
            .collect();
        d
    }

    fn slot(&self, cell: usize) -> Option<&[u64]> {
        let from = cell * self.stride;
        self.counts.get(from..from + self.categories)
    }

    fn counts(&self, cell: usize) -> &[u64] {
        self.slot(cell).unwrap_or(&[])
    }
}

impl Reading for Distributions<'_> {
    fn width(&self) -> usize {
        self.categories + 1
    }

    fn exact(&self, cell: usize) -> bool {
        self.exact.get(cell) == Some(&true)
    }

    fn read(&self, cell: usize, out: &mut [u64]) {
        let counts = self.counts(cell);
        if let Some((n, rest)) = out.split_first_mut() {
            *n = counts.iter().sum();
            for (o, c) in rest.iter_mut().zip(counts) {
                *o = *c;
            }
        }
    }

    fn hide(&mut self, cell: usize) {
        if let Some(e) = self.exact.get_mut(cell) {
            *e = false;
        }
    }

    /// One answer holds all or all but one of the rest's respondents.
    fn alike(&self, rest: &[u64]) -> Option<usize> {
        let (&n, counts) = rest.split_first()?;
        counts.iter().position(|&held| held + 1 >= n)
    }
}

/// Figures of a scale per cell that add up over disjoint groups (respondents first), with
/// the rule that tells a rest of them alike ([`crate::bands::worked_out_mean_band`],
/// [`crate::bands::worked_out_favorable_band`]).
pub struct Figures {
    width: usize,
    /// `[cell * width + figure]`.
    figures: Vec<u64>,
    exact: Vec<bool>,
    band: fn(&[u64]) -> Option<usize>,
}

impl Figures {
    /// `figures` per cell (`width` each, respondents first), `exact` where the cell shows
    /// them; a rest is alike where `band` says so. `band` must not find a rest alike that holds
    /// an exactly shown cell whole: [`check`] and [`protect`] skip such rests.
    pub fn new(
        width: usize,
        figures: Vec<u64>,
        exact: Vec<bool>,
        band: fn(&[u64]) -> Option<usize>,
    ) -> Figures {
        Figures {
            width,
            figures,
            exact,
            band,
        }
    }
}

impl Reading for Figures {
    fn width(&self) -> usize {
        self.width
    }

    fn exact(&self, cell: usize) -> bool {
        self.exact.get(cell) == Some(&true)
    }

    fn read(&self, cell: usize, out: &mut [u64]) {
        self.truth(cell, out);
    }

    fn hide(&mut self, cell: usize) {
        if let Some(e) = self.exact.get_mut(cell) {
            *e = false;
        }
    }

    fn alike(&self, rest: &[u64]) -> Option<usize> {
        (self.band)(rest)
    }

    /// A scale's figures are known for every cell, hidden ones too.
    fn truth(&self, cell: usize, out: &mut [u64]) -> bool {
        let w = self.width;
        let figures = self.figures.get(cell * w..(cell + 1) * w);
        figures.map(|f| out.copy_from_slice(f)).is_some()
    }
}

/// Per cell, the counts of the largest exactly shown cells inside its subtree at its cut
/// (itself when shown), and of its child units' subtrees: in `whole`, `[cell * (categories +
/// 1)]` holds respondents, then one count per category (`below` is laid out per unit with
/// children).
struct Taken {
    width: usize,
    whole: Vec<u64>,
    /// Per unit with children, in `slot` order, its cells' counts from its child units' subtrees.
    /// A leaf's are zero and not kept: most units are leaves, and this is built for every
    /// reading (every scale and question).
    below: Vec<u64>,
    /// Per unit: its place in `below`, or `usize::MAX` for a leaf.
    slot: Vec<usize>,
    /// A leaf's counts from below: `width` zeros.
    zeros: Vec<u64>,
    per_unit: usize,
}

impl Taken {
    fn new(layout: &Layout, d: &impl Reading) -> Taken {
        let width = d.width();
        let cells = layout.cell_count();
        let per_unit = layout.cells_per_unit();
        let mut inner = 0;
        let slot = (0..layout.tree.len())
            .map(|u| {
                if layout.tree.children(u).is_empty() {
                    return usize::MAX;
                }
                inner += 1;
                inner - 1
            })
            .collect();
        let mut t = Taken {
            width,
            whole: vec![0; cells * width],
            below: vec![0; inner * per_unit * width],
            slot,
            zeros: vec![0; width],
            per_unit,
        };
        for &u in layout.tree.top_down().iter().rev() {
            // A leaf's cells take nothing from below, and hold their own figures where exact
            // ([`Taken::refresh`] without its work: most units are leaves).
            if layout.tree.children(u).is_empty() {
                for cell in u * per_unit..(u + 1) * per_unit {
                    if let Some(whole) = t.whole.get_mut(cell * width..(cell + 1) * width) {
                        if d.exact(cell) {
                            d.read(cell, whole);
                        }
                    }
                }
                continue;
            }
            for offset in 0..per_unit {
                t.refresh(layout, d, u * per_unit + offset);
            }
        }
        t
    }

    fn refresh(&mut self, layout: &Layout, d: &impl Reading, cell: usize) {
        let (w, per_unit) = (self.width, layout.cells_per_unit().max(1));
        let (unit, offset) = (cell / per_unit, cell % per_unit);
        let at = self.slot.get(unit).copied().unwrap_or(usize::MAX);
        if at == usize::MAX {
            // A leaf: nothing from below.
            if let Some(whole) = self.whole.get_mut(cell * w..(cell + 1) * w) {
                if d.exact(cell) {
                    d.read(cell, whole);
                } else {
                    whole.fill(0);
                }
            }
            return;
        }
        let row = at * per_unit + offset;
        let Some(below) = self.below.get_mut(row * w..(row + 1) * w) else {
            return;
        };
        below.fill(0);
        for &c in layout.tree.children(unit) {
            let at = (c * per_unit + offset) * w;
            for (x, y) in below
                .iter_mut()
                .zip(self.whole.get(at..at + w).unwrap_or(&[]))
            {
                *x += y;
            }
        }
        let Some(whole) = self.whole.get_mut(cell * w..(cell + 1) * w) else {
            return;
        };
        if d.exact(cell) {
            d.read(cell, whole);
        } else {
            whole.copy_from_slice(below);
        }
    }

    /// After `cell` stopped showing its distribution: it and the cells above it.
    fn update(&mut self, layout: &Layout, d: &impl Reading, cell: usize) {
        let per_unit = layout.cells_per_unit().max(1);
        let (mut unit, offset) = (Some(cell / per_unit), cell % per_unit);
        while let Some(u) = unit {
            self.refresh(layout, d, u * per_unit + offset);
            unit = layout.tree.parent(u);
        }
    }

    fn whole(&self, cell: usize) -> &[u64] {
        self.whole
            .get(cell * self.width..(cell + 1) * self.width)
            .unwrap_or(&[])
    }

    fn below(&self, cell: usize) -> &[u64] {
        let (w, per_unit) = (self.width, self.per_unit.max(1));
        match self.slot.get(cell / per_unit) {
            Some(&at) if at != usize::MAX => {
                let row = at * per_unit + cell % per_unit;
                self.below.get(row * w..(row + 1) * w).unwrap_or(&[])
            }
            _ => &self.zeros,
        }
    }
}

/// How a rest was taken, to find its cells again ([`rest_cells`]).
#[derive(Clone, Copy, Debug)]
struct Chain {
    holder: usize,
    offset: usize,
    group: CountGroup,
    other_values: Option<(usize, usize)>,
}

/// A group whose chains are to be read, and whether all of them are ([`groups`]), packed
/// into one number: its cell, whether it is the unit's direct members, the flag. Every
/// reading keeps a queue of tens of thousands.
#[derive(Clone, Copy, Debug)]
struct Queued(usize);

impl Queued {
    /// The group of `cell` (its unit's direct members at its cut where `direct`).
    fn at(cell: usize, direct: bool, chains: bool) -> Self {
        Queued(cell << 2 | usize::from(direct) << 1 | usize::from(chains))
    }

    fn get(self, layout: &Layout) -> (CountGroup, bool) {
        let key = layout.cell_key(self.0 >> 2);
        let group = CountGroup {
            unit: key.unit,
            cut: key.cut,
            direct: self.0 & 2 != 0,
        };
        (group, self.0 & 1 != 0)
    }
}

/// The groups whose chains are read: every cell that does not show its exact distribution,
/// and every non-leaf unit's direct members, whole and per attribute value.
///
/// A rest that holds a cell showing its exact distribution is never alike (that cell has
/// two answers off any one, or it would be banded), and a chain's rests hold its group's
/// cell whole with every exact cell inside it. So a cell with an exact cell inside has no
/// rest to read at its cut ([`rests`] skips it), and the cells with none inside are alike in
/// what they leave above their own unit: below their parent's cell only themselves, and
/// nothing is taken out of them. Those rests are the same for every such cell of a parent,
/// so they are read for one of them (`true`); for the others only the rest at their own
/// unit, the whole cell less the attribute's other values (`false`).
fn groups(layout: &Layout, d: &impl Reading, t: &Taken) -> Vec<Queued> {
    // Every cut with its offset among a unit's cells (cells by index, not by key: this runs
    // over every cell of every reading).
    let per_unit = layout.cells_per_unit();
    let mut cuts = vec![(None, 0)];
    for (a, &values) in layout.value_counts.iter().enumerate() {
        cuts.extend((0..values).map(|v| {
            let cut = Some((a, v));
            (cut, layout.cell_index(CellKey { unit: 0, cut }))
        }));
    }
    let holds_exact = |cell: usize| t.whole(cell).first().is_some_and(|&n| n > 0);
    // Per parent's cell and whether the cell and its unit's whole cell hold an exact cell.
    let mut read = vec![false; layout.cell_count() * 4];
    // At most a cell's group and its unit's direct members per cell: sized once (it grew
    // by copying, the biggest cost of this function in a profile).
    let mut out = Vec::with_capacity(2 * layout.cell_count());
    for unit in 0..layout.tree.len() {
        let whole = unit * per_unit;
        for &(cut, offset) in &cuts {
            let cell = whole + offset;
            if let Some(parent) = layout.tree.parent(unit) {
                let kind = usize::from(holds_exact(cell)) * 2 + usize::from(holds_exact(whole));
                let key = (parent * per_unit + offset) * 4 + kind;
                if !d.exact(cell) {
                    if let Some(first) = read.get_mut(key).filter(|seen| !**seen) {
                        *first = true;
                        out.push(Queued::at(cell, false, true));
                    } else if cut.is_some() {
                        out.push(Queued::at(cell, false, false));
                    }
                }
            } else if cut.is_some() && !d.exact(cell) {
                // The organisation's cut: its only rest is the whole organisation less the
                // attribute's other values.
                out.push(Queued::at(cell, false, true));
            }
            if !layout.tree.children(unit).is_empty() {
                out.push(Queued::at(cell, true, true));
            }
        }
    }
    out
}

/// Calls `visit` with every rest of `group`'s chains that could be alike (how it was taken,
/// and the counts taken out of its holder, a cell showing `d`'s figures exactly) until
/// `visit` returns true. `other` is scratch.
fn rests(
    layout: &Layout,
    d: &impl Reading,
    t: &Taken,
    (group, chains): (CountGroup, bool),
    taken: &mut Vec<u64>,
    other: &mut Vec<u64>,
    mut visit: impl FnMut(Chain, &[u64]) -> bool,
) {
    let per_unit = layout.cells_per_unit();
    let at = |unit: usize, offset: usize| unit * per_unit + offset;
    let add = |x: &mut [u64], y: &[u64]| {
        for (a, b) in x.iter_mut().zip(y) {
            *a += b;
        }
    };
    // A chain whose group's cell holds an exact cell has no rest that could be alike.
    let holds_exact = |offset: usize| {
        !group.direct
            && t.whole(at(group.unit, offset))
                .first()
                .is_some_and(|&n| n > 0)
    };
    let own_offset = layout.family_of(group.cut);
    let offsets: &[usize] = if group.cut.is_some() {
        &[own_offset, 0]
    } else {
        &[own_offset]
    };
    for (i, &offset) in offsets.iter().enumerate() {
        if holds_exact(offset) {
            continue;
        }
        let mut chain = Chain {
            holder: at(group.unit, offset),
            offset,
            group,
            other_values: None,
        };
        // For the group's own cut, each holder's whole cell less the attribute's other
        // values too.
        // Only a holder showing its figures exactly has a rest to read (the whole holder's
        // is checked before its other values are summed: most cells of an item are hidden).
        let mut visit_both = |chain: Chain, taken: &[u64]| {
            if d.exact(chain.holder) && visit(chain, taken) {
                return true;
            }
            match group.cut {
                Some((a, v)) if i == 0 && d.exact(at(chain.holder / per_unit.max(1), 0)) => {
                    other.clear();
                    other.extend_from_slice(taken);
                    let unit = chain.holder / per_unit.max(1);
                    let values = layout.value_counts.get(a).copied().unwrap_or(0);
                    for o in (0..values).filter(|&o| o != v) {
                        add(other, t.whole(at(unit, layout.family_of(Some((a, o))))));
                    }
                    let whole = Chain {
                        holder: at(unit, 0),
                        other_values: Some((a, v)),
                        ..chain
                    };
                    visit(whole, other)
                }
                _ => false,
            }
        };
        taken.clear();
        taken.resize(t.width, 0);
        let mut unit = group.unit;
        if group.direct {
            add(taken, t.below(chain.holder));
        }
        // The group's own unit: its cell holds a unit's direct members; for a cut, the whole
        // cell less the other values holds it too.
        if (group.direct || i == 0 && group.cut.is_some()) && visit_both(chain, taken) {
            return;
        }
        if !chains {
            return;
        }
        while let Some(parent) = layout.tree.parent(unit) {
            add(taken, t.below(at(parent, offset)));
            for (a, b) in taken.iter_mut().zip(t.whole(at(unit, offset))) {
                *a = a.saturating_sub(*b);
            }
            chain.holder = at(parent, offset);
            if visit_both(chain, taken) {
                return;
            }
            unit = parent;
        }
    }
}

/// The rest of `holder` less `taken` (written into `rest`), if alike: its respondents, and
/// what all or all but one of them share. Rests of fewer than 3 are a matter for P1 and P2
/// (groups under k), and a rest with nothing taken is the holder itself.
fn alike(
    d: &impl Reading,
    t: &Taken,
    holder: usize,
    taken: &[u64],
    rest: &mut Vec<u64>,
) -> Option<(u64, usize)> {
    if !d.exact(holder) || taken.first().copied().unwrap_or(0) == 0 {
        return None;
    }
    // An exact holder's figures are its own in `t` (read once there, not for every rest).
    rest.clear();
    rest.extend_from_slice(t.whole(holder));
    let (n, figures) = rest.split_first_mut()?;
    *n = n.checked_sub(*taken.first()?)?;
    for (r, t) in figures.iter_mut().zip(taken.get(1..)?) {
        *r = r.saturating_sub(*t);
    }
    if *n < 3 {
        return None;
    }
    let n = *n;
    d.alike(rest).map(|category| (n, category))
}

/// Every rest a reader can work out whose answers one category holds all or all but one of.
pub fn check(layout: &Layout, d: &impl Reading) -> Vec<AlikeRest> {
    let t = Taken::new(layout, d);
    // One finding per rest, however many groups' chains read it.
    let mut found = std::collections::BTreeMap::new();
    let (mut taken, mut other, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for queued in groups(layout, d, &t) {
        let group = queued.get(layout);
        if !d.may_hold_alike(layout, group.0) {
            continue;
        }
        rests(
            layout,
            d,
            &t,
            group,
            &mut taken,
            &mut other,
            |chain, taken| {
                if let Some((n, category)) = alike(d, &t, chain.holder, taken, &mut rest) {
                    found
                        .entry((chain.holder, taken.to_vec()))
                        .or_insert(AlikeRest {
                            holder: chain.holder,
                            group: group.0,
                            n,
                            category,
                        });
                }
                false
            },
        );
    }
    found.into_values().collect()
}

/// The largest exactly shown cells at `offset` in `unit`'s subtree.
fn largest_exact(
    layout: &Layout,
    d: &impl Reading,
    unit: usize,
    offset: usize,
    out: &mut Vec<usize>,
) {
    layout.largest_cells(unit, offset, |cell| d.exact(cell), out);
}

/// The cells a rest took out of its holder.
fn rest_cells(layout: &Layout, d: &impl Reading, chain: &Chain) -> Vec<usize> {
    let per_unit = layout.cells_per_unit().max(1);
    let holder_unit = chain.holder / per_unit;
    let mut out = Vec::new();
    if chain.group.direct {
        for &c in layout.tree.children(chain.group.unit) {
            largest_exact(layout, d, c, chain.offset, &mut out);
        }
    }
    let mut unit = chain.group.unit;
    while unit != holder_unit {
        let Some(parent) = layout.tree.parent(unit) else {
            break;
        };
        for &c in layout.tree.children(parent).iter().filter(|&&c| c != unit) {
            largest_exact(layout, d, c, chain.offset, &mut out);
        }
        unit = parent;
    }
    if let Some((a, v)) = chain.other_values {
        let values = layout.value_counts.get(a).copied().unwrap_or(0);
        for other in (0..values).filter(|&o| o != v) {
            largest_exact(
                layout,
                d,
                holder_unit,
                layout.family_of(Some((a, other))),
                &mut out,
            );
        }
    }
    out
}

/// Hides cells (as complementary) until no rest is alike in any of `readings` (figures of
/// one measure, each with its own rule): for each alike rest, the smallest cell taken out of
/// it whose figures, put back, break the likeness (for a distribution: at least as many
/// answers off the holding category as the rest lacks of two), or, with none, the holder.
/// A cell hidden for one reading is hidden in all of them. Hiding only takes figures away,
/// so P2's proofs and P1's certificates still hold; only the groups P1 excused (a shown cell
/// around them answered in full, and may now be hidden) need P1's check again, which the
/// release runs on a measure this hid cells in. Returns the cells hidden.
///
/// After a hiding only two kinds of group need reading again: the group whose rest was
/// alike, and the hidden cell with the cells above it that may now hold no exact cell. Every
/// other rest that took the hidden cell out now holds what of it no exact cell inside it
/// shows, so it only grows, and a rest that was not alike stays so.
pub fn protect<R: Reading>(
    layout: &Layout,
    readings: &mut [R],
    status: &mut [CellStatus],
) -> Vec<usize> {
    let mut ts: Vec<Taken> = readings.iter().map(|d| Taken::new(layout, d)).collect();
    let mut pending: Vec<Vec<Queued>> = readings
        .iter()
        .zip(&ts)
        .map(|(d, t)| groups(layout, d, t))
        .collect();
    let mut hidden = Vec::new();
    let (mut taken, mut other, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    let (mut figures, mut joined) = (Vec::new(), Vec::new());
    while let Some(r) = pending.iter().position(|p| !p.is_empty()) {
        let batch = pending.get_mut(r).map(std::mem::take).unwrap_or_default();
        for queued in batch {
            let (Some(d), Some(t)) = (readings.get(r), ts.get(r)) else {
                break;
            };
            let group = queued.get(layout);
            if !d.may_hold_alike(layout, group.0) {
                continue;
            }
            let mut first = None;
            rests(
                layout,
                d,
                t,
                group,
                &mut taken,
                &mut other,
                |chain, taken| {
                    first = alike(d, t, chain.holder, taken, &mut rest).map(|_| chain);
                    first.is_some()
                },
            );
            let Some(chain) = first else {
                continue;
            };
            // The smallest cell taken out whose figures, back in the rest, break the likeness.
            figures.resize(d.width(), 0);
            joined.resize(d.width(), 0);
            let mut breaking: Option<(u64, usize)> = None;
            for c in rest_cells(layout, d, &chain) {
                d.read(c, &mut figures);
                for ((j, r), f) in joined.iter_mut().zip(&rest).zip(&figures) {
                    *j = r + f;
                }
                let n = figures.first().copied().unwrap_or(0);
                if d.alike(&joined).is_none() && breaking.is_none_or(|(least, _)| n < least) {
                    breaking = Some((n, c));
                }
            }
            let cell = breaking.map_or(chain.holder, |(_, c)| c);
            if let Some(s) = status.get_mut(cell) {
                *s = CellStatus::Complementary;
            }
            hidden.push(cell);
            if let Some(p) = pending.get_mut(r) {
                p.push(queued);
            }
            for ((d, t), p) in readings.iter_mut().zip(&mut ts).zip(&mut pending) {
                d.hide(cell);
                t.update(layout, d, cell);
                read_again_around(layout, d, cell, p);
            }
        }
    }
    hidden
}

/// The groups a hidden cell adds to a reading: the cell itself, whose chains a reader reads
/// now, and the cells above it that show no exact figures (they may now hold none).
fn read_again_around(layout: &Layout, d: &impl Reading, cell: usize, pending: &mut Vec<Queued>) {
    let key = layout.cell_key(cell);
    let mut unit = Some(key.unit);
    while let Some(u) = unit.filter(|&u| u != 0 || key.cut.is_some()) {
        let above = layout.cell_index(CellKey {
            unit: u,
            cut: key.cut,
        });
        if u == key.unit || !d.exact(above) {
            pending.push(Queued::at(above, false, true));
        }
        unit = layout.tree.parent(u);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::UnitTree;

    /// A queued group gives back its cell's unit and cut, whether it is the unit's direct
    /// members, and whether all its chains are read, each on its own.
    #[test]
    fn a_queued_group_keeps_its_cell_and_both_flags() {
        let layout = Layout::new(
            UnitTree::new(vec![None, Some(0), Some(0), Some(1)]).unwrap(),
            vec![2, 3],
        );
        for cell in 0..layout.cell_count() {
            let key = layout.cell_key(cell);
            for (direct, chains) in [(false, false), (false, true), (true, false), (true, true)] {
                let (group, all) = Queued::at(cell, direct, chains).get(&layout);
                let expected = CountGroup {
                    unit: key.unit,
                    cut: key.cut,
                    direct,
                };
                assert_eq!((group, all), (expected, chains), "cell {cell}");
            }
        }
    }

    /// Org > A, B, C (leaf teams), no attributes; five answer points.
    fn teams() -> Layout {
        Layout::new(
            UnitTree::new(vec![None, Some(0), Some(0), Some(0)]).unwrap(),
            vec![],
        )
    }

    /// Five answer points; every cell that answered and is not banded shows its answers.
    fn shown(counts: &[u64]) -> Distributions<'_> {
        Distributions {
            categories: 5,
            stride: 5,
            counts,
            exact: exact(counts, 5),
        }
    }

    fn exact(counts: &[u64], categories: usize) -> Vec<bool> {
        counts
            .chunks(categories)
            .map(|c| c.iter().sum::<u64>() > 0 && crate::bands::distribution_bands(c).is_none())
            .collect()
    }

    /// The organisation (20) less team A (12, shown) leaves B and C, who all answered 3 but
    /// one: B's band ("all or nearly all") hides whether its one differing answer is B's or
    /// C's, but the rest of 8 tells that all of them but one answered 3.
    #[test]
    fn a_parent_less_its_shown_team_tells_the_rest_answered_alike() {
        let layout = teams();
        #[rustfmt::skip]
        let counts = [
            2, 3, 12, 2, 1, // Org: 20
            2, 3, 5, 1, 1,  // A: 12
            0, 0, 5, 0, 0,  // B: 5, all 3 (banded)
            0, 0, 2, 1, 0,  // C: 3 (hidden, under k)
        ];
        let mut status = vec![
            CellStatus::Shown,
            CellStatus::Shown,
            CellStatus::Shown,
            CellStatus::BelowMin,
        ];
        let mut counts = counts.to_vec();
        counts[15..20].fill(0); // a hidden cell's figures are not kept
        let d = shown(&counts);
        assert_eq!(d.exact, vec![true, true, false, false]);
        let found = check(&layout, &d);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].holder, found[0].n, found[0].category), (0, 8, 2));
        // Hiding A breaks it: A has 7 answers off 3, the rest needs 1 more.
        let mut d = d;
        let hidden = protect(&layout, std::slice::from_mut(&mut d), &mut status);
        assert_eq!(hidden, vec![1]);
        assert_eq!(status[1], CellStatus::Complementary);
        assert!(check(&layout, &d).is_empty());
    }

    /// A scale's means: the organisation (20) less team A (12, shown) leaves B and C, of whom
    /// all but one scored at the top. B's band hides whose the one lower score is; the rest
    /// of 8 tells it (its sums of squares, from the shown sds, do). Hiding A breaks it.
    #[test]
    fn a_parent_less_its_shown_team_tells_the_rest_scored_at_the_top() {
        let layout = teams();
        #[rustfmt::skip]
        let figures = vec![
            20, 9, 0, // Org: respondents, at the highest point, at the lowest
            12, 2, 0, // A
            5, 5, 0,  // B: all at the top (banded)
            3, 2, 0,  // C: hidden
        ];
        let mut status = vec![
            CellStatus::Shown,
            CellStatus::Shown,
            CellStatus::Shown,
            CellStatus::BelowMin,
        ];
        let mut means = Figures::new(
            3,
            figures.clone(),
            vec![true, true, false, false],
            crate::bands::worked_out_mean_band,
        );
        let found = check(&layout, &means);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].holder, found[0].n, found[0].category), (0, 8, 0));
        assert_eq!(
            protect(&layout, std::slice::from_mut(&mut means), &mut status),
            vec![1]
        );
        assert!(check(&layout, &means).is_empty());
        // Two of the rest off the top: nothing to tell.
        let mut apart = figures;
        apart[1] = 8;
        let means = Figures::new(
            3,
            apart,
            vec![true, true, false, false],
            crate::bands::worked_out_mean_band,
        );
        assert!(check(&layout, &means).is_empty());
    }

    /// Favourable %s: the organisation's 80 answers less A's 48 leave 32 answers of B and C,
    /// all favourable; with two of them unfavourable the rest says nothing of any one person.
    #[test]
    fn a_rest_is_alike_when_at_most_one_of_its_answers_is_on_the_other_side() {
        let layout = teams();
        let favorable = |org: u64| {
            #[rustfmt::skip]
            let figures = vec![
                20, 80, org, // Org: respondents, answers, favourable answers
                12, 48, 28,  // A
                5, 20, 20,   // B: banded
                3, 12, 0,    // C: hidden
            ];
            Figures::new(
                3,
                figures,
                vec![true, true, false, false],
                crate::bands::worked_out_favorable_band,
            )
        };
        let found = check(&layout, &favorable(60));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].holder, found[0].n, found[0].category), (0, 8, 0));
        assert_eq!(check(&layout, &favorable(59)).len(), 1, "one answer off");
        assert!(check(&layout, &favorable(58)).is_empty(), "two answers off");
        let mut status = vec![CellStatus::Shown; 3];
        status.push(CellStatus::BelowMin);
        let mut d = favorable(60);
        assert_eq!(
            protect(&layout, std::slice::from_mut(&mut d), &mut status),
            vec![1]
        );
        assert!(check(&layout, &d).is_empty());
    }

    /// A rest with two answers off its most given answer is not alike; one with none is.
    #[test]
    fn a_rest_with_two_answers_apart_says_nothing() {
        let layout = teams();
        #[rustfmt::skip]
        let counts = [
            2, 3, 13, 2, 0, // Org: 20
            2, 3, 5, 2, 0,  // A: 12
            0, 0, 5, 0, 0,  // B: 5 (banded)
            0, 0, 0, 0, 0,  // C: hidden (3 people: 3, 3, and one off)
        ];
        let d = shown(&counts);
        // Here the rest's 8 people gave 13 - 5 = 8 answers of 3: alike.
        assert_eq!(check(&layout, &d).len(), 1);
        #[rustfmt::skip]
        let apart = [
            2, 3, 11, 2, 2, // Org: 20; the rest: 6 of 8 answered 3
            2, 3, 5, 2, 0,
            0, 0, 5, 0, 0,
            0, 0, 0, 0, 0,
        ];
        let d = shown(&apart);
        assert!(check(&layout, &d).is_empty());
    }

    /// With an attribute: the organisation less its people of the other value leaves this
    /// value's people, though the organisation's cut of this value is hidden.
    #[test]
    fn a_whole_cell_less_its_other_values_is_read_too() {
        // Org > A, B; one attribute of two values. Cells per unit: whole, v0, v1.
        let layout = Layout::new(
            UnitTree::new(vec![None, Some(0), Some(0)]).unwrap(),
            vec![2],
        );
        #[rustfmt::skip]
        let counts = [
            3, 3, 10, 2, 2, // Org: 20
            0, 0, 0, 0, 0,  // Org v0: hidden (6 people, all 3)
            3, 3, 4, 2, 2,  // Org v1: 14
            0, 0, 0, 0, 0,  // A, A v0, A v1, B, B v0, B v1: hidden
            0, 0, 0, 0, 0,
            0, 0, 0, 0, 0,
            0, 0, 0, 0, 0,
            0, 0, 0, 0, 0,
            0, 0, 0, 0, 0,
        ];
        let d = shown(&counts);
        let found = check(&layout, &d);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].holder, found[0].n, found[0].category), (0, 6, 2));
        let mut status = vec![CellStatus::Complementary; 9];
        status[0] = CellStatus::Shown;
        status[2] = CellStatus::Shown;
        let mut d = d;
        // Org v1 has 10 answers off 3: hiding it breaks the rest.
        assert_eq!(
            protect(&layout, std::slice::from_mut(&mut d), &mut status),
            vec![2]
        );
        assert!(check(&layout, &d).is_empty());
    }

    /// An organisation with no teams: its whole cell less one value's leaves the other's.
    #[test]
    fn the_organisation_less_one_value_leaves_the_other() {
        let layout = Layout::new(UnitTree::new(vec![None]).unwrap(), vec![2]);
        #[rustfmt::skip]
        let counts = [
            3, 3, 10, 2, 2, // Org: 20
            0, 0, 6, 0, 0,  // Org v0: 6, all 3 (banded)
            3, 3, 4, 2, 2,  // Org v1: 14
        ];
        let d = shown(&counts);
        let found = check(&layout, &d);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].holder, found[0].n, found[0].category), (0, 6, 2));
        let mut status = vec![CellStatus::Shown; 3];
        let mut d = d;
        assert_eq!(
            protect(&layout, std::slice::from_mut(&mut d), &mut status),
            vec![2]
        );
        assert!(check(&layout, &d).is_empty());
    }
}
