//! P2 and a shown standard deviation (docs/privacy.md D7).
//!
//! A cell's sd bounds how far the mean of any part of it can stray from the cell's mean: for
//! `m` of the cell's `n` respondents, with sample sd `s`,
//!
//! ```text
//! |mean(part) - mean(cell)| <= s * sqrt((n - 1) * (n - m) / (n * m))
//! ```
//!
//! (the part's share of the cell's sum of squares, `m * n / (n - m) * d^2`, is at most all of
//! it, `(n - 1) * s^2`; two values per side reach it). So a reader who knows that a group of
//! `m < k` respondents sits inside a shown cell learns from the cell's sd that the group's
//! mean lies in `[mean - d, mean + d]`, cut to the scale's bounds. Where that interval is
//! narrower than P2's protection level, the release shows the sd only as a band, "below
//! `edge`", with the edge chosen so that the interval it allows is wide enough for every group
//! that can lie inside the cell ([`Parts::largest`], [`sd_band`]). The figures computed from the sd (the
//! confidence interval, Welch's tests) are withheld with it: each would give it back.
//!
//! [`check_spreads`] is the auditor's side: from the shown figures as a reader has them (the
//! mean and the sd exactly, as the JSON API gives them, or the band's edge) and each group's
//! true number of respondents, it lists every group under k that the shown cells holding it
//! bound too narrowly together (the reader intersects their intervals).

use super::{CellKey, CellStatus, CountGroup, Layout, MeanBounds, NarrowGroup, Placement};

/// Guards the comparison of widths against the rounding of floats.
const EPSILON: f64 = 1e-9;

/// How far the mean of `m` of a cell's `n` respondents can stray from the cell's mean, per
/// unit of the cell's sample sd.
fn stray_per_sd(n: u64, m: u64) -> f64 {
    let (n, m) = (n as f64, m as f64);
    ((n - 1.0) * (n - m) / (n * m)).sqrt()
}

/// What P2 knows of the groups inside each cell, for [`Parts::largest`]: from the roster's
/// invited counts when there are any (a group has no more respondents than invited people),
/// else only that a group under k has at most `k - 1`. Both are known to the reader, so a
/// band chosen from them says nothing about who answered.
pub struct Parts {
    /// Invited people per cell, and per unit's direct members at the same offsets as its
    /// cells, each capped at `k - 1`.
    in_cell: Vec<u64>,
    in_direct: Vec<u64>,
    /// k - 1.
    cap: u64,
}

impl Parts {
    pub fn new(layout: &Layout, invited: Option<&[(Placement, u64)]>, k: usize) -> Parts {
        let cap = (k as u64).saturating_sub(1);
        let per_unit = layout.cells_per_unit();
        let cells = layout.cell_count();
        let Some(atoms) = invited else {
            return Parts {
                in_cell: vec![cap; cells],
                in_direct: vec![cap; cells],
                cap,
            };
        };
        let (mut in_cell, mut in_direct) = (vec![0u64; cells], vec![0u64; cells]);
        for (p, count) in atoms {
            let offsets: Vec<usize> = std::iter::once(Some(0))
                .chain(p.values.iter().enumerate().map(|(a, v)| {
                    let key = CellKey {
                        unit: 0,
                        cut: Some((a, (*v)?)),
                    };
                    layout.try_cell_index(key)
                }))
                .flatten()
                .collect();
            for &o in &offsets {
                if let Some(slot) = in_direct.get_mut(p.unit * per_unit + o) {
                    *slot = slot.saturating_add(*count);
                }
            }
            let mut unit = Some(p.unit);
            while let Some(u) = unit {
                for &o in &offsets {
                    if let Some(slot) = in_cell.get_mut(u * per_unit + o) {
                        *slot = slot.saturating_add(*count);
                    }
                }
                unit = layout.tree.parent(u);
            }
        }
        for x in in_cell.iter_mut().chain(in_direct.iter_mut()) {
            *x = (*x).min(cap);
        }
        Parts {
            in_cell,
            in_direct,
            cap,
        }
    }

    /// Per cell of one measure (indexed like [`Layout::cells`]): the most respondents a
    /// roster group under k strictly inside the cell can have, which is what the cell's sd
    /// must leave room for (0: no such group, so the sd bounds no one). The groups are P1's
    /// and P2's: cells below it (a child unit's subtree, a cut of the unit or of a child) and
    /// a unit's direct members, whole and per attribute value. A shown cell below holds at
    /// least k respondents, so it is no such group itself; only the groups inside it count.
    pub fn largest(&self, layout: &Layout, status: &[CellStatus]) -> Vec<u64> {
        let per_unit = layout.cells_per_unit();
        let mut largest = vec![0u64; layout.cell_count()];
        // As a part of a larger cell: a shown cell only by what it holds.
        let as_part = |cell: usize, largest: &[u64]| {
            let own = if status.get(cell) == Some(&CellStatus::Shown) {
                0
            } else {
                self.in_cell.get(cell).copied().unwrap_or(0)
            };
            own.max(largest.get(cell).copied().unwrap_or(0))
        };
        // Children before parents.
        for &u in layout.tree.top_down().iter().rev() {
            let children = layout.tree.children(u);
            for offset in 0..per_unit {
                let cell = u * per_unit + offset;
                let mut most = 0;
                for &c in children {
                    most = most.max(as_part(c * per_unit + offset, &largest));
                }
                if !children.is_empty() {
                    most = most.max(self.in_direct.get(cell).copied().unwrap_or(0));
                }
                if offset == 0 {
                    // A whole unit also holds its own cuts.
                    for cut in 1..per_unit {
                        most = most.max(as_part(u * per_unit + cut, &largest));
                    }
                }
                largest[cell] = most;
            }
        }
        largest
    }
}

/// The smallest sd at which every group of up to `part` of a cell's `n` respondents keeps a
/// possible mean at least the protection level wide, given the cell's mean. `None` when no
/// group fits (`part` or `n - 1` is 0) or P2 is off.
pub fn smallest_safe_sd(n: u64, mean: f64, part: u64, bounds: MeanBounds) -> Option<f64> {
    let m = part.min(n.saturating_sub(1));
    if m == 0 || bounds.protection <= 0.0 {
        return None;
    }
    // The stray needed: half the level on each side, or, where the mean sits closer to an end
    // than that, the level minus the room on the near side.
    let near = (bounds.highest - mean).min(mean - bounds.lowest).max(0.0);
    let stray = if 2.0 * near >= bounds.protection {
        bounds.protection / 2.0
    } else {
        bounds.protection - near
    };
    // The larger the group, the less it can stray: the largest is the hardest case.
    Some(stray / stray_per_sd(n, m))
}

