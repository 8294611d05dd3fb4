//! P2 (docs/privacy.md, D7): no mean of a small group can be narrowed down.
//!
//! # The reader
//!
//! The reader of P1, who also knows how many people answered in every atom (a unit's direct
//! members with one combination of attribute values): every count is taken as known, which
//! only makes the reader stronger. Every shown cell gives the sum of its respondents' values
//! (its mean times its count; the 2-decimal rounding is ignored, which again only helps the
//! reader), and every respondent's value lies within the scale's bounds. For an item, a shown
//! cell's distribution gives how many of its respondents gave each answer, not only the sum.
//!
//! # The promise
//!
//! For every group `g` (a cell, or a unit's direct members, whole or with one attribute value)
//! with `1 <= n_g < k` respondents of the measure, the smallest and the largest mean of `g`
//! consistent with the release lie at least the protection level apart (by default half the
//! scale's range): tau-ARGUS's protection interval.
//!
//! # The certificate
//!
//! Atoms in exactly the same shown cells form a class, as in P1. Hold every class's total (for
//! an item: its count of each answer) at its true value: every shown cell still adds up, so
//! any spread of a class's total over its respondents is consistent with the release. The part
//! of `g` in class `C` (`m` of `C`'s respondents, `r` others) can then take any sum in
//! `[max(m·lo, T − r·hi), min(m·hi, T − r·lo)]` for a score (`T` the class total), or any sum
//! of `m` of the class's answers for an item; the classes vary independently. The sum of those
//! widths, divided by `n_g`, is a width of `g`'s mean the release cannot rule out: a proof, so
//! a group whose certified width reaches the protection level is safe. The certificate is
//! exact without attributes (the classes are the residual rows of D4 and their totals follow
//! from the release); with attributes the reader may know less than every class total, so
//! the true width can be larger. The property tests compare it with a linear program over
//! the atoms' sums.
//!
//! # Protection
//!
//! [`protect_means`] runs after D4 and P1: without report attributes for every group of every
//! scale and item, with them for the whole-unit groups of scales only (the certificates are
//! too coarse there for the rest; see [`protect_means`]). While some group is narrower than
//! the protection level, each such group hides one more shown cell: of the cells that bound its classes and
//! the shown cells right below those, the one with the fewest respondents (cut cells first on
//! a tie), never the root's whole cell. Hiding only removes equations, so no width shrinks
//! and D4 and P1 still hold. A group still too narrow when only the root's whole cell is
//! left to hide (the whole organisation answered near one end of the scale) is returned as an
//! exception, and the release counts it.

use super::projection::ProjectionIndex;
use super::{CellKey, CellStatus, CountGroup, Layout, Placement};
use rustc_hash::FxHashMap as HashMap;

/// One measure's answers, one entry per respondent of the release (`None`: not in the measure).
#[derive(Clone, Copy, Debug)]
pub enum MeanAnswers<'a> {
    /// A scale's scores, each within the bounds.
    Scores(&'a [Option<f64>]),
    /// An item's answers as points of the scale: `0` is the lowest answer, `points - 1` the
    /// highest. Shown cells publish how many gave each point.
    Points {
        of: &'a [Option<usize>],
        points: usize,
    },
}

/// The reader's bounds and the width P2 asks for, in the measure's own units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanBounds {
    /// The lowest and highest value one respondent can have (for items: of the points, so
    /// `0` and `points - 1`).
    pub lowest: f64,
    pub highest: f64,
    /// The smallest width of a small group's possible means.
    pub protection: f64,
}

impl MeanBounds {
    /// Bounds with the protection level as a share of the range (P2's default: one half).
    pub fn with_share(lowest: f64, highest: f64, share: f64) -> Self {
        MeanBounds {
            lowest,
            highest,
            protection: (highest - lowest) * share,
        }
    }
}

/// A group whose possible means are narrower than the protection level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NarrowGroup {
    pub group: CountGroup,
    /// Its respondents.
    pub n: u64,
    /// The certified width of its possible means.
    pub width: f64,
}

/// What the mean check found for one measure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeanCheck {
    /// Groups under k narrower than the protection level.
    pub narrow: Vec<NarrowGroup>,
}

/// Guards the comparison of widths against the rounding of sums of floats (and the simplex's
/// tolerances).
const EPSILON: f64 = 1e-6;

/// The most variables one group's linear program may have; a larger region keeps the
/// certificate's (smaller) width.
const LP_LIMIT: usize = 4_000;

/// A release's respondents grouped by atom once, for all its measures: P2 checks every scale
/// and item, and grouping 100,000 placements by hashing them took a seventh of a release's
/// protection when it was done per measure.
pub struct AtomIndex {
    /// The distinct placements, in placement order.
    placements: Vec<Placement>,
    /// Per respondent: its placement's index.
    of: Vec<usize>,
}

