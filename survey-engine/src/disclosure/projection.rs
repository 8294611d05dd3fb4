//! Classes found by part of their signature: the swap certificates of P1 ([`super::counts`])
//! and P2 ([`super::means`]) look up, for every group without a simpler certificate, the
//! classes that agree with one class on some signature positions. This runs for every
//! measure and round, so the index is built in linear time without a vector per key (classes
//! chained by the hash of their projected signature, or, for one position, by its row in a
//! table: the rows are cell indices, and a table has no hash map's scattered probes), no key
//! vector is built per lookup, and a lookup keeps only the classes whose positions really
//! match.

use rustc_hash::{FxHashMap as HashMap, FxHasher};
use std::hash::{Hash, Hasher};

/// Classes grouped by their signature at the positions in `mask` (`on`) or outside it, in
/// class order within a group: per group its first class, per class the next one in its
/// group.
pub(super) struct ProjectionIndex {
    mask: usize,
    on: bool,
    first: Heads,
    /// Per class: the next class of its group, `usize::MAX` after the last.
    next: Vec<usize>,
}

/// The first class of each group.
enum Heads {
    /// One position: per row at it (a cell index; the last slot for no row), indexed by the
    /// row itself.
    Row { position: usize, first: Vec<usize> },
    /// Several positions: per hash of the rows at them (one hash-map insert per class).
    Hashed(HashMap<u64, usize>),
}

impl Heads {
    fn slot(position: usize, rows: usize, signature: &[usize]) -> Option<usize> {
        match signature.get(position).copied()? {
            usize::MAX => Some(rows),
            row => (row < rows).then_some(row),
        }
    }
}

impl ProjectionIndex {
    /// Indexes classes `0..count`, whose signatures `signature` gives.
    pub(super) fn new<'s>(
        count: usize,
        signature: impl Fn(usize) -> &'s [usize],
        mask: usize,
        on: bool,
    ) -> Self {
        let mut next = vec![usize::MAX; count];
        let width = (0..count).map(|c| signature(c).len()).max().unwrap_or(0);
        let mut positions = (0..width).filter(|&f| in_projection(mask, on, f) == Some(true));
        let first = match (positions.next(), positions.next()) {
            (Some(position), None) => {
                let rows = (0..count)
                    .filter_map(|c| signature(c).get(position).copied())
                    .filter(|&row| row != usize::MAX)
                    .max()
                    .map_or(0, |row| row + 1);
                let mut first = vec![usize::MAX; rows + 1];
                // Backwards, so that each chain runs in class order.
                for c in (0..count).rev() {
                    if let Some(head) = Heads::slot(position, rows, signature(c))
                        .and_then(|slot| first.get_mut(slot))
                    {
                        next[c] = std::mem::replace(head, c);
                    }
                }
                Heads::Row { position, first }
            }
            _ => {
                let mut first: HashMap<u64, usize> = HashMap::default();
                first.reserve(count);
                for c in (0..count).rev() {
                    if let Some(after) = first.insert(hash(signature(c), mask, on), c) {
                        next[c] = after;
                    }
                }
                Heads::Hashed(first)
            }
        };
        ProjectionIndex {
            mask,
            on,
            first,
            next,
        }
    }

    /// The classes that agree with `key` at the index's positions, in class order.
    pub(super) fn matching<'a, 's: 'a>(
        &'a self,
        signature: impl Fn(usize) -> &'s [usize] + 'a,
        key: &'a [usize],
    ) -> impl Iterator<Item = usize> + 'a {
        let mut at = match &self.first {
            Heads::Row { position, first } => {
                let rows = first.len().saturating_sub(1);
                Heads::slot(*position, rows, key)
                    .and_then(|slot| first.get(slot).copied())
                    .filter(|&c| c != usize::MAX)
            }
            Heads::Hashed(first) => first.get(&hash(key, self.mask, self.on)).copied(),
        };
        std::iter::from_fn(move || {
            let c = at?;
            at = Some(self.next[c]).filter(|&n| n != usize::MAX);
            Some(c)
        })
        .filter(move |&c| self.same(signature(c), key))
    }

    fn same(&self, a: &[usize], b: &[usize]) -> bool {
        let (mask, on) = (self.mask, self.on);
        a.iter()
            .zip(b)
            .enumerate()
            .all(|(f, (x, y))| in_projection(mask, on, f) != Some(true) || x == y)
    }
}

/// Whether signature position `f` is in the projection (`None` past the mask's bits).
fn in_projection(mask: usize, on: bool, f: usize) -> Option<bool> {
    let bit = (mask.checked_shr(f as u32)? & 1) == 1;
    Some(bit == on)
}

fn hash(signature: &[usize], mask: usize, on: bool) -> u64 {
    let mut hasher = FxHasher::default();
    for (f, &c) in signature.iter().enumerate() {
        if in_projection(mask, on, f) == Some(true) {
            (f, c).hash(&mut hasher);
        }
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_classes_that_agree_at_the_positions_in_class_order() {
        let signatures: Vec<Vec<usize>> = vec![
            vec![1, 7, 3],
            vec![1, 8, 3],
            vec![2, 7, 3],
            vec![1, 7, 4],
            vec![1, 9, 3],
        ];
        let sig = |c: usize| signatures[c].as_slice();
        // Positions 0 and 2 (mask 0b101 on): classes 0, 1 and 4 share (1, _, 3).
        let on = ProjectionIndex::new(signatures.len(), sig, 0b101, true);
        assert_eq!(on.matching(sig, &[1, 0, 3]).collect::<Vec<_>>(), [0, 1, 4]);
        // The same mask off: position 1 only.
        let off = ProjectionIndex::new(signatures.len(), sig, 0b101, false);
        assert_eq!(off.matching(sig, &[5, 7, 5]).collect::<Vec<_>>(), [0, 2, 3]);
        // Every position: one class or none.
        let all = ProjectionIndex::new(signatures.len(), sig, usize::MAX, true);
        assert_eq!(all.matching(sig, &[1, 7, 4]).collect::<Vec<_>>(), [3]);
        assert_eq!(all.matching(sig, &[9, 9, 9]).count(), 0);
    }
}
