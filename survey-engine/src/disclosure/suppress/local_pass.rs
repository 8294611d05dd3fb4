//! The local pass: cheap laminar and margin rules applied bottom-up over units before the exact
//! component pass. They only save work: the component pass is exact on its own.

use super::state::State;

impl State<'_> {
    /// Cheap local rules, bottom-up over units (only an optimisation: the component pass is
    /// exact on its own):
    /// * laminar: in every family, a shown cell whose residual holds 1..k-1 respondents is
    ///   derivable as the cell minus its maximal shown descendants;
    /// * margin: for a shown whole cell and one attribute, the whole cell minus its shown cuts
    ///   (the respondents with a hidden value or no value) must not hold 1..k-1 respondents.
    ///
    /// Hiding a cell only changes residuals of its ancestors and margins of its own unit, so a
    /// unit that has been processed stays clean while the pass moves up.
    pub(super) fn local_pass(&mut self) {
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
}
