//! The suppressor: primary suppression, then complementary suppression by residual rows,
//! a laminar pass and an exact per-component check. See the module documentation of
//! [`crate::disclosure`] for the method and its safety argument.

use super::exact::{Exact, Small};
use super::{validate, CellStatus, DisclosureError, Layout, Placement};
use num_rational::BigRational;
use num_traits::Zero;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};

const NONE: usize = usize::MAX;

/// Decides every cell's status for one measure. `present[r]` says whether respondent `r` counts
/// for this measure. The result is indexed like [`Layout::cells`].
///
/// Deterministic: the same input always gives the same output.
pub fn suppress(
    layout: &Layout,
    placements: &[Placement],
    present: &[bool],
    k: usize,
) -> Result<Vec<CellStatus>, DisclosureError> {
    validate(layout, placements, present, k)?;
    let mut state = State::new(layout, placements, present, k);
    state.local_pass();
    state.component_pass();
    Ok(state.status)
}

struct State<'a> {
    layout: &'a Layout,
    k: usize,
    /// Cells per unit (= number of families).
    stride: usize,
    /// Row slots per atom: 0 for the whole family, 1 + a for attribute a.
    slots: usize,
    /// Slot of each family.
    fam_slot: Vec<usize>,
    /// Respondents per cell.
    n: Vec<usize>,
    status: Vec<CellStatus>,
    atom_unit: Vec<usize>,
    atom_weight: Vec<usize>,
    /// Residual row (shown cell) per atom and slot, or `NONE`.
    atom_row: Vec<usize>,
    /// Atoms of each shown cell's residual.
    row_atoms: Vec<Vec<usize>>,
    /// Small atoms known to be the smallest atom of no breach. Hiding cells only shrinks the
    /// span, so the set of derivable sets only shrinks and this stays true.
    seed_clean: Vec<bool>,
}

impl<'a> State<'a> {
    fn new(layout: &'a Layout, placements: &[Placement], present: &[bool], k: usize) -> Self {
        let tree = &layout.tree;
        let stride = layout.cells_per_unit();
        let na = layout.value_counts.len();
        let slots = 1 + na;
        let mut fam_offset = Vec::with_capacity(na);
        let mut fam_slot = vec![0usize];
        let mut off = 1;
        for (a, &c) in layout.value_counts.iter().enumerate() {
            fam_offset.push(off);
            off += c;
            fam_slot.extend(std::iter::repeat_n(1 + a, c));
        }

        // Atoms: present respondents grouped by (unit, values).
        let mut idx: Vec<usize> = (0..placements.len()).filter(|&r| present[r]).collect();
        idx.sort_by(|&a, &b| {
            let (pa, pb) = (&placements[a], &placements[b]);
            (pa.unit, &pa.values).cmp(&(pb.unit, &pb.values))
        });
        let mut atom_unit = Vec::new();
        let mut atom_weight: Vec<usize> = Vec::new();
        let mut atom_fam = Vec::new();
        let mut last: Option<&Placement> = None;
        for &r in &idx {
            let p = &placements[r];
            if last == Some(p) {
                if let Some(w) = atom_weight.last_mut() {
                    *w += 1;
                }
                continue;
            }
            last = Some(p);
            atom_unit.push(p.unit);
            atom_weight.push(1);
            atom_fam.push(0);
            for (a, v) in p.values.iter().enumerate() {
                atom_fam.push(v.map_or(NONE, |v| fam_offset[a] + v));
            }
        }

        // Cell counts: direct, then accumulated bottom-up.
        let ncells = tree.len() * stride;
        let mut n = vec![0usize; ncells];
        for (i, (&u, &w)) in atom_unit.iter().zip(&atom_weight).enumerate() {
            for &f in &atom_fam[i * slots..(i + 1) * slots] {
                if f != NONE {
                    n[u * stride + f] += w;
                }
            }
        }
        for &u in tree.top_down().iter().rev() {
            if let Some(p) = tree.parent(u) {
                for f in 0..stride {
                    n[p * stride + f] += n[u * stride + f];
                }
            }
        }
        let status: Vec<CellStatus> = n
            .iter()
            .map(|&c| {
                if c < k {
                    CellStatus::BelowMin
                } else {
                    CellStatus::Shown
                }
            })
            .collect();

        // Nearest shown ancestor-or-self per (unit, family), then residual rows.
        let mut nsa = vec![NONE; ncells];
        for &u in tree.top_down() {
            for f in 0..stride {
                let c = u * stride + f;
                nsa[c] = if status[c] == CellStatus::Shown {
                    c
                } else {
                    tree.parent(u).map_or(NONE, |p| nsa[p * stride + f])
                };
            }
        }
        let natoms = atom_unit.len();
        let mut atom_row = vec![NONE; atom_fam.len()];
        let mut row_atoms = vec![Vec::new(); ncells];
        for (i, &u) in atom_unit.iter().enumerate() {
            for s in 0..slots {
                let f = atom_fam[i * slots + s];
                if f == NONE {
                    continue;
                }
                let row = nsa[u * stride + f];
                atom_row[i * slots + s] = row;
                if row != NONE {
                    row_atoms[row].push(i);
                }
            }
        }
        State {
            layout,
            k,
            stride,
            slots,
            fam_slot,
            n,
            status,
            atom_unit,
            atom_weight,
            atom_row,
            row_atoms,
            seed_clean: vec![false; natoms],
        }
    }