/// The band's edge ("below `edge`", to 2 decimals) when a shown cell's sd would let a reader
/// bound some group of up to `part` of its `n` respondents ([`Parts::largest`]) narrower
/// than the protection level; `None` when the sd can be shown. The reader is taken to know
/// the sd and the mean exactly, as the JSON API gives them (the pages round to 2 decimals).
pub fn sd_band(n: u64, mean: f64, sd: f64, part: u64, bounds: MeanBounds) -> Option<f64> {
    let safe = smallest_safe_sd(n, mean, part, bounds)?;
    // No higher than the most the sd can be: there it says nothing the sums do not.
    (sd < safe).then(|| ((safe * 100.0).ceil() / 100.0).min(largest_sd(n, mean, bounds)))
}

/// A shown cell's spread as a reader has it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShownSpread {
    pub n: u64,
    /// The mean, exact (as the JSON API gives it).
    pub mean: f64,
    /// The largest sd the reader must allow: the sd, exact, or the band's edge (infinite when
    /// the cell shows no sd).
    pub sd_at_most: f64,
    /// Whether `sd_at_most` is the sd itself: then the cell's sum of squares is known, and a
    /// reader who takes the cell out of a larger one knows what it took.
    pub exact: bool,
}

impl ShownSpread {
    /// The cell's sum of squared scores, as far as a reader can bound it from below.
    fn squares_at_least(&self) -> f64 {
        let n = self.n as f64;
        let own = if self.exact {
            (n - 1.0) * self.sd_at_most * self.sd_at_most
        } else {
            0.0
        };
        n * self.mean * self.mean + own
    }

    /// The cell's sum of squared scores, as far as a reader can bound it from above.
    fn squares_at_most(&self) -> f64 {
        let n = self.n as f64;
        (n - 1.0) * self.sd_at_most * self.sd_at_most + n * self.mean * self.mean
    }
}

/// Shown cells taken out of a larger one: how many respondents, their sum, and the least
/// their squared scores can add up to. Sums of squares add up over disjoint cells as sums do,
/// so a reader who knows a cell's sd and takes its shown parts out bounds the spread of the
/// rest (docs/privacy.md D7, "the rest of a cell").
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Taken {
    n: u64,
    sum: f64,
    squares: f64,
}

impl Taken {
    fn of(s: &ShownSpread) -> Taken {
        Taken {
            n: s.n,
            sum: s.n as f64 * s.mean,
            squares: s.squares_at_least(),
        }
    }

    /// A shown cell's squares are at least those of its shown parts and of the rest of it
    /// (`sum^2 / n` for the rest): a reader needs no sd of the cell itself for that.
    fn at_least_its_parts(self, parts: Taken) -> Taken {
        let rest = self.less(parts);
        let rest_squares = if rest.n > 0 {
            rest.sum * rest.sum / rest.n as f64
        } else {
            0.0
        };
        Taken {
            squares: self.squares.max(parts.squares + rest_squares),
            ..self
        }
    }

    fn add(self, o: Taken) -> Taken {
        Taken {
            n: self.n + o.n,
            sum: self.sum + o.sum,
            squares: self.squares + o.squares,
        }
    }

    fn less(self, o: Taken) -> Taken {
        Taken {
            n: self.n.saturating_sub(o.n),
            sum: self.sum - o.sum,
            squares: self.squares - o.squares,
        }
    }
}

/// Per cell, what a reader can take out of it: `whole[c]` the largest shown cells inside
/// cell `c`'s subtree at the same cut (`c` itself when shown), `below[c]` those of its
/// child units' subtrees.
struct Shown {
    whole: Vec<Taken>,
    below: Vec<Taken>,
}

impl Shown {
    fn new(layout: &Layout, shown: &[Option<ShownSpread>]) -> Shown {
        let per_unit = layout.cells_per_unit();
        let cells = layout.cell_count();
        let mut out = Shown {
            whole: vec![Taken::default(); cells],
            below: vec![Taken::default(); cells],
        };
        for &u in layout.tree.top_down().iter().rev() {
            for offset in 0..per_unit {
                out.refresh(layout, shown, u * per_unit + offset);
            }
        }
        out
    }

    /// Recomputes one cell from its child units' cells.
    fn refresh(&mut self, layout: &Layout, shown: &[Option<ShownSpread>], cell: usize) {
        let per_unit = layout.cells_per_unit().max(1);
        let (unit, offset) = (cell / per_unit, cell % per_unit);
        let mut inside = Taken::default();
        for &c in layout.tree.children(unit) {
            inside = inside.add(
                self.whole
                    .get(c * per_unit + offset)
                    .copied()
                    .unwrap_or_default(),
            );
        }
        let whole = match shown.get(cell).copied().flatten() {
            Some(s) => Taken::of(&s).at_least_its_parts(inside),
            None => inside,
        };
        if let (Some(b), Some(w)) = (self.below.get_mut(cell), self.whole.get_mut(cell)) {
            (*b, *w) = (inside, whole);
        }
    }

    /// After `cell`'s spread changed: it and the cells above it at its cut.
    fn update(&mut self, layout: &Layout, shown: &[Option<ShownSpread>], cell: usize) {
        let per_unit = layout.cells_per_unit().max(1);
        let (mut unit, offset) = (Some(cell / per_unit), cell % per_unit);
        while let Some(u) = unit {
            self.refresh(layout, shown, u * per_unit + offset);
            unit = layout.tree.parent(u);
        }
    }
}

/// A rest: a shown cell, `holder`, less shown cells inside it that do not hold the group.
#[derive(Clone, Copy, Debug)]
struct Rest {
    holder: usize,
    taken: Taken,
    /// How the cells were taken: the largest shown cells at `offset` off the chain from the
    /// group's unit (with its child units for a unit's direct members) up to the holder, and
    /// with `other_values`, those of the attribute's other values inside the holder's unit.
    offset: usize,
    group: CountGroup,
    other_values: Option<(usize, usize)>,
}

