//! D9 for the groups a reader works out: a shown distribution (an item's answers per scale
//! point, the burnout profiles) less the shown distributions of cells inside it gives the
//! exact distribution of the rest, a group no cell shows. Where one answer holds all or all
//! but one of such a rest's respondents, the reader learns what a band hides in a cell (a
//! banded cell inside the rest, or a hidden one, is then known to have answered alike). So
//! the release hides cells until no such rest is left ([`protect`]), and [`check`] lists
//! what is left, for the auditor (docs/privacy.md D9, "worked out").
//!
//! The rests read are those of the sd's P2 ([`super::spread`]): along the chain of cells
//! holding a group (a hidden or banded cell, or a unit's direct members), each shown holder
//! at the group's cut less the largest shown cells off the chain; and a whole holder less
//! its unit's other values of the group's attribute. Only cells showing their exact
//! distribution are read: a banded cell says only "all or nearly all".

use super::{CellKey, CellStatus, CountGroup, Layout};

/// A rest whose answers one category holds all or all but one of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlikeRest {
    /// The shown cell the rest is taken from.
    pub holder: usize,
    /// A group inside the rest (the group the chain was read for).
    pub group: CountGroup,
    /// The rest's respondents.
    pub n: u64,
    /// The category that holds all or all but one of them.
    pub category: usize,
}

/// What the rests are read from: per cell, its exact distribution when the cell is shown
/// and not banded.
pub struct Distributions<'a> {
    pub categories: usize,
    /// `[cell * categories + category]`.
    pub counts: &'a [u64],
    /// Whether each cell shows its exact distribution.
    pub exact: Vec<bool>,
}

impl<'a> Distributions<'a> {
    /// A distribution as a release shows it: exact in every shown cell that is not banded
    /// ([`crate::bands::distribution_bands`]).
    pub fn as_shown(categories: usize, counts: &'a [u64], status: &[CellStatus]) -> Self {
        let exact = status
            .iter()
            .enumerate()
            .map(|(cell, st)| {
                *st == CellStatus::Shown
                    && counts
                        .get(cell * categories..(cell + 1) * categories)
                        .is_some_and(|c| crate::bands::distribution_bands(c).is_none())
            })
            .collect();
        Distributions {
            categories,
            counts,
            exact,
        }
    }
}

/// Per cell, the counts of the largest exactly shown cells inside its subtree at its cut
/// (itself when shown), and of its child units' subtrees: `[cell * (categories + 1)]` holds
/// respondents, then one count per category.
struct Taken {
    width: usize,
    whole: Vec<u64>,
    below: Vec<u64>,
}

impl Taken {
    fn new(layout: &Layout, d: &Distributions) -> Taken {
        let width = d.categories + 1;
        let cells = layout.cell_count();
        let mut t = Taken {
            width,
            whole: vec![0; cells * width],
            below: vec![0; cells * width],
        };
        let per_unit = layout.cells_per_unit();
        for &u in layout.tree.top_down().iter().rev() {
            for offset in 0..per_unit {
                t.refresh(layout, d, u * per_unit + offset);
            }
        }
        t
    }

