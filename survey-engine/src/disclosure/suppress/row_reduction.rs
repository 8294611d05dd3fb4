//! Exact sparse row reduction: sparse rows (`Row`), the dense accumulator `Acc` that adds scaled
//! rows in time proportional to their length, and reduction of a row by an echelon basis
//! (`reduce`, `scale`), generic over the exact number type.

use super::NONE;
use crate::disclosure::exact::Exact;

pub(super) type Row<F> = Vec<(usize, F)>;

pub(super) fn scale<F: Exact>(row: &mut Row<F>, by: &F) -> Option<()> {
    for e in row.iter_mut() {
        e.1 = e.1.div(by)?;
    }
    Some(())
}

/// A dense accumulator for sparse rows: adds scaled rows in time proportional to their length.
/// Touched columns are kept in a bit set, so the smallest one and the sorted list of entries
/// are found by scanning words instead of a heap or a sort.
pub(super) struct Acc<F> {
    pub(super) val: Vec<F>,
    /// Bit `c` is set iff column `c` has been touched since the last drain.
    bits: Vec<u64>,
    /// Words of `bits` that may be non-zero: `lo..hi`.
    lo: usize,
    hi: usize,
}

impl<F: Exact> Acc<F> {
    pub(super) fn new(n: usize) -> Self {
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
    pub(super) fn ensure(&mut self, n: usize) {
        self.drain_each(|_, _| {});
        if self.val.len() < n {
            self.val.resize(n, F::from_int(0));
            self.bits.resize(n.div_ceil(64), 0);
        }
    }

    pub(super) fn touched(&self, col: usize) -> bool {
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
    pub(super) fn add_scaled(&mut self, row: &[(usize, F)], c: &F) -> Option<()> {
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
    pub(super) fn add_row(&mut self, row: &[(usize, F)]) -> Option<()> {
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
    pub(super) fn add_ones(&mut self, cols: &[usize]) -> Option<()> {
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
    pub(super) fn lead(&self, from: usize) -> Option<usize> {
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
    pub(super) fn drain_into(&mut self, out: &mut Vec<(usize, F)>) {
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
    pub(super) fn drain_each(&mut self, mut f: impl FnMut(usize, &F)) {
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
    pub(super) fn drain(&mut self) -> Row<F> {
        let mut out = Vec::new();
        self.drain_into(&mut out);
        out
    }
}

/// Reduces `row` by the echelon `basis` until its leading entry has no pivot (or it vanishes).
/// Records `(basis row, coefficient)` of every subtraction in `used`.
pub(super) fn reduce<F: Exact>(
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
