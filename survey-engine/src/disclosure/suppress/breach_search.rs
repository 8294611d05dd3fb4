//! The depth-first search for a minimal breach (`Search`) over W's reduced rows, seed by seed,
//! with its scratch space (`SearchBufs`) and the small hasher (`BuildFx`) for the sets of
//! columns it has already explored.

use super::component_problem::Problem;
use super::row_reduction::Acc;
use super::NONE;
use crate::disclosure::exact::Exact;
use std::collections::HashSet;

/// The search's own scratch space.
pub(super) struct SearchBufs<F> {
    /// The current set, sorted.
    pub(super) x: Vec<usize>,
    /// Membership of the current set, per column.
    pub(super) in_x: Vec<bool>,
    /// Implied values on free columns.
    pub(super) vals: Acc<F>,
    /// Free atoms of the current set that no pivot in it touches.
    pub(super) untouched: Vec<usize>,
    /// A stack of the violated constraints and candidates of the nodes on the search path.
    pub(super) buf: Vec<usize>,
    /// Sets of two or more atoms already explored from this seed. A set is reached again only
    /// after its first visit found nothing, so skipping it never changes the result.
    pub(super) seen: HashSet<Vec<usize>, BuildFx>,
}

impl<F: Exact> SearchBufs<F> {
    pub(super) fn reset(&mut self, ncols: usize) {
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
pub(super) struct Search<'s, F> {
    pub(super) p: &'s Problem<'s>,
    pub(super) arena: &'s [(usize, F)],
    pub(super) w: &'s [(usize, usize)],
    pub(super) wpiv: &'s [usize],
    pub(super) col_start: &'s [usize],
    pub(super) col_rows: &'s [usize],
    /// The current seed (the smallest atom of every set searched).
    pub(super) seed: usize,
    pub(super) s: &'s mut SearchBufs<F>,
}

impl<F: Exact> Search<'_, F> {
    /// Grows the current set `x` (which holds the seed) towards a minimal breach whose smallest
    /// atom is the seed; `weight` is the weight of `x`. On success `x` is the breach. Outer
    /// `None`: overflow.
    pub(super) fn dfs(&mut self, weight: usize) -> Option<bool> {
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
pub(super) struct BuildFx;

impl std::hash::BuildHasher for BuildFx {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

pub(super) struct Fx(u64);

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
