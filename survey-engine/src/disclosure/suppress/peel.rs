//! `Peel`: an exact pre-reduction of a component's rows by its big columns that leaves the
//! space the breach search works in unchanged, so that the echelon form is computed on fewer
//! and shorter rows.

use super::NONE;

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
pub(super) struct Peel {
    /// Per column `j`: its rows at `col_rows[j * slots..(j + 1) * slots]` (`NONE` = unused).
    pub(super) col_rows: Vec<usize>,
    row_len: Vec<usize>,
    row_dead: Vec<bool>,
    col_dead: Vec<bool>,
    col_len: Vec<usize>,
    rows_todo: Vec<usize>,
    cols_todo: Vec<usize>,
    /// The remaining rows (compressed, sorted columns without cleared ones).
    pub(super) starts: Vec<usize>,
    pub(super) cols: Vec<usize>,
}

impl Peel {
    pub(super) fn run(&mut self, starts: &[usize], cols: &[usize], nbig: usize, slots: usize) {
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
