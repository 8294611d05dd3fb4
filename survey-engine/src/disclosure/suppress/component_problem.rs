//! One component as an exact problem (`Problem`): the row echelon form of its rows, the reduced
//! rows of W (the span restricted to zero on big columns) that the breach search walks, and
//! the coefficients of a breach as a combination of the rows (`solve`); plus the reusable
//! buffers for it (`Scratch`). Arithmetic overflow in the fast number type is reported so the
//! caller can redo the work with `BigRational`.

use super::breach_search::{Search, SearchBufs};
use super::row_reduction::{reduce, scale, Acc, Row};
use super::NONE;
use crate::disclosure::exact::Exact;
use num_rational::BigRational;
use num_traits::Zero;
use std::collections::HashSet;

/// One component: rows of 0/1 over local columns; columns `0..nbig` are big atoms.
pub(super) struct Problem<'p> {
    pub(super) ncols: usize,
    pub(super) nbig: usize,
    pub(super) weights: &'p [usize],
    /// Row `i` has ones at `cols[starts[i]..starts[i + 1]]` (sorted).
    pub(super) starts: &'p [usize],
    pub(super) cols: &'p [usize],
    /// The same for the rows left by [`Peel`]; they span the same W.
    ///
    /// [`Peel`]: super::peel::Peel
    pub(super) core_starts: &'p [usize],
    pub(super) core_cols: &'p [usize],
    pub(super) k: usize,
    /// Seeds known to start no breach.
    pub(super) skip: &'p [bool],
}