impl Rest {
    /// The shown cells taken out of the holder ([`rests`] sums them).
    fn cells(&self, layout: &Layout, shown: &[Option<ShownSpread>]) -> Vec<usize> {
        let per_unit = layout.cells_per_unit();
        let holder_unit = self.holder / per_unit.max(1);
        let mut out = Vec::new();
        let largest = |unit: usize, offset: usize, out: &mut Vec<usize>| {
            largest_shown(layout, shown, unit, offset, out)
        };
        if self.group.direct {
            for &c in layout.tree.children(self.group.unit) {
                largest(c, self.offset, &mut out);
            }
        }
        let mut unit = self.group.unit;
        while unit != holder_unit {
            let Some(parent) = layout.tree.parent(unit) else {
                break;
            };
            for &c in layout.tree.children(parent).iter().filter(|&&c| c != unit) {
                largest(c, self.offset, &mut out);
            }
            unit = parent;
        }
        if let Some((a, v)) = self.other_values {
            let values = layout.value_counts.get(a).copied().unwrap_or(0);
            for other in (0..values).filter(|&o| o != v) {
                largest(holder_unit, layout.family_of(Some((a, other))), &mut out);
            }
        }
        out
    }
}

/// The largest shown cells at `offset` in `unit`'s subtree.
fn largest_shown(
    layout: &Layout,
    shown: &[Option<ShownSpread>],
    unit: usize,
    offset: usize,
    out: &mut Vec<usize>,
) {
    let is_shown = |cell: usize| shown.get(cell).copied().flatten().is_some();
    layout.largest_cells(unit, offset, is_shown, out);
}

/// The rests a reader can form around a group: along the chain of its holders at the
/// group's own cut (and, for a cut, at the whole), each holder less the largest shown cells
/// off the chain (sibling subtrees of the chain's units, and for a unit's direct members its
/// child units); and for a cut, each whole holder less the unit's other values of that
/// attribute and the cut's own shown cells off the chain.
fn rests(layout: &Layout, group: CountGroup, shown: &Shown, out: &mut Vec<Rest>) {
    out.clear();
    let per_unit = layout.cells_per_unit();
    let offset_of = |cut| layout.family_of(cut);
    let at = |unit: usize, offset: usize| unit * per_unit + offset;
    let get = |v: &Vec<Taken>, cell: usize| v.get(cell).copied().unwrap_or_default();
    // One chain per offset: the group's own, and the whole for a cut. (No vector per call:
    // this runs for hundreds of thousands of groups per build.)
    let chains = [Some(offset_of(group.cut)), group.cut.map(|_| 0)];
    // The group's own chain's rests end here; the other values' rests below start from them.
    let mut own_chain_end = 0;
    for (i, offset) in chains.into_iter().flatten().enumerate() {
        let mut taken = Taken::default();
        let mut unit = group.unit;
        if group.direct {
            taken = get(&shown.below, at(unit, offset));
            out.push(Rest {
                holder: at(unit, offset),
                taken,
                offset,
                group,
                other_values: None,
            });
        }
        while let Some(parent) = layout.tree.parent(unit) {
            taken = taken
                .add(get(&shown.below, at(parent, offset)))
                .less(get(&shown.whole, at(unit, offset)));
            out.push(Rest {
                holder: at(parent, offset),
                taken,
                offset,
                group,
                other_values: None,
            });
            unit = parent;
        }
        if i == 0 {
            own_chain_end = out.len();
        }
    }
    // A cut's whole holders less the other values of its attribute: at the group's unit
    // (with what its own chain took there: its child units' for a unit's direct members,
    // else nothing) and at each holder of its own chain.
    if let Some((a, v)) = group.cut {
        let values = layout.value_counts.get(a).copied().unwrap_or(0);
        let first = usize::from(!group.direct);
        for step in 0..first + own_chain_end {
            let Some((unit, mut taken)) = (match step.checked_sub(first) {
                None => Some((group.unit, Taken::default())),
                Some(j) => out.get(j).map(|r| (r.holder / per_unit.max(1), r.taken)),
            }) else {
                continue;
            };
            for other in (0..values).filter(|&o| o != v) {
                taken = taken.add(get(&shown.whole, at(unit, offset_of(Some((a, other))))));
            }
            out.push(Rest {
                holder: at(unit, 0),
                taken,
                offset: offset_of(group.cut),
                group,
                other_values: Some((a, v)),
            });
        }
    }
}

/// A group under k as P2 sees it: the group and its size.
struct SpreadGroup {
    group: CountGroup,
    m: u64,
}

impl SpreadGroup {
    /// The cells holding the group, into `out`: its own unit's (a direct group sits in its
    /// unit's cell; a cut in the whole cell) and every ancestor's, same cut and whole.
    /// (Worked out when read, into one buffer: hundreds of thousands of groups per build.)
    fn holders(&self, layout: &Layout, out: &mut Vec<usize>) {
        out.clear();
        let CountGroup { unit, cut, direct } = self.group;
        let index = |unit, cut| layout.try_cell_index(CellKey { unit, cut });
        if direct {
            out.extend(index(unit, cut));
        }
        if cut.is_some() {
            out.extend(index(unit, None));
        }
        let mut up = layout.tree.parent(unit);
        while let Some(p) = up {
            out.extend(index(p, cut));
            if cut.is_some() {
                out.extend(index(p, None));
            }
            up = layout.tree.parent(p);
        }
    }
}

/// Every group (cells, and non-leaf units' direct members, whole and per attribute value)
/// whose size `cell_size` or `direct_size` gives as 1 to k - 1.
fn spread_groups(
    layout: &Layout,
    k: usize,
    cell_size: impl Fn(usize) -> u64,
    direct_size: impl Fn(usize) -> u64,
) -> Vec<SpreadGroup> {
    let mut cuts = vec![None];
    for (a, &values) in layout.value_counts.iter().enumerate() {
        cuts.extend((0..values).map(|v| Some((a, v))));
    }
    let index = |unit, cut| layout.try_cell_index(CellKey { unit, cut });
    // At most two groups per cell: sized once rather than grown by copying.
    let mut out = Vec::with_capacity(2 * layout.cell_count());
    for unit in 0..layout.tree.len() {
        let has_children = !layout.tree.children(unit).is_empty();
        for &cut in &cuts {
            let Some(cell) = index(unit, cut) else {
                continue;
            };
            let whole = std::iter::once((false, cell_size(cell)));
            let direct = has_children.then(|| (true, direct_size(cell)));
            for (direct, m) in whole.chain(direct) {
                if m == 0 || m >= k as u64 {
                    continue;
                }
                out.push(SpreadGroup {
                    group: CountGroup { unit, cut, direct },
                    m,
                });
            }
        }
    }
    out
}

