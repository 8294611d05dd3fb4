//! The suppressor: primary suppression, then complementary suppression by residual rows,
//! a laminar pass and an exact per-component check. See the module documentation of
//! [`crate::disclosure`] for the method and its safety argument.

use super::exact::{Exact, Small};
use super::{validate, validate_many, CellStatus, DisclosureError, Layout, Placement};
use num_rational::BigRational;
use num_traits::Zero;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashSet};

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
    let atoms = Atoms::new(layout, placements);
    Ok(State::new(layout, &atoms, k).run(present))
}

/// [`suppress`] for several measures over the same respondents: one status vector per entry of
/// `presents`, each equal to `suppress(layout, placements, &presents[i], k)`.
///
/// The work that does not depend on the membership is done once: validation, and grouping all
/// respondents into atoms by (unit, attribute values), which needs a sort. Per measure only the
/// atom weights (present respondents per atom), cell counts, residual rows and the passes are
/// recomputed, in buffers reused across measures; identical memberships are suppressed once.
/// Nothing decided for one measure is carried over to another, so each result is exactly the
/// single-measure result and inherits its safety argument (see the module documentation).
pub fn suppress_many(
    layout: &Layout,
    placements: &[Placement],
    presents: &[Vec<bool>],
    k: usize,
) -> Result<Vec<Vec<CellStatus>>, DisclosureError> {
    validate_many(layout, placements, presents.iter().map(Vec::as_slice), k)?;
    let atoms = Atoms::new(layout, placements);
    let mut state = State::new(layout, &atoms, k);
    // Identical memberships are suppressed once (compared directly: differing memberships
    // usually differ early, and hashing 100,000 flags costs more than comparing them).
    let mut distinct: Vec<usize> = Vec::new();
    let mut out: Vec<Vec<CellStatus>> = Vec::with_capacity(presents.len());
    for (i, present) in presents.iter().enumerate() {
        let status = match distinct.iter().find(|&&j| presents[j] == *present) {
            Some(&j) => out[j].clone(),
            None => {
                distinct.push(i);
                state.run(present)
            }
        };
        out.push(status);
    }
    Ok(out)
}

/// All respondents (present or not) grouped by (unit, attribute values), in that order. A
/// measure's atoms are the atoms with at least one present respondent, in the same order.
struct Atoms {
    /// Atom of each respondent.
    of: Vec<usize>,
    /// Unit of each atom.
    unit: Vec<usize>,
    /// Per atom and slot (0: whole family, 1 + a: attribute a): the family (offset of the cell
    /// within its unit), or `NONE` if the atom has no value for that attribute.
    fam: Vec<usize>,
}

impl Atoms {
    /// Placements must be valid for the layout (see `validate`).
    fn new(layout: &Layout, placements: &[Placement]) -> Self {
        let units = layout.tree.len();
        let slots = 1 + layout.value_counts.len();
        let mut fam_offset = Vec::with_capacity(layout.value_counts.len());
        let mut off = 1;
        for &c in &layout.value_counts {
            fam_offset.push(off);
            off += c;
        }
        // Counting sort by unit, then each unit's respondents by their values.
        let mut start = vec![0usize; units + 1];
        for p in placements {
            start[p.unit + 1] += 1;
        }
        for u in 0..units {
            start[u + 1] += start[u];
        }
        // Within a unit, the order of `values` (None < Some(0) < Some(1) ...) is the order of
        // the mixed-radix number with digits `None -> 0, Some(v) -> v + 1`, when it fits in 64
        // bits; otherwise the vectors are compared directly.
        let mut radix: Vec<u64> = Vec::with_capacity(layout.value_counts.len());
        let mut span: Option<u64> = Some(1);
        for &c in &layout.value_counts {
            let base = u64::try_from(c).ok().and_then(|c| c.checked_add(1));
            span = span.zip(base).and_then(|(s, b)| s.checked_mul(b));
            radix.push(base.unwrap_or(1));
        }
        let mut next = start.clone();
        let mut of = vec![0usize; placements.len()];
        let mut unit = Vec::new();
        let mut fam = Vec::new();
        if span.is_some() {
            // Pairs (key, respondent) bucketed by unit: sorting and grouping them never looks at
            // a placement again, and an atom's families are decoded from its key.
            let mut pairs = vec![(0u64, 0usize); placements.len()];
            for (r, p) in placements.iter().enumerate() {
                let key = p
                    .values
                    .iter()
                    .zip(&radix)
                    .fold(0u64, |acc, (v, &b)| acc * b + v.map_or(0, |v| v as u64 + 1));
                pairs[next[p.unit]] = (key, r);
                next[p.unit] += 1;
            }
            for u in 0..units {
                let bucket = &mut pairs[start[u]..start[u + 1]];
                bucket.sort_unstable();
                let mut last = None;
                for &(key, r) in bucket.iter() {
                    if last != Some(key) {
                        last = Some(key);
                        unit.push(u);
                        fam.push(0);
                        let at = fam.len();
                        fam.resize(at + radix.len(), NONE);
                        let mut rest = key;
                        for a in (0..radix.len()).rev() {
                            let digit = rest % radix[a];
                            rest /= radix[a];
                            if digit > 0 {
                                fam[at + a] = fam_offset[a] + digit as usize - 1;
                            }
                        }
                    }
                    of[r] = unit.len() - 1;
                }
            }
        } else {
            let mut idx = vec![0usize; placements.len()];
            for (r, p) in placements.iter().enumerate() {
                idx[next[p.unit]] = r;
                next[p.unit] += 1;
            }
            for u in 0..units {
                let bucket = &mut idx[start[u]..start[u + 1]];
                bucket.sort_unstable_by(|&a, &b| placements[a].values.cmp(&placements[b].values));
                let mut last: Option<usize> = None;
                for &r in bucket.iter() {
                    if last.is_none_or(|l| placements[l].values != placements[r].values) {
                        last = Some(r);
                        unit.push(u);
                        fam.push(0);
                        for (a, v) in placements[r].values.iter().enumerate() {
                            fam.push(v.map_or(NONE, |v| fam_offset[a] + v));
                        }
                    }
                    of[r] = unit.len() - 1;
                }
            }
        }
        debug_assert_eq!(fam.len(), unit.len() * slots);
        Atoms { of, unit, fam }
    }

