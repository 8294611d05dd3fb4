//! P1's last certificate: an integer program. The moves of [`super::Classes`] and
//! [`super::Within`] are sufficient, not necessary: a group they leave may still be free
//! through several people changing at once (one person answering a question instead of
//! another while a third joins the scale elsewhere). Before such a group is counted as an
//! exception, a program asks whether any counts other than the true ones agree with every
//! shown count the reader reads with it, the roster's bounds and, for a question beside its
//! scale, the scoring rule. A solution is a certificate like any move.
//!
//! Atoms of one class of every measure read (and on the same side of the group) are
//! interchangeable, so the program has one variable per such bucket and measure: its
//! deviation from the true count. A shown cell's count is the same as saying that, per
//! family, the atoms whose nearest shown cell it is keep their sum, so each such row of
//! buckets sums to a deviation of 0. Scoring needs a fewest number of answers per person,
//! and people of one bucket are interchangeable, so per bucket a question's count is at most
//! the scale's and the questions' counts add up to at least the fewest times the scale's.
//!
//! A large organisation's program is cut to the subtree of the highest of the group's
//! ancestors with few enough atoms for [`LIMIT`] variables; atoms outside it keep their true
//! counts, which only restricts the solutions: a solution is still a certificate.
//! Programs run for the groups left at the end of a protection or check (none on the
//! benchmark organisation), and during a protection for groups nobody in them can move
//! from or to (which no hiding frees by a move), within [`BUDGET`] variables each time
//! (each round), so they cost nothing where the moves suffice and little where they do not.

use super::{Classes, CountModel};
use rustc_hash::FxHashMap as HashMap;

/// The most variables a program may have: one per atom of its region and measure read, at
/// most (a bucket holds at least one atom).
const LIMIT: usize = 1_000;

/// The most variables the programs of one protection's or check's end may have together.
pub(super) const BUDGET: usize = 8_000;

/// A question beside its scale, per atom ([`super::Within`]).
pub(super) struct Beside<'r> {
    /// The scale's classes and respondents.
    pub classes: &'r Classes<'r>,
    pub scale: &'r [u64],
    /// The scale's other questions' respondents, read on the question's classes, and
    /// whether their counts may change (where not, they stay as they are).
    pub siblings: Vec<(Vec<u64>, bool)>,
    /// The fewest answers a score on the scale needs.
    pub least: u64,
}

/// What the reader reads with a measure: its respondents per atom and classes, and its
/// scale's counts for a question.
pub(super) struct Reading<'r> {
    pub n: &'r [u64],
    pub classes: &'r Classes<'r>,
    pub beside: Option<&'r Beside<'r>>,
}

/// A bucket of interchangeable atoms: its classes (the measure's, the scale's), whether it is
/// in the group, and per measure read (the measure, then the scale and the siblings) its
/// true count, with the invited count.
struct Bucket {
    class: usize,
    outer: usize,
    in_group: bool,
    invited: u64,
    counts: Vec<u64>,
}