/// A shown figure a reader could be kept from narrowing a group with: a holder's own sd
/// interval, or the interval of a rest of it (then the holder's band is what widens it).
#[derive(Clone, Copy, Debug)]
enum Culprit {
    Own(usize),
    Rest(Rest),
}

/// What a reader can say of the mean of `m` respondents inside the shown cells `holders`
/// and the `rests` around them: the width of the intersection of what the sums allow (the
/// rest of each cell at the scale's ends), the width once the sds are added (each part
/// strays at most `sqrt(SS * (n - m) / (n m))` from its cell's mean, `SS` the cell's sum of
/// squared deviations, `(n - 1) s^2` for a shown cell), and the figure whose sd interval is
/// narrowest among those that can still be widened (only where `name` asks for it: most
/// groups are only checked for width, hundreds of thousands per build).
fn reader_range(
    holders: &[usize],
    rests: &[Rest],
    shown: &[Option<ShownSpread>],
    (m, name): (u64, bool),
    bounds: MeanBounds,
) -> (f64, f64, Option<Culprit>) {
    let (lowest, highest) = (bounds.lowest, bounds.highest);
    let mut sums = (lowest, highest);
    let mut both = (lowest, highest);
    let mut narrowest: Option<(f64, Culprit)> = None;
    // One part: `n` respondents with sum `total` and at most `squares` squared deviations.
    // Returns the width of its sd interval where that is narrower than `narrowest`'s and
    // its figure can still be widened (the caller then names it: a culprit is built only
    // then, not for every part).
    let mut read = |n: u64,
                    total: f64,
                    squares: f64,
                    cell: &ShownSpread,
                    narrowest: Option<f64>|
     -> Option<f64> {
        let (nf, mf) = (n as f64, m as f64);
        let mean = total / nf;
        let by_sum = (
            ((total - (nf - mf) * highest) / mf).max(lowest),
            ((total - (nf - mf) * lowest) / mf).min(highest),
        );
        let stray = (squares.max(0.0) * (nf - mf) / (nf * mf)).sqrt();
        sums = (sums.0.max(by_sum.0), sums.1.min(by_sum.1));
        both = (
            both.0.max(by_sum.0).max(mean - stray),
            both.1.min(by_sum.1).min(mean + stray),
        );
        // Only a figure whose sd still says something about the group can be widened, and
        // only up to the most the cell's sd can be.
        let far = (highest - mean).max(mean - lowest);
        (name
            && stray < far
            && narrowest.is_none_or(|w| 2.0 * stray < w)
            && cell.sd_at_most < most_sd(cell, bounds))
        .then_some(2.0 * stray)
    };
    let width_of = |n: &Option<(f64, Culprit)>| n.as_ref().map(|(w, _)| *w);
    for &h in holders {
        let Some(s) = shown.get(h).and_then(Option::as_ref).filter(|s| s.n > m) else {
            continue;
        };
        let n = s.n as f64;
        let squares = (n - 1.0) * s.sd_at_most * s.sd_at_most;
        if let Some(w) = read(s.n, n * s.mean, squares, s, width_of(&narrowest)) {
            narrowest = Some((w, Culprit::Own(h)));
        }
    }
    for rest in rests {
        let Some(s) = shown.get(rest.holder).and_then(Option::as_ref) else {
            continue;
        };
        let n = s.n.saturating_sub(rest.taken.n);
        if rest.taken.n == 0 || n <= m || !s.sd_at_most.is_finite() {
            continue;
        }
        let total = s.n as f64 * s.mean - rest.taken.sum;
        let squares = s.squares_at_most() - rest.taken.squares - total * total / n as f64;
        if let Some(w) = read(n, total, squares, s, width_of(&narrowest)) {
            narrowest = Some((w, Culprit::Rest(*rest)));
        }
    }
    let width = |(lo, hi): (f64, f64)| (hi - lo).max(0.0);
    (width(sums), width(both), narrowest.map(|(_, c)| c))
}

/// The largest sd a cell of `n` with its mean can have on the scale, rounded up to 2
/// decimals: a band at it says nothing a reader does not know from the mean and the scale's
/// bounds, nor does any rest of the cell (sums of squares at the ends add up).
fn most_sd(s: &ShownSpread, bounds: MeanBounds) -> f64 {
    largest_sd(s.n, s.mean, bounds)
}

/// [`most_sd`] for `n` respondents with mean `mean`.
fn largest_sd(n: u64, mean: f64, bounds: MeanBounds) -> f64 {
    let n = n as f64;
    let spread = (mean - bounds.lowest).max(0.0) * (bounds.highest - mean).max(0.0);
    ((n * spread / (n - 1.0).max(1.0)).sqrt() * 100.0).ceil() / 100.0
}

/// Every group under k (cells, and non-leaf units' direct members, whole and per attribute
/// value, with 1 to k - 1 respondents) whose mean the shown cells holding it bound narrower
/// than the protection level once their sds are read with their sums, though their sums
/// alone do not (those are P2's mean check, [`super::check_means`]). `cell_n` is each
/// cell's true number of respondents of the measure; `shown` each cell's spread, `None` for
/// a hidden cell or one without an sd.
pub fn check_spreads(
    layout: &Layout,
    cell_n: &[usize],
    shown: &[Option<ShownSpread>],
    k: usize,
    bounds: MeanBounds,
) -> Vec<NarrowGroup> {
    if bounds.protection <= 0.0 {
        return Vec::new();
    }
    let n_of = |cell: usize| cell_n.get(cell).map_or(0, |&n| n as u64);
    let per_unit = layout.cells_per_unit();
    let direct_of = |cell: usize| {
        let (unit, offset) = (cell / per_unit, cell % per_unit);
        let below: u64 = layout
            .tree
            .children(unit)
            .iter()
            .map(|&c| n_of(c * per_unit + offset))
            .sum();
        n_of(cell).saturating_sub(below)
    };
    let taken = Shown::new(layout, shown);
    let mut around = Vec::new();
    let mut holders = Vec::new();
    spread_groups(layout, k, n_of, direct_of)
        .into_iter()
        .filter_map(|g| {
            g.holders(layout, &mut holders);
            rests(layout, g.group, &taken, &mut around);
            let (sums, both, _) = reader_range(&holders, &around, shown, (g.m, false), bounds);
            let narrow = both + EPSILON < bounds.protection && sums + EPSILON >= bounds.protection;
            narrow.then_some(NarrowGroup {
                group: g.group,
                n: g.m,
                width: both,
            })
        })
        .collect()
}

