//! The suppressor's per-measure `State`: its buffers, the preparation of one measure (atom
//! weights, cell counts, primary suppression and residual rows) and the cell operations the
//! passes share (hiding a cell and moving its residual up, choosing the cell to hide). The
//! passes themselves are further `impl State` blocks in `local_pass.rs` and
//! `component_pass.rs`.

use super::atoms::Atoms;
use super::component_problem::Scratch;
use super::flows::Flows;
use super::peel::Peel;
use super::NONE;
use crate::disclosure::exact::Small;
use crate::disclosure::{CellStatus, Layout};
use std::cmp::Reverse;

/// The suppressor's state for one measure at a time; buffers are reused across measures.
pub(super) struct State<'a> {
    pub(super) layout: &'a Layout,
    pub(super) atoms: &'a Atoms,
    pub(super) k: usize,
    /// Whether a cell with none of the measure's members stays shown (a group that needs
    /// protecting only where it has members, [`super::suppress_many_where_present`]).
    pub(super) empty_shown: bool,
    /// Cells per unit (= number of families).
    pub(super) stride: usize,
    /// Row slots per atom: 0 for the whole family, 1 + a for attribute a.
    pub(super) slots: usize,
    /// Slot of each family.
    pub(super) fam_slot: Vec<usize>,
    /// Present respondents per atom (0: not an atom of this measure).
    pub(super) atom_weight: Vec<usize>,
    /// Respondents per cell.
    pub(super) n: Vec<usize>,
    pub(super) status: Vec<CellStatus>,
    /// Nearest shown ancestor-or-self per cell (scratch for building the residual rows).
    pub(super) nsa: Vec<usize>,
    /// Residual row (shown cell) per atom and slot, or `NONE`.
    pub(super) atom_row: Vec<usize>,
    /// Atoms of each shown cell's residual.
    pub(super) row_atoms: Vec<Vec<usize>>,
    /// Respondents in each shown cell's residual (the weight of its atoms).
    pub(super) row_w: Vec<usize>,
    /// Small atoms known to be the smallest atom of no breach. Hiding cells only shrinks the
    /// span, so the set of derivable sets only shrinks and this stays true.
    pub(super) seed_clean: Vec<bool>,
    /// Scratch for the component pass, indexed by cell / atom.
    pub(super) clean: Vec<bool>,
    pub(super) row_mark: Vec<u32>,
    pub(super) atom_mark: Vec<u32>,
    pub(super) epoch: u32,
    /// Local index of each row of the component being checked.
    pub(super) local: Vec<usize>,
    /// The component's matrix and columns (reused buffers).
    pub(super) col_atom: Vec<usize>,
    pub(super) col_weight: Vec<usize>,
    pub(super) col_skip: Vec<bool>,
    pub(super) mat_starts: Vec<usize>,
    pub(super) mat_fill: Vec<usize>,
    pub(super) mat_cols: Vec<usize>,
    pub(super) peel: Peel,
    pub(super) flows: Flows,
    pub(super) scratch: Scratch<Small>,
}

impl<'a> State<'a> {
    pub(super) fn new(layout: &'a Layout, atoms: &'a Atoms, k: usize) -> Self {
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
            empty_shown: false,
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

    /// Weights, counts, primary suppression and residual rows of one measure.
    pub(super) fn prepare(&mut self, present: &[bool]) {
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
            *s = if c < k && !(c == 0 && self.empty_shown) {
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

    pub(super) fn shown(&self, cell: usize) -> bool {
        self.status[cell] == CellStatus::Shown
    }

    pub(super) fn row_weight(&self, cell: usize) -> usize {
        self.row_w[cell]
    }

    /// Shown cells of the same family strictly below `cell` with no shown cell in between.
    pub(super) fn maximal_shown_descendants(&self, cell: usize) -> Vec<usize> {
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
    pub(super) fn hide(&mut self, cell: usize) -> usize {
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

    /// The cell to hide among the participants of a breach: never the root whole cell; one
    /// with members before an empty one (shown only for [`super::suppress_many_where_present`],
    /// where hiding it changes nothing), then the smallest n, then the deepest unit, then the
    /// lowest index.
    pub(super) fn pick_victim(&self, participants: impl Iterator<Item = usize>) -> Option<usize> {
        participants
            .filter(|&c| c != 0 && self.shown(c))
            .min_by_key(|&c| {
                (
                    self.n[c] == 0,
                    self.n[c],
                    Reverse(self.layout.tree.depth(c / self.stride)),
                    c,
                )
            })
    }
}