impl AtomIndex {
    /// `placements`: one per respondent of the release.
    pub fn new(placements: &[Placement]) -> Self {
        let mut distinct: Vec<&Placement> = placements.iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        let index: HashMap<&Placement, usize> =
            distinct.iter().enumerate().map(|(a, &p)| (p, a)).collect();
        AtomIndex {
            of: placements.iter().map(|p| index[p]).collect(),
            placements: distinct.into_iter().cloned().collect(),
        }
    }
}

/// A group under k: which one, its atoms, its respondents.
type SmallGroup = (CountGroup, Vec<usize>, u64);

/// A unit's direct members with one cut: their atoms and respondents.
type Direct = HashMap<(usize, Option<(usize, usize)>), (Vec<usize>, u64)>;

/// The respondents of one measure grouped by atom, and the groups under k.
struct Model<'a> {
    layout: &'a Layout,
    /// The atoms with respondents of this measure, in placement order (so that classes,
    /// swaps and ties do not depend on the order of the answer sheets).
    atoms: Vec<&'a Placement>,
    /// Respondents per atom.
    n: Vec<u64>,
    /// Sum of values per atom (scores), or count per point per atom (items, `points` wide).
    sum: Vec<f64>,
    counts: Vec<u64>,
    points: usize,
    /// Respondents per cell.
    cell_n: Vec<u64>,
    /// Atoms per unit (their direct members).
    by_unit: Vec<Vec<usize>>,
    /// Signature positions: the whole unit, then one per attribute.
    width: usize,
    /// Per atom and position: the offset of its cell within a unit's cells ([`Model::offsets`]).
    offsets: Vec<usize>,
    groups: Vec<SmallGroup>,
    bounds: MeanBounds,
}

impl<'a> Model<'a> {
    fn new(
        layout: &'a Layout,
        respondents: &'a AtomIndex,
        answers: MeanAnswers<'_>,
        k: usize,
        bounds: MeanBounds,
    ) -> Self {
        let points = match answers {
            MeanAnswers::Scores(_) => 0,
            MeanAnswers::Points { points, .. } => points,
        };
        let mut model = Model {
            layout,
            atoms: Vec::new(),
            n: Vec::new(),
            sum: Vec::new(),
            counts: Vec::new(),
            points,
            cell_n: vec![0; layout.cell_count()],
            by_unit: vec![Vec::new(); layout.tree.len()],
            width: 1 + layout.value_counts.len(),
            offsets: Vec::new(),
            groups: Vec::new(),
            bounds,
        };
        // Tallied per placement of the release, then the placements without a respondent of
        // this measure left out.
        let all = respondents.placements.len();
        let (mut n, mut sum, mut counts) = (vec![0u64; all], vec![0.0; all], vec![0; all * points]);
        for (r, &a) in respondents.of.iter().enumerate() {
            let (value, point) = match answers {
                MeanAnswers::Scores(of) => match of.get(r).copied().flatten() {
                    Some(v) => (v, 0),
                    None => continue,
                },
                MeanAnswers::Points { of, points } => match of.get(r).copied().flatten() {
                    Some(p) if p < points => (p as f64, p),
                    _ => continue,
                },
            };
            n[a] += 1;
            sum[a] += value;
            if points > 0 {
                counts[a * points + point] += 1;
            }
        }
        for (a, placement) in respondents.placements.iter().enumerate() {
            if n[a] > 0 {
                model.atoms.push(placement);
                model.n.push(n[a]);
                model.sum.push(sum[a]);
                model
                    .counts
                    .extend_from_slice(&counts[a * points..(a + 1) * points]);
            }
        }
        let families = layout.cells_per_unit();
        for (a, atom) in model.atoms.iter().enumerate() {
            model.by_unit[atom.unit].push(a);
            model.offsets.push(0);
            for (i, v) in atom.values.iter().enumerate() {
                model.offsets.push(match *v {
                    Some(v) => {
                        layout.cell_index(CellKey {
                            unit: atom.unit,
                            cut: Some((i, v)),
                        }) - atom.unit * families
                    }
                    None => usize::MAX,
                });
            }
        }
        let mut cell_n = std::mem::take(&mut model.cell_n);
        for a in 0..model.atoms.len() {
            let n = model.n[a];
            model.for_cells_of(a, |cell| cell_n[cell] += n);
        }
        model.cell_n = cell_n;
        model.groups = model.small_groups(k as u64);
        model
    }

    /// Calls `f` with every cell atom `a` is in: its unit's and every ancestor's whole cell,
    /// and their cuts of the atom's values.
    fn for_cells_of(&self, a: usize, mut f: impl FnMut(usize)) {
        let layout = self.layout;
        let families = layout.cells_per_unit();
        let mut unit = Some(self.atoms[a].unit);
        while let Some(u) = unit {
            for &offset in self.offsets(a) {
                if offset != usize::MAX {
                    f(u * families + offset);
                }
            }
            unit = layout.tree.parent(u);
        }
    }