impl Problem<'_> {
    fn ones<F: Exact>(cols: &[usize]) -> Row<F> {
        cols.iter().map(|&c| (c, F::from_int(1))).collect()
    }

    fn nrows(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    fn row(&self, i: usize) -> &[usize] {
        &self.cols[self.starts[i]..self.starts[i + 1]]
    }

    /// Finds one minimal derivable set of small atoms of weight 1..k-1 (sorted local columns).
    /// Outer `None`: arithmetic overflow (then `sc` is left dirty: use a fresh one).
    pub(super) fn find_breach<F: Exact>(&self, sc: &mut Scratch<F>) -> Option<Option<Vec<usize>>> {
        let ncols = self.ncols;
        sc.acc.ensure(ncols);
        sc.pivot_of.clear();
        sc.pivot_of.resize(ncols, NONE);
        sc.arena.clear();
        sc.basis.clear();
        // Row echelon form (leading entries only) of the peeled rows, short rows first.
        let (starts, cols) = (self.core_starts, self.core_cols);
        let ncore = starts.len().saturating_sub(1);
        sc.order.clear();
        sc.order.extend(0..ncore);
        sc.order
            .sort_unstable_by_key(|&i| (starts[i + 1] - starts[i], i));
        for oi in 0..sc.order.len() {
            let i = sc.order[oi];
            sc.acc.add_ones(&cols[starts[i]..starts[i + 1]])?;
            // Subtracting the basis row with pivot c clears column c and touches only
            // columns after c, so the leading column only moves right.
            let mut at = 0;
            while let Some(c) = sc.acc.lead(at) {
                let b = sc.pivot_of[c];
                if b == NONE {
                    break;
                }
                let neg = F::from_int(0).sub(&sc.acc.val[c])?;
                let (from, to) = sc.basis[b];
                sc.acc.add_scaled(&sc.arena[from..to], &neg)?;
                at = c + 1;
            }
            let from = sc.arena.len();
            sc.acc.drain_into(&mut sc.arena);
            let Some((lead, val)) = sc.arena.get(from).cloned() else {
                continue;
            };
            if !val.is_int(1) {
                for e in &mut sc.arena[from..] {
                    e.1 = e.1.div(&val)?;
                }
            }
            sc.pivot_of[lead] = sc.basis.len();
            sc.basis.push((from, sc.arena.len()));
        }
        // W: rows with a small pivot, brought to reduced form among themselves.
        sc.w.clear();
        for &(from, to) in &sc.basis {
            if sc.arena[from].0 >= self.nbig {
                sc.w.push((from, to));
            }
        }
        if sc.w.is_empty() {
            return Some(None);
        }
        let arena = &sc.arena;
        sc.w.sort_unstable_by_key(|&(from, _)| arena[from].0);
        sc.wpiv.clear();
        sc.wpiv.resize(ncols, NONE);
        for (i, &(from, _)) in sc.w.iter().enumerate() {
            sc.wpiv[sc.arena[from].0] = i;
        }
        // Rows with larger pivots are already reduced and are zero on every other pivot
        // column, so subtracting them never changes this row's entries on pivot columns.
        for i in (0..sc.w.len()).rev() {
            let (from, to) = sc.w[i];
            if !sc.arena[from + 1..to].iter().any(|e| sc.wpiv[e.0] != NONE) {
                continue;
            }
            sc.acc.add_row(&sc.arena[from..to])?;
            for e in from + 1..to {
                let (c, ref coef) = sc.arena[e];
                let j = sc.wpiv[c];
                if j == NONE {
                    continue;
                }
                let neg = F::from_int(0).sub(coef)?;
                let (jf, jt) = sc.w[j];
                sc.acc.add_scaled(&sc.arena[jf..jt], &neg)?;
            }
            let start = sc.arena.len();
            sc.acc.drain_into(&mut sc.arena);
            sc.w[i] = (start, sc.arena.len());
        }
        // Constraints: for every free column, the pivots with a non-zero coefficient there,
        // in increasing order (compressed rows by column).
        sc.col_start.clear();
        sc.col_start.resize(ncols + 1, 0);
        for &(from, to) in &sc.w {
            for e in &sc.arena[from + 1..to] {
                sc.col_start[e.0 + 1] += 1;
            }
        }
        for c in 0..ncols {
            sc.col_start[c + 1] += sc.col_start[c];
        }
        sc.col_rows.clear();
        sc.col_rows.resize(sc.col_start[ncols], 0);
        sc.col_fill.clear();
        sc.col_fill.extend_from_slice(&sc.col_start[..ncols]);
        for &(from, to) in &sc.w {
            let p = sc.arena[from].0;
            for e in &sc.arena[from + 1..to] {
                sc.col_rows[sc.col_fill[e.0]] = p;
                sc.col_fill[e.0] += 1;
            }
        }
        let mut search = Search {
            p: self,
            arena: &sc.arena,
            w: &sc.w,
            wpiv: &sc.wpiv,
            col_start: &sc.col_start,
            col_rows: &sc.col_rows,
            seed: 0,
            s: &mut sc.search,
        };
        search.s.reset(ncols);
        for seed in self.nbig..ncols {
            if self.weights[seed] >= self.k || self.skip[seed] {
                continue;
            }
            search.seed = seed;
            if !search.s.seen.is_empty() {
                search.s.seen.clear();
            }
            search.s.x.clear();
            search.s.x.push(seed);
            search.s.in_x[seed] = true;
            let found = search.dfs(self.weights[seed])?;
            search.s.in_x[seed] = false;
            if found {
                return Some(Some(search.s.x.clone()));
            }
        }
        Some(None)
    }

    /// Coefficients (per row) of one combination of the rows equal to the indicator of `set`.
    /// `None`: arithmetic overflow. An empty vector if the set is not in the span.
    pub(super) fn solve<F: Exact>(&self, set: &[usize]) -> Option<Vec<BigRational>> {
        let mut acc = Acc::<F>::new(self.ncols);
        let mut combo_acc = Acc::<F>::new(self.nrows());
        let mut pivot_of = vec![NONE; self.ncols];
        let mut basis: Vec<Row<F>> = Vec::new();
        let mut combos: Vec<Row<F>> = Vec::new();
        let mut used = Vec::new();
        let one = F::from_int(1);
        for i in 0..self.nrows() {
            used.clear();
            let mut row = reduce(
                &mut acc,
                &Self::ones::<F>(self.row(i)),
                &basis,
                &pivot_of,
                &mut used,
            )?;
            let Some((lead, val)) = row.first().cloned() else {
                continue;
            };
            // row = original - Σ coef * basis[b], so its combination is e_i - Σ coef * combo[b].
            combo_acc.add_scaled(&[(i, one.clone())], &one)?;
            for (b, coef) in &used {
                let neg = F::from_int(0).sub(coef)?;
                combo_acc.add_scaled(&combos[*b], &neg)?;
            }
            let mut combo = combo_acc.drain();
            scale(&mut row, &val)?;
            scale(&mut combo, &val)?;
            pivot_of[lead] = basis.len();
            basis.push(row);
            combos.push(combo);
        }
        let mut sorted = set.to_vec();
        sorted.sort_unstable();
        used.clear();
        let rest = reduce(
            &mut acc,
            &Self::ones::<F>(&sorted),
            &basis,
            &pivot_of,
            &mut used,
        )?;
        if !rest.is_empty() {
            return Some(Vec::new());
        }
        for (b, coef) in &used {
            combo_acc.add_scaled(&combos[*b], coef)?;
        }
        let mut out = vec![BigRational::zero(); self.nrows()];
        for (i, v) in combo_acc.drain() {
            out[i] = v.to_big();
        }
        Some(out)
    }
}