impl CountModel<'_> {
    /// Whether a program finds counts for the group made of `atoms` other than the true ones,
    /// within `budget` variables (less the program's own when it runs).
    pub(super) fn program_frees(
        &self,
        unit: usize,
        atoms: &[usize],
        reading: &Reading<'_>,
        budget: &mut usize,
    ) -> bool {
        let measures = reading.beside.map_or(1, |b| 2 + b.siblings.len());
        // The highest of the group's ancestors whose subtree has few enough atoms (a
        // bucket holds at least one).
        let mut root = unit;
        while let Some(p) = self.layout.tree.parent(root) {
            if self.subtree_atoms[p] * measures > LIMIT {
                break;
            }
            root = p;
        }
        if self.subtree_atoms[root] * measures > LIMIT || *budget == 0 {
            return false;
        }
        let buckets = self.buckets(root, atoms, reading);
        // A program over what is left of the budget is skipped; smaller ones may still run.
        let Some(left) = budget.checked_sub(buckets.len() * measures) else {
            return false;
        };
        *budget = left;
        self.solve(&buckets, reading)
    }

    /// The buckets of the atoms in `root`'s subtree.
    fn buckets(&self, root: usize, group: &[usize], reading: &Reading<'_>) -> Vec<Bucket> {
        let tree = &self.layout.tree;
        let mut index: HashMap<(usize, usize, bool), usize> = HashMap::default();
        let mut buckets: Vec<Bucket> = Vec::new();
        let mut units = vec![root];
        while let Some(u) = units.pop() {
            units.extend_from_slice(tree.children(u));
            for &a in &self.by_unit[u] {
                let in_group = group.contains(&a);
                let outer = reading.beside.map_or(0, |b| b.classes.part.class[a]);
                let key = (reading.classes.part.class[a], outer, in_group);
                let b = *index.entry(key).or_insert_with(|| {
                    buckets.push(Bucket {
                        class: key.0,
                        outer,
                        in_group,
                        invited: 0,
                        counts: vec![0; reading.beside.map_or(1, |b| 2 + b.siblings.len())],
                    });
                    buckets.len() - 1
                });
                let bucket = &mut buckets[b];
                bucket.invited += self.invited[a];
                bucket.counts[0] += reading.n[a];
                if let Some(beside) = reading.beside {
                    bucket.counts[1] += beside.scale[a];
                    for (j, (sibling, _)) in beside.siblings.iter().enumerate() {
                        bucket.counts[2 + j] += sibling[a];
                    }
                }
            }
        }
        buckets
    }

    /// Whether the program over `buckets` moves the group's count up or down.
    fn solve(&self, buckets: &[Bucket], reading: &Reading<'_>) -> bool {
        use microlp::{ComparisonOp, OptimizationDirection, Problem};
        // Rows: per measure read, family and nearest shown cell, the buckets there. The
        // siblings are read on the question's classes; the scale on its own.
        let mut rows: HashMap<(usize, usize, usize), Vec<usize>> = HashMap::default();
        let free = |m: usize| {
            m < 2
                || reading
                    .beside
                    .is_some_and(|b| b.siblings.get(m - 2).is_some_and(|s| s.1))
        };
        for (b, bucket) in buckets.iter().enumerate() {
            for m in (0..bucket.counts.len()).filter(|&m| free(m)) {
                let (classes, class) = match (m, reading.beside) {
                    (1, Some(beside)) => (beside.classes, bucket.outer),
                    _ => (reading.classes, bucket.class),
                };
                for (f, &cell) in classes.signature(class).iter().enumerate() {
                    if cell != usize::MAX {
                        rows.entry((m, f, cell)).or_default().push(b);
                    }
                }
            }
        }
        let to_i32 = |x: u64| i32::try_from(x).unwrap_or(i32::MAX);
        let solve = |direction| -> Option<f64> {
            let mut problem = Problem::new(direction);
            // Deviations from the true counts: the truth is the point 0.
            let vars: Vec<Vec<_>> = buckets
                .iter()
                .map(|bucket| {
                    bucket
                        .counts
                        .iter()
                        .enumerate()
                        .map(|(m, &count)| {
                            let objective = if m == 0 && bucket.in_group { 1.0 } else { 0.0 };
                            let (low, high) = match free(m) {
                                true => (-to_i32(count), to_i32(bucket.invited - count)),
                                false => (0, 0),
                            };
                            problem.add_integer_var(objective, (low, high))
                        })
                        .collect()
                })
                .collect();
            for ((m, _, _), row) in &rows {
                let terms: Vec<_> = row.iter().map(|&b| (vars[b][*m], 1.0)).collect();
                problem.add_constraint(terms, ComparisonOp::Eq, 0.0);
            }
            if let Some(beside) = reading.beside {
                for (bucket, v) in buckets.iter().zip(&vars) {
                    let c = |m: usize| bucket.counts[m] as f64;
                    // Each question's count at most the scale's.
                    for m in (0..v.len()).filter(|&m| m != 1) {
                        problem.add_constraint(
                            [(v[m], 1.0), (v[1], -1.0)],
                            ComparisonOp::Le,
                            c(1) - c(m),
                        );
                    }
                    // The questions' counts at least the fewest answers times the scale's.
                    let least = beside.least as f64;
                    let mut terms: Vec<_> = (0..v.len())
                        .filter(|&m| m != 1)
                        .map(|m| (v[m], 1.0))
                        .collect();
                    terms.push((v[1], -least));
                    let answers: f64 = (0..v.len()).filter(|&m| m != 1).map(c).sum();
                    problem.add_constraint(terms, ComparisonOp::Ge, least * c(1) - answers);
                }
            }
            problem.solve().ok().map(|s| s.objective())
        };
        // An integer solution's objective is an integer: half a respondent off the truth is
        // a whole one.
        solve(OptimizationDirection::Maximize).is_some_and(|high| high > 0.5)
            || solve(OptimizationDirection::Minimize).is_some_and(|low| low < -0.5)
    }
}
