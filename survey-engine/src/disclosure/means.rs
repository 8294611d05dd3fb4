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
//! # With attributes: further proofs, cheapest first
//!
//! For a group the class certificate finds too narrow, [`check_means`] tries in turn:
//!
//! - the swap certificate ([`Swaps`]): rectangles of classes along which a score's amount or
//!   an item's answers move with every shown row kept (two people in different teams swap
//!   attribute values). The audit lets each class make up to four moves;
//! - a bound from above ([`Rows::upper_width`]): keeping one family's rows only can only
//!   widen the range, so a group narrow by it is narrow, and needs no linear program;
//! - linear programs over regions, smallest first ([`Model::lp_width`]): the
//!   group's team, then the team with the siblings whose respondents share its rows, up to
//!   the region the group's classes span. Atoms outside a region are held at their true
//!   values, which only narrows the range, so a small region that finds the group wide
//!   proves it. Each program first drops the classes a row with no other free class holds
//!   in place. An item's program has a variable per class and answer, and counts answers as
//!   shares, which reach widths no whole answers do: its width counts only from an optimum
//!   that gives every answer whole ([`whole_answers`], checked in whole numbers), a world
//!   the release allows; otherwise the certificates' width stands.
//!
//! # Protection
//!
//! [`protect_means`] runs after D4: without report attributes for every group of every scale
//! and item. With them, how far depends on the release's size ([`MeanReach`]): up to 2,000
//! cells for every group of every scale and item, with the proofs the audit has (the linear
//! programs over regions for scores); above that for the whole-unit groups of scales, and
//! for their attribute cuts only while they are surely narrow by the bound from above (the
//! certificates are too coarse there for the rest, and the programs too slow; see
//! [`protect_means`]). While some group is narrower than the protection level, each such
//! group hides one more shown cell: of the cells that bound its classes and the shown cells
//! right below those, the one with the fewest respondents (cut cells first on a tie), or for
//! a surely narrow cut the row that pins it most; never the root's whole cell. Hiding only
//! removes equations, so no width shrinks and D4 and P1 still hold. A group still too narrow
//! when only the root's whole cell is left to hide (the whole organisation answered near
//! one end of the scale) is returned as an exception, and the release counts it.

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
    /// The width of its possible means a proof found: for most groups a width the release
    /// cannot rule out (the true range is at least as wide); for a group found surely narrow
    /// by the bound from above, that bound (the true range is at most as wide).
    pub width: f64,
}

/// What the mean check found for one measure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeanCheck {
    /// Groups under k narrower than the protection level.
    pub narrow: Vec<NarrowGroup>,
}

/// A group still too narrow in a round: its index, and for a surely narrow group the row
/// that pins it most ([`Rows::upper_width_and_row`]), the cell to hide for it.
type Failing = (usize, Option<usize>);

/// How hard [`Model::check`] tries to prove a group wide, with report attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proofs {
    /// The class certificate and one swap per class: [`MeanReach::WholeUnits`] protection.
    Certificates,
    /// Also the swaps at the audit's effort and, for scores, programs over regions up to the
    /// subtree of the highest shown cell bounding the group: [`MeanReach::EveryGroup`]
    /// protection. A region's program holds the atoms outside it at the truth, so it can
    /// find a group narrow that is not. `item_programs`: as for [`Proofs::Whole`].
    Regions { item_programs: bool },
    /// Also the whole organisation's program, within [`LP_LIMIT`]: the audit. For scores it is
    /// exact, so it never finds a group narrow after more cells are hidden (by P1 and D9,
    /// after P2) that protection proved wide by any proof. Only within the limit: it counts
    /// the classes before dropping those a row holds, and an organisation under 2,000 cells
    /// with two attributes and many respondents can have more, where the audit keeps the
    /// regions' widths and may list such a group. It is kept out of protection,
    /// which checks narrow groups again in every round: on a 311-unit organisation it made
    /// the release three times slower (8.1 s against 2.8 s).
    ///
    /// `item_programs`: items get the programs too (in whole answers only,
    /// [`whole_answers`]). Only where protection covered items ([`MeanReach::EveryGroup`]),
    /// so that what P1 and D9 hide after it does not leave the audit listing an item group
    /// protection proved wide (6 on a 311-unit organisation). Protection itself leaves
    /// them out: they made that release fifteen times slower (23 s against 1.5 s) for
    /// 1.9 points more item cells shown. Above 2,000 cells items are not protected, and
    /// the programs took the benchmark organisation's audit of means from 6 s to 22 s.
    Whole { item_programs: bool },
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
        // Numbered as they come, then only the distinct ones sorted (a fraction of them).
        let mut first: HashMap<&Placement, usize> = HashMap::default();
        let come: Vec<usize> = placements
            .iter()
            .map(|p| {
                let next = first.len();
                *first.entry(p).or_insert(next)
            })
            .collect();
        let mut distinct: Vec<(&Placement, usize)> = first.into_iter().collect();
        distinct.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut rank = vec![0; distinct.len()];
        for (a, &(_, came)) in distinct.iter().enumerate() {
            rank[came] = a;
        }
        AtomIndex {
            of: come.iter().map(|&c| rank[c]).collect(),
            placements: distinct.into_iter().map(|(p, _)| p.clone()).collect(),
        }
    }
}