    /// Atom `a`'s cells within a unit, one per signature position: the whole cell (0), then
    /// per attribute the cut of the atom's value (`usize::MAX` without a value).
    fn offsets(&self, a: usize) -> &[usize] {
        &self.offsets[a * self.width..(a + 1) * self.width]
    }

    /// Every group with 1 to k - 1 respondents: cells, and non-leaf units' direct members
    /// (whole and per attribute value).
    fn small_groups(&self, k: u64) -> Vec<SmallGroup> {
        let layout = self.layout;
        let small = |n: u64| n >= 1 && n < k;
        let mut by_cell: HashMap<usize, Vec<usize>> = HashMap::default();
        let mut direct: Direct = HashMap::default();
        for a in 0..self.atoms.len() {
            self.for_cells_of(a, |cell| {
                if small(self.cell_n[cell]) {
                    by_cell.entry(cell).or_default().push(a);
                }
            });
            let atom = &self.atoms[a];
            if layout.tree.children(atom.unit).is_empty() {
                continue; // a leaf's direct members are its cell
            }
            let cuts = std::iter::once(None).chain(
                atom.values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| Some((i, v)))),
            );
            for cut in cuts {
                let entry = direct.entry((atom.unit, cut)).or_default();
                entry.0.push(a);
                entry.1 += self.n[a];
            }
        }
        let mut groups: Vec<SmallGroup> = by_cell
            .into_iter()
            .map(|(cell, atoms)| {
                let key = layout.cell_key(cell);
                let group = CountGroup {
                    unit: key.unit,
                    cut: key.cut,
                    direct: false,
                };
                (group, atoms, self.cell_n[cell])
            })
            .collect();
        groups.extend(direct.into_iter().filter(|(_, (_, n))| small(*n)).map(
            |((unit, cut), (atoms, n))| {
                let group = CountGroup {
                    unit,
                    cut,
                    direct: true,
                };
                (group, atoms, n)
            },
        ));
        for group in &mut groups {
            group.1.sort_unstable(); // searched by the linear program
        }
        groups.sort_unstable_by_key(|g| g.0);
        groups
    }

    /// The groups narrower than the protection level under `status`, and the classes.
    /// `settled[i]`: group `i` was wide enough under fewer hidden cells, so it still is (hiding
    /// only removes equations); such groups are skipped, and groups found wide are marked.
    /// `exact_when_short`: a group the certificate finds too narrow gets the linear program
    /// (only with attributes; without them the certificate is exact).
    fn check(
        &self,
        status: &[CellStatus],
        settled: &mut [bool],
        exact_when_short: bool,
    ) -> (Vec<NarrowGroup>, Vec<usize>, Classes) {
        let exact_when_short = exact_when_short && !self.layout.value_counts.is_empty();
        let classes = Classes::new(self, status);
        let swaps: std::cell::OnceCell<Swaps> = std::cell::OnceCell::new();
        let mut narrow = Vec::new();
        let mut failing = Vec::new();
        let mut parts: Vec<(usize, u64)> = Vec::new();
        for (i, (group, atoms, n)) in self.groups.iter().enumerate() {
            if settled[i] {
                continue;
            }
            parts.clear();
            for &a in atoms {
                let c = classes.class[a];
                match parts.iter_mut().find(|p| p.0 == c) {
                    Some(p) => p.1 += self.n[a],
                    None => parts.push((c, self.n[a])),
                }
            }
            let mut width: f64 = parts
                .iter()
                .map(|&(c, m)| classes.width(self, c, m))
                .sum::<f64>()
                / *n as f64;
            if width + EPSILON < self.bounds.protection && self.points == 0 && classes.width > 1 {
                let swaps = swaps.get_or_init(|| Swaps::new(&classes));
                width = width.max(swaps.width(self, &classes, &parts) / *n as f64);
            }
            if width + EPSILON < self.bounds.protection && exact_when_short {
                // The certificate holds every class total; with attributes the reader may
                // know less (without, the classes are D4's residual rows, whose totals follow
                // from the release).
                if let Some(exact) = self.lp_width(i, &classes) {
                    width = width.max(exact);
                }
            }
            if width + EPSILON < self.bounds.protection {
                narrow.push(NarrowGroup {
                    group: *group,
                    n: *n,
                    width,
                });
                failing.push(i);
            } else {
                settled[i] = true;
            }
        }
        (narrow, failing, classes)
    }

    /// Whether group `i` could be wide enough at all: with every cell hidden but the root's
    /// whole cell (one class of everybody, whose total the reader knows). A group that cannot
    /// is left as an exception at once instead of hiding cells that would not help it.
    fn could_be_wide(&self, i: usize, everybody: &Classes) -> bool {
        let (_, members, n) = &self.groups[i];
        let m: u64 = members.iter().map(|&a| self.n[a]).sum();
        everybody.width(self, 0, m) / *n as f64 + EPSILON >= self.bounds.protection
    }

    /// The width of group `i`'s possible means by a linear program, with every atom outside
    /// the group's region held at its true value (which only narrows the range, so the width
    /// is still one the release cannot rule out). The region is the subtree of the highest
    /// shown cell bounding the group's classes, so that moves through the cut cells above the
    /// group (two teams swapping attribute values) are in it. Atoms of one class are
    /// interchangeable, so the program has one variable per class and side of the group (for
    /// an item: per answer too), and one equation per shown row of each family: the classes
    /// with the same nearest shown cell there. `None` when the region has more than
    /// [`LP_LIMIT`] variables, or the solver fails.
    fn lp_width(&self, i: usize, classes: &Classes) -> Option<f64> {
        use microlp::{ComparisonOp, OptimizationDirection, Problem};
        let layout = self.layout;
        let families = layout.cells_per_unit();
        let (_, members, n) = &self.groups[i];
        let region_root = members
            .iter()
            .flat_map(|&a| classes.signature(classes.class[a]).iter().copied())
            .filter(|&c| c != usize::MAX)
            .map(|c| c / families)
            .min_by_key(|&u| (layout.tree.depth(u), u))?;
        // Buckets: (class, in the group) over the region's atoms.
        let mut bucket_of: HashMap<(usize, bool), usize> = HashMap::default();
        let mut buckets: Vec<(usize, bool, u64, f64, Vec<u64>)> = Vec::new();
        let points = self.points;
        let mut stack = vec![region_root];
        while let Some(u) = stack.pop() {
            stack.extend_from_slice(layout.tree.children(u));
            for &a in self.by_unit.get(u).into_iter().flatten() {
                let key = (classes.class[a], members.binary_search(&a).is_ok());
                let b = *bucket_of.entry(key).or_insert_with(|| {
                    buckets.push((key.0, key.1, 0, 0.0, vec![0; points]));
                    buckets.len() - 1
                });
                let bucket = &mut buckets[b];
                bucket.2 += self.n[a];
                bucket.3 += self.sum[a];
                for p in 0..points {
                    bucket.4[p] += self.counts[a * points + p];
                }
            }
            if buckets.len() * points.max(1) > LP_LIMIT {
                return None;
            }
        }
        // Rows: per family, the buckets whose class has the same nearest shown cell there.
        let mut rows: HashMap<(usize, usize), Vec<usize>> = HashMap::default();
        for (b, bucket) in buckets.iter().enumerate() {
            for (f, &cell) in classes.signature(bucket.0).iter().enumerate() {
                if cell != usize::MAX {
                    rows.entry((f, cell)).or_default().push(b);
                }
            }
        }
        let MeanBounds {
            lowest, highest, ..
        } = self.bounds;
        let solve = |direction| -> Option<f64> {
            let mut problem = Problem::new(direction);
            // Deviations from the truth: the truth is the point 0 and every right-hand side
            // is exactly 0.
            let width = points.max(1);
            let mut vars = Vec::with_capacity(buckets.len() * width);
            for &(_, in_group, n_b, sum, ref counts) in &buckets {
                let n_b = n_b as f64;
                if points == 0 {
                    let coefficient = if in_group { 1.0 } else { 0.0 };
                    vars.push(problem.add_var(
                        coefficient,
                        (
                            (n_b * lowest - sum).min(0.0),
                            (n_b * highest - sum).max(0.0),
                        ),
                    ));
                } else {
                    let first = vars.len();
                    for (p, &count) in counts.iter().enumerate() {
                        let coefficient = if in_group { p as f64 } else { 0.0 };
                        let count = count as f64;
                        vars.push(problem.add_var(coefficient, (-count, n_b - count)));
                    }
                    let total: Vec<_> = vars[first..].iter().map(|&v| (v, 1.0)).collect();
                    problem.add_constraint(total, ComparisonOp::Eq, 0.0);
                }
            }
            for row in rows.values() {
                for p in 0..width {
                    let terms: Vec<_> = row.iter().map(|&b| (vars[b * width + p], 1.0)).collect();
                    problem.add_constraint(terms, ComparisonOp::Eq, 0.0);
                }
            }
            problem.solve().ok().map(|s| s.objective())
        };
        let high = solve(OptimizationDirection::Maximize)?;
        let low = solve(OptimizationDirection::Minimize)?;
        Some((high - low).max(0.0) / *n as f64)
    }

    /// The cell to hide for group `i`: of the shown cells bounding its classes and the shown
    /// cells right below those, the one with the fewest respondents (cut cells first on a
    /// tie), never a root's whole cell.
    fn cell_to_hide(&self, i: usize, classes: &Classes, status: &[CellStatus]) -> Option<usize> {
        let layout = self.layout;
        let families = layout.cells_per_unit();
        let mut candidates: Vec<usize> = Vec::new();
        for &a in &self.groups[i].1 {
            for &s in classes.signature(classes.class[a]) {
                if s == usize::MAX {
                    continue;
                }
                candidates.push(s);
                candidates.extend(classes.below.get(&s).into_iter().flatten().copied());
            }
        }
        let hideable = |c: &usize| {
            status.get(*c) == Some(&CellStatus::Shown)
                && (!c.is_multiple_of(families) || layout.tree.parent(c / families).is_some())
        };
        let order = |c: &usize| (self.cell_n[*c], c.is_multiple_of(families), *c);
        candidates
            .into_iter()
            .filter(hideable)
            .min_by_key(order)
            // A cell elsewhere can still hold a class total in place: the other values' cuts
            // above, whose complement is the group's value. With nothing near left to hide,
            // any shown cell but the organisation's own goes; with only that one shown the
            // group is as wide as it can be, which it was found able to be.
            .or_else(|| (0..status.len()).filter(hideable).min_by_key(order))
    }
}

