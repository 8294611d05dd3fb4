//! Atoms: all respondents grouped by (unit, attribute values), once per layout and placements.
//! Every measure's weights, cell counts and residual rows are computed per atom, not per
//! respondent.

use super::NONE;
use crate::disclosure::{Layout, Placement};

/// All respondents (present or not) grouped by (unit, attribute values), in that order. A
/// measure's atoms are the atoms with at least one present respondent, in the same order.
pub(super) struct Atoms {
    /// Atom of each respondent.
    pub(super) of: Vec<usize>,
    /// Unit of each atom.
    pub(super) unit: Vec<usize>,
    /// Per atom and slot (0: whole family, 1 + a: attribute a): the family (offset of the cell
    /// within its unit), or `NONE` if the atom has no value for that attribute.
    pub(super) fam: Vec<usize>,
}

impl Atoms {
    /// Placements must be valid for the layout (see `validate`).
    pub(super) fn new(layout: &Layout, placements: &[Placement]) -> Self {
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

    pub(super) fn len(&self) -> usize {
        self.unit.len()
    }
}