    fn len(&self) -> usize {
        self.unit.len()
    }
}

/// The suppressor's state for one measure at a time; buffers are reused across measures.
struct State<'a> {
    layout: &'a Layout,
    atoms: &'a Atoms,
    k: usize,
    /// Cells per unit (= number of families).
    stride: usize,
    /// Row slots per atom: 0 for the whole family, 1 + a for attribute a.
    slots: usize,
    /// Slot of each family.
    fam_slot: Vec<usize>,
    /// Present respondents per atom (0: not an atom of this measure).
    atom_weight: Vec<usize>,
    /// Respondents per cell.
    n: Vec<usize>,
    status: Vec<CellStatus>,
    /// Nearest shown ancestor-or-self per cell (scratch for building the residual rows).
    nsa: Vec<usize>,
    /// Residual row (shown cell) per atom and slot, or `NONE`.
    atom_row: Vec<usize>,
    /// Atoms of each shown cell's residual.
    row_atoms: Vec<Vec<usize>>,
    /// Respondents in each shown cell's residual (the weight of its atoms).
    row_w: Vec<usize>,
    /// Small atoms known to be the smallest atom of no breach. Hiding cells only shrinks the
    /// span, so the set of derivable sets only shrinks and this stays true.
    seed_clean: Vec<bool>,
    /// Scratch for the component pass, indexed by cell / atom.
    clean: Vec<bool>,
    row_mark: Vec<u32>,
    atom_mark: Vec<u32>,
    epoch: u32,
    /// Local index of each row of the component being checked.
    local: Vec<usize>,
    /// The component's matrix and columns (reused buffers).
    col_atom: Vec<usize>,
    col_weight: Vec<usize>,
    col_skip: Vec<bool>,
    mat_starts: Vec<usize>,
    mat_fill: Vec<usize>,
    mat_cols: Vec<usize>,
    peel: Peel,
    flows: Flows,
    scratch: Scratch<Small>,
}

impl<'a> State<'a> {
    fn new(layout: &'a Layout, atoms: &'a Atoms, k: usize) -> Self {
        let stride = layout.cells_per_unit();
        let slots = 1 + layout.value_counts.len();
        let mut fam_slot = vec![0usize];
        for (a, &c) in layout.value_counts.iter().enumerate() {
            fam_slot.extend(std::iter::repeat_n(1 + a, c));
        }
        let ncells = layout.tree.len() * stride;
        let natoms = atoms.len();
        State {
            layout,
            atoms,
            k,
            stride,
            slots,
            fam_slot,
            atom_weight: vec![0; natoms],
            n: vec![0; ncells],
            status: vec![CellStatus::Shown; ncells],
            nsa: vec![NONE; ncells],
            atom_row: vec![NONE; natoms * slots],
            row_atoms: vec![Vec::new(); ncells],
            row_w: vec![0; ncells],
            seed_clean: vec![false; natoms],
            clean: vec![false; ncells],
            row_mark: vec![0; ncells],
            atom_mark: vec![0; natoms],
            epoch: 0,
            local: vec![0; ncells],
            col_atom: Vec::new(),
            col_weight: Vec::new(),
            col_skip: Vec::new(),
            mat_starts: Vec::new(),
            mat_fill: Vec::new(),
            mat_cols: Vec::new(),
            peel: Peel::default(),
            flows: Flows::default(),
            scratch: Scratch::new(),
        }
    }

    /// Suppresses one measure; `present` must have one flag per respondent.
    fn run(&mut self, present: &[bool]) -> Vec<CellStatus> {
        self.prepare(present);
        self.local_pass();
        self.component_pass();
        self.status.clone()
    }

    /// Weights, counts, primary suppression and residual rows of one measure.
    fn prepare(&mut self, present: &[bool]) {
        let tree = &self.layout.tree;
        let (stride, slots, k) = (self.stride, self.slots, self.k);
        self.atom_weight.iter_mut().for_each(|w| *w = 0);
        for (&a, _) in self.atoms.of.iter().zip(present).filter(|(_, &here)| here) {
            self.atom_weight[a] += 1;
        }

        // Cell counts: direct, then accumulated bottom-up.
        self.n.iter_mut().for_each(|c| *c = 0);
        for (i, (&u, &w)) in self.atoms.unit.iter().zip(&self.atom_weight).enumerate() {
            if w == 0 {
                continue;
            }
            for &f in &self.atoms.fam[i * slots..(i + 1) * slots] {
                if f != NONE {
                    self.n[u * stride + f] += w;
                }
            }
        }
        for &u in tree.top_down().iter().rev() {
            if let Some(p) = tree.parent(u) {
                for f in 0..stride {
                    self.n[p * stride + f] += self.n[u * stride + f];
                }
            }
        }
        for (s, &c) in self.status.iter_mut().zip(&self.n) {
            *s = if c < k {
                CellStatus::BelowMin
            } else {
                CellStatus::Shown
            };
        }

        // Nearest shown ancestor-or-self per (unit, family), then residual rows.
        for &u in tree.top_down() {
            for f in 0..stride {
                let c = u * stride + f;
                self.nsa[c] = if self.status[c] == CellStatus::Shown {
                    c
                } else {
                    tree.parent(u).map_or(NONE, |p| self.nsa[p * stride + f])
                };
            }
        }
        self.row_atoms.iter_mut().for_each(Vec::clear);
        self.row_w.iter_mut().for_each(|w| *w = 0);
        for (i, (&u, &w)) in self.atoms.unit.iter().zip(&self.atom_weight).enumerate() {
            for s in 0..slots {
                let f = self.atoms.fam[i * slots + s];
                let row = if w == 0 || f == NONE {
                    NONE
                } else {
                    self.nsa[u * stride + f]
                };
                self.atom_row[i * slots + s] = row;
                if row != NONE {
                    self.row_atoms[row].push(i);
                    self.row_w[row] += w;
                }
            }
        }
        self.seed_clean.iter_mut().for_each(|c| *c = false);
    }