impl Parts {
    /// After each shown cell's own band ([`sd_band`]): while some group's mean is bounded
    /// narrower than the protection level by the shown cells holding it together (the
    /// reader intersects their intervals, sums and sds), though not by their sums alone,
    /// widens the band of the holder whose sd interval is narrowest until it says nothing
    /// about any group inside it. Uses only what the reader knows: each group's size is the
    /// most it can have ([`Parts::largest`]'s counts), which is where intervals are
    /// narrowest. Returns the cells whose band changed, with their new edge.
    pub fn widen(
        &self,
        layout: &Layout,
        status: &[CellStatus],
        shown: &mut [Option<ShownSpread>],
        bounds: MeanBounds,
    ) -> Vec<(usize, f64)> {
        if bounds.protection <= 0.0 {
            return Vec::new();
        }
        let hidden = |cell: usize| status.get(cell) != Some(&CellStatus::Shown);
        let cell_size = |cell: usize| {
            if hidden(cell) {
                self.in_cell.get(cell).copied().unwrap_or(0)
            } else {
                0 // a shown cell holds k or more
            }
        };
        let direct_size = |cell: usize| self.in_direct.get(cell).copied().unwrap_or(0);
        let k = usize::try_from(self.cap).map_or(usize::MAX, |c| c + 1);
        let groups = spread_groups(layout, k, cell_size, direct_size);
        let mut widened: Vec<(usize, f64)> = Vec::new();
        // Widening only widens, so a group found wide stays wide: after the first pass only
        // the groups that made a band wider are looked at again.
        let mut pending: Vec<&SpreadGroup> = groups.iter().collect();
        let mut around = Vec::new();
        let mut holders = Vec::new();
        let mut taken = Shown::new(layout, shown);
        while !pending.is_empty() {
            let mut again = Vec::new();
            for g in pending {
                g.holders(layout, &mut holders);
                rests(layout, g.group, &taken, &mut around);
                // Ranges only narrow as a group grows: a group wide at its most respondents is
                // wide at any size. Else the sums alone can be narrow at one size and the sds
                // decisive at a smaller one.
                let at_most = reader_range(&holders, &around, shown, (g.m, false), bounds);
                if at_most.1 + EPSILON >= bounds.protection {
                    continue;
                }
                let short = (1..=g.m).rev().find_map(|m| {
                    let (sums, both, narrowest) =
                        reader_range(&holders, &around, shown, (m, true), bounds);
                    let sd_decides =
                        both + EPSILON < bounds.protection && sums + EPSILON >= bounds.protection;
                    sd_decides.then_some(narrowest).flatten()
                });
                let Some(culprit) = short else {
                    continue;
                };
                let Some((h, edge)) = self.remedy(layout, shown, culprit, bounds) else {
                    continue;
                };
                let Some(s) = shown.get_mut(h).and_then(|s| s.as_mut()) else {
                    continue;
                };
                s.sd_at_most = edge;
                s.exact = false;
                taken.update(layout, shown, h);
                match widened.iter_mut().find(|w| w.0 == h) {
                    Some(w) => w.1 = edge,
                    None => widened.push((h, edge)),
                }
                again.push(g);
            }
            pending = again;
        }
        widened
    }

    /// The band that takes what `culprit` says of a group away: the cell and its new edge, or
    /// `None` when no band can say less.
    ///
    /// A cell's own sd interval: the cell's band, widened. A rest: the holder's band,
    /// widened, except where the holder is the organisation's (whole or cut) and still shows
    /// its sd, which every row's test against the rest of the organisation uses: there the
    /// sd of the cell taken out with the largest sum of squares is withheld (banded at the
    /// most it can be, so it says nothing), and only with no such sd left is the
    /// organisation's band widened after all.
    fn remedy(
        &self,
        layout: &Layout,
        shown: &[Option<ShownSpread>],
        culprit: Culprit,
        bounds: MeanBounds,
    ) -> Option<(usize, f64)> {
        let spread = |cell: usize| shown.get(cell).copied().flatten();
        let (h, edge) = match culprit {
            Culprit::Own(h) => (h, self.edge_for_own(&spread(h)?, bounds)),
            Culprit::Rest(rest) => {
                let holder = spread(rest.holder)?;
                let widen_holder = (rest.holder, self.edge_for_rest(&holder, rest.taken, bounds));
                let organisation = rest.holder < layout.cells_per_unit();
                if !holder.exact || !organisation {
                    widen_holder
                } else {
                    // The exact sds among the cells taken, and inside those taken with a band
                    // (their parts' squares still count).
                    let per_unit = layout.cells_per_unit().max(1);
                    let mut cells = rest.cells(layout, shown);
                    let mut best: Option<(f64, usize)> = None;
                    while let Some(c) = cells.pop() {
                        let Some(s) = spread(c) else { continue };
                        if s.exact {
                            let squares = (s.n as f64 - 1.0) * s.sd_at_most * s.sd_at_most;
                            if best.is_none_or(|(b, _)| squares > b) {
                                best = Some((squares, c));
                            }
                        } else {
                            let (unit, offset) = (c / per_unit, c % per_unit);
                            for &child in layout.tree.children(unit) {
                                largest_shown(layout, shown, child, offset, &mut cells);
                            }
                        }
                    }
                    match best {
                        Some((_, c)) => (c, most_sd(&spread(c)?, bounds)),
                        None => widen_holder,
                    }
                }
            }
        };
        let s = spread(h)?;
        // A band only ever widens; an exact sd becomes a band even at its own value.
        (edge > s.sd_at_most || (s.exact && edge >= s.sd_at_most)).then_some((h, edge))
    }

    /// An edge at which every group of up to k - 1 inside the cell may lie anywhere on the
    /// scale, and no more than the largest sd the cell can have ([`most_sd`]: there the sd
    /// says no more than the sums). The cell's sd interval did not yet span it, so the sd is
    /// below this edge: the band stays true.
    fn edge_for_own(&self, s: &ShownSpread, bounds: MeanBounds) -> f64 {
        let m = self.cap.min(s.n.saturating_sub(1)).max(1);
        let far = (bounds.highest - s.mean).max(s.mean - bounds.lowest);
        (((far / stray_per_sd(s.n, m)) * 100.0).ceil() / 100.0).min(most_sd(s, bounds))
    }