/// A group under k: which one, its atoms (where they lie in [`Model::members`]), its
/// respondents.
type SmallGroup = (CountGroup, std::ops::Range<usize>, u64);

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
    /// Atoms per unit (their direct members): for the linear programs only, so built on
    /// first use ([`Model::atoms_in`]).
    by_unit: std::cell::OnceCell<Vec<Vec<usize>>>,
    /// Signature positions: the whole unit, then one per attribute.
    width: usize,
    /// Per atom and position: the offset of its cell within a unit's cells ([`Model::offsets`]).
    offsets: Vec<usize>,
    groups: Vec<SmallGroup>,
    /// The groups' atoms, one run per group (not a vector each: tens of thousands of groups
    /// per scale).
    members: Vec<usize>,
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
            by_unit: std::cell::OnceCell::new(),
            width: 1 + layout.value_counts.len(),
            offsets: Vec::new(),
            groups: Vec::new(),
            members: Vec::new(),
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
        // (Sized once: grown by copying, they cost about 6% of P2's time in a profile.)
        let atoms = n.iter().filter(|&&n| n > 0).count();
        model.atoms.reserve_exact(atoms);
        model.n.reserve_exact(atoms);
        model.sum.reserve_exact(atoms);
        model.counts.reserve_exact(atoms * points);
        model.offsets.reserve_exact(atoms * model.width);
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
        for atom in &model.atoms {
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
        (model.groups, model.members) = model.small_groups(k as u64);
        model
    }

    /// The atoms placed directly in unit `u`, in order.
    fn atoms_in(&self, u: usize) -> &[usize] {
        let by_unit = self.by_unit.get_or_init(|| {
            let mut by_unit = vec![Vec::new(); self.layout.tree.len()];
            for (a, atom) in self.atoms.iter().enumerate() {
                if let Some(atoms) = by_unit.get_mut(atom.unit) {
                    atoms.push(a);
                }
            }
            by_unit
        });
        by_unit.get(u).map_or(&[], Vec::as_slice)
    }

    /// The atoms of group `i`, in order.
    fn members_of(&self, i: usize) -> &[usize] {
        self.groups
            .get(i)
            .and_then(|g| self.members.get(g.1.clone()))
            .unwrap_or(&[])
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
    fn small_groups(&self, k: u64) -> (Vec<SmallGroup>, Vec<usize>) {
        let layout = self.layout;
        let small = |n: u64| n >= 1 && n < k;
        let cells = layout.cell_count();
        let families = layout.cells_per_unit();
        let leaf = |a: usize| layout.tree.children(self.atoms[a].unit).is_empty();
        // Per cell: the atoms of the cell's group where it is under k, and of its unit's
        // direct members at the cell's cut (a leaf's are its cell). Counted, then filled in
        // atom order, so that each group's atoms are in order (searched by the linear
        // program) without sorting pairs: this runs for every scale.
        let (mut in_cell, mut direct) = (vec![0usize; cells + 1], vec![0usize; cells + 1]);
        let mut direct_n = vec![0u64; cells];
        let direct_cells = |a: usize| {
            let unit = self.atoms[a].unit;
            self.offsets(a)
                .iter()
                .filter(|&&offset| offset != usize::MAX)
                .map(move |&offset| unit * families + offset)
        };
        for a in 0..self.atoms.len() {
            self.for_cells_of(a, |cell| {
                if small(self.cell_n[cell]) {
                    in_cell[cell + 1] += 1;
                }
            });
            if !leaf(a) {
                for cell in direct_cells(a) {
                    direct[cell + 1] += 1;
                    direct_n[cell] += self.n[a];
                }
            }
        }
        for starts in [&mut in_cell, &mut direct] {
            for c in 0..cells {
                starts[c + 1] += starts[c];
            }
        }
        let mut in_cell_atoms = vec![0; in_cell[cells]];
        let mut direct_atoms = vec![0; direct[cells]];
        let (mut next_in_cell, mut next_direct) = (in_cell.clone(), direct.clone());
        for a in 0..self.atoms.len() {
            self.for_cells_of(a, |cell| {
                if small(self.cell_n[cell]) {
                    in_cell_atoms[next_in_cell[cell]] = a;
                    next_in_cell[cell] += 1;
                }
            });
            if !leaf(a) {
                for cell in direct_cells(a) {
                    direct_atoms[next_direct[cell]] = a;
                    next_direct[cell] += 1;
                }
            }
        }
        // In group order (unit, cut, then the cell before the direct members): cells are
        // numbered by unit, then cut.
        let mut groups: Vec<SmallGroup> = Vec::new();
        let mut members = Vec::with_capacity(in_cell_atoms.len() + direct_atoms.len());
        let mut run = |atoms: &[usize]| {
            members.extend_from_slice(atoms);
            members.len() - atoms.len()..members.len()
        };
        for cell in 0..cells {
            let key = layout.cell_key(cell);
            let group = |direct: bool| CountGroup {
                unit: key.unit,
                cut: key.cut,
                direct,
            };
            let atoms = &in_cell_atoms[in_cell[cell]..in_cell[cell + 1]];
            if !atoms.is_empty() {
                groups.push((group(false), run(atoms), self.cell_n[cell]));
            }
            let atoms = &direct_atoms[direct[cell]..direct[cell + 1]];
            if !atoms.is_empty() && small(direct_n[cell]) {
                groups.push((group(true), run(atoms), direct_n[cell]));
            }
        }
        (groups, members)
    }

    /// The groups narrower than the protection level under `status`, and the classes.
    /// `settled[i]`: group `i` was wide enough under fewer hidden cells, so it still is (hiding
    /// only removes equations); such groups are skipped, and groups found wide are marked.
    /// `proofs`: what a group the class certificate finds too narrow gets (with attributes;
    /// without them the certificate is exact). `surely[i]`: group `i` is first tried by the
    /// bound from above ([`Rows::upper_width`]), which names the row that pins it; one it
    /// finds not surely narrow counts as wide with [`Proofs::Certificates`], and goes on
    /// to the other proofs otherwise.
    fn check(
        &self,
        classes: &Classes,
        settled: &mut [bool],
        proofs: Proofs,
        surely: &[bool],
    ) -> (Vec<NarrowGroup>, Vec<Failing>) {
        let exact_when_short =
            proofs != Proofs::Certificates && !self.layout.value_counts.is_empty();
        let swaps: std::cell::OnceCell<Swaps> = std::cell::OnceCell::new();
        let rows = Rows::default();
        let mut narrow = Vec::new();
        let mut failing = Vec::new();
        let mut parts: Vec<(usize, u64)> = Vec::new();
        for (i, (group, range, n)) in self.groups.iter().enumerate() {
            if settled[i] {
                continue;
            }
            let atoms = &self.members[range.clone()];
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
            // A group protected only where it is surely narrow: the class certificate settles
            // most at once; the rest are narrow only by the bound from above.
            if surely.get(i) == Some(&true) && width + EPSILON < self.bounds.protection {
                let (upper, row) = rows.upper_width_and_row(self, classes, atoms);
                if upper / *n as f64 + EPSILON < self.bounds.protection {
                    narrow.push(NarrowGroup {
                        group: *group,
                        n: *n,
                        width: upper / *n as f64,
                    });
                    failing.push((i, row));
                    continue;
                }
                if !exact_when_short {
                    settled[i] = true;
                    continue;
                }
            }
            if width + EPSILON < self.bounds.protection && classes.width > 1 {
                let swaps = swaps.get_or_init(|| Swaps::new(classes));
                let effort = if exact_when_short {
                    AUDIT_EFFORT
                } else {
                    PROTECTION_EFFORT
                };
                width = width.max(swaps.width(self, classes, &parts, effort) / *n as f64);
            }
            // For an item the program's width counts only where its solutions are in whole
            // answers ([`Model::lp_width_in`]), and it runs in the audit only.
            let programs = self.points == 0
                || matches!(
                    proofs,
                    Proofs::Regions {
                        item_programs: true
                    } | Proofs::Whole {
                        item_programs: true
                    }
                );
            if width + EPSILON < self.bounds.protection && exact_when_short && programs {
                // The certificate holds every class total; with attributes the reader may
                // know less (without, the classes are D4's residual rows, whose totals follow
                // from the release). The linear program settles it, unless a bound from
                // above already shows the group narrow.
                if rows.upper_width(self, classes, atoms) / *n as f64 + EPSILON
                    >= self.bounds.protection
                {
                    let whole = matches!(proofs, Proofs::Whole { .. });
                    if let Some(exact) = self.lp_width(i, classes, width, whole) {
                        width = width.max(exact);
                    }
                }
            }
            if width + EPSILON < self.bounds.protection {
                narrow.push(NarrowGroup {
                    group: *group,
                    n: *n,
                    width,
                });
                failing.push((i, None));
            } else {
                settled[i] = true;
            }
        }
        (narrow, failing)
    }

    /// Whether group `i` could be wide enough at all: with every cell hidden but the root's
    /// whole cell (one class of everybody, whose total the reader knows). A group that cannot
    /// is left as an exception at once instead of hiding cells that would not help it.
    fn could_be_wide(&self, i: usize, everybody: &Classes) -> bool {
        let n = self.groups[i].2;
        let m: u64 = self.members_of(i).iter().map(|&a| self.n[a]).sum();
        everybody.width(self, 0, m) / n as f64 + EPSILON >= self.bounds.protection
    }

    /// The width of group `i`'s possible means by a linear program, with every atom outside
    /// the group's region held at its true value (which only narrows the range, so the width
    /// is still one the release cannot rule out). The full region is the subtree of the
    /// highest shown cell bounding the group's classes, so that moves through the cut cells
    /// above the group (two teams swapping attribute values) are in it. Smaller regions come
    /// first, from the group's unit up: the unit's subtree, then on each level above it the
    /// child on the group's path with some of its siblings ([`Model::lp_width_with_siblings`])
    /// and the whole level, stopping at the first region that proves the group wide; most
    /// groups the certificates leave short are proved wide by programs of a few dozen
    /// variables instead of thousands. With `whole`, last the whole organisation, within
    /// [`LP_LIMIT`]: its program holds nothing at the truth, so it is exact. `known`: the
    /// width already certified, kept when a program is over [`LP_LIMIT`] variables or the
    /// solver fails. `None` when no shown cell bounds the group's classes.
    fn lp_width(&self, i: usize, classes: &Classes, known: f64, whole: bool) -> Option<f64> {
        let layout = self.layout;
        let families = layout.cells_per_unit();
        let group = &self.groups[i].0;
        let members = self.members_of(i);
        let full = members
            .iter()
            .flat_map(|&a| classes.signature(classes.class[a]).iter().copied())
            .filter(|&c| c != usize::MAX)
            .map(|c| c / families)
            .min_by_key(|&u| (layout.tree.depth(u), u))?;
        let mut best = known;
        let mut try_region = |roots: &[usize]| -> bool {
            if let Some(width) = self.lp_width_in(i, classes, roots) {
                best = best.max(width);
            }
            best + EPSILON >= self.bounds.protection
        };
        let mut on_path = None;
        let mut unit = group.unit;
        while layout.tree.depth(unit) > layout.tree.depth(full) {
            if let Some(child) = on_path {
                if self.lp_width_with_siblings(i, classes, unit, child, &mut try_region) {
                    return Some(best);
                }
            }
            if try_region(&[unit]) {
                return Some(best);
            }
            on_path = Some(unit);
            unit = layout.tree.parent(unit)?;
        }
        if let Some(child) = on_path.filter(|_| unit == full) {
            if self.lp_width_with_siblings(i, classes, unit, child, &mut try_region) {
                return Some(best);
            }
        }
        if try_region(&[full]) || full == 0 || !whole {
            return Some(best);
        }
        // Last the whole organisation (unit 0), where a program can afford it: the rows above
        // `full` (the organisation's attribute cuts) tie the region to atoms outside it, and
        // holding those at the truth can pin a group the whole program leaves wide. A region
        // too large for a program keeps what the smaller ones proved.
        try_region(&[0]);
        Some(best)
    }

    /// Tries the regions made of `unit`'s child `child` (on the group's path) and 3, 15 and
    /// 60 of its siblings whose respondents share rows with the group's classes, those with
    /// the most first: a program of a few teams usually finds the moves that widen a group,
    /// where the whole unit's would have hundreds of variables.
    fn lp_width_with_siblings(
        &self,
        i: usize,
        classes: &Classes,
        unit: usize,
        child: usize,
        try_region: &mut impl FnMut(&[usize]) -> bool,
    ) -> bool {
        let layout = self.layout;
        // A sibling helps through its respondents who share a row with the group's classes.
        let rows: Vec<usize> = self
            .members_of(i)
            .iter()
            .flat_map(|&a| classes.signature(classes.class[a]).iter().copied())
            .filter(|&c| c != usize::MAX)
            .collect();
        let mut siblings: Vec<(u64, usize)> = Vec::new();
        for &sibling in layout.tree.children(unit) {
            if sibling == child {
                continue;
            }
            let mut sharing = 0;
            let mut stack = vec![sibling];
            while let Some(u) = stack.pop() {
                stack.extend_from_slice(layout.tree.children(u));
                for &a in self.atoms_in(u) {
                    if classes
                        .signature(classes.class[a])
                        .iter()
                        .any(|c| rows.contains(c))
                    {
                        sharing += self.n[a];
                    }
                }
            }
            if sharing > 0 {
                siblings.push((sharing, sibling));
            }
        }
        siblings.sort_unstable_by_key(|&(sharing, c)| (std::cmp::Reverse(sharing), c));
        let siblings: Vec<usize> = siblings.into_iter().map(|(_, c)| c).collect();
        let mut taken = 0;
        for take in [3, 15, 60] {
            let take = take.min(siblings.len());
            if take == taken {
                break;
            }
            taken = take;
            let mut roots = vec![child];
            roots.extend_from_slice(&siblings[..take]);
            if try_region(&roots) {
                return true;
            }
        }
        false
    }

    /// [`Model::lp_width`] over the subtrees of `roots`. Atoms of one class are
    /// interchangeable, so the program has one variable per class and side of the group (for
    /// an item: per answer too), and one equation per shown row of each family: the classes
    /// with the same nearest shown cell there.
    fn lp_width_in(&self, i: usize, classes: &Classes, roots: &[usize]) -> Option<f64> {
        use microlp::{ComparisonOp, OptimizationDirection, Problem};
        let layout = self.layout;
        let (n, members) = (&self.groups[i].2, self.members_of(i));
        // Buckets: (class, in the group) over the region's atoms.
        let mut bucket_of: HashMap<(usize, bool), usize> = HashMap::default();
        let mut buckets: Vec<(usize, bool, u64, f64, Vec<u64>)> = Vec::new();
        let points = self.points;
        let mut stack = roots.to_vec();
        while let Some(u) = stack.pop() {
            stack.extend_from_slice(layout.tree.children(u));
            for &a in self.atoms_in(u) {
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
        let mut row_of: HashMap<(usize, usize), usize> = HashMap::default();
        let mut rows: Vec<Vec<usize>> = Vec::new();
        let mut rows_of_bucket: Vec<Vec<usize>> = vec![Vec::new(); buckets.len()];
        for (b, bucket) in buckets.iter().enumerate() {
            for (f, &cell) in classes.signature(bucket.0).iter().enumerate() {
                if cell != usize::MAX {
                    let r = *row_of.entry((f, cell)).or_insert_with(|| {
                        rows.push(Vec::new());
                        rows.len() - 1
                    });
                    rows[r].push(b);
                    rows_of_bucket[b].push(r);
                }
            }
        }
        // A row with one bucket left holds it at its true value; dropping such buckets (and
        // the rows they empty) in turn leaves a program a fraction of the region's size: a
        // large team's shown cuts hold its members in place.
        let mut held = vec![false; buckets.len()];
        let mut free_in: Vec<usize> = rows.iter().map(Vec::len).collect();
        let mut singles: Vec<usize> = (0..rows.len()).filter(|&r| free_in[r] == 1).collect();
        while let Some(r) = singles.pop() {
            let Some(&b) = rows[r].iter().find(|&&b| !held[b]) else {
                continue;
            };
            held[b] = true;
            for &other in &rows_of_bucket[b] {
                free_in[other] -= 1;
                if free_in[other] == 1 {
                    singles.push(other);
                }
            }
        }
        if !buckets.iter().zip(&held).any(|(bucket, &h)| bucket.1 && !h) {
            return Some(0.0); // every part of the group is held
        }
        // The program's buckets are the free ones, numbered in order.
        let mut position = vec![usize::MAX; buckets.len()];
        for (p, b) in (0..buckets.len()).filter(|&b| !held[b]).enumerate() {
            position[b] = p;
        }
        let rows: Vec<Vec<usize>> = rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .filter_map(|b| (!held[b]).then_some(position[b]))
                    .collect::<Vec<_>>()
            })
            .filter(|row| row.len() > 1)
            .collect();
        let MeanBounds {
            lowest, highest, ..
        } = self.bounds;
        // The free buckets' (in the group, respondents, counts per point), in program order.
        let free: Vec<(bool, u64, &[u64])> = buckets
            .iter()
            .zip(&held)
            .filter(|(_, &held)| !held)
            .map(|(bucket, _)| (bucket.1, bucket.2, bucket.4.as_slice()))
            .collect();
        let solve = |direction| -> Option<f64> {
            let mut problem = Problem::new(direction);
            // Deviations from the truth: the truth is the point 0 and every right-hand side
            // is exactly 0.
            let width = points.max(1);
            let mut vars = Vec::with_capacity(buckets.len() * width);
            for (&(_, in_group, n_b, sum, ref counts), &held) in buckets.iter().zip(&held) {
                let n_b = n_b as f64;
                if held {
                    continue;
                }
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
            for row in &rows {
                for p in 0..width {
                    let terms: Vec<_> = row.iter().map(|&b| (vars[b * width + p], 1.0)).collect();
                    problem.add_constraint(terms, ComparisonOp::Eq, 0.0);
                }
            }
            let solution = problem.solve().ok()?;
            if points == 0 {
                return Some(solution.objective());
            }
            // An item's program counts answers as shares, which reach widths no whole answers
            // do (`an_items_width_comes_from_whole_answers_not_from_shares_of_answers`). Its
            // optimum proves a width only when it gives every answer whole: then it is a
            // world the release allows. Otherwise the truth (0) is the world kept.
            let values: Vec<f64> = vars.iter().map(|&v| solution[v]).collect();
            Some(whole_answers(&values, &free, &rows, points).unwrap_or(0.0))
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
        let shown = |c: usize| status.get(c) == Some(&CellStatus::Shown);
        let mut candidates: Vec<usize> = Vec::new();
        for &a in self.members_of(i) {
            for &s in classes.signature(classes.class[a]) {
                if s == usize::MAX {
                    continue;
                }
                candidates.push(s);
                // The shown cells of its family whose nearest shown ancestor it is.
                for &child in layout.tree.children(s / families) {
                    layout.largest_cells(child, s % families, shown, &mut candidates);
                }
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
/// respondents and total. Classes are numbered as their first atom comes (the swap search
/// tries partners in that order).
struct Classes {
    width: usize,
    /// `width` cells per class.
    signatures: Vec<usize>,
    /// The class of each signature.
    ids: SignatureIds,
    class: Vec<usize>,
    n: Vec<u64>,
    sum: Vec<f64>,
    counts: Vec<u64>,
}

impl Classes {
    fn new(model: &Model<'_>, status: &[CellStatus]) -> Self {
        let layout = model.layout;
        let families = layout.cells_per_unit();
        let shown = |cell: usize| status.get(cell) == Some(&CellStatus::Shown);
        let mut nearest = vec![usize::MAX; layout.cell_count()];
        for &u in layout.tree.top_down() {
            for f in 0..families {
                let cell = u * families + f;
                let above = layout
                    .tree
                    .parent(u)
                    .map_or(usize::MAX, |p| nearest[p * families + f]);
                nearest[cell] = if shown(cell) { cell } else { above };
            }
        }
        let width = model.width;
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
        let mut classes = Classes::numbering(model, model.atoms.len());
        for signature in signatures.chunks_exact(width) {
            let c = classes.id(signature);
            classes.class.push(c);
        }
        classes.tally(model);
        classes
    }

    /// The classes of the next round, after more cells were hidden (and none shown): the
    /// same as [`Classes::new`] on `status`, from this round's classes instead of every atom
    /// (protection's later rounds each hide a few cells for a few groups).
    ///
    /// An atom's nearest shown cell is then its old one's nearest, since the cells between
    /// them were hidden already: only the classes with a hidden cell in their signature
    /// change, and classes only merge, each group of them into its lowest class (the one
    /// whose first atom comes first). Renumbered in order, the classes are then numbered as
    /// their first atom comes, as in [`Classes::new`].
    fn after_hiding(mut self, model: &Model<'_>, status: &[CellStatus]) -> Self {
        let layout = model.layout;
        let families = layout.cells_per_unit();
        let shown = |cell: usize| status.get(cell) == Some(&CellStatus::Shown);
        let nearest = |mut cell: usize| {
            while cell != usize::MAX && !shown(cell) {
                cell = layout
                    .tree
                    .parent(cell / families)
                    .map_or(usize::MAX, |p| p * families + cell % families);
            }
            cell
        };
        let (count, width) = (self.n.len(), self.width);
        // The classes that lost a cell, in order, with their signatures now.
        let changed: Vec<usize> = (0..count)
            .filter(|&c| {
                self.signature(c)
                    .iter()
                    .any(|&row| row != usize::MAX && !shown(row))
            })
            .collect();
        if changed.is_empty() {
            return self;
        }
        let now: Vec<usize> = changed
            .iter()
            .flat_map(|&c| self.signature(c).iter().map(|&row| nearest(row)))
            .collect();
        let now_of = |j: usize| &now[j * width..(j + 1) * width];
        // Per signature now, the lowest class that has it: a changed one (the first in order)
        // or one that kept it (whose signature was all shown, so it did not change).
        let mut lowest: HashMap<&[usize], usize> = HashMap::default();
        for (j, &c) in changed.iter().enumerate() {
            let signature = now_of(j);
            if !lowest.contains_key(signature) {
                let kept = self.ids.find(signature).unwrap_or(usize::MAX);
                lowest.insert(signature, c.min(kept));
            }
        }
        // Every other class with that signature merges into it.
        let mut into = vec![usize::MAX; count];
        for (j, &c) in changed.iter().enumerate() {
            let signature = now_of(j);
            let low = lowest[signature];
            if low != c {
                into[c] = low;
            }
            if let Some(kept) = self.ids.find(signature).filter(|&kept| kept != low) {
                into[kept] = low;
            }
        }
        for (j, &c) in changed.iter().enumerate() {
            self.ids
                .remove(&self.signatures[c * width..(c + 1) * width]);
            if into[c] == usize::MAX {
                self.ids.insert(now_of(j), c);
                self.signatures[c * width..(c + 1) * width].copy_from_slice(now_of(j));
            }
        }
        if into.iter().all(|&low| low == usize::MAX) {
            return self;
        }
        // Renumbered in order: a merged class takes its lowest class's number (lower, so
        // already known).
        let mut renumbered = vec![0; count];
        let mut next = 0;
        for c in 0..count {
            renumbered[c] = match into[c] {
                usize::MAX => {
                    next += 1;
                    next - 1
                }
                low => renumbered[low],
            };
        }
        self.ids.renumber(|c| renumbered[c]);
        let mut signatures = Vec::with_capacity(next * width);
        for c in (0..count).filter(|&c| into[c] == usize::MAX) {
            signatures.extend_from_slice(self.signature(c));
        }
        self.signatures = signatures;
        for c in &mut self.class {
            *c = renumbered[*c];
        }
        self.n = vec![0; next];
        self.tally(model);
        self
    }

    /// No classes yet, for `expected` of them at most.
    fn numbering(model: &Model<'_>, expected: usize) -> Self {
        Classes {
            width: model.width,
            signatures: Vec::new(),
            ids: SignatureIds::new(model.layout.cell_count(), model.width, expected),
            class: Vec::with_capacity(model.atoms.len()),
            n: Vec::new(),
            sum: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// The class of `signature`, a new one (last) if none has it yet.
    fn id(&mut self, signature: &[usize]) -> usize {
        let next = self.n.len();
        let c = self.ids.id_or(signature, next);
        if c == next {
            self.signatures.extend_from_slice(signature);
            self.n.push(0);
        }
        c
    }

    /// Each class's respondents and totals, added up atom by atom in atom order (so a
    /// class's total is the same sum of the same floats however its atoms were grouped).
    fn tally(&mut self, model: &Model<'_>) {
        let points = model.points;
        let count = self.n.len();
        self.sum = vec![0.0; count];
        self.counts = vec![0; count * points];
        for (a, &c) in self.class.iter().enumerate() {
            self.n[c] += model.n[a];
            self.sum[c] += model.sum[a];
            for p in 0..points {
                self.counts[c * points + p] += model.counts[a * points + p];
            }
        }
    }

    /// The class whose signature is `signature`, if any.
    fn find(&self, signature: &[usize]) -> Option<usize> {
        self.ids.find(signature)
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
        let mut ids = SignatureIds::new(model.layout.cell_count(), width, 1);
        ids.id_or(&signature, 0);
        Classes {
            width,
            signatures: signature,
            ids,
            class: vec![0; model.atoms.len()],
            n: vec![model.n.iter().sum()],
            sum: vec![model.sum.iter().sum()],
            counts,
        }
    }

    fn signature(&self, class: usize) -> &[usize] {
        &self.signatures[class * self.width..(class + 1) * self.width]
    }

    /// How far the sum of `m` of class `c`'s respondents can range with the class total held.
    fn width(&self, model: &Model<'_>, c: usize, m: u64) -> f64 {
        if self.signature(c).iter().all(|&s| s == usize::MAX) {
            // In no shown cell: nothing holds these respondents' values.
            return m as f64 * (model.bounds.highest - model.bounds.lowest);
        }
        let points = model.points;
        let counts = &self.counts[c * points..(c + 1) * points];
        part_width(model.bounds, self.n[c], self.sum[c], counts, m)
    }
}

/// An item program's solution (`values`: per free bucket, its change of each point's count)
/// as whole answers: the change of the group's sum of points when every value is a whole
/// number of answers and, so taken, keeps every bucket's respondents, every count within
/// 0 and the bucket's respondents, and every row's count of each point; `None` otherwise.
/// Checked in whole numbers, so the simplex's rounding cannot pass a world that is not one.
fn whole_answers(
    values: &[f64],
    free: &[(bool, u64, &[u64])],
    rows: &[Vec<usize>],
    points: usize,
) -> Option<f64> {
    let mut whole = Vec::with_capacity(values.len());
    for &v in values {
        let rounded = v.round();
        if (v - rounded).abs() > 1e-6 {
            return None;
        }
        whole.push(rounded as i64);
    }
    let mut change = 0i64;
    for (b, &(in_group, n, counts)) in free.iter().enumerate() {
        let moved = &whole[b * points..(b + 1) * points];
        let kept = moved.iter().zip(counts).all(|(&d, &count)| {
            let now = count as i64 + d;
            (0..=n as i64).contains(&now)
        });
        if !kept || moved.iter().sum::<i64>() != 0 {
            return None;
        }
        if in_group {
            change += moved
                .iter()
                .enumerate()
                .map(|(p, &d)| p as i64 * d)
                .sum::<i64>();
        }
    }
    let rows_kept = rows.iter().all(|row| {
        (0..points).all(|p| row.iter().map(|&b| whole[b * points + p]).sum::<i64>() == 0)
    });
    rows_kept.then_some(change as f64)
}

/// How far the sum of `m` of a pool's `n` respondents can range when the pool's total (`sum`,
/// or for an item its `counts` per point) is held.
fn part_width(bounds: MeanBounds, n: u64, sum: f64, counts: &[u64], m: u64) -> f64 {
    let high = part_sum(bounds, n, sum, counts, m, true);
    (high - part_sum(bounds, n, sum, counts, m, false)).max(0.0)
}

/// The highest (`raise`) or lowest sum of `m` of a pool's `n` respondents with the pool's
/// total held: for a score, the others take the rest within the bounds; for an item (its
/// `counts` per point), the part takes `m` of the pool's answers.
fn part_sum(bounds: MeanBounds, n: u64, sum: f64, counts: &[u64], m: u64, raise: bool) -> f64 {
    if !counts.is_empty() {
        return take(counts, m, raise);
    }
    let MeanBounds {
        lowest, highest, ..
    } = bounds;
    let (m_f, rest) = (m as f64, (n - m) as f64);
    if raise {
        (m_f * highest).min(sum - rest * lowest)
    } else {
        (m_f * lowest).max(sum - rest * highest)
    }
}

/// Classes by their whole signature. A signature is looked up packed into one number where
/// it fits (cheaper to hash than a slice, and this runs in every round of every scale), else
/// as a slice.
enum SignatureIds {
    Packed {
        base: u128,
        ids: HashMap<u128, usize>,
    },
    Slices(HashMap<Box<[usize]>, usize>),
}

impl SignatureIds {
    /// For signatures of `width` rows among `cells` cells (or none: `usize::MAX`), about
    /// `expected` of them.
    fn new(cells: usize, width: usize, expected: usize) -> Self {
        let base = cells as u128 + 1;
        let packs = u32::try_from(width)
            .ok()
            .and_then(|w| base.checked_pow(w))
            .is_some();
        if packs {
            let mut ids = HashMap::default();
            ids.reserve(expected);
            SignatureIds::Packed { base, ids }
        } else {
            let mut ids = HashMap::default();
            ids.reserve(expected);
            SignatureIds::Slices(ids)
        }
    }

    fn pack(base: u128, signature: &[usize]) -> u128 {
        signature.iter().fold(0u128, |key, &row| {
            let digit = if row == usize::MAX {
                base - 1
            } else {
                row as u128
            };
            key * base + digit
        })
    }

    /// The id `signature` has, or `next` from now on if it has none.
    fn id_or(&mut self, signature: &[usize], next: usize) -> usize {
        match self {
            SignatureIds::Packed { base, ids } => {
                *ids.entry(Self::pack(*base, signature)).or_insert(next)
            }
            SignatureIds::Slices(ids) => match ids.get(signature) {
                Some(&id) => id,
                None => {
                    ids.insert(signature.into(), next);
                    next
                }
            },
        }
    }

    fn find(&self, signature: &[usize]) -> Option<usize> {
        match self {
            SignatureIds::Packed { base, ids } => ids.get(&Self::pack(*base, signature)).copied(),
            SignatureIds::Slices(ids) => ids.get(signature).copied(),
        }
    }

    fn insert(&mut self, signature: &[usize], id: usize) {
        match self {
            SignatureIds::Packed { base, ids } => {
                ids.insert(Self::pack(*base, signature), id);
            }
            SignatureIds::Slices(ids) => {
                ids.insert(signature.into(), id);
            }
        }
    }

    fn remove(&mut self, signature: &[usize]) {
        match self {
            SignatureIds::Packed { base, ids } => {
                ids.remove(&Self::pack(*base, signature));
            }
            SignatureIds::Slices(ids) => {
                ids.remove(signature);
            }
        }
    }

    /// Every id `id` becomes `to(id)`.
    fn renumber(&mut self, to: impl Fn(usize) -> usize) {
        match self {
            SignatureIds::Packed { ids, .. } => ids.values_mut().for_each(|id| *id = to(*id)),
            SignatureIds::Slices(ids) => ids.values_mut().for_each(|id| *id = to(*id)),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        match self {
            SignatureIds::Packed { ids, .. } => ids.len(),
            SignatureIds::Slices(ids) => ids.len(),
        }
    }
}

/// The rows of each family under one round's statuses: per shown cell, the respondents whose
/// nearest shown cell of that family it is, with their total. Built on first use.
#[derive(Default)]
struct Rows {
    pools: std::cell::OnceCell<Pools>,
    /// A group's (row, respondents) of one family: reused by every group (hundreds of
    /// thousands per build).
    parts: std::cell::RefCell<Vec<(usize, u64)>>,
}

/// Per family and cell (`[family * cells + cell]`), the row's respondents, sum and counts per
/// point (items); zero for a cell that is no row of the family. Flat and zeroed: built in
/// many rounds of every measure, and a vector per cell cost more than the rounds' checks.
struct Pools {
    cells: usize,
    n: Vec<u64>,
    sum: Vec<f64>,
    counts: Vec<u64>,
}

impl Rows {
    /// A bound from above on how far the sum of the group made of `atoms` can range: keeping
    /// one family's rows only (dropping equations only widens the range), the group's part
    /// of each row takes any sum of that many of the row's respondents; the smallest over
    /// the families. A group narrower than the protection level by this bound is narrow
    /// whatever the linear program says, so it need not run.
    fn upper_width(&self, model: &Model<'_>, classes: &Classes, atoms: &[usize]) -> f64 {
        self.upper_width_and_row(model, classes, atoms).0
    }

    /// [`Rows::upper_width`], with the row of the narrowest family that leaves the group's
    /// part the least room per respondent (`None` when the group is in no row of it).
    fn upper_width_and_row(
        &self,
        model: &Model<'_>,
        classes: &Classes,
        atoms: &[usize],
    ) -> (f64, Option<usize>) {
        let points = model.points;
        let pools = self.pools.get_or_init(|| {
            let cells = model.layout.cell_count();
            let slots = classes.width * cells;
            let mut pools = Pools {
                cells,
                n: vec![0; slots],
                sum: vec![0.0; slots],
                counts: vec![0; slots * points],
            };
            for c in 0..classes.n.len() {
                for (f, &row) in classes.signature(c).iter().enumerate() {
                    if row >= cells {
                        continue; // usize::MAX: no shown cell of the family holds it
                    }
                    let slot = f * cells + row;
                    pools.n[slot] += classes.n[c];
                    pools.sum[slot] += classes.sum[c];
                    for p in 0..points {
                        pools.counts[slot * points + p] += classes.counts[c * points + p];
                    }
                }
            }
            pools
        });
        let full = model.bounds.highest - model.bounds.lowest;
        let mut parts = self.parts.borrow_mut();
        let mut best = (f64::INFINITY, None);
        for f in 0..classes.width {
            parts.clear();
            let mut free = 0;
            for &a in atoms {
                let row = classes.signature(classes.class[a])[f];
                if row == usize::MAX {
                    free += model.n[a];
                    continue;
                }
                match parts.iter_mut().find(|p| p.0 == row) {
                    Some(p) => p.1 += model.n[a],
                    None => parts.push((row, model.n[a])),
                }
            }
            let mut width = free as f64 * full;
            // The row that leaves the group's part the least room: hiding it merges its
            // respondents into a larger row.
            let mut tightest = (f64::INFINITY, None);
            for &(row, m) in parts.iter() {
                let slot = f * pools.cells + row;
                let counts = &pools.counts[slot * points..(slot + 1) * points];
                let part = part_width(model.bounds, pools.n[slot], pools.sum[slot], counts, m);
                width += part;
                if part / (m as f64) < tightest.0 {
                    tightest = (part / m as f64, Some(row));
                }
            }
            if width < best.0 {
                best = (width, tightest.1);
            }
        }
        best
    }
}

/// The swap certificate with attributes: class totals are not all known to the reader, only
/// their sums per shown row of each family. Four classes whose signatures form a rectangle
/// (K1 = s, K4 = t, K2 = s on the positions A and t elsewhere, K3 = t on A and s elsewhere,
/// with the whole-unit position in A) allow moving an amount δ (for an item: answers) into
/// K1 and K4 and out of K2 and K3: every row keeps its sum (two people in different teams
/// swap attribute values, as in P1). For a group, each class it is in moves along rectangles
/// of classes it is not in, each partner serving one move of a reading, so the moves are
/// independent: the widths still add up.
struct Swaps {
    /// Per mask of swapped positions: classes by their signature on the mask and off it.
    /// (A class by its whole signature: [`Classes::find`].)
    masks: Vec<(usize, ProjectionIndex, ProjectionIndex)>,
}

/// The most rectangles tried for one move of a class of a group.
const SWAP_TRIES: usize = 64;

/// How hard the swap certificate searches: the moves per class of a group, and the partner
/// pairs looked up per move (most close no rectangle: the fourth class does not exist).
#[derive(Clone, Copy, Debug)]
struct Effort {
    rounds: usize,
    lookups: usize,
}

/// Protection runs in every release (and a group it leaves short costs a hidden cell); the
/// audit runs once at close, and a group it leaves short costs linear programs.
const PROTECTION_EFFORT: Effort = Effort {
    rounds: 1,
    lookups: 64,
};
const AUDIT_EFFORT: Effort = Effort {
    rounds: 4,
    lookups: 1_024,
};

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
        Swaps { masks }
    }

    /// The group's certified sum width with swaps: `parts` are its classes and how many of
    /// its respondents are in each. The highest and the lowest sum are two readings of the
    /// release, found side by side: in each, a class of the group makes up to
    /// `effort.rounds` moves, each along a rectangle of partners that serve no other move
    /// of that reading, so every state reached is consistent with the release.
    fn width(
        &self,
        model: &Model<'_>,
        classes: &Classes,
        parts: &[(usize, u64)],
        effort: Effort,
    ) -> f64 {
        // The group's own classes are no partners. Per reading: highest, lowest.
        let mine: Vec<usize> = parts.iter().map(|p| p.0).collect();
        let mut taken = [mine.clone(), mine];
        let mut total = 0.0;
        let mut t = vec![usize::MAX; classes.width];
        let signature = |c: usize| classes.signature(c);
        for &(k1, m) in parts {
            let sig = classes.signature(k1);
            if sig.iter().all(|&c| c == usize::MAX) {
                total += m as f64 * (model.bounds.highest - model.bounds.lowest);
                continue;
            }
            let mut pools = [
                Moving::new(model, classes, k1),
                Moving::new(model, classes, k1),
            ];
            let mut now = [pools[0].current(m, true), pools[1].current(m, false)];
            for _ in 0..effort.rounds {
                let mut best: [Option<Move>; 2] = [None, None];
                let free = |c: usize| !taken[0].contains(&c) || !taken[1].contains(&c);
                let (mut tries, mut lookups) = (0, 0);
                'search: for (mask, on, off) in &self.masks {
                    for k2 in on.matching(signature, sig).filter(|&c| free(c)) {
                        let k3s = off.matching(signature, sig);
                        for k3 in k3s.filter(|&c| c != k2 && free(c)) {
                            lookups += 1;
                            if lookups > effort.lookups {
                                break 'search;
                            }
                            for (f, row) in t.iter_mut().enumerate() {
                                *row = if (mask >> f) & 1 == 1 {
                                    classes.signature(k3)[f]
                                } else {
                                    classes.signature(k2)[f]
                                };
                            }
                            let Some(k4) = classes.find(&t) else {
                                continue;
                            };
                            if k4 == k2 || k4 == k3 || !free(k4) {
                                continue;
                            }
                            tries += 1;
                            if tries > SWAP_TRIES {
                                break 'search;
                            }
                            let rectangle = [k2, k3, k4];
                            for (side, raise) in [(0, true), (1, false)] {
                                if rectangle.iter().any(|c| taken[side].contains(c)) {
                                    continue;
                                }
                                let (after, sum, counts) = pools[side].moved(m, rectangle, raise);
                                let gain = if raise {
                                    after - now[side]
                                } else {
                                    now[side] - after
                                };
                                if gain > EPSILON
                                    && best[side].as_ref().is_none_or(|b| gain > b.gain)
                                {
                                    best[side] = Some(Move {
                                        gain,
                                        rectangle,
                                        sum,
                                        counts,
                                    });
                                }
                            }
                        }
                    }
                }
                if best.iter().all(Option::is_none) {
                    break;
                }
                for (side, best) in best.into_iter().enumerate() {
                    if let Some(Move {
                        gain,
                        rectangle,
                        sum,
                        counts,
                    }) = best
                    {
                        // Only this class moves on: its partners serve no other move.
                        (pools[side].sum, pools[side].counts) = (sum, counts);
                        now[side] += if side == 0 { gain } else { -gain };
                        taken[side].extend_from_slice(&rectangle);
                    }
                }
            }
            total += (now[0] - now[1]).max(0.0);
        }
        total
    }
}

/// A move of a group's class along a rectangle of partners: what the group's part gains, and
/// the class's total after it.
struct Move {
    gain: f64,
    rectangle: [usize; 3],
    sum: f64,
    counts: Vec<u64>,
}

/// One class's total as a reading of the release has moved it: its sum (a score) or its
/// answers per point (an item).
struct Moving<'a> {
    model: &'a Model<'a>,
    classes: &'a Classes,
    class: usize,
    sum: f64,
    counts: Vec<u64>,
}

impl<'a> Moving<'a> {
    fn new(model: &'a Model<'a>, classes: &'a Classes, class: usize) -> Self {
        let points = model.points;
        Moving {
            model,
            classes,
            class,
            sum: classes.sum[class],
            counts: classes.counts[class * points..(class + 1) * points].to_vec(),
        }
    }

    /// The highest (`raise`) or lowest sum of `m` of the class's respondents.
    fn current(&self, m: u64, raise: bool) -> f64 {
        self.part(m, self.sum, &self.counts, raise)
    }

    /// [`Moving::current`] with the class's total at `sum` (a score) or `counts` (an item).
    fn part(&self, m: u64, sum: f64, counts: &[u64], raise: bool) -> f64 {
        let n = self.classes.n[self.class];
        part_sum(self.model.bounds, n, sum, counts, m, raise)
    }

    /// The move along a rectangle of untouched partners (K2, K3, K4): a vector `v` added to
    /// this class and K4 and taken from K2 and K3 keeps every row. For a score `v` is an
    /// amount; for an item it moves answers: this class and K4 take high answers K2 and K3
    /// both have and give them low answers, or the reverse to lower. Returns the
    /// part's sum after it, and the move.
    fn moved(&self, m: u64, [k2, k3, k4]: [usize; 3], raise: bool) -> (f64, f64, Vec<u64>) {
        let classes = self.classes;
        let points = self.model.points;
        if points == 0 {
            let MeanBounds {
                lowest, highest, ..
            } = self.model.bounds;
            let n = |c: usize| classes.n[c] as f64;
            let up = |c: usize| n(c) * highest - classes.sum[c];
            let down = |c: usize| classes.sum[c] - n(c) * lowest;
            let (own_up, own_down) = (
                n(self.class) * highest - self.sum,
                self.sum - n(self.class) * lowest,
            );
            let amount = if raise {
                own_up.min(down(k2)).min(down(k3)).min(up(k4))
            } else {
                -own_down.min(up(k2)).min(up(k3)).min(down(k4))
            };
            let sum = self.sum + amount;
            return (self.part(m, sum, &[], raise), sum, Vec::new());
        }
        let counts = |c: usize| &classes.counts[c * points..(c + 1) * points];
        let (x2, x3, x4) = (counts(k2), counts(k3), counts(k4));
        let mut after = self.counts.clone();
        let mut can_take: Vec<u64> = (0..points).map(|p| x2[p].min(x3[p])).collect();
        let mut can_give: Vec<u64> = (0..points).map(|p| self.counts[p].min(x4[p])).collect();
        // To raise, the highest answer taken for the lowest given while it is higher.
        let order: Vec<usize> = if raise {
            (0..points).rev().collect()
        } else {
            (0..points).collect()
        };
        let mut give = order.iter().rev().copied().peekable();
        'take: for &q in &order {
            while can_take[q] > 0 {
                let Some(&p) = give.peek() else {
                    break 'take;
                };
                if (raise && p >= q) || (!raise && p <= q) {
                    break 'take;
                }
                let amount = can_take[q].min(can_give[p]);
                after[q] += amount;
                after[p] -= amount;
                can_take[q] -= amount;
                can_give[p] -= amount;
                if can_give[p] == 0 {
                    give.next();
                }
            }
        }
        (self.part(m, 0.0, &after, raise), 0.0, after)
    }
}

/// The sum of the `m` highest (or lowest) answers of `counts` (answers per point).
fn take(counts: &[u64], m: u64, highest: bool) -> f64 {
    let mut left = m;
    let mut sum = 0.0;
    for i in 0..counts.len() {
        let p = if highest { counts.len() - 1 - i } else { i };
        let t = left.min(counts[p]);
        sum += t as f64 * p as f64;
        left -= t;
        if left == 0 {
            break;
        }
    }
    sum
}

/// P2's check of one measure (the audit's): every group under k whose possible means no
/// proof shows at least the protection level wide. `reach`: how far protection went in
/// this release; with [`MeanReach::EveryGroup`] items get the linear programs too.
pub fn check_means(
    layout: &Layout,
    respondents: &AtomIndex,
    answers: MeanAnswers<'_>,
    status: &[CellStatus],
    k: usize,
    bounds: MeanBounds,
    reach: MeanReach,
) -> MeanCheck {
    let model = Model::new(layout, respondents, answers, k, bounds);
    let mut settled = vec![false; model.groups.len()];
    MeanCheck {
        narrow: model
            .check(
                &Classes::new(&model, status),
                &mut settled,
                Proofs::Whole {
                    item_programs: reach == MeanReach::EveryGroup,
                },
                &[],
            )
            .0,
    }
}

/// Which groups [`protect_means`] protects in a release with report attributes (without,
/// every group of every scale and item is protected either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeanReach {
    /// Every group of every scale and item, with the audit's proofs but two (the swap
    /// certificate at the audit's effort and, for scales, the programs over regions; not
    /// the whole organisation's program nor items' programs, [`Proofs::Whole`]). So what the audit would list
    /// is hidden for. The programs make this too slow for a large organisation (the
    /// 10,000-unit benchmark took 56 s against 2 s), so a release uses it up to
    /// `release::EXACT_AUDIT_MAX_CELLS` cells.
    EveryGroup,
    /// The whole-unit groups of scales, and their attribute cuts where a shown row surely
    /// pins them; items are not protected. The audit lists the rest.
    WholeUnits,
}

/// Whether [`protect_means`] protects items' answers in this layout and reach, so a caller
/// need not prepare them otherwise.
pub fn protects_items(layout: &Layout, reach: MeanReach) -> bool {
    layout.value_counts.is_empty() || reach == MeanReach::EveryGroup
}

/// Hides further cells of `status` until every group under k is at least the protection level
/// wide, or no hiding but the root's whole cell could make it so (see the module
/// documentation). Returns the groups left narrow: the exceptions.
///
/// With report attributes, [`MeanReach::EveryGroup`] checks every group nearly as the audit
/// does ([`check_means`]): the class and swap certificates, the bound from above, and for
/// scores the programs over regions. A group narrow by the bound from above hides the row
/// that pins it most; any other narrow group the smallest cell near it, as without
/// attributes.
///
/// [`MeanReach::WholeUnits`] is for releases too large for the programs. The whole-unit
/// groups of scores (a unit's subtree, and its direct members) are protected with the class
/// and swap certificates ([`Swaps`]), and the attribute cuts of scores only where they are
/// surely narrow, by the bound from above ([`Rows::upper_width`]): a shown row that pins
/// them whatever else the release says, such as a team whose mean is 4.7 of 5 around a
/// tenure band of two. The certificates miss most moves that swap attribute values between
/// teams: protecting every group with them hid four in ten eligible cells of the benchmark
/// organisation, against the 5 points issue 17 allows. So a cut that is neither proved wide
/// nor surely narrow is left as it is; the audit ([`check_means`], with the linear program)
/// lists it. Items are not protected (nothing hidden, nothing returned): over every item of
/// the benchmark organisation, hiding only where they are surely narrow took the release
/// from 1.1 s to 3.7 s.
pub fn protect_means(
    layout: &Layout,
    respondents: &AtomIndex,
    answers: MeanAnswers<'_>,
    status: &mut [CellStatus],
    k: usize,
    bounds: MeanBounds,
    reach: MeanReach,
) -> MeanCheck {
    let proofs = match reach {
        MeanReach::EveryGroup => Proofs::Regions {
            item_programs: false,
        },
        MeanReach::WholeUnits => Proofs::Certificates,
    };
    protect_with(
        layout,
        respondents,
        answers,
        status,
        k,
        bounds,
        reach,
        proofs,
    )
}

/// [`protect_means`] over every group ([`MeanReach::EveryGroup`]) with items' programs too
/// (in whole answers, [`whole_answers`]): a release's last check of a measure, after P1 and
/// D9 hid more. Its proofs are the audit's ([`check_means`]) but the whole organisation's
/// program, so it hides for every group the audit at close could list, and for few more:
/// on the demo and the 311- and 211-unit organisations of BENCHMARKS.md, for none. With
/// the whole organisation's program too, a demo wave's release took 1.4 s longer to build;
/// with protection's own proofs (no items' programs), it hid 27 item cells of the 311-unit
/// organisation the audit passes.
pub fn protect_means_again(
    layout: &Layout,
    respondents: &AtomIndex,
    answers: MeanAnswers<'_>,
    status: &mut [CellStatus],
    k: usize,
    bounds: MeanBounds,
) -> MeanCheck {
    let reach = MeanReach::EveryGroup;
    let proofs = Proofs::Regions {
        item_programs: true,
    };
    protect_with(
        layout,
        respondents,
        answers,
        status,
        k,
        bounds,
        reach,
        proofs,
    )
}

#[allow(clippy::too_many_arguments)]
fn protect_with(
    layout: &Layout,
    respondents: &AtomIndex,
    answers: MeanAnswers<'_>,
    status: &mut [CellStatus],
    k: usize,
    bounds: MeanBounds,
    reach: MeanReach,
    proofs: Proofs,
) -> MeanCheck {
    if !protects_items(layout, reach) && matches!(answers, MeanAnswers::Points { .. }) {
        return MeanCheck::default();
    }
    let with_attributes = !layout.value_counts.is_empty();
    let every_group = reach == MeanReach::EveryGroup;
    let model = Model::new(layout, respondents, answers, k, bounds);
    // With attributes, a cut that a shown row surely pins hides that row; with
    // `WholeUnits`, only such cuts are protected.
    let surely: Vec<bool> = model
        .groups
        .iter()
        .map(|g| with_attributes && g.0.cut.is_some())
        .collect();
    let mut settled = vec![false; model.groups.len()];
    let everybody = Classes::one(&model);
    let fixable: Vec<bool> = (0..model.groups.len())
        .map(|i| model.could_be_wide(i, &everybody))
        .collect();
    let mut classes = Classes::new(&model, status);
    // Whether this round checks every group afresh, as the audit does.
    let mut fresh = true;
    loop {
        let (narrow, failing) = model.check(&classes, &mut settled, proofs, &surely);
        // A surely narrow group names the row that pins it most: hiding that row merges it
        // into a larger one (not the root's whole cell, which stays).
        let hideable = |cell: &usize| *cell != 0 && status.get(*cell) == Some(&CellStatus::Shown);
        let mut hide: Vec<usize> = failing
            .iter()
            .filter(|&&(i, _)| fixable[i])
            .filter_map(|&(i, row)| {
                row.filter(hideable)
                    .or_else(|| model.cell_to_hide(i, &classes, status))
            })
            .collect();
        hide.sort_unstable();
        hide.dedup();
        if hide.is_empty() && (fresh || !(every_group && with_attributes)) {
            return MeanCheck { narrow };
        }
        if hide.is_empty() {
            // A group settled in an earlier round stays wide (hiding only removes equations),
            // but the certificates found under fewer hidden cells may not be found again by
            // the audit, which starts from the final cells: so the last round is a fresh one,
            // and whatever it still finds narrow is hidden for too.
            settled.fill(false);
            classes = Classes::new(&model, status);
            fresh = true;
            continue;
        }
        for cell in hide {
            status[cell] = CellStatus::Complementary;
        }
        classes = classes.after_hiding(&model, status);
        fresh = false;
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
            MeanReach::EveryGroup,
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
            MeanReach::EveryGroup,
        );
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
            MeanReach::EveryGroup,
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
            MeanReach::EveryGroup,
        );
        assert!(before.narrow.iter().any(|g| g.group.unit == 1));
        let left = protect_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Scores(&scores),
            &mut status,
            5,
            bounds,
            MeanReach::EveryGroup,
        );
        assert!(left.narrow.is_empty(), "{left:?}");
        assert_eq!(status[3], CellStatus::Complementary, "C hidden for A");
        assert_eq!(status[0], CellStatus::Shown);
    }

    #[test]
    fn an_items_width_comes_from_whole_answers_not_from_shares_of_answers() {
        // Found in review: teams 0-2 (units 1-3) with their whole cells shown, attributes A
        // and B shown only at the root.
        // Per (team, a, b): the answers (points 0-2).
        type Answers = ((usize, usize, usize), &'static [usize]);
        let classes: [Answers; 10] = [
            ((0, 0, 0), &[0]),
            ((0, 0, 1), &[1]),
            ((0, 1, 0), &[2]),
            ((0, 1, 1), &[0]),
            ((1, 0, 0), &[1]),
            ((1, 0, 1), &[1]),
            ((1, 1, 0), &[2]),
            ((1, 1, 1), &[1, 1]),
            ((2, 0, 1), &[0]),
            ((2, 1, 0), &[1]),
        ];
        let layout = Layout::new(
            UnitTree::new(vec![None, Some(0), Some(0), Some(0)]).unwrap(),
            vec![2, 2],
        );
        let (mut placements, mut answers) = (Vec::new(), Vec::new());
        for &((team, a, b), points) in &classes {
            for &p in points {
                placements.push(Placement {
                    unit: team + 1,
                    values: vec![Some(a), Some(b)],
                });
                answers.push(Some(p));
            }
        }
        let status: Vec<CellStatus> = layout
            .cells()
            .iter()
            .map(|key| match (key.unit, key.cut) {
                (1..=3, Some(_)) => CellStatus::Complementary,
                _ => CellStatus::Shown,
            })
            .collect();
        // Team 0 with B = 1 answered 1 and 0. In whole answers every shown figure pins its
        // sum at 1 (checked by enumerating them); shares of answers would let it range over
        // [0.5, 1], a mean width of 0.25.
        let bounds = MeanBounds {
            lowest: 0.0,
            highest: 2.0,
            protection: 0.25,
        };
        let check = check_means(
            &layout,
            &AtomIndex::new(&placements),
            MeanAnswers::Points {
                of: &answers,
                points: 3,
            },
            &status,
            3,
            bounds,
            MeanReach::EveryGroup,
        );
        let group = CountGroup {
            unit: 1,
            cut: Some((1, 1)),
            direct: false,
        };
        let found = check.narrow.iter().find(|g| g.group == group);
        assert!(found.is_some_and(|g| g.width < 0.25), "{check:?}");
    }

    /// The audit of a release that protected every group ([`MeanReach::EveryGroup`]) runs
    /// an item's programs too, and in random organisations they prove wide some groups the
    /// certificates leave narrow; what they cannot prove stays listed. (That the widths are
    /// ones whole answers reach: tests/it/means_p2.rs, against an integer program.)
    #[test]
    fn an_items_programs_prove_groups_the_certificates_leave_narrow() {
        let mut rng = crate::testing::Rng(11);
        let (mut proved, mut listed) = (0, 0);
        for _ in 0..40 {
            let (layout, placements) = random_org(&mut rng, 8, (8, 40));
            let people = placements.len();
            let points: Vec<Option<usize>> = (0..people).map(|_| Some(rng.next(5))).collect();
            let k = 3 + rng.next(3);
            let status = suppress(&layout, &placements, &vec![true; people], k).unwrap();
            let bounds = MeanBounds::with_share(0.0, 4.0, 0.5);
            let index = AtomIndex::new(&placements);
            let answers = MeanAnswers::Points {
                of: &points,
                points: 5,
            };
            let check = |reach| check_means(&layout, &index, answers, &status, k, bounds, reach);
            let (with, without) = (check(MeanReach::EveryGroup), check(MeanReach::WholeUnits));
            for g in &with.narrow {
                assert!(without.narrow.iter().any(|h| h.group == g.group), "{g:?}");
            }
            proved += without.narrow.len() - with.narrow.len();
            listed += with.narrow.len();
        }
        assert!(
            proved > 50 && listed > 50,
            "{proved} proved, {listed} still listed"
        );
    }

    /// A random tree of `2 + rng.next(units)` units and `people.0 + rng.next(people.1)`
    /// respondents with two attributes (two values, and three or none).
    fn random_org(
        rng: &mut crate::testing::Rng,
        units: usize,
        people: (usize, usize),
    ) -> (Layout, Vec<Placement>) {
        let units = 2 + rng.next(units);
        let parents: Vec<Option<usize>> =
            (0..units).map(|u| (u > 0).then(|| rng.next(u))).collect();
        let layout = Layout::new(UnitTree::new(parents).unwrap(), vec![2, 3]);
        let people = people.0 + rng.next(people.1);
        let placements: Vec<Placement> = (0..people)
            .map(|_| Placement {
                unit: rng.next(units),
                values: vec![Some(rng.next(2)), (rng.next(4) > 0).then(|| rng.next(3))],
            })
            .collect();
        (layout, placements)
    }

    /// Random organisations with two attributes, statuses from the suppressor: for every
    /// group under k, scores and items, the certificates and the region programs give widths
    /// the bound from above (which lets the audit skip the program) does not exceed, and so
    /// does the full program (the whole tree as the region); for scores the full program
    /// allows every width the others give.
    #[test]
    fn the_bounds_from_below_and_above_hold_the_full_program_between_them() {
        let mut rng = crate::testing::Rng(7);
        let mut checked = 0;
        for _ in 0..80 {
            let (layout, placements) = random_org(&mut rng, 8, (8, 40));
            let people = placements.len();
            let skew = rng.next(3);
            let points: Vec<usize> = (0..people)
                .map(|_| match (skew, rng.next(4)) {
                    (0, _) | (_, 0) => rng.next(5),
                    (1, _) => 4,
                    _ => rng.next(2),
                })
                .collect();
            let k = 3 + rng.next(3);
            let status = suppress(&layout, &placements, &vec![true; people], k).unwrap();
            let scores: Vec<Option<f64>> = points.iter().map(|&p| Some(p as f64)).collect();
            let items: Vec<Option<usize>> = points.iter().map(|&p| Some(p)).collect();
            let bounds = MeanBounds::with_share(0.0, 4.0, 0.5);
            let index = AtomIndex::new(&placements);
            for answers in [
                MeanAnswers::Scores(&scores),
                MeanAnswers::Points {
                    of: &items,
                    points: 5,
                },
            ] {
                let model = Model::new(&layout, &index, answers, k, bounds);
                let classes = Classes::new(&model, &status);
                let swaps = Swaps::new(&classes);
                let rows = Rows::default();
                for (i, (group, range, n)) in model.groups.iter().enumerate() {
                    let atoms = &model.members[range.clone()];
                    let n = *n as f64;
                    let full = model.lp_width_in(i, &classes, &[0]).unwrap();
                    let mut parts: Vec<(usize, u64)> = Vec::new();
                    for &a in atoms {
                        let c = classes.class[a];
                        match parts.iter_mut().find(|p| p.0 == c) {
                            Some(p) => p.1 += model.n[a],
                            None => parts.push((c, model.n[a])),
                        }
                    }
                    let classes_only: f64 = parts
                        .iter()
                        .map(|&(c, m)| classes.width(&model, c, m))
                        .sum();
                    let with_swaps = swaps.width(&model, &classes, &parts, AUDIT_EFFORT);
                    let regions = model.lp_width(i, &classes, 0.0, true).unwrap_or(0.0);
                    let above = rows.upper_width(&model, &classes, atoms) / n;
                    // An item's program gives a width only from whole answers, so it is one
                    // more bound from below (tests/it/means_p2.rs checks those against an
                    // integer program); a score's is exact over the organisation.
                    let item = model.points > 0;
                    for below in [classes_only / n, with_swaps / n, regions] {
                        assert!(
                            item || below <= full + EPSILON,
                            "{group:?}: {below} > {full}"
                        );
                        assert!(below <= above + EPSILON, "{group:?}: {below} > {above}");
                    }
                    assert!(full <= above + EPSILON, "{group:?}: {full} > {above}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 2_000, "{checked} groups");
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
            MeanReach::EveryGroup,
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
            MeanReach::EveryGroup,
        );
        assert!(check.narrow.is_empty(), "{check:?}");
    }

    /// Protection's later rounds derive the classes from the round before
    /// ([`Classes::after_hiding`]); they must be the classes built afresh, numbered alike (the
    /// swap search tries partners in class order) and with totals added in the same order.
    #[test]
    fn classes_after_hiding_are_the_classes_built_afresh() {
        let mut rng = crate::testing::Rng(11);
        let mut compared = 0;
        for _ in 0..60 {
            let (layout, placements) = random_org(&mut rng, 12, (8, 60));
            let people = placements.len();
            // Thirds, whose float sums depend on the order they are added in.
            let scores: Vec<Option<f64>> = (0..people)
                .map(|_| (rng.next(8) > 0).then(|| rng.next(13) as f64 / 3.0))
                .collect();
            let items: Vec<Option<usize>> = (0..people)
                .map(|_| (rng.next(8) > 0).then(|| rng.next(5)))
                .collect();
            let mut status: Vec<CellStatus> = (0..layout.cell_count())
                .map(|_| {
                    if rng.next(3) > 0 {
                        CellStatus::Shown
                    } else {
                        CellStatus::Complementary
                    }
                })
                .collect();
            let index = AtomIndex::new(&placements);
            let bounds = MeanBounds::with_share(0.0, 4.0, 0.5);
            let answers = if rng.next(2) == 0 {
                MeanAnswers::Scores(&scores)
            } else {
                MeanAnswers::Points {
                    of: &items,
                    points: 5,
                }
            };
            let model = Model::new(&layout, &index, answers, 3, bounds);
            let mut classes = Classes::new(&model, &status);
            while status.contains(&CellStatus::Shown) {
                for _ in 0..1 + rng.next(3) {
                    let cell = rng.next(status.len());
                    status[cell] = CellStatus::Complementary;
                }
                classes = classes.after_hiding(&model, &status);
                let fresh = Classes::new(&model, &status);
                assert_eq!(classes.signatures, fresh.signatures);
                assert_eq!(classes.class, fresh.class);
                assert_eq!(classes.n, fresh.n);
                let bits = |sums: &[f64]| sums.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&classes.sum), bits(&fresh.sum));
                assert_eq!(classes.counts, fresh.counts);
                for c in 0..fresh.n.len() {
                    assert_eq!(classes.find(fresh.signature(c)), Some(c));
                }
                assert_eq!(classes.ids.len(), fresh.n.len());
                compared += 1;
            }
        }
        assert!(compared > 200, "{compared} rounds");
    }

    /// The groups under k are every cell under k and every non-leaf unit's direct members
    /// under k (whole and per value), in group order, each with its atoms in order: as a
    /// plain sort of (group, atom) pairs finds them.
    #[test]
    fn small_groups_are_the_cells_and_direct_members_under_k_in_order() {
        let mut rng = crate::testing::Rng(17);
        let mut seen = 0;
        for _ in 0..60 {
            let (layout, placements) = random_org(&mut rng, 14, (4, 70));
            let people = placements.len();
            let scores: Vec<Option<f64>> = (0..people)
                .map(|_| (rng.next(6) > 0).then(|| rng.next(5) as f64))
                .collect();
            let k = 2 + rng.next(5);
            let index = AtomIndex::new(&placements);
            let bounds = MeanBounds::with_share(0.0, 4.0, 0.5);
            let model = Model::new(&layout, &index, MeanAnswers::Scores(&scores), k, bounds);
            let small = |n: u64| n >= 1 && n < k as u64;
            let mut pairs: Vec<(CountGroup, usize)> = Vec::new();
            for a in 0..model.atoms.len() {
                model.for_cells_of(a, |cell| {
                    let key = layout.cell_key(cell);
                    let group = CountGroup {
                        unit: key.unit,
                        cut: key.cut,
                        direct: false,
                    };
                    pairs.push((group, a));
                });
                let atom = model.atoms[a];
                if !layout.tree.children(atom.unit).is_empty() {
                    let values = atom.values.iter().enumerate();
                    let cuts = std::iter::once(None)
                        .chain(values.filter_map(|(i, v)| v.map(|v| Some((i, v)))));
                    for cut in cuts {
                        let unit = atom.unit;
                        pairs.push((
                            CountGroup {
                                unit,
                                cut,
                                direct: true,
                            },
                            a,
                        ));
                    }
                }
            }
            pairs.sort_unstable();
            let expected: Vec<(CountGroup, Vec<usize>, u64)> = pairs
                .chunk_by(|x, y| x.0 == y.0)
                .map(|run| {
                    let atoms: Vec<usize> = run.iter().map(|p| p.1).collect();
                    let n = atoms.iter().map(|&a| model.n[a]).sum();
                    (run[0].0, atoms, n)
                })
                .filter(|g| small(g.2))
                .collect();
            let groups: Vec<(CountGroup, Vec<usize>, u64)> = (0..model.groups.len())
                .map(|i| {
                    (
                        model.groups[i].0,
                        model.members_of(i).to_vec(),
                        model.groups[i].2,
                    )
                })
                .collect();
            assert_eq!(groups, expected);
            seen += expected.len();
        }
        assert!(seen > 300, "{seen} groups");
    }

    /// Atoms are the distinct placements in placement order (classes and swaps follow it), and
    /// every respondent's atom is its own placement.
    #[test]
    fn atoms_are_the_distinct_placements_in_order() {
        let mut rng = crate::testing::Rng(3);
        let placements: Vec<Placement> = (0..400)
            .map(|_| Placement {
                unit: rng.next(9),
                values: vec![(rng.next(5) > 0).then(|| rng.next(3)), Some(rng.next(2))],
            })
            .collect();
        let index = AtomIndex::new(&placements);
        assert!(index.placements.windows(2).all(|w| w[0] < w[1]));
        assert!(index.placements.len() > 50, "{}", index.placements.len());
        for (p, &a) in placements.iter().zip(&index.of) {
            assert_eq!(&index.placements[a], p);
        }
    }

    /// Signatures too wide to pack into one number are looked up as slices, with the same ids.
    #[test]
    fn signatures_get_the_same_ids_packed_or_as_slices() {
        let mut rng = crate::testing::Rng(5);
        let mut packed = SignatureIds::new(20, 3, 0);
        let mut slices = SignatureIds::new(usize::MAX / 2, 3, 0);
        assert!(matches!(packed, SignatureIds::Packed { .. }));
        assert!(matches!(slices, SignatureIds::Slices(_)));
        let mut next = 0;
        for _ in 0..500 {
            let signature: Vec<usize> = (0..3)
                .map(|_| match rng.next(6) {
                    0 => usize::MAX,
                    _ => rng.next(20),
                })
                .collect();
            let id = packed.id_or(&signature, next);
            assert_eq!(slices.id_or(&signature, next), id, "{signature:?}");
            assert_eq!(slices.find(&signature), Some(id));
            next += usize::from(id == next);
        }
        assert!(next > 100, "{next} signatures");
        assert_eq!(packed.find(&[21, 0, 0]), None);
        assert_eq!(slices.find(&[21, 0, 0]), None);
        // What the later rounds do: move a signature, drop one, renumber.
        for ids in [&mut packed, &mut slices] {
            ids.remove(&[21, 0, 0]);
            ids.insert(&[21, 0, 0], 3);
            ids.remove(&[21, 0, 0]);
            ids.insert(&[21, 1, usize::MAX], 0);
            ids.renumber(|id| id * 2);
        }
        assert_eq!(packed.len(), slices.len());
        assert_eq!(packed.find(&[21, 0, 0]), None);
        assert_eq!(slices.find(&[21, 0, 0]), None);
        assert_eq!(packed.find(&[21, 1, usize::MAX]), Some(0));
        assert_eq!(slices.find(&[21, 1, usize::MAX]), Some(0));
        let mut rng = crate::testing::Rng(5);
        for _ in 0..500 {
            let signature: Vec<usize> = (0..3)
                .map(|_| match rng.next(6) {
                    0 => usize::MAX,
                    _ => rng.next(20),
                })
                .collect();
            let id = packed.find(&signature);
            assert!(id.is_some_and(|id| id % 2 == 0), "{signature:?}");
            assert_eq!(slices.find(&signature), id);
        }
    }
}