    fn shown(&self, cell: usize) -> bool {
        self.status[cell] == CellStatus::Shown
    }

    fn row_weight(&self, cell: usize) -> usize {
        self.row_w[cell]
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
        let w = std::mem::take(&mut self.row_w[cell]);
        if to != NONE {
            self.row_atoms[to].extend(atoms);
            self.row_w[to] += w;
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
        self.clean.iter_mut().for_each(|c| *c = false);
        let mut stack: Vec<usize> = (0..ncells)
            .rev()
            .filter(|&c| self.shown(c) && !self.row_atoms[c].is_empty())
            .collect();
        let mut rows = Vec::new();
        let mut atoms = Vec::new();
        while let Some(seed) = stack.pop() {
            if !self.shown(seed) || self.clean[seed] || self.row_atoms[seed].is_empty() {
                continue;
            }
            self.epoch = self.epoch.wrapping_add(1);
            if self.epoch == 0 {
                self.row_mark.iter_mut().for_each(|m| *m = 0);
                self.atom_mark.iter_mut().for_each(|m| *m = 0);
                self.epoch = 1;
            }
            let epoch = self.epoch;
            rows.clear();
            atoms.clear();
            rows.push(seed);
            self.row_mark[seed] = epoch;
            let mut i = 0;
            while i < rows.len() {
                let r = rows[i];
                i += 1;
                for &a in &self.row_atoms[r] {
                    if self.atom_mark[a] == epoch {
                        continue;
                    }
                    self.atom_mark[a] = epoch;
                    atoms.push(a);
                    for &r2 in &self.atom_row[a * self.slots..(a + 1) * self.slots] {
                        if r2 != NONE && self.row_mark[r2] != epoch {
                            self.row_mark[r2] = epoch;
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
                        self.clean[r] = true;
                    }
                }
                Some(v) => {
                    let to = self.hide(v);
                    if to != NONE {
                        self.clean[to] = false;
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

    /// With at most one attribute: tries to prove with flows that the component has no
    /// breach (see [`Flows`]). `false` means "not proven", never "breach".
    fn certify_clean(&mut self, rows: &[usize], atoms: &[usize]) -> bool {
        let ground = rows.len();
        for (i, &r) in rows.iter().enumerate() {
            self.local[r] = i;
        }
        let f = &mut self.flows;
        f.clear();
        for &a in atoms {
            let slot = |s: usize| self.atom_row.get(a * self.slots + s).copied();
            let whole = slot(0)
                .filter(|&r| r != NONE)
                .map_or(ground, |r| self.local[r]);
            let cut = match self.slots {
                2 => slot(1)
                    .filter(|&r| r != NONE)
                    .map_or(ground, |r| self.local[r]),
                _ => ground,
            };
            let w = self.atom_weight[a];
            f.add_atom(whole, cut, (w < self.k).then_some(w));
        }
        f.certify(rows.len() + 1, self.k)
    }

    /// Exact breach search in one component. Returns the cell to hide, if any.
    fn check_component(&mut self, rows: &mut [usize], atoms: &mut [usize]) -> Option<usize> {
        let k = self.k;
        let certified = self.slots <= 2 && self.certify_clean(rows, atoms);
        // Debug builds (and so the tests) also run the exact search and check the certificate.
        if certified && !cfg!(debug_assertions) {
            // No breach: exactly what the search below would conclude, with the same record
            // of explored seeds.
            for &a in atoms.iter() {
                if self.atom_weight[a] < k {
                    self.seed_clean[a] = true;
                }
            }
            return None;
        }
        rows.sort_unstable();
        // Local columns: big atoms, then small atoms, each in increasing order.
        atoms.sort_unstable();
        let weight = &self.atom_weight;
        self.col_atom.clear();
        self.col_atom
            .extend(atoms.iter().copied().filter(|&a| weight[a] >= k));
        let nbig = self.col_atom.len();
        self.col_atom
            .extend(atoms.iter().copied().filter(|&a| weight[a] < k));
        atoms.copy_from_slice(&self.col_atom);
        for (i, &r) in rows.iter().enumerate() {
            self.local[r] = i;
        }
        // The 0/1 matrix, rows by row: filled column by column, so each row comes out sorted.
        // Every row of an atom of the component belongs to the component.
        self.mat_starts.clear();
        self.mat_starts.resize(rows.len() + 1, 0);
        for &a in atoms.iter() {
            for &r in &self.atom_row[a * self.slots..(a + 1) * self.slots] {
                if r != NONE {
                    self.mat_starts[self.local[r] + 1] += 1;
                }
            }
        }
        for i in 0..rows.len() {
            self.mat_starts[i + 1] += self.mat_starts[i];
        }
        self.mat_fill.clear();
        self.mat_fill
            .extend_from_slice(&self.mat_starts[..rows.len()]);
        self.mat_cols.clear();
        self.mat_cols.resize(self.mat_starts[rows.len()], 0);
        self.peel.col_rows.clear();
        for (j, &a) in atoms.iter().enumerate() {
            for &r in &self.atom_row[a * self.slots..(a + 1) * self.slots] {
                let i = if r == NONE { NONE } else { self.local[r] };
                self.peel.col_rows.push(i);
                if i != NONE {
                    self.mat_cols[self.mat_fill[i]] = j;
                    self.mat_fill[i] += 1;
                }
            }
        }
        self.peel
            .run(&self.mat_starts, &self.mat_cols, nbig, self.slots);
        self.col_weight.clear();
        self.col_weight
            .extend(atoms.iter().map(|&a| self.atom_weight[a]));
        self.col_skip.clear();
        self.col_skip
            .extend(atoms.iter().map(|&a| self.seed_clean[a]));
        let problem = Problem {
            ncols: atoms.len(),
            nbig,
            weights: &self.col_weight,
            starts: &self.mat_starts,
            cols: &self.mat_cols,
            core_starts: &self.peel.starts,
            core_cols: &self.peel.cols,
            k,
            skip: &self.col_skip,
        };
        let found = match problem.find_breach(&mut self.scratch) {
            Some(b) => b,
            None => problem.find_breach::<BigRational>(&mut Scratch::new())?,
        };
        debug_assert!(
            !certified || found.is_none(),
            "a flow certificate was contradicted by the exact search"
        );
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
/// Touched columns are kept in a bit set, so the smallest one and the sorted list of entries
/// are found by scanning words instead of a heap or a sort.
struct Acc<F> {
    val: Vec<F>,
    /// Bit `c` is set iff column `c` has been touched since the last drain.
    bits: Vec<u64>,
    /// Words of `bits` that may be non-zero: `lo..hi`.
    lo: usize,
    hi: usize,
}

impl<F: Exact> Acc<F> {
    fn new(n: usize) -> Self {
        let mut acc = Acc {
            val: Vec::new(),
            bits: Vec::new(),
            lo: 0,
            hi: 0,
        };
        acc.ensure(n);
        acc
    }

    /// Makes room for `n` columns and empties the accumulator (it may be left non-empty by an
    /// overflow).
    fn ensure(&mut self, n: usize) {
        self.drain_each(|_, _| {});
        if self.val.len() < n {
            self.val.resize(n, F::from_int(0));
            self.bits.resize(n.div_ceil(64), 0);
        }
    }

    fn touched(&self, col: usize) -> bool {
        self.bits[col / 64] & (1u64 << (col % 64)) != 0
    }

    fn touch(&mut self, col: usize) {
        let w = col / 64;
        if self.lo >= self.hi {
            (self.lo, self.hi) = (w, w + 1);
        } else {
            self.lo = self.lo.min(w);
            self.hi = self.hi.max(w + 1);
        }
        self.bits[w] |= 1u64 << (col % 64);
    }

    /// `self += c * row`.
    fn add_scaled(&mut self, row: &[(usize, F)], c: &F) -> Option<()> {
        for (col, v) in row {
            let p = c.mul(v)?;
            if self.touched(*col) {
                self.val[*col] = self.val[*col].add(&p)?;
            } else {
                self.touch(*col);
                self.val[*col] = p;
            }
        }
        Some(())
    }

    /// `self += row`.
    fn add_row(&mut self, row: &[(usize, F)]) -> Option<()> {
        for (col, v) in row {
            if self.touched(*col) {
                self.val[*col] = self.val[*col].add(v)?;
            } else {
                self.touch(*col);
                self.val[*col] = v.clone();
            }
        }
        Some(())
    }

    /// `self += row` for a 0/1 row given by its columns.
    fn add_ones(&mut self, cols: &[usize]) -> Option<()> {
        let one = F::from_int(1);
        for &col in cols {
            if self.touched(col) {
                self.val[col] = self.val[col].add(&one)?;
            } else {
                self.touch(col);
                self.val[col] = one.clone();
            }
        }
        Some(())
    }

    /// The smallest touched column `>= from` with a non-zero value.
    fn lead(&self, from: usize) -> Option<usize> {
        let hi = self.hi.min(self.bits.len());
        let mut w = (from / 64).max(self.lo);
        if w >= hi {
            return None;
        }
        let mut word = self.bits[w];
        if w == from / 64 {
            word &= u64::MAX << (from % 64);
        }
        loop {
            while word != 0 {
                let c = w * 64 + word.trailing_zeros() as usize;
                if !self.val[c].is_nil() {
                    return Some(c);
                }
                word &= word - 1;
            }
            w += 1;
            if w >= hi {
                return None;
            }
            word = self.bits[w];
        }
    }

    /// Appends the non-zero entries, sorted, to `out`; resets the accumulator.
    fn drain_into(&mut self, out: &mut Vec<(usize, F)>) {
        let zero = F::from_int(0);
        let (lo, hi) = (self.lo, self.hi.min(self.bits.len()));
        (self.lo, self.hi) = (0, 0);
        for (w, bits) in self.bits.iter_mut().enumerate().take(hi).skip(lo) {
            let mut word = std::mem::take(bits);
            while word != 0 {
                let c = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let v = std::mem::replace(&mut self.val[c], zero.clone());
                if !v.is_nil() {
                    out.push((c, v));
                }
            }
        }
    }

    /// Calls `f` for every touched column in increasing order (zero values included); resets
    /// the accumulator.
    fn drain_each(&mut self, mut f: impl FnMut(usize, &F)) {
        let zero = F::from_int(0);
        let (lo, hi) = (self.lo, self.hi.min(self.bits.len()));
        (self.lo, self.hi) = (0, 0);
        for (w, bits) in self.bits.iter_mut().enumerate().take(hi).skip(lo) {
            let mut word = std::mem::take(bits);
            while word != 0 {
                let c = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let v = std::mem::replace(&mut self.val[c], zero.clone());
                f(c, &v);
            }
        }
    }

    /// The non-zero entries, sorted; resets the accumulator.
    fn drain(&mut self) -> Row<F> {
        let mut out = Vec::new();
        self.drain_into(&mut out);
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
    acc.add_row(row)?;
    let mut from = 0;
    while let Some(c) = acc.lead(from) {
        let b = pivot_of[c];
        if b == NONE {
            break;
        }
        let v = acc.val[c].clone();
        let neg = F::from_int(0).sub(&v)?;
        acc.add_scaled(&basis[b], &neg)?;
        used.push((b, v));
        from = c + 1;
    }
    Some(acc.drain())
}

/// A flow certificate that a component has no breach, for releases with at most one attribute.
///
/// With at most one attribute every atom lies in at most one whole-family row `u` and at most
/// one cut-family row `v`, so a vector of the span is `x_a = c_u + c_v` (a missing row counts
/// as 0). Put `d_u = c_u` on whole rows, `d_v = -c_v` on cut rows and `d_g = 0` on an extra
/// vertex `g`, and direct atom `a` from its whole row (or `g`) to its cut row (or `g`): then
/// `x_a = d(tail) - d(head)`, and the span is exactly the set of tensions `δd` of this graph
/// (shifting `d` changes nothing). A 0/1 tension `1_X` has level sets `S_i = {d >= i}` and
/// `1_X = Σ δ(1_{S_i})` with each term 0/1, so every breach contains a breach of the form
/// `X = δ⁺(S)`: a vertex set `S` that no atom enters, whose leaving atoms are all small, of
/// weight at most `k - 1`. Conversely such an `S` with a leaving atom is a breach.
///
/// Give each small atom capacity = weight forward, each big atom infinite capacity both ways,
/// and every atom infinite capacity backwards (head to tail). A vertex set `S` then has finite
/// leaving capacity iff no atom enters it and no big atom crosses it, and that capacity is the
/// weight of its leaving atoms. So the component has no breach iff every such cut has capacity
/// at least `k` (a cut of capacity 0 cannot occur: the component is connected). For a fixed
/// root `r`, every cut separates `r` from some vertex `v` one way or the other, so it suffices
/// that `λ(r → v) >= k` and `λ(v → r) >= k` for every vertex `v`, where `λ` is the minimum
/// capacity of a cut between them (= the maximum flow). [`Flows::reach`] shows this vertex by
/// vertex: by a local rule (if the arcs from `v` to vertices already shown carry at least `k`,
/// any cut separating `v` from `r` cuts all of them or separates a shown vertex from `r`; the
/// same the other way round), and by an augmenting-path maximum flow when the rule stalls (a
/// flow of value `k` respects capacities and conservation, so it bounds every such cut). If a
/// flow stays below `k`, or the work exceeds a budget, the answer is "not proven" and the exact
/// search runs as usual.
#[derive(Default)]
struct Flows {
    /// Per atom: tail and head vertex, capacity (`None` = infinite).
    tail: Vec<usize>,
    head: Vec<usize>,
    cap: Vec<Option<usize>>,
    /// Arcs out of each vertex: `2a` (forward along atom a) or `2a + 1` (backward).
    adj_start: Vec<usize>,
    adj: Vec<usize>,
    /// Net flow along each atom (forward positive) in the current problem, valid where
    /// `flow_epoch` equals `problem`.
    flow: Vec<i64>,
    flow_epoch: Vec<u32>,
    problem: u32,
    /// Vertices reached by the current path search: `seen` equals `search`.
    seen: Vec<u32>,
    search: u32,
    parent: Vec<usize>,
    stack: Vec<(usize, usize)>,
    /// Certification from / towards the root: certified vertices, capacity of arcs joining
    /// each vertex to certified ones, and the vertices to propagate from.
    done: Vec<bool>,
    credit: Vec<usize>,
    work: Vec<usize>,
}

impl Flows {
    fn clear(&mut self) {
        self.tail.clear();
        self.head.clear();
        self.cap.clear();
    }

    fn add_atom(&mut self, tail: usize, head: usize, cap: Option<usize>) {
        self.tail.push(tail);
        self.head.push(head);
        self.cap.push(cap);
    }

    fn next_problem(&mut self) {
        self.problem = self.problem.wrapping_add(1);
        if self.problem == 0 {
            self.flow_epoch.iter_mut().for_each(|e| *e = 0);
            self.problem = 1;
        }
    }

    fn next_search(&mut self) {
        self.search = self.search.wrapping_add(1);
        if self.search == 0 {
            self.seen.iter_mut().for_each(|e| *e = 0);
            self.search = 1;
        }
    }

    /// Residual capacity of arc `e` (`None` = infinite).
    fn residual(&self, e: usize) -> Option<i64> {
        let a = e / 2;
        if e & 1 == 1 {
            return None;
        }
        let c = i64::try_from(self.cap[a]?).unwrap_or(i64::MAX);
        let f = if self.flow_epoch[a] == self.problem {
            self.flow[a]
        } else {
            0
        };
        Some(c - f)
    }

    fn other_end(&self, e: usize) -> usize {
        if e & 1 == 0 {
            self.head[e / 2]
        } else {
            self.tail[e / 2]
        }
    }

    /// Whether every cut of the graph on `nverts` vertices (the last one is `g`) has capacity
    /// at least `k`. `false`: not shown (a flow below `k`, or the work budget ran out).
    fn certify(&mut self, nverts: usize, k: usize) -> bool {
        let natoms = self.tail.len();
        // Adjacency; g takes part only if some atom touches it.
        self.adj_start.clear();
        self.adj_start.resize(nverts + 1, 0);
        for a in 0..natoms {
            self.adj_start[self.tail[a] + 1] += 1;
            self.adj_start[self.head[a] + 1] += 1;
        }
        for v in 0..nverts {
            self.adj_start[v + 1] += self.adj_start[v];
        }
        self.adj.clear();
        self.adj.resize(self.adj_start[nverts], 0);
        let mut fill: Vec<usize> = self.adj_start[..nverts].to_vec();
        for a in 0..natoms {
            self.adj[fill[self.tail[a]]] = 2 * a;
            fill[self.tail[a]] += 1;
            self.adj[fill[self.head[a]]] = 2 * a + 1;
            fill[self.head[a]] += 1;
        }
        self.flow.resize(natoms, 0);
        self.flow_epoch.resize(natoms, 0);
        self.seen.resize(nverts, 0);
        self.parent.resize(nverts, NONE);
        let live = (0..nverts)
            .filter(|&v| self.adj_start[v + 1] > self.adj_start[v])
            .count();
        let Some(root) =
            (0..nverts).max_by_key(|&v| (self.adj_start[v + 1] - self.adj_start[v], Reverse(v)))
        else {
            return true;
        };
        let mut budget = 8 * (self.adj.len() + nverts) * k.max(1);
        self.reach(root, live, k, false, &mut budget)
            && self.reach(root, live, k, true, &mut budget)
    }

    /// Capacity of arc `e` (`None` = infinite), ignoring flow.
    fn capacity(&self, e: usize) -> Option<usize> {
        if e & 1 == 1 {
            None
        } else {
            self.cap[e / 2]
        }
    }

    /// Shows `λ(v → root) >= k` for every live vertex `v` (`from_root == false`) or
    /// `λ(root → v) >= k` (`from_root == true`). A vertex is certified when the arcs joining it
    /// to certified vertices (leaving it, resp. entering it) carry at least `k`: a cut that
    /// separates it from the root either cuts all those arcs or separates a certified vertex
    /// from the root, at cost `>= k`. When that stalls, a maximum flow decides one vertex.
    fn reach(
        &mut self,
        root: usize,
        live: usize,
        k: usize,
        from_root: bool,
        budget: &mut usize,
    ) -> bool {
        let nverts = self.adj_start.len().saturating_sub(1);
        self.done.clear();
        self.done.resize(nverts, false);
        self.credit.clear();
        self.credit.resize(nverts, 0);
        self.work.clear();
        self.done[root] = true;
        self.work.push(root);
        let mut certified = 1;
        loop {
            while let Some(y) = self.work.pop() {
                // Arcs x -> y (when certifying towards the root) or y -> x (from the root).
                for p in self.adj_start[y]..self.adj_start[y + 1] {
                    // e leaves y; its reverse e ^ 1 enters y. x is the atom's other end.
                    let e = self.adj[p];
                    let arc = if from_root { e } else { e ^ 1 };
                    let x = self.other_end(e);
                    if self.done[x] {
                        continue;
                    }
                    let c = self.capacity(arc).unwrap_or(k);
                    self.credit[x] = self.credit[x].saturating_add(c);
                    if self.credit[x] >= k {
                        self.done[x] = true;
                        certified += 1;
                        self.work.push(x);
                    }
                }
            }
            if certified >= live {
                return true;
            }
            // Stalled: decide the live vertex closest to certified by a maximum flow.
            let Some(x) = (0..nverts)
                .filter(|&x| !self.done[x] && self.adj_start[x + 1] > self.adj_start[x])
                .max_by_key(|&x| (self.credit[x], Reverse(x)))
            else {
                return true;
            };
            let ok = if from_root {
                self.max_flow_at_least(root, x, k, budget)
            } else {
                self.max_flow_at_least(x, root, k, budget)
            };
            if !ok {
                return false;
            }
            self.done[x] = true;
            certified += 1;
            self.work.push(x);
        }
    }

    /// Whether the maximum flow from `s` to `t` is at least `need` (augmenting paths found by
    /// depth-first search in the residual graph). `false` also when `budget` runs out.
    fn max_flow_at_least(&mut self, s: usize, t: usize, need: usize, budget: &mut usize) -> bool {
        self.next_problem();
        let need = i64::try_from(need).unwrap_or(i64::MAX);
        let mut total = 0i64;
        while total < need {
            // Depth-first search for an augmenting path.
            self.next_search();
            let search = self.search;
            self.seen[s] = search;
            self.stack.clear();
            self.stack.push((s, self.adj_start[s]));
            let mut found = false;
            while let Some(&mut (v, ref mut pos)) = self.stack.last_mut() {
                if *pos == self.adj_start[v + 1] {
                    self.stack.pop();
                    continue;
                }
                let e = self.adj[*pos];
                *pos += 1;
                if *budget == 0 {
                    return false;
                }
                *budget -= 1;
                let w = self.other_end(e);
                if self.seen[w] == search || self.residual(e).is_some_and(|r| r <= 0) {
                    continue;
                }
                self.seen[w] = search;
                self.parent[w] = e;
                if w == t {
                    found = true;
                    break;
                }
                self.stack.push((w, self.adj_start[w]));
            }
            if !found {
                return false;
            }
            // Bottleneck along the path, then push.
            let mut bottleneck: Option<i64> = None;
            let mut v = t;
            while v != s {
                let e = self.parent[v];
                if let Some(r) = self.residual(e) {
                    bottleneck = Some(bottleneck.map_or(r, |b| b.min(r)));
                }
                v = self.other_end(e ^ 1);
            }
            let Some(push) = bottleneck else {
                return true; // an all-infinite path: unbounded flow
            };
            let push = push.min(need - total);
            let mut v = t;
            while v != s {
                let e = self.parent[v];
                let a = e / 2;
                if self.flow_epoch[a] != self.problem {
                    self.flow_epoch[a] = self.problem;
                    self.flow[a] = 0;
                }
                self.flow[a] += if e & 1 == 0 { push } else { -push };
                v = self.other_end(e ^ 1);
            }
            total += push;
        }
        true
    }
}

/// Exact pre-reduction of a component's rows that keeps `W = span(rows) ∩ {x = 0 on big
/// columns}` unchanged (so its reduced row echelon form, which the search uses, is unchanged):
///
/// * a row whose only (remaining) column is a big column `a`: `e_a` is in the span, so the span
///   is `span(e_a) + span(other rows with column a cleared)`; a vector of W is 0 at `a`, so W is
///   the span of the other rows with column `a` cleared, intersected with the same condition.
///   Column `a` is cleared everywhere and the row dropped.
/// * a big column `a` in exactly one (remaining) row `r`: every vector of the span has
///   coefficient `x_a` on `r`, and a vector of W has `x_a = 0`, so W lies in the span of the
///   other rows. Row `r` is dropped.
///
/// Both rules repeat until neither applies. Columns keep their indices; rows keep their order.
#[derive(Default)]
struct Peel {
    /// Per column `j`: its rows at `col_rows[j * slots..(j + 1) * slots]` (`NONE` = unused).
    col_rows: Vec<usize>,
    row_len: Vec<usize>,
    row_dead: Vec<bool>,
    col_dead: Vec<bool>,
    col_len: Vec<usize>,
    rows_todo: Vec<usize>,
    cols_todo: Vec<usize>,
    /// The remaining rows (compressed, sorted columns without cleared ones).
    starts: Vec<usize>,
    cols: Vec<usize>,
}

impl Peel {
    fn run(&mut self, starts: &[usize], cols: &[usize], nbig: usize, slots: usize) {
        let nrows = starts.len().saturating_sub(1);
        let ncols = self.col_rows.len() / slots.max(1);
        self.row_len.clear();
        self.row_len
            .extend((0..nrows).map(|i| starts[i + 1] - starts[i]));
        self.row_dead.clear();
        self.row_dead.resize(nrows, false);
        self.col_dead.clear();
        self.col_dead.resize(ncols, false);
        self.col_len.clear();
        self.col_len.extend((0..ncols).map(|j| {
            self.col_rows[j * slots..(j + 1) * slots]
                .iter()
                .filter(|&&r| r != NONE)
                .count()
        }));
        self.rows_todo.clear();
        self.rows_todo
            .extend((0..nrows).filter(|&i| self.row_len[i] == 1));
        self.cols_todo.clear();
        self.cols_todo
            .extend((0..nbig).filter(|&j| self.col_len[j] == 1));
        loop {
            if let Some(i) = self.rows_todo.pop() {
                if self.row_dead[i] || self.row_len[i] != 1 {
                    continue;
                }
                let Some(&j) = cols[starts[i]..starts[i + 1]]
                    .iter()
                    .find(|&&j| !self.col_dead[j])
                else {
                    continue;
                };
                if j >= nbig {
                    continue;
                }
                // Clear big column j everywhere.
                self.col_dead[j] = true;
                for &r in &self.col_rows[j * slots..(j + 1) * slots] {
                    if r == NONE || self.row_dead[r] {
                        continue;
                    }
                    self.row_len[r] -= 1;
                    match self.row_len[r] {
                        0 => self.row_dead[r] = true,
                        1 => self.rows_todo.push(r),
                        _ => {}
                    }
                }
            } else if let Some(j) = self.cols_todo.pop() {
                if self.col_dead[j] || self.col_len[j] != 1 {
                    continue;
                }
                let Some(&i) = self.col_rows[j * slots..(j + 1) * slots]
                    .iter()
                    .find(|&&r| r != NONE && !self.row_dead[r])
                else {
                    continue;
                };
                // Drop row i.
                self.row_dead[i] = true;
                for &c in &cols[starts[i]..starts[i + 1]] {
                    if self.col_dead[c] {
                        continue;
                    }
                    self.col_len[c] -= 1;
                    if c < nbig && self.col_len[c] == 1 {
                        self.cols_todo.push(c);
                    }
                }
            } else {
                break;
            }
        }
        self.starts.clear();
        self.cols.clear();
        self.starts.push(0);
        for i in 0..nrows {
            if self.row_dead[i] {
                continue;
            }
            let col_dead = &self.col_dead;
            self.cols.extend(
                cols[starts[i]..starts[i + 1]]
                    .iter()
                    .copied()
                    .filter(|&c| !col_dead[c]),
            );
            self.starts.push(self.cols.len());
        }
    }
}

/// One component: rows of 0/1 over local columns; columns `0..nbig` are big atoms.
struct Problem<'p> {
    ncols: usize,
    nbig: usize,
    weights: &'p [usize],
    /// Row `i` has ones at `cols[starts[i]..starts[i + 1]]` (sorted).
    starts: &'p [usize],
    cols: &'p [usize],
    /// The same for the rows left by [`Peel`]; they span the same W.
    core_starts: &'p [usize],
    core_cols: &'p [usize],
    k: usize,
    /// Seeds known to start no breach.
    skip: &'p [bool],
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
    fn find_breach<F: Exact>(&self, sc: &mut Scratch<F>) -> Option<Option<Vec<usize>>> {
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
    fn solve<F: Exact>(&self, set: &[usize]) -> Option<Vec<BigRational>> {
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
struct Scratch<F> {
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
    fn new() -> Self {
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

/// The search's own scratch space.
struct SearchBufs<F> {
    /// The current set, sorted.
    x: Vec<usize>,
    /// Membership of the current set, per column.
    in_x: Vec<bool>,
    /// Implied values on free columns.
    vals: Acc<F>,
    /// Free atoms of the current set that no pivot in it touches.
    untouched: Vec<usize>,
    /// A stack of the violated constraints and candidates of the nodes on the search path.
    buf: Vec<usize>,
    /// Sets of two or more atoms already explored from this seed. A set is reached again only
    /// after its first visit found nothing, so skipping it never changes the result.
    seen: HashSet<Vec<usize>, BuildFx>,
}

impl<F: Exact> SearchBufs<F> {
    fn reset(&mut self, ncols: usize) {
        self.x.clear();
        self.in_x.clear();
        self.in_x.resize(ncols, false);
        self.vals.ensure(ncols);
        self.untouched.clear();
        self.buf.clear();
        self.seen.clear();
    }
}

/// The depth-first search for minimal breaches over W's reduced rows. After an overflow
/// (`None`) the buffers are dirty.
struct Search<'s, F> {
    p: &'s Problem<'s>,
    arena: &'s [(usize, F)],
    w: &'s [(usize, usize)],
    wpiv: &'s [usize],
    col_start: &'s [usize],
    col_rows: &'s [usize],
    /// The current seed (the smallest atom of every set searched).
    seed: usize,
    s: &'s mut SearchBufs<F>,
}

impl<F: Exact> Search<'_, F> {
    /// Grows the current set `x` (which holds the seed) towards a minimal breach whose smallest
    /// atom is the seed; `weight` is the weight of `x`. On success `x` is the breach. Outer
    /// `None`: overflow.
    fn dfs(&mut self, weight: usize) -> Option<bool> {
        let s = &mut *self.s;
        if s.x.len() > 1 && !s.seen.insert(s.x.clone()) {
            return Some(false);
        }
        let base = s.buf.len();
        if let [a] = s.x[..] {
            // The seed alone: its pivot row's entries (all non-zero) are exactly the violated
            // constraints, or the seed itself if it is a free column.
            match self.wpiv[a] {
                NONE => s.buf.push(a),
                r => {
                    let (from, to) = self.w[r];
                    s.buf.extend(self.arena[from + 1..to].iter().map(|e| e.0));
                }
            }
        } else {
            // Values implied on free columns by the pivots in x.
            for &a in &s.x {
                let r = self.wpiv[a];
                if r == NONE {
                    continue;
                }
                let (from, to) = self.w[r];
                s.vals.add_row(&self.arena[from + 1..to])?;
            }
            // Violated constraints: touched free columns in order, then the free atoms of x
            // that no pivot in x touches.
            s.untouched.clear();
            for &a in &s.x {
                if self.wpiv[a] == NONE && !s.vals.touched(a) {
                    s.untouched.push(a);
                }
            }
            let (buf, in_x) = (&mut s.buf, &s.in_x);
            s.vals.drain_each(|c, v| {
                if !v.is_int(i64::from(in_x[c])) {
                    buf.push(c);
                }
            });
            s.buf.extend_from_slice(&s.untouched);
        }
        if s.buf.len() == base {
            return Some(true);
        }
        // Branch on the first violated constraint with the fewest candidates.
        let budget = self.p.k - 1 - weight;
        let (seed, weights, in_x) = (self.seed, self.p.weights, &s.in_x);
        let eligible = |c: usize| c > seed && !in_x[c] && weights[c] <= budget;
        let mut best: Option<(usize, usize)> = None;
        for &f in &s.buf[base..] {
            let limit = best.map_or(usize::MAX, |b| b.1);
            let mut count = usize::from(eligible(f));
            for &p in &self.col_rows[self.col_start[f]..self.col_start[f + 1]] {
                if count >= limit {
                    break;
                }
                count += usize::from(eligible(p));
            }
            if count < limit {
                best = Some((f, count));
                if count == 0 {
                    break;
                }
            }
        }
        s.buf.truncate(base);
        let Some((f, _)) = best else {
            return Some(false);
        };
        if eligible(f) {
            s.buf.push(f);
        }
        for &p in &self.col_rows[self.col_start[f]..self.col_start[f + 1]] {
            if eligible(p) {
                s.buf.push(p);
            }
        }
        let end = s.buf.len();
        for i in base..end {
            let c = self.s.buf[i];
            let at = self.s.x.partition_point(|&a| a < c);
            self.s.x.insert(at, c);
            self.s.in_x[c] = true;
            if self.dfs(weight + self.p.weights[c])? {
                return Some(true);
            }
            self.s.in_x[c] = false;
            self.s.x.remove(at);
        }
        self.s.buf.truncate(base);
        Some(false)
    }
}

/// A small fast hasher for the search's sets of column indices (no DoS concern: the keys are
/// computed locally).
#[derive(Default, Clone, Copy)]
struct BuildFx;

impl std::hash::BuildHasher for BuildFx {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testing::Rng;
    use num_traits::One;

    /// Rank of rational rows.
    fn rank(rows: &[Vec<BigRational>]) -> usize {
        let mut m = rows.to_vec();
        let cols = m.first().map_or(0, Vec::len);
        let mut rank = 0;
        for c in 0..cols {
            let Some(p) = (rank..m.len()).find(|&i| !m[i][c].is_zero()) else {
                continue;
            };
            m.swap(rank, p);
            let pivot = m[rank].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != rank && !row[c].is_zero() {
                    let f = &row[c] / &pivot[c];
                    for (x, q) in row.iter_mut().zip(&pivot) {
                        *x -= &f * q;
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    fn ind(n: usize, set: impl Fn(usize) -> bool) -> Vec<BigRational> {
        (0..n)
            .map(|i| {
                if set(i) {
                    BigRational::one()
                } else {
                    BigRational::zero()
                }
            })
            .collect()
    }

    /// Whether some non-empty set of small atoms of weight < k is in the span of `rows`.
    fn brute_breach(rows: &[Vec<BigRational>], weights: &[usize], k: usize) -> bool {
        let n = weights.len();
        let base = rank(rows);
        (1u32..(1 << n)).any(|mask| {
            let inside = |i: usize| mask & (1 << i) != 0;
            let w: usize = (0..n).filter(|&i| inside(i)).map(|i| weights[i]).sum();
            if w >= k || (0..n).any(|i| inside(i) && weights[i] >= k) {
                return false;
            }
            let mut with = rows.to_vec();
            with.push(ind(n, inside));
            rank(&with) == base
        })
    }

    /// Random connected components with at most one attribute (whole rows, cut rows, ground):
    /// the certificate holds exactly when brute force finds no breach.
    #[test]
    fn flow_certificate_agrees_with_brute_force() {
        let mut rng = Rng(5);
        let mut flows = Flows::default();
        let (mut certified, mut refused) = (0, 0);
        for _ in 0..3000 {
            let k = 3 + rng.next(4);
            let whole = 1 + rng.next(3);
            let cut = rng.next(4);
            let rowsn = whole + cut;
            let ground = rowsn;
            let natoms = 1 + rng.next(11);
            let mut ends = Vec::new();
            for _ in 0..natoms {
                let t = if rng.next(6) == 0 {
                    ground
                } else {
                    rng.next(whole)
                };
                let h = if cut == 0 || rng.next(6) == 0 {
                    ground
                } else {
                    whole + rng.next(cut)
                };
                if t == ground && h == ground {
                    continue;
                }
                // Mostly small weights, sometimes big.
                let w = if rng.next(5) == 0 {
                    k + rng.next(3)
                } else {
                    1 + rng.next(k - 1)
                };
                ends.push((t, h, w));
            }
            // Keep connected cases only (a component is connected by construction).
            let mut comp: Vec<usize> = (0..=rowsn).collect();
            fn find(c: &mut [usize], mut v: usize) -> usize {
                while c[v] != v {
                    v = c[v];
                }
                v
            }
            for &(t, h, _) in &ends {
                let (a, b) = (find(&mut comp, t), find(&mut comp, h));
                comp[a] = b;
            }
            let used: Vec<usize> = (0..=rowsn)
                .filter(|&v| ends.iter().any(|&(t, h, _)| t == v || h == v))
                .collect();
            if ends.is_empty()
                || used.len() != rowsn + usize::from(used.contains(&ground))
                || used
                    .iter()
                    .any(|&v| find(&mut comp, v) != find(&mut comp, used[0]))
            {
                continue;
            }
            flows.clear();
            for &(t, h, w) in &ends {
                flows.add_atom(t, h, (w < k).then_some(w));
            }
            let cert = flows.certify(rowsn + 1, k);
            let rows: Vec<Vec<BigRational>> = (0..rowsn)
                .map(|r| ind(ends.len(), |a| ends[a].0 == r || ends[a].1 == r))
                .collect();
            let weights: Vec<usize> = ends.iter().map(|e| e.2).collect();
            let breach = brute_breach(&rows, &weights, k);
            assert_eq!(cert, !breach, "k {k}, rows {rowsn}, atoms {ends:?}");
            if cert {
                certified += 1;
            } else {
                refused += 1;
            }
        }
        assert!(certified > 100 && refused > 100, "{certified} / {refused}");
    }

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