    fn shown(&self, cell: usize) -> bool {
        self.status[cell] == CellStatus::Shown
    }

    fn row_weight(&self, cell: usize) -> usize {
        self.row_atoms[cell]
            .iter()
            .map(|&a| self.atom_weight[a])
            .sum()
    }

    /// Shown cells of the same family strictly below `cell` with no shown cell in between.
    fn maximal_shown_descendants(&self, cell: usize) -> Vec<usize> {
        let tree = &self.layout.tree;
        let f = cell % self.stride;
        let mut out = Vec::new();
        let mut stack: Vec<usize> = tree.children(cell / self.stride).to_vec();
        while let Some(u) = stack.pop() {
            let c = u * self.stride + f;
            if self.n[c] == 0 {
                continue;
            }
            if self.shown(c) {
                out.push(c);
            } else {
                stack.extend_from_slice(tree.children(u));
            }
        }
        out.sort_unstable();
        out
    }

    /// Nearest shown proper ancestor of `cell` in its family.
    fn shown_ancestor(&self, cell: usize) -> usize {
        let f = cell % self.stride;
        let mut u = cell / self.stride;
        while let Some(p) = self.layout.tree.parent(u) {
            let c = p * self.stride + f;
            if self.shown(c) {
                return c;
            }
            u = p;
        }
        NONE
    }

    /// Hides `cell` (complementary) and moves its residual to its nearest shown ancestor.
    /// Returns that ancestor (or `NONE`).
    fn hide(&mut self, cell: usize) -> usize {
        self.status[cell] = CellStatus::Complementary;
        let to = self.shown_ancestor(cell);
        let slot = self.fam_slot[cell % self.stride];
        let atoms = std::mem::take(&mut self.row_atoms[cell]);
        for &a in &atoms {
            self.atom_row[a * self.slots + slot] = to;
        }
        if to != NONE {
            self.row_atoms[to].extend(atoms);
        }
        to
    }

    /// The cell to hide among the participants of a breach: never the root whole cell; the
    /// smallest n, then the deepest unit, then the lowest index.
    fn pick_victim(&self, participants: impl Iterator<Item = usize>) -> Option<usize> {
        participants
            .filter(|&c| c != 0 && self.shown(c))
            .min_by_key(|&c| {
                (
                    self.n[c],
                    Reverse(self.layout.tree.depth(c / self.stride)),
                    c,
                )
            })
    }