/// Buffers for the exact check, reused across components and measures (one set per number
/// type). Every use starts by resetting what it reads.
pub(super) struct Scratch<F> {
    acc: Acc<F>,
    order: Vec<usize>,
    pivot_of: Vec<usize>,
    /// Echelon rows, then W's reduced rows, as ranges of `arena`.
    arena: Vec<(usize, F)>,
    basis: Vec<(usize, usize)>,
    w: Vec<(usize, usize)>,
    wpiv: Vec<usize>,
    col_start: Vec<usize>,
    col_fill: Vec<usize>,
    col_rows: Vec<usize>,
    search: SearchBufs<F>,
}

impl<F: Exact> Scratch<F> {
    pub(super) fn new() -> Self {
        Scratch {
            acc: Acc::new(0),
            order: Vec::new(),
            pivot_of: Vec::new(),
            arena: Vec::new(),
            basis: Vec::new(),
            w: Vec::new(),
            wpiv: Vec::new(),
            col_start: Vec::new(),
            col_fill: Vec::new(),
            col_rows: Vec::new(),
            search: SearchBufs {
                x: Vec::new(),
                in_x: Vec::new(),
                vals: Acc::new(0),
                untouched: Vec::new(),
                buf: Vec::new(),
                seen: HashSet::default(),
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::disclosure::exact::Small;
    use crate::testing::Rng;

    fn dense_problem(rng: &mut Rng, n: usize) -> (Vec<usize>, Vec<usize>) {
        let mut starts = vec![0];
        let mut cols = Vec::new();
        for _ in 0..n {
            cols.extend((0..n).filter(|_| rng.next(2) == 0));
            starts.push(cols.len());
        }
        (starts, cols)
    }

    /// `Small` overflows on dense problems; the caller then redoes the work with `BigRational`
    /// and keeps using the same (dirty) `Small` scratch for the next component, which must not
    /// change any answer.
    #[test]
    fn search_survives_overflow_and_dirty_scratch() {
        let mut rng = Rng(11);
        let mut shared = Scratch::<Small>::new();
        let mut overflows = 0;
        for round in 0..16 {
            let n = if round % 2 == 0 { 36 } else { 3 + rng.next(10) };
            let (starts, cols) = dense_problem(&mut rng, n);
            let k = 3 + rng.next(4);
            let weights: Vec<usize> = (0..n).map(|_| 1 + rng.next(k)).collect();
            let nbig = 0;
            let skip = vec![false; n];
            let problem = Problem {
                ncols: n,
                nbig,
                weights: &weights,
                starts: &starts,
                cols: &cols,
                core_starts: &starts,
                core_cols: &cols,
                k,
                skip: &skip,
            };
            let big = problem
                .find_breach::<BigRational>(&mut Scratch::new())
                .expect("BigRational never overflows");
            let fresh = problem.find_breach::<Small>(&mut Scratch::new());
            let reused = problem.find_breach::<Small>(&mut shared);
            assert_eq!(fresh, reused, "round {round}");
            match fresh {
                Some(found) => assert_eq!(found, big, "round {round}"),
                None => overflows += 1,
            }
        }
        assert!(overflows >= 3, "overflow exercised {overflows} times");
    }
}