/// The classes of one round: atoms grouped by the shown cells they are in, with each class's
/// respondents and total.
struct Classes {
    width: usize,
    /// `width` cells per class.
    signatures: Vec<usize>,
    class: Vec<usize>,
    n: Vec<u64>,
    sum: Vec<f64>,
    counts: Vec<u64>,
    /// Per shown cell: the shown cells of its family whose nearest shown ancestor it is.
    below: HashMap<usize, Vec<usize>>,
}

impl Classes {
    fn new(model: &Model<'_>, status: &[CellStatus]) -> Self {
        let layout = model.layout;
        let families = layout.cells_per_unit();
        let shown = |cell: usize| status.get(cell) == Some(&CellStatus::Shown);
        let mut nearest = vec![usize::MAX; layout.cell_count()];
        let mut below: HashMap<usize, Vec<usize>> = HashMap::default();
        for &u in layout.tree.top_down() {
            for f in 0..families {
                let cell = u * families + f;
                let above = layout
                    .tree
                    .parent(u)
                    .map_or(usize::MAX, |p| nearest[p * families + f]);
                nearest[cell] = if shown(cell) { cell } else { above };
                if shown(cell) && above != usize::MAX {
                    below.entry(above).or_default().push(cell);
                }
            }
        }
        let width = model.width;
        let points = model.points;
        let mut signatures = Vec::with_capacity(model.atoms.len() * width);
        for (a, atom) in model.atoms.iter().enumerate() {
            signatures.extend(model.offsets(a).iter().map(|&offset| {
                if offset == usize::MAX {
                    offset
                } else {
                    nearest[atom.unit * families + offset]
                }
            }));
        }
        let mut index: HashMap<&[usize], usize> = HashMap::default();
        let mut classes = Classes {
            width,
            signatures: Vec::new(),
            class: Vec::with_capacity(model.atoms.len()),
            n: Vec::new(),
            sum: Vec::new(),
            counts: Vec::new(),
            below,
        };
        for (a, signature) in signatures.chunks_exact(width).enumerate() {
            let c = match index.get(signature) {
                Some(&c) => c,
                None => {
                    let c = classes.n.len();
                    classes.signatures.extend_from_slice(signature);
                    index.insert(signature, c);
                    classes.n.push(0);
                    classes.sum.push(0.0);
                    classes.counts.extend(std::iter::repeat_n(0, points));
                    c
                }
            };
            classes.class.push(c);
            classes.n[c] += model.n[a];
            classes.sum[c] += model.sum[a];
            for p in 0..points {
                classes.counts[c * points + p] += model.counts[a * points + p];
            }
        }
        classes
    }