    fn refresh(&mut self, layout: &Layout, d: &Distributions, cell: usize) {
        let (w, per_unit) = (self.width, layout.cells_per_unit().max(1));
        let (unit, offset) = (cell / per_unit, cell % per_unit);
        let Some(below) = self.below.get_mut(cell * w..(cell + 1) * w) else {
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
        match d.counts.get(cell * d.categories..(cell + 1) * d.categories) {
            Some(counts) if d.exact.get(cell) == Some(&true) => {
                whole[0] = counts.iter().sum();
                whole[1..].copy_from_slice(counts);
            }
            _ => whole.copy_from_slice(below),
        }
    }

    /// After `cell` stopped showing its distribution: it and the cells above it.
    fn update(&mut self, layout: &Layout, d: &Distributions, cell: usize) {
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
        self.below
            .get(cell * self.width..(cell + 1) * self.width)
            .unwrap_or(&[])
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
fn groups(layout: &Layout, d: &Distributions, t: &Taken) -> Vec<(CountGroup, bool)> {
    let mut cuts = vec![None];
    for (a, &values) in layout.value_counts.iter().enumerate() {
        cuts.extend((0..values).map(|v| Some((a, v))));
    }
    let holds_exact = |unit: usize, cut| {
        layout
            .try_cell_index(CellKey { unit, cut })
            .is_some_and(|cell| t.whole(cell).first().is_some_and(|&n| n > 0))
    };
    // Per parent's cell and whether the cell and its unit's whole cell hold an exact cell.
    let mut read = vec![false; layout.cell_count() * 4];
    let mut out = Vec::new();
    for unit in 0..layout.tree.len() {
        for &cut in &cuts {
            let Some(cell) = layout.try_cell_index(CellKey { unit, cut }) else {
                continue;
            };
            if let Some(parent) = layout.tree.parent(unit) {
                let kind =
                    usize::from(holds_exact(unit, cut)) * 2 + usize::from(holds_exact(unit, None));
                let key = layout.cell_index(CellKey { unit: parent, cut }) * 4 + kind;
                if d.exact.get(cell) != Some(&true) {
                    let group = CountGroup {
                        unit,
                        cut,
                        direct: false,
                    };
                    if let Some(first) = read.get_mut(key).filter(|seen| !**seen) {
                        *first = true;
                        out.push((group, true));
                    } else if cut.is_some() {
                        out.push((group, false));
                    }
                }
            } else if cut.is_some() && d.exact.get(cell) != Some(&true) {
                // The organisation's cut: its only rest is the whole organisation less the
                // attribute's other values.
                let group = CountGroup {
                    unit,
                    cut,
                    direct: false,
                };
                out.push((group, true));
            }
            if !layout.tree.children(unit).is_empty() {
                let group = CountGroup {
                    unit,
                    cut,
                    direct: true,
                };
                out.push((group, true));
            }
        }
    }
    out
}

/// Calls `visit` with every rest of `group`'s chains that could be alike (how it was taken,
/// and the counts taken out of its holder) until `visit` returns true. `other` is scratch.
fn rests(
    layout: &Layout,
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
        let mut visit_both = |chain: Chain, taken: &[u64]| {
            if visit(chain, taken) {
                return true;
            }
            match group.cut {
                Some((a, v)) if i == 0 => {
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

/// The rest of `holder` less `taken`, if alike: respondents, and the category holding all or
/// all but one of them. Rests of fewer than 3 are a matter for P1 and P2 (groups under k),
/// and a rest with nothing taken is the holder itself.
fn alike(d: &Distributions, holder: usize, taken: &[u64]) -> Option<(u64, usize, u64)> {
    if d.exact.get(holder) != Some(&true) || taken.first().copied().unwrap_or(0) == 0 {
        return None;
    }
    let counts = d
        .counts
        .get(holder * d.categories..(holder + 1) * d.categories)?;
    let n = counts.iter().sum::<u64>().checked_sub(taken[0])?;
    if n < 3 {
        return None;
    }
    counts
        .iter()
        .zip(&taken[1..])
        .map(|(h, t)| h.saturating_sub(*t))
        .enumerate()
        .find(|&(_, held)| held + 1 >= n)
        .map(|(category, held)| (n, category, held))
}

/// Every rest a reader can work out whose answers one category holds all or all but one of.
pub fn check(layout: &Layout, d: &Distributions) -> Vec<AlikeRest> {
    let t = Taken::new(layout, d);
    // One finding per rest, however many groups' chains read it.
    let mut found = std::collections::BTreeMap::new();
    let (mut taken, mut other) = (Vec::new(), Vec::new());
    for group in groups(layout, d, &t) {
        rests(layout, &t, group, &mut taken, &mut other, |chain, taken| {
            if let Some((n, category, _)) = alike(d, chain.holder, taken) {
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
        });
    }
    found.into_values().collect()
}

/// The largest exactly shown cells at `offset` in `unit`'s subtree.
fn largest_exact(
    layout: &Layout,
    d: &Distributions,
    unit: usize,
    offset: usize,
    out: &mut Vec<usize>,
) {
    let exact = |cell: usize| d.exact.get(cell) == Some(&true);
    layout.largest_cells(unit, offset, exact, out);
}

/// The cells a rest took out of its holder.
fn rest_cells(layout: &Layout, d: &Distributions, chain: &Chain) -> Vec<usize> {
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

/// Hides cells (as complementary) until no rest is alike: for each alike rest, the
/// smallest cell taken out of it whose answers break the likeness (at least as many
/// answers off the holding category as the rest lacks of two), or, with none, the holder.
/// Hiding only takes figures away, so P2's proofs and P1's certificates still hold; only the
/// groups P1 excused (a shown cell around them answered in full, and may now be hidden) need
/// P1's check again, which the release runs on a measure this hid cells in. Returns the
/// cells hidden.
pub fn protect(layout: &Layout, d: &mut Distributions, status: &mut [CellStatus]) -> Vec<usize> {
    let mut t = Taken::new(layout, d);
    let mut hidden = Vec::new();
    let (mut taken, mut other) = (Vec::new(), Vec::new());
    let mut pending = groups(layout, d, &t);
    while !pending.is_empty() {
        let mut again = Vec::new();
        for group in pending {
            let mut first = None;
            rests(layout, &t, group, &mut taken, &mut other, |chain, taken| {
                first = alike(d, chain.holder, taken).map(|(n, c, h)| (chain, n, c, h));
                first.is_some()
            });
            let Some((chain, n, category, held)) = first else {
                continue;
            };
            // Off the holding category the rest has n - held answers; it needs 2.
            let needed = 2 - (n - held);
            let counts = |cell: usize| {
                d.counts
                    .get(cell * d.categories..(cell + 1) * d.categories)
                    .unwrap_or(&[])
            };
            let breaking = rest_cells(layout, d, &chain)
                .into_iter()
                .filter(|&c| {
                    let cs = counts(c);
                    let n: u64 = cs.iter().sum();
                    n - cs.get(category).copied().unwrap_or(0) >= needed
                })
                .min_by_key(|&c| counts(c).iter().sum::<u64>());
            let cell = breaking.unwrap_or(chain.holder);
            if let Some(e) = d.exact.get_mut(cell) {
                *e = false;
            }
            if let Some(s) = status.get_mut(cell) {
                *s = CellStatus::Complementary;
            }
            t.update(layout, d, cell);
            hidden.push(cell);
            again.push(group);
            // The hidden cell is now a group whose chains a reader reads too, and the cells
            // above it that show no exact distribution may now hold none.
            let key = layout.cell_key(cell);
            let mut unit = Some(key.unit);
            while let Some(u) = unit.filter(|&u| u != 0 || key.cut.is_some()) {
                let above = layout.cell_index(CellKey {
                    unit: u,
                    cut: key.cut,
                });
                if u == key.unit || d.exact.get(above) != Some(&true) {
                    let group = CountGroup {
                        unit: u,
                        cut: key.cut,
                        direct: false,
                    };
                    again.push((group, true));
                }
                unit = layout.tree.parent(u);
            }
        }
        pending = again;
    }
    hidden
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::UnitTree;

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
        let hidden = protect(&layout, &mut d, &mut status);
        assert_eq!(hidden, vec![1]);
        assert_eq!(status[1], CellStatus::Complementary);
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
        assert_eq!(protect(&layout, &mut d, &mut status), vec![2]);
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
        assert_eq!(protect(&layout, &mut d, &mut status), vec![2]);
        assert!(check(&layout, &d).is_empty());
    }
}