    /// An edge at which every group of up to k - 1 inside the rest of the cell (it less
    /// `taken`) may lie anywhere on the scale, and no more than the largest sd the cell can
    /// have ([`most_sd`]: there the rest says no more than its sums).
    fn edge_for_rest(&self, s: &ShownSpread, taken: Taken, bounds: MeanBounds) -> f64 {
        let rest = s.n.saturating_sub(taken.n);
        let m = self.cap.min(rest.saturating_sub(1)).max(1);
        let (n, r, mf) = (s.n as f64, rest as f64, m as f64);
        let total = n * s.mean - taken.sum;
        let mean = total / r;
        let far = (bounds.highest - mean).max(mean - bounds.lowest);
        // The rest's sum of squared deviations that lets a group of m stray `far`, and the
        // cell's sd that leaves the rest that much.
        let needed = far * far * r * mf / (r - mf);
        let squares = needed + taken.squares + total * total / r - n * s.mean * s.mean;
        let sd = (squares.max(0.0) / (n - 1.0).max(1.0)).sqrt();
        ((sd * 100.0).ceil() / 100.0).min(most_sd(s, bounds))
    }
}

/// A shown cell's figures that bound its spread: n and the mean (exact, as the JSON API gives
/// them), and the sd or its band, if shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShownFigures {
    pub n: u64,
    pub mean: f64,
    pub sd: Option<f64>,
    pub sd_below: Option<f64>,
}