    /// Everybody in one class held by the root's whole cell (the most a release can hide).
    fn one(model: &Model<'_>) -> Self {
        let points = model.points;
        let mut counts = vec![0; points];
        for a in 0..model.atoms.len() {
            for (p, c) in counts.iter_mut().enumerate() {
                *c += model.counts[a * points + p];
            }
        }
        let width = model.width;
        let mut signature = vec![usize::MAX; width];
        signature[0] = 0;
        Classes {
            width,
            signatures: signature,
            class: vec![0; model.atoms.len()],
            n: vec![model.n.iter().sum()],
            sum: vec![model.sum.iter().sum()],
            counts,
            below: HashMap::default(),
        }
    }

    fn signature(&self, class: usize) -> &[usize] {
        &self.signatures[class * self.width..(class + 1) * self.width]
    }

    /// How far the sum of `m` of class `c`'s respondents can range with the class total held.
    fn width(&self, model: &Model<'_>, c: usize, m: u64) -> f64 {
        let MeanBounds {
            lowest, highest, ..
        } = model.bounds;
        let m_f = m as f64;
        if self.signature(c).iter().all(|&s| s == usize::MAX) {
            // In no shown cell: nothing holds these respondents' values.
            return m_f * (highest - lowest);
        }
        let rest = (self.n[c] - m) as f64;
        let points = model.points;
        if points == 0 {
            let total = self.sum[c];
            let high = (m_f * highest).min(total - rest * lowest);
            let low = (m_f * lowest).max(total - rest * highest);
            return (high - low).max(0.0);
        }
        // An item: the class's answers are known; the part takes any m of them.
        let counts = &self.counts[c * points..(c + 1) * points];
        let take = |order: &mut dyn Iterator<Item = usize>| -> f64 {
            let mut left = m;
            let mut sum = 0.0;
            for p in order {
                let t = left.min(counts[p]);
                sum += t as f64 * p as f64;
                left -= t;
                if left == 0 {
                    break;
                }
            }
            sum
        };
        take(&mut (0..points).rev()) - take(&mut (0..points))
    }
}