    /// Cheap local rules, bottom-up over units (only an optimisation: the component pass is
    /// exact on its own):
    /// * laminar: in every family, a shown cell whose residual holds 1..k-1 respondents is
    ///   derivable as the cell minus its maximal shown descendants;
    /// * margin: for a shown whole cell and one attribute, the whole cell minus its shown cuts
    ///   (the respondents with a hidden value or no value) must not hold 1..k-1 respondents.
    ///
    /// Hiding a cell only changes residuals of its ancestors and margins of its own unit, so a
    /// unit that has been processed stays clean while the pass moves up.
    fn local_pass(&mut self) {
        let order: Vec<usize> = self.layout.tree.top_down().to_vec();
        let k = self.k;
        for &u in order.iter().rev() {
            let base = u * self.stride;
            loop {
                let mut changed = false;
                for f in 0..self.stride {
                    let c = base + f;
                    if !self.shown(c) {
                        continue;
                    }
                    let w = self.row_weight(c);
                    if w == 0 || w >= k {
                        continue;
                    }
                    let mut parts = self.maximal_shown_descendants(c);
                    parts.push(c);
                    if let Some(v) = self.pick_victim(parts.into_iter()) {
                        self.hide(v);
                        changed = true;
                    }
                }
                if self.shown(base) {
                    let mut first = 1;
                    for &count in &self.layout.value_counts {
                        let cuts = base + first..base + first + count;
                        first += count;
                        let covered: usize = cuts
                            .clone()
                            .filter(|&c| self.shown(c))
                            .map(|c| self.n[c])
                            .sum();
                        let rest = self.n[base] - covered;
                        if rest == 0 || rest >= k {
                            continue;
                        }
                        let parts = cuts.filter(|&c| self.shown(c)).chain(std::iter::once(base));
                        if let Some(v) = self.pick_victim(parts) {
                            self.hide(v);
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
        }
    }

    /// Exact check of every connected component of residual rows; hides cells until no
    /// component contains a derivable small set.
    fn component_pass(&mut self) {
        let ncells = self.status.len();
        let natoms = self.atom_unit.len();
        let mut clean = vec![false; ncells];
        let mut row_mark = vec![0u32; ncells];
        let mut atom_mark = vec![0u32; natoms];
        let mut epoch = 0u32;
        let mut stack: Vec<usize> = (0..ncells)
            .rev()
            .filter(|&c| self.shown(c) && !self.row_atoms[c].is_empty())
            .collect();
        while let Some(seed) = stack.pop() {
            if !self.shown(seed) || clean[seed] || self.row_atoms[seed].is_empty() {
                continue;
            }
            epoch = epoch.wrapping_add(1);
            if epoch == 0 {
                row_mark.iter_mut().for_each(|m| *m = 0);
                atom_mark.iter_mut().for_each(|m| *m = 0);
                epoch = 1;
            }
            let mut rows = vec![seed];
            row_mark[seed] = epoch;
            let mut atoms = Vec::new();
            let mut i = 0;
            while i < rows.len() {
                let r = rows[i];
                i += 1;
                for &a in &self.row_atoms[r] {
                    if atom_mark[a] == epoch {
                        continue;
                    }
                    atom_mark[a] = epoch;
                    atoms.push(a);
                    for s in 0..self.slots {
                        let r2 = self.atom_row[a * self.slots + s];
                        if r2 != NONE && row_mark[r2] != epoch {
                            row_mark[r2] = epoch;
                            rows.push(r2);
                        }
                    }
                }
            }
            let victim = if atoms
                .iter()
                .all(|&a| self.atom_weight[a] >= self.k || self.seed_clean[a])
            {
                None
            } else {
                self.check_component(&mut rows, &mut atoms)
            };
            match victim {
                None => {
                    for &r in &rows {
                        clean[r] = true;
                    }
                }
                Some(v) => {
                    let to = self.hide(v);
                    if to != NONE {
                        clean[to] = false;
                        stack.push(to);
                    }
                    for &r in rows.iter().rev() {
                        if self.shown(r) {
                            stack.push(r);
                        }
                    }
                }
            }
        }
    }

    /// Exact breach search in one component. Returns the cell to hide, if any.
    fn check_component(&mut self, rows: &mut [usize], atoms: &mut [usize]) -> Option<usize> {
        let k = self.k;
        rows.sort_unstable();
        atoms.sort_unstable_by_key(|&a| (self.atom_weight[a] < k, a));
        let nbig = atoms.iter().filter(|&&a| self.atom_weight[a] >= k).count();
        let weights: Vec<usize> = atoms.iter().map(|&a| self.atom_weight[a]).collect();
        let local: BTreeMap<usize, usize> =
            atoms.iter().enumerate().map(|(i, &a)| (a, i)).collect();
        let matrix: Vec<Vec<usize>> = rows
            .iter()
            .map(|&r| {
                let mut cols: Vec<usize> = self.row_atoms[r]
                    .iter()
                    .filter_map(|a| local.get(a).copied())
                    .collect();
                cols.sort_unstable();
                cols
            })
            .collect();
        let skip: Vec<bool> = atoms.iter().map(|&a| self.seed_clean[a]).collect();
        let problem = Problem {
            ncols: atoms.len(),
            nbig,
            weights: &weights,
            rows: &matrix,
            k,
            skip: &skip,
        };
        let found = match problem.find_breach::<Small>() {
            Some(b) => b,
            None => problem.find_breach::<BigRational>()?,
        };
        // Every seed before the breach's smallest atom (or every seed) has been explored.
        let explored = found
            .as_ref()
            .and_then(|b| b.first().copied())
            .unwrap_or(atoms.len());
        for &a in &atoms[nbig.min(explored)..explored] {
            self.seed_clean[a] = true;
        }
        let breach = found?;
        let lambda = match problem.solve::<Small>(&breach) {
            Some(l) => l,
            None => problem.solve::<BigRational>(&breach).unwrap_or_default(),
        };
        // Coefficients of the original cells: residual(c) = c - maximal shown descendants.
        let mut mu: BTreeMap<usize, BigRational> = BTreeMap::new();
        for (i, l) in lambda.iter().enumerate() {
            if l.is_zero() {
                continue;
            }
            let c = rows[i];
            *mu.entry(c).or_insert_with(BigRational::zero) += l;
            for d in self.maximal_shown_descendants(c) {
                *mu.entry(d).or_insert_with(BigRational::zero) -= l;
            }
        }
        let participants = mu.iter().filter(|(_, v)| !v.is_zero()).map(|(&c, _)| c);
        self.pick_victim(participants)
            .or_else(|| self.pick_victim(rows.iter().copied()))
    }
}

type Row<F> = Vec<(usize, F)>;

fn scale<F: Exact>(row: &mut Row<F>, by: &F) -> Option<()> {
    for e in row.iter_mut() {
        e.1 = e.1.div(by)?;
    }
    Some(())
}

/// A dense accumulator for sparse rows: adds scaled rows in time proportional to their length.
struct Acc<F> {
    val: Vec<F>,
    on: Vec<bool>,
    cols: Vec<usize>,
}

impl<F: Exact> Acc<F> {
    fn new(n: usize) -> Self {
        Acc {
            val: vec![F::from_int(0); n],
            on: vec![false; n],
            cols: Vec::new(),
        }
    }

    /// `self += c * row`; calls `fresh` for every column that becomes touched.
    fn add_scaled(&mut self, row: &Row<F>, c: &F, mut fresh: impl FnMut(usize)) -> Option<()> {
        for (col, v) in row {
            let p = c.mul(v)?;
            if self.on[*col] {
                self.val[*col] = self.val[*col].add(&p)?;
            } else {
                self.on[*col] = true;
                self.cols.push(*col);
                self.val[*col] = p;
                fresh(*col);
            }
        }
        Some(())
    }

    /// The non-zero entries, sorted; resets the accumulator.
    fn drain(&mut self) -> Row<F> {
        self.cols.sort_unstable();
        let zero = F::from_int(0);
        let mut out = Vec::with_capacity(self.cols.len());
        for &c in &self.cols {
            self.on[c] = false;
            let v = std::mem::replace(&mut self.val[c], zero.clone());
            if !v.is_nil() {
                out.push((c, v));
            }
        }
        self.cols.clear();
        out
    }
}

/// Reduces `row` by the echelon `basis` until its leading entry has no pivot (or it vanishes).
/// Records `(basis row, coefficient)` of every subtraction in `used`.
fn reduce<F: Exact>(
    acc: &mut Acc<F>,
    row: &Row<F>,
    basis: &[Row<F>],
    pivot_of: &[usize],
    used: &mut Vec<(usize, F)>,
) -> Option<Row<F>> {
    let mut heap = BinaryHeap::new();
    acc.add_scaled(row, &F::from_int(1), |c| heap.push(Reverse(c)))?;
    while let Some(Reverse(c)) = heap.pop() {
        let v = acc.val[c].clone();
        if v.is_nil() {
            continue;
        }
        let b = pivot_of[c];
        if b == NONE {
            break;
        }
        let neg = F::from_int(0).sub(&v)?;
        acc.add_scaled(&basis[b], &neg, |c2| heap.push(Reverse(c2)))?;
        used.push((b, v));
    }
    Some(acc.drain())
}

/// One component: rows of 0/1 over local columns; columns `0..nbig` are big atoms.
struct Problem<'p> {
    ncols: usize,
    nbig: usize,
    weights: &'p [usize],
    rows: &'p [Vec<usize>],
    k: usize,
    /// Seeds known to start no breach.
    skip: &'p [bool],
}

impl Problem<'_> {
    fn ones<F: Exact>(cols: &[usize]) -> Row<F> {
        cols.iter().map(|&c| (c, F::from_int(1))).collect()
    }

    /// Finds one minimal derivable set of small atoms of weight 1..k-1 (sorted local columns).
    /// Outer `None`: arithmetic overflow.
    fn find_breach<F: Exact>(&self) -> Option<Option<Vec<usize>>> {
        // Row echelon form (leading entries only).
        let mut acc = Acc::<F>::new(self.ncols);
        let mut pivot_of = vec![NONE; self.ncols];
        let mut basis: Vec<Row<F>> = Vec::new();
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by_key(|&i| (self.rows[i].len(), i));
        let mut used = Vec::new();
        for i in order {
            used.clear();
            let mut row = reduce(
                &mut acc,
                &Self::ones::<F>(&self.rows[i]),
                &basis,
                &pivot_of,
                &mut used,
            )?;
            let Some((lead, val)) = row.first().cloned() else {
                continue;
            };
            scale(&mut row, &val)?;
            pivot_of[lead] = basis.len();
            basis.push(row);
        }
        // W: rows with a small pivot, brought to reduced form among themselves.
        let mut w: Vec<Row<F>> = basis
            .into_iter()
            .filter(|r| r.first().is_some_and(|e| e.0 >= self.nbig))
            .collect();
        if w.is_empty() {
            return Some(None);
        }
        w.sort_by_key(|r| r.first().map_or(0, |e| e.0));
        let mut wpiv = vec![NONE; self.ncols];
        for (i, r) in w.iter().enumerate() {
            if let Some(e) = r.first() {
                wpiv[e.0] = i;
            }
        }
        // Rows with larger pivots are already reduced and are zero on every other pivot
        // column, so subtracting them never changes this row's entries on pivot columns.
        for i in (0..w.len()).rev() {
            let subs: Vec<(usize, F)> = w[i]
                .iter()
                .skip(1)
                .filter(|e| wpiv[e.0] != NONE)
                .map(|e| (wpiv[e.0], e.1.clone()))
                .collect();
            if subs.is_empty() {
                continue;
            }
            acc.add_scaled(&w[i], &F::from_int(1), |_| {})?;
            for (j, c) in subs {
                let neg = F::from_int(0).sub(&c)?;
                acc.add_scaled(&w[j], &neg, |_| {})?;
            }
            w[i] = acc.drain();
        }
        // Constraints: for every free column, the pivots with a non-zero coefficient there.
        let mut col_rows: Vec<Vec<usize>> = vec![Vec::new(); self.ncols];
        for r in &w {
            let p = r.first().map_or(0, |e| e.0);
            for e in r.iter().skip(1) {
                col_rows[e.0].push(p);
            }
        }
        let search = Search {
            p: self,
            w: &w,
            wpiv: &wpiv,
            col_rows: &col_rows,
        };
        for seed in self.nbig..self.ncols {
            if self.weights[seed] >= self.k || self.skip[seed] {
                continue;
            }
            let mut seen = HashSet::new();
            let mut x = vec![seed];
            if let Some(found) = search.dfs(seed, &mut x, self.weights[seed], &mut seen)? {
                return Some(Some(found));
            }
        }
        Some(None)
    }

    /// Coefficients (per row) of one combination of the rows equal to the indicator of `set`.
    /// `None`: arithmetic overflow. An empty vector if the set is not in the span.
    fn solve<F: Exact>(&self, set: &[usize]) -> Option<Vec<BigRational>> {
        let mut acc = Acc::<F>::new(self.ncols);
        let mut combo_acc = Acc::<F>::new(self.rows.len());
        let mut pivot_of = vec![NONE; self.ncols];
        let mut basis: Vec<Row<F>> = Vec::new();
        let mut combos: Vec<Row<F>> = Vec::new();
        let mut used = Vec::new();
        let one = F::from_int(1);
        for (i, cols) in self.rows.iter().enumerate() {
            used.clear();
            let mut row = reduce(
                &mut acc,
                &Self::ones::<F>(cols),
                &basis,
                &pivot_of,
                &mut used,
            )?;
            let Some((lead, val)) = row.first().cloned() else {
                continue;
            };
            // row = original - Σ coef * basis[b], so its combination is e_i - Σ coef * combo[b].
            combo_acc.add_scaled(&vec![(i, one.clone())], &one, |_| {})?;
            for (b, coef) in &used {
                let neg = F::from_int(0).sub(coef)?;
                combo_acc.add_scaled(&combos[*b], &neg, |_| {})?;
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
            combo_acc.add_scaled(&combos[*b], coef, |_| {})?;
        }
        let mut out = vec![BigRational::zero(); self.rows.len()];
        for (i, v) in combo_acc.drain() {
            out[i] = v.to_big();
        }
        Some(out)
    }
}

struct Search<'s, F> {
    p: &'s Problem<'s>,
    w: &'s [Row<F>],
    wpiv: &'s [usize],
    col_rows: &'s [Vec<usize>],
}

impl<F: Exact> Search<'_, F> {
    /// Grows `x` (which starts at `seed`) towards a minimal breach whose smallest atom is
    /// `seed`. Outer `None`: overflow.
    fn dfs(
        &self,
        seed: usize,
        x: &mut Vec<usize>,
        weight: usize,
        seen: &mut HashSet<Vec<usize>>,
    ) -> Option<Option<Vec<usize>>> {
        let mut key = x.clone();
        key.sort_unstable();
        if !seen.insert(key.clone()) {
            return Some(None);
        }
        // Values implied on free columns by the pivots in x.
        let mut vals: BTreeMap<usize, F> = BTreeMap::new();
        for &a in x.iter() {
            let r = self.wpiv[a];
            if r == NONE {
                continue;
            }
            for e in self.w[r].iter().skip(1) {
                let slot = vals.entry(e.0).or_insert_with(|| F::from_int(0));
                *slot = slot.add(&e.1)?;
            }
        }
        let in_x = |c: usize| key.binary_search(&c).is_ok();
        let mut violated: Vec<usize> = vals
            .iter()
            .filter(|(&c, v)| !v.is_int(i64::from(in_x(c))))
            .map(|(&c, _)| c)
            .collect();
        for &a in &key {
            if self.wpiv[a] == NONE && !vals.contains_key(&a) {
                violated.push(a);
            }
        }
        if violated.is_empty() {
            return Some(Some(key));
        }
        let budget = self.p.k - 1 - weight;
        let eligible = |c: usize| c > seed && !in_x(c) && self.p.weights[c] <= budget;
        let mut best: Option<Vec<usize>> = None;
        for &f in &violated {
            let mut cands: Vec<usize> = Vec::new();
            if eligible(f) {
                cands.push(f);
            }
            for &p in &self.col_rows[f] {
                if eligible(p) {
                    cands.push(p);
                }
                if best.as_ref().is_some_and(|b| cands.len() >= b.len()) {
                    break;
                }
            }
            if best.as_ref().is_none_or(|b| cands.len() < b.len()) {
                let empty = cands.is_empty();
                best = Some(cands);
                if empty {
                    break;
                }
            }
        }
        let cands = best.unwrap_or_default();
        for c in cands {
            x.push(c);
            let found = self.dfs(seed, x, weight + self.p.weights[c], seen)?;
            x.pop();
            if found.is_some() {
                return Some(found);
            }
        }
        Some(None)
    }
}