/// Each cell's spread as a reader of a release has it, from its shown n, mean and sd (or the
/// sd's band), for [`check_spreads`] and [`Parts::widen`].
pub fn shown_spreads(
    status: &[CellStatus],
    figures: impl Iterator<Item = Option<ShownFigures>>,
) -> Vec<Option<ShownSpread>> {
    status
        .iter()
        .zip(figures)
        .map(|(s, f)| {
            let f = f.filter(|_| *s == CellStatus::Shown)?;
            let (sd_at_most, exact) = match (f.sd, f.sd_below) {
                (_, Some(edge)) => (edge, false),
                (Some(sd), None) => (sd, true),
                (None, None) => (f64::INFINITY, false),
            };
            Some(ShownSpread {
                n: f.n,
                mean: f.mean,
                sd_at_most,
                exact,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::UnitTree;
    use proptest::prelude::*;

    /// The width of `[mean - stray, mean + stray]` within the scale's bounds.
    fn width_within(bounds: MeanBounds, mean: f64, stray: f64) -> f64 {
        (bounds.highest.min(mean + stray) - bounds.lowest.max(mean - stray)).max(0.0)
    }

    fn one_to_five() -> MeanBounds {
        MeanBounds::with_share(1.0, 5.0, 0.5)
    }

    #[test]
    fn the_safe_sd_has_exact_figures() {
        // n = 10, k = 5: a group of 4 strays at most s * sqrt(9 * 6 / 40) = 1.1619 s; a
        // 2-point interval in the middle of 1..5 needs 1 / 1.1619 = 0.8607.
        let safe = smallest_safe_sd(10, 3.0, 4, one_to_five()).unwrap();
        assert!((safe - 0.860_662).abs() < 1e-6, "{safe}");
        // Near the top (4.6: 0.4 of room above) the interval must reach 1.6 below the mean.
        let safe = smallest_safe_sd(10, 4.6, 4, one_to_five()).unwrap();
        assert!((safe - 1.6 / 1.161_895).abs() < 1e-6, "{safe}");
        // Larger cells need less spread: 100 respondents, 0.2054.
        let safe = smallest_safe_sd(100, 3.0, 4, one_to_five()).unwrap();
        assert!((safe - 1.0 / (99.0_f64 * 96.0 / 400.0).sqrt()).abs() < 1e-9);
        // P2 off, or no group that fits.
        assert_eq!(
            smallest_safe_sd(10, 3.0, 4, MeanBounds::with_share(1.0, 5.0, 0.0)),
            None
        );
        assert_eq!(smallest_safe_sd(1, 3.0, 4, one_to_five()), None);
    }

    #[test]
    fn an_sd_below_the_safe_one_is_banded_at_its_edge_rounded_up() {
        // Safe sd 0.8607: the API gives the sd exactly, so 0.857 (0.86 on a page) is banded.
        assert_eq!(sd_band(10, 3.0, 0.857, 4, one_to_five()), Some(0.87));
        assert_eq!(sd_band(10, 3.0, 0.861, 4, one_to_five()), None);
        assert_eq!(sd_band(10, 3.0, 1.2, 4, one_to_five()), None);
        assert_eq!(sd_band(100, 3.0, 0.1, 4, one_to_five()), Some(0.21));
    }

    proptest! {
        /// The stray bound holds: no part of a cell has a mean further from the cell's than
        /// it allows (the top and the bottom m values are the furthest parts).
        #[test]
        fn no_part_strays_further_than_the_sd_allows(
            mut values in prop::collection::vec(1u8..=5, 2..30),
            m in 1usize..29,
        ) {
            let n = values.len();
            prop_assume!(m < n);
            values.sort_unstable();
            let x: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
            let mean = x.iter().sum::<f64>() / n as f64;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
            let bound = var.sqrt() * stray_per_sd(n as u64, m as u64);
            let low = x[..m].iter().sum::<f64>() / m as f64;
            let high = x[n - m..].iter().sum::<f64>() / m as f64;
            prop_assert!(mean - low <= bound + 1e-9);
            prop_assert!(high - mean <= bound + 1e-9);
        }

        /// What the band lets through is what the auditor passes: a cell whose sd is shown
        /// or banded by [`sd_band`] bounds no group of up to k - 1 too narrowly, or (a band
        /// at the most the sd can be) no more narrowly than the cell's sum does.
        #[test]
        fn a_shown_or_banded_sd_passes_the_auditor(
            n in 5u64..200,
            mean in 1.0f64..5.0,
            sd in 0.0f64..2.0,
            k in 3usize..8,
            m in 1u64..8,
        ) {
            prop_assume!(m < k as u64 && n >= k as u64);
            let bounds = one_to_five();
            let at_most = sd_band(n, mean, sd, k as u64 - 1, bounds).unwrap_or(sd);
            let stray = at_most * stray_per_sd(n, m);
            let (nf, mf) = (n as f64, m as f64);
            let by_sum = (
                ((nf * mean - (nf - mf) * bounds.highest) / mf).max(bounds.lowest),
                ((nf * mean - (nf - mf) * bounds.lowest) / mf).min(bounds.highest),
            );
            let adds_nothing = mean - stray <= by_sum.0 + 1e-6 && mean + stray >= by_sum.1 - 1e-6;
            prop_assert!(
                width_within(bounds, mean, stray) + EPSILON >= bounds.protection || adds_nothing
            );
        }
    }

    #[test]
    fn a_cell_leaves_room_only_for_the_groups_that_can_lie_inside_it() {
        // Org > Team > Leaf, and Org > Other (a leaf); k = 5.
        let tree = || UnitTree::new(vec![None, Some(0), Some(1), Some(0)]).unwrap();
        let hidden = |n| vec![CellStatus::BelowMin; n];
        // Without attributes and without the roster: a leaf holds no group.
        let plain = Layout::new(tree(), vec![]);
        let parts = Parts::new(&plain, None, 5);
        assert_eq!(parts.largest(&plain, &hidden(4)), vec![4, 4, 0, 0]);
        // A shown cell below counts only by what it holds: with Team and Other shown, Org
        // holds its direct members (up to 4 without the roster), Team its Leaf.
        let mut status = hidden(4);
        status[1] = CellStatus::Shown;
        status[3] = CellStatus::Shown;
        assert_eq!(parts.largest(&plain, &status), vec![4, 4, 0, 0]);
        // With one attribute of two values, a leaf's whole cell holds its cuts; a cut of a
        // leaf holds nothing.
        let cut = Layout::new(tree(), vec![2]);
        assert_eq!(
            Parts::new(&cut, None, 5).largest(&cut, &hidden(12)),
            vec![4, 4, 4, 4, 4, 4, 4, 0, 0, 4, 0, 0]
        );
        // With the roster a group has no more respondents than invited people: Leaf invites
        // 2 + 1, Team itself 1 (value 0), Other 9 (all value 1); nobody sits in Org itself.
        let at = |unit, v: Option<usize>| Placement {
            unit,
            values: vec![v],
        };
        let invited = [
            (at(2, Some(0)), 2),
            (at(2, Some(1)), 1),
            (at(1, Some(0)), 1),
            (at(3, Some(1)), 9),
        ];
        let parts = Parts::new(&cut, Some(&invited), 5);
        assert_eq!(
            parts.largest(&cut, &hidden(12)),
            // Org: Other's 9 capped at 4; its value-0 cut holds Team's 3, its value-1 cut
            // Other's 9. Team: Leaf (3), its cuts (3 and 1); Team's value-0 cut: Leaf's 2 and
            // Team's own direct 1; value 1: Leaf's 1. Leaf: its cuts, 2. Other: its cut 9.
            vec![4, 3, 4, 3, 2, 1, 2, 0, 0, 4, 0, 0]
        );
        // Other and its value-1 cut shown: they are no groups, and hold none. Org's value-1
        // cut then holds only Team's 1; Org itself still holds Team (4 invited).
        let mut status = hidden(12);
        status[9] = CellStatus::Shown;
        status[11] = CellStatus::Shown;
        assert_eq!(
            parts.largest(&cut, &status),
            vec![4, 3, 1, 3, 2, 1, 2, 0, 0, 0, 0, 0]
        );
    }

    /// A review's example: a team's tenure band of three is held by the team (mean 4.0, sd
    /// 0.9) and by the organisation's cut of that band (mean 3.0, sd below 0.30). Each
    /// leaves the band's mean a range over 2 points, but a reader intersects them:
    /// [2.70, 5] and [1.82, 4.18] leave 1.48.
    #[test]
    fn holders_are_read_together_and_the_narrowest_is_widened() {
        let layout = Layout::new(UnitTree::new(vec![None, Some(0)]).unwrap(), vec![2]);
        // Cells: Org, Org new, Org old, Team, Team new (the group), Team old.
        let cell_n = [100, 50, 50, 10, 3, 7];
        let spread = |n, mean, sd| {
            Some(ShownSpread {
                n,
                mean,
                sd_at_most: sd,
                exact: true,
            })
        };
        let mut shown = [
            spread(100, 3.5, 1.5),
            spread(50, 3.0, 0.30),
            spread(50, 4.0, 1.2),
            spread(10, 4.0, 0.9),
            None,
            spread(7, 4.0, 1.0),
        ];
        let narrow = check_spreads(&layout, &cell_n, &shown, 5, one_to_five());
        assert_eq!(narrow.len(), 1, "{narrow:?}");
        assert_eq!(
            (narrow[0].group.unit, narrow[0].group.cut),
            (1, Some((0, 0)))
        );
        let team = 0.9 * (9.0_f64 * 7.0 / 30.0).sqrt();
        let band = 0.30 * (49.0_f64 * 47.0 / 150.0).sqrt();
        let expected = (3.0 + band) - (4.0 - team);
        assert!((narrow[0].width - expected).abs() < 1e-9, "{narrow:?}");
        // Protection takes the band as large as it may be (4 without the roster) and widens
        // the holder with the narrower sd interval there: the organisation's cut (2.01 points
        // against the team's 2.09), until its sd says nothing: its mean 3.0 is 2 points from
        // either end, so the edge is 2 / sqrt(49 * 46 / 200) = 0.596, shown as 0.60.
        let mut status = vec![CellStatus::Shown; 6];
        status[4] = CellStatus::BelowMin;
        let parts = Parts::new(&layout, None, 5);
        let widened = parts.widen(&layout, &status, &mut shown, one_to_five());
        assert_eq!(widened, vec![(1, 0.60)]);
        assert!(check_spreads(&layout, &cell_n, &shown, 5, one_to_five()).is_empty());
    }

    /// A team of 8 inside a root of 20; the team's sd is what the reader sees.
    fn team_in_root(team_sd: f64) -> Vec<NarrowGroup> {
        let layout = Layout::new(UnitTree::new(vec![None, Some(0), Some(1)]).unwrap(), vec![]);
        // Root 20, team 8 (of which its child holds 3: hidden, a group under k), child 3.
        let cell_n = [20, 8, 3];
        let spread = |n, sd| {
            Some(ShownSpread {
                n,
                mean: 3.0,
                sd_at_most: sd,
                exact: true,
            })
        };
        let shown = [spread(20, 1.5), spread(8, team_sd), None];
        check_spreads(&layout, &cell_n, &shown, 5, one_to_five())
    }

    #[test]
    fn the_auditor_lists_the_groups_a_shown_sd_bounds_too_narrowly() {
        // The child (3 respondents) is the only group (the team's direct members are
        // 8 - 3 = 5 >= k); it strays at most 0.4 * sqrt(7 * 5 / 24) = 0.48 from 3.0.
        let narrow = team_in_root(0.4);
        assert_eq!(narrow.len(), 1, "{narrow:?}");
        assert_eq!(narrow[0].group.unit, 2);
        assert_eq!(narrow[0].n, 3);
        let expected = 2.0 * 0.4 * (7.0_f64 * 5.0 / 24.0).sqrt();
        assert!((narrow[0].width - expected).abs() < 1e-9);
        // With the band's edge the reader can say no more than the level allows.
        let edge = sd_band(8, 3.0, 0.4, 4, one_to_five()).unwrap();
        assert!(team_in_root(edge).is_empty());
    }

    fn exact(n: u64, mean: f64, sd: f64) -> Option<ShownSpread> {
        Some(ShownSpread {
            n,
            mean,
            sd_at_most: sd,
            exact: true,
        })
    }

    /// A review's example: a team of 20 (mean 3.00, sd 0.52: enough for the team alone,
    /// 0.513 is) and a shown sub-team of 10 with the same mean, its sd banded. Sums of squares
    /// add up, so the other 10 have at most 19 * 0.52^2 = 5.14 of them, and a group of 4
    /// among them strays at most sqrt(5.14 * 6 / 40) = 0.88 from their mean of 3.00.
    #[test]
    fn the_rest_of_a_team_less_its_shown_sub_team_is_read_too() {
        // Team > Sub (10, shown), A (4, the group), B (6, hidden with it).
        let layout = Layout::new(
            UnitTree::new(vec![None, Some(0), Some(0), Some(0)]).unwrap(),
            vec![],
        );
        let cell_n = [20, 10, 4, 6];
        let banded = Some(ShownSpread {
            n: 10,
            mean: 3.0,
            sd_at_most: 0.87,
            exact: false,
        });
        let mut shown = [exact(20, 3.0, 0.52), banded, None, None];
        let narrow = check_spreads(&layout, &cell_n, &shown, 5, one_to_five());
        assert_eq!(narrow.len(), 1, "{narrow:?}");
        assert_eq!((narrow[0].group.unit, narrow[0].n), (2, 4));
        let expected = 2.0 * (19.0 * 0.52_f64 * 0.52 * 6.0 / 40.0).sqrt();
        assert!((narrow[0].width - expected).abs() < 1e-9, "{narrow:?}");
        // The team's band is widened until the rest says nothing of a group of 4: the rest
        // needs 2^2 * 10 * 4 / 6 = 26.67 of squared deviations, so the team's sd may be up
        // to sqrt(26.67 / 19) = 1.185, shown as "below 1.19".
        let status = [
            CellStatus::Shown,
            CellStatus::Shown,
            CellStatus::BelowMin,
            CellStatus::Complementary,
        ];
        let widened =
            Parts::new(&layout, None, 5).widen(&layout, &status, &mut shown, one_to_five());
        assert_eq!(widened, vec![(0, 1.19)]);
        assert!(check_spreads(&layout, &cell_n, &shown, 5, one_to_five()).is_empty());
    }

    /// An organisation of 30 shows its sd and that of its 20 people of one value: the other
    /// value's 10, all of whom scored 3, are then known to have no spread at all, and a team's
    /// 4 of them are pinned to 3.0 though no shown cell holds just them.
    #[test]
    fn the_rest_of_a_whole_cell_less_its_other_values_is_read_too() {
        // Org > Team, Other; one attribute of two values. Cells per unit: whole, v0, v1.
        let layout = Layout::new(
            UnitTree::new(vec![None, Some(0), Some(0)]).unwrap(),
            vec![2],
        );
        let cell_n = [30, 10, 20, 10, 4, 6, 20, 6, 14];
        // v1: ten at 1 and ten at 5 (sd sqrt(80 / 19)); v0 all at 3.
        let mut shown = [
            exact(30, 3.0, (80.0_f64 / 29.0).sqrt()),
            None,
            exact(20, 3.0, (80.0_f64 / 19.0).sqrt()),
            None,
            None,
            None,
            None,
            None,
            None,
        ];
        let narrow = check_spreads(&layout, &cell_n, &shown, 5, one_to_five());
        assert_eq!(narrow.len(), 1, "{narrow:?}");
        assert_eq!(
            (narrow[0].group.unit, narrow[0].group.cut, narrow[0].n),
            (1, Some((0, 0)), 4)
        );
        assert!(narrow[0].width < 1e-6, "{narrow:?}");
        // The organisation keeps its sd: the one taken out of it is withheld instead, banded
        // at the most a cell of 20 with mean 3 can have, sqrt(20 * 2 * 2 / 19) = 2.052.
        let mut status = vec![CellStatus::BelowMin; 9];
        status[0] = CellStatus::Shown;
        status[2] = CellStatus::Shown;
        let parts = Parts::new(&layout, None, 5);
        let widened = parts.widen(&layout, &status, &mut shown.clone(), one_to_five());
        assert_eq!(widened, vec![(2, 2.06)]);
        let mut banded = shown;
        banded[2] = Some(ShownSpread {
            n: 20,
            mean: 3.0,
            sd_at_most: 2.06,
            exact: false,
        });
        assert!(check_spreads(&layout, &cell_n, &banded, 5, one_to_five()).is_empty());
        // Where the organisation's sd is a band already (say its people answered closer, and
        // it reads "below 0.45"), that band is widened instead: it leaves the other value's
        // 10 at most 29 * 0.45^2 = 5.87 of squared deviations, a range of 1.88 for a group of
        // 4; they need 2^2 * 10 * 4 / 6 = 26.67 to lie anywhere, and the sd taken out gives
        // none, so sqrt((26.67 + 180 + 90 - 270) / 29) = 0.959, "below 0.96".
        shown[0] = Some(ShownSpread {
            n: 30,
            mean: 3.0,
            sd_at_most: 0.45,
            exact: false,
        });
        shown[2] = banded[2];
        assert_eq!(
            check_spreads(&layout, &cell_n, &shown, 5, one_to_five()).len(),
            1
        );
        let widened = parts.widen(&layout, &status, &mut shown, one_to_five());
        assert_eq!(widened, vec![(0, 0.96)]);
        assert!(check_spreads(&layout, &cell_n, &shown, 5, one_to_five()).is_empty());
    }
}