/// The swap certificate for scores with attributes: class totals are not all known to the
/// reader, only their sums per shown row of each family. Four classes whose signatures form a
/// rectangle (K1 = s, K4 = t, K2 = s on the positions A and t elsewhere, K3 = t on A and s
/// elsewhere, with the whole-unit position in A) allow moving an amount δ into K1 and K4 and
/// out of K2 and K3: every row keeps its sum (two people in different teams swap attribute
/// values, as in P1). For a group, each class it is in gets at most one rectangle of classes
/// it is not in, each used once, so the moves are independent: the widths still add up.
struct Swaps {
    /// Per mask of swapped positions: classes by their signature on the mask and off it.
    masks: Vec<(usize, ProjectionIndex, ProjectionIndex)>,
    /// Classes by their whole signature.
    by_signature: ProjectionIndex,
}

/// The most partner pairs tried for one class of a group.
const SWAP_TRIES: usize = 64;

impl Swaps {
    fn new(classes: &Classes) -> Self {
        let count = classes.n.len();
        let index =
            |mask: usize, on: bool| ProjectionIndex::new(count, |c| classes.signature(c), mask, on);
        // Every set of positions holding the whole-unit position (bit 0) but not all of them.
        let masks = (1..(1usize << classes.width) - 1)
            .filter(|m| m & 1 == 1)
            .map(|mask| (mask, index(mask, true), index(mask, false)))
            .collect();
        Swaps {
            masks,
            by_signature: index(usize::MAX, true),
        }
    }

    /// The group's certified sum width with swaps: `parts` are its classes and how many of
    /// its respondents are in each.
    fn width(&self, model: &Model<'_>, classes: &Classes, parts: &[(usize, u64)]) -> f64 {
        let MeanBounds {
            lowest, highest, ..
        } = model.bounds;
        let mine: Vec<usize> = parts.iter().map(|p| p.0).collect();
        let mut used: Vec<usize> = Vec::new();
        let up = |c: usize| classes.n[c] as f64 * highest - classes.sum[c];
        let down = |c: usize| classes.sum[c] - classes.n[c] as f64 * lowest;
        let mut total = 0.0;
        let mut t = vec![usize::MAX; classes.width];
        for &(k1, m) in parts {
            let sig = classes.signature(k1);
            let unbound = sig.iter().all(|&c| c == usize::MAX);
            let (mut raise, mut lower) = (0.0f64, 0.0f64);
            if !unbound {
                let free = |c: usize| !mine.contains(&c) && !used.contains(&c);
                let mut best: Option<(f64, f64, [usize; 3])> = None;
                let mut tries = 0;
                let signature = |c: usize| classes.signature(c);
                'search: for (mask, on, off) in &self.masks {
                    for k2 in on.matching(signature, sig).filter(|&c| c != k1 && free(c)) {
                        let k3s = off.matching(signature, sig);
                        for k3 in k3s.filter(|&c| c != k1 && c != k2 && free(c)) {
                            tries += 1;
                            if tries > SWAP_TRIES {
                                break 'search;
                            }
                            for (f, row) in t.iter_mut().enumerate() {
                                *row = if (mask >> f) & 1 == 1 {
                                    classes.signature(k3)[f]
                                } else {
                                    classes.signature(k2)[f]
                                };
                            }
                            let Some(k4) = self.by_signature.matching(signature, &t).next() else {
                                continue;
                            };
                            if k4 == k1 || k4 == k2 || k4 == k3 || !free(k4) {
                                continue;
                            }
                            let r = down(k2).min(down(k3)).min(up(k4)).max(0.0);
                            let l = up(k2).min(up(k3)).min(down(k4)).max(0.0);
                            if best.is_none_or(|b| r + l > b.0 + b.1) {
                                best = Some((r, l, [k2, k3, k4]));
                            }
                        }
                    }
                }
                if let Some((r, l, partners)) = best {
                    raise = r;
                    lower = l;
                    used.extend_from_slice(&partners);
                }
            }
            let m_f = m as f64;
            let rest = (classes.n[k1] - m) as f64;
            if unbound {
                total += m_f * (highest - lowest);
                continue;
            }
            let t = classes.sum[k1];
            let high = (m_f * highest).min(t + raise - rest * lowest);
            let low = (m_f * lowest).max(t - lower - rest * highest);
            total += (high - low).max(0.0);
        }
        total
    }
}

