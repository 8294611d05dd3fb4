//! The exact component pass: residual rows are split into connected components (rows sharing
//! an atom), and each component is checked for a derivable small set, by a flow certificate
//! when that suffices, otherwise by the exact breach search; a breach hides one of its cells
//! and the affected components are checked again.

use super::component_problem::{Problem, Scratch};
use super::state::State;
use super::NONE;
use crate::disclosure::exact::Small;
use num_rational::BigRational;
use num_traits::Zero;
use std::collections::BTreeMap;

impl State<'_> {
    /// Exact check of every connected component of residual rows; hides cells until no
    /// component contains a derivable small set.
    pub(super) fn component_pass(&mut self) {
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
    ///
    /// [`Flows`]: super::flows::Flows
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