/// P2's check of one measure: every group under k whose possible means the certificate cannot
/// prove at least the protection level wide.
pub fn check_means(
    layout: &Layout,
    respondents: &AtomIndex,
    answers: MeanAnswers<'_>,
    status: &[CellStatus],
    k: usize,
    bounds: MeanBounds,
) -> MeanCheck {
    check_means_where(layout, respondents, answers, status, k, bounds, |_| true)
}

/// [`check_means`] for the groups `keep` selects only.
pub fn check_means_where(
    layout: &Layout,
    respondents: &AtomIndex,
    answers: MeanAnswers<'_>,
    status: &[CellStatus],
    k: usize,
    bounds: MeanBounds,
    keep: impl Fn(&CountGroup) -> bool,
) -> MeanCheck {
    let model = Model::new(layout, respondents, answers, k, bounds);
    // A group left out counts as settled: it is not looked at.
    let mut settled: Vec<bool> = model.groups.iter().map(|g| !keep(&g.0)).collect();
    MeanCheck {
        narrow: model.check(status, &mut settled, true).0,
    }
}

/// Whether [`protect_means`] protects items' answers in this layout: not with report
/// attributes (see there), so a caller need not prepare them.
pub fn protects_items(layout: &Layout) -> bool {
    layout.value_counts.is_empty()
}

/// Hides further cells of `status` until every group under k is at least the protection level
/// wide, or no hiding but the root's whole cell could make it so (see the module
/// documentation). Returns the groups left narrow: the exceptions.
///
/// With report attributes only the whole-unit groups of scores are protected (a unit's
/// subtree, and its direct members), with the class and swap certificates ([`Swaps`]); items
/// are not (`None`, nothing hidden). The certificates miss most moves that swap attribute
/// values between teams: protecting every group with them hid four in ten eligible cells of
/// the benchmark organisation, against the 5 points issue 17 allows, while whole-unit groups
/// alone cost 0.1 points. The groups left out are audited ([`check_means`], with the linear
/// program) but not protected.
pub fn protect_means(
    layout: &Layout,
    respondents: &AtomIndex,
    answers: MeanAnswers<'_>,
    status: &mut [CellStatus],
    k: usize,
    bounds: MeanBounds,
) -> Option<MeanCheck> {
    // With attributes only whole-unit groups are protected (see above); the others are
    // left out of the loop, as if settled, and out of the exceptions.
    let whole_only = !layout.value_counts.is_empty();
    if !protects_items(layout) && matches!(answers, MeanAnswers::Points { .. }) {
        return None;
    }
    let model = Model::new(layout, respondents, answers, k, bounds);
    let protected: Vec<bool> = model
        .groups
        .iter()
        .map(|g| !whole_only || g.0.cut.is_none())
        .collect();
    let mut settled: Vec<bool> = protected.iter().map(|p| !p).collect();
    let everybody = Classes::one(&model);
    let fixable: Vec<bool> = (0..model.groups.len())
        .map(|i| protected[i] && model.could_be_wide(i, &everybody))
        .collect();
    loop {
        let (narrow, failing, classes) = model.check(status, &mut settled, false);
        let mut hide: Vec<usize> = failing
            .iter()
            .filter(|&&i| fixable[i])
            .filter_map(|&i| model.cell_to_hide(i, &classes, status))
            .collect();
        hide.sort_unstable();
        hide.dedup();
        if hide.is_empty() {
            return Some(MeanCheck { narrow });
        }
        for cell in hide {
            status[cell] = CellStatus::Complementary;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::disclosure::{suppress, UnitTree};

    fn at(unit: usize) -> Placement {
        Placement {
            unit,
            values: vec![],
        }
    }

    /// Eng (0) with teams A (1, four people) and B (2, six people); everyone answered.
    fn eng() -> (Layout, Vec<Placement>) {
        let layout = Layout::new(UnitTree::new(vec![None, Some(0), Some(0)]).unwrap(), vec![]);
        let mut placements = vec![at(1); 4];
        placements.extend(vec![at(2); 6]);
        (layout, placements)
    }

    #[test]
    fn the_worked_case_of_a_high_mean_is_narrow_until_eng_is_hidden() {
        // docs/privacy.md: Eng's mean 4.8 on 1..5 leaves A's mean in [4.5, 5].
        let (layout, placements) = eng();
        let scores: Vec<Option<f64>> = [5.0, 5.0, 5.0, 5.0, 4.0, 5.0, 5.0, 5.0, 5.0, 4.0]
            .map(Some)
            .to_vec();
        let bounds = MeanBounds::with_share(1.0, 5.0, 0.5);
        let present = vec![true; 10];
        let mut status = suppress(&layout, &placements, &present, 5).unwrap();
        assert_eq!(status[0], CellStatus::Shown);
        let check = check_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Scores(&scores),
            &status,
            5,
            bounds,
        );
        let a = check
            .narrow
            .iter()
            .find(|g| g.group.unit == 1)
            .expect("A is narrow");
        // A's sum: at least 48 - 6 x 5 = 18, at most 20: means 4.5 to 5.
        assert!((a.width - 0.5).abs() < 1e-9, "{a:?}");
        // The root's whole cell is never hidden: A stays the counted exception.
        let left = protect_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Scores(&scores),
            &mut status,
            5,
            bounds,
        )
        .unwrap();
        assert_eq!(status[0], CellStatus::Shown);
        assert!(left.narrow.iter().any(|g| g.group.unit == 1));
    }

    #[test]
    fn a_middling_mean_leaves_a_hidden_team_wide() {
        let (layout, placements) = eng();
        let scores: Vec<Option<f64>> = [1.0, 5.0, 2.0, 4.0, 3.0, 3.0, 1.0, 5.0, 2.0, 4.0]
            .map(Some)
            .to_vec();
        let bounds = MeanBounds::with_share(1.0, 5.0, 0.5);
        let status = suppress(&layout, &placements, &[true; 10], 5).unwrap();
        let check = check_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Scores(&scores),
            &status,
            5,
            bounds,
        );
        // Sum 30: A's sum ranges over [max(4, 30 - 30), min(20, 30 - 6)] = [4, 20], width 4.
        assert!(check.narrow.is_empty(), "{check:?}");
    }

    #[test]
    fn a_sibling_is_hidden_when_the_residual_is_too_small() {
        // Root 0 with A (1, four people), B (2, one person) and C (3, six people): D4 hides A
        // and B together (five), and B's one person cannot hide A's mean.
        let layout = Layout::new(
            UnitTree::new(vec![None, Some(0), Some(0), Some(0)]).unwrap(),
            vec![],
        );
        let mut placements = vec![at(1); 4];
        placements.push(at(2));
        placements.extend(vec![at(3); 6]);
        let scores: Vec<Option<f64>> = (0..11).map(|i| Some(1.0 + (i % 5) as f64)).collect();
        let bounds = MeanBounds::with_share(1.0, 5.0, 0.5);
        let mut status = suppress(&layout, &placements, &[true; 11], 5).unwrap();
        assert_eq!(status[3], CellStatus::Shown);
        let before = check_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Scores(&scores),
            &status,
            5,
            bounds,
        );
        assert!(before.narrow.iter().any(|g| g.group.unit == 1));
        let left = protect_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Scores(&scores),
            &mut status,
            5,
            bounds,
        )
        .unwrap();
        assert!(left.narrow.is_empty(), "{left:?}");
        assert_eq!(status[3], CellStatus::Complementary, "C hidden for A");
        assert_eq!(status[0], CellStatus::Shown);
    }

    #[test]
    fn an_item_distribution_pins_a_part_of_a_unanimous_class() {
        // Items publish counts per answer: if every one of the ten answered the top point,
        // A's answers are known exactly, however the residual is made up.
        let (layout, placements) = eng();
        let points: Vec<Option<usize>> = vec![Some(4); 10];
        let bounds = MeanBounds::with_share(0.0, 4.0, 0.5);
        let status = suppress(&layout, &placements, &[true; 10], 5).unwrap();
        let check = check_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Points {
                of: &points,
                points: 5,
            },
            &status,
            5,
            bounds,
        );
        let a = check.narrow.iter().find(|g| g.group.unit == 1).unwrap();
        assert_eq!(a.width, 0.0);
        // Spread answers: A takes any four of {0,0,1,1,2,2,3,3,4,4}: sums 2 to 14.
        let spread: Vec<Option<usize>> = (0..10).map(|i| Some(i / 2)).collect();
        let check = check_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Points {
                of: &spread,
                points: 5,
            },
            &status,
            5,
            bounds,
        );
        assert!(check.narrow.is_empty(), "{check:?}");
    }
}
