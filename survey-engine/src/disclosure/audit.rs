//! The auditor (D5): an exact, global attacker. Written independently of the suppressor: it
//! derives cell membership from the tree itself, groups respondents by the set of shown cells
//! they are in, and works on the whole matrix of shown cells with `BigRational`.

use super::{validate, Breach, CellKey, DisclosureError, Layout, Placement};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use std::collections::{BTreeMap, BTreeSet};

type SparseRow = BTreeMap<usize, BigRational>;

/// Every set of 1..=k-1 respondents whose indicator vector lies in the real span of the shown
/// cells' indicator vectors (for the respondents present for this measure). Each set is
/// reported once, respondents sorted; sets are ordered by size, then lexicographically.
///
/// Note that the output can be large for a badly protected release: every disjoint union of
/// derivable sets that stays below k is itself derivable and is reported.
pub fn audit(
    layout: &Layout,
    placements: &[Placement],
    present: &[bool],
    shown: &[CellKey],
    k: usize,
) -> Result<Vec<Breach>, DisclosureError> {
    validate(layout, placements, present, k)?;
    if let Some(bad) = shown.iter().find(|c| !layout.contains(**c)) {
        return Err(DisclosureError::UnknownCell(*bad));
    }
    let cells: Vec<CellKey> = shown
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Each shown cell's row, by its index in the layout.
    let position: BTreeMap<usize, usize> = cells
        .iter()
        .enumerate()
        .map(|(i, &c)| (layout.cell_index(c), i))
        .collect();
    // Each respondent's rows: the shown cells containing them.
    let rows_of: Vec<Vec<usize>> = placements
        .iter()
        .zip(present)
        .map(|(p, &here)| {
            let mut rows = Vec::new();
            if here {
                layout.for_each_cell_of(p, |cell| rows.extend(position.get(&cell).copied()));
            }
            rows
        })
        .collect();
    Ok(audit_rows(&rows_of, cells.len(), k)
        .into_iter()
        .map(|b| Breach {
            respondents: b.respondents,
            combination: b
                .combination
                .into_iter()
                .map(|(i, v)| (cells[i], v))
                .collect(),
        })
        .collect())
}

/// A set of respondents that released rows give away, and one way to derive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowBreach {
    /// Respondent indices, sorted.
    pub respondents: Vec<usize>,
    /// Coefficients of rows whose combination is exactly the set's indicator vector (sorted
    /// by row, zero coefficients omitted).
    pub combination: Vec<(usize, BigRational)>,
}

/// [`audit`] over any released sums, not only a layout's cells: `rows_of[r]` lists the rows
/// (numbered below `row_count`) whose figure holds respondent `r` (none: in no released
/// figure, or not counted). Every set of 1..=k-1 respondents whose indicator vector lies in
/// the real span of the rows, as [`audit`] reports them.
///
/// For figures that are not one measure's cells, such as a scale read with its items, where
/// some figures hold only the people of one kind (docs/privacy.md D8).
pub fn audit_rows(rows_of: &[Vec<usize>], row_count: usize, k: usize) -> Vec<RowBreach> {
    // Respondents grouped by the set of rows containing them.
    let mut groups: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
    for (r, rows) in rows_of.iter().enumerate() {
        let mut signature: Vec<usize> = rows.iter().copied().filter(|&i| i < row_count).collect();
        if signature.is_empty() {
            continue; // in no released figure: nothing can be derived about them
        }
        signature.sort_unstable();
        signature.dedup();
        groups.entry(signature).or_default().push(r);
    }
    // Columns: big groups (>= k respondents) first, then small ones.
    let mut columns: Vec<(Vec<usize>, Vec<usize>)> = groups.into_iter().collect();
    columns.sort_by_key(|(_, members)| members.len() < k);
    let nbig = columns.iter().filter(|(_, m)| m.len() >= k).count();
    let weight: Vec<usize> = columns.iter().map(|(_, m)| m.len()).collect();

    let one = BigRational::one();
    let mut rows: Vec<SparseRow> = vec![SparseRow::new(); row_count];
    for (col, (signature, _)) in columns.iter().enumerate() {
        for &row in signature {
            rows[row].insert(col, one.clone());
        }
    }

    let minimal = minimal_breaches(&rows, &weight, nbig, k);
    let unions = disjoint_unions(&minimal, &weight, k);

    let solver = Solver::new(&rows);
    let mut out: Vec<RowBreach> = unions
        .into_iter()
        .map(|set| {
            let mut respondents: Vec<usize> = set
                .iter()
                .flat_map(|&c| columns[c].1.iter().copied())
                .collect();
            respondents.sort_unstable();
            RowBreach {
                respondents,
                combination: solver.combination(&set),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.respondents.len(), &a.respondents).cmp(&(b.respondents.len(), &b.respondents))
    });
    out
}

/// Subtracts `factor * other` from `row`, dropping zeros.
fn subtract(row: &mut SparseRow, factor: &BigRational, other: &SparseRow) {
    for (&c, v) in other {
        let entry = row.entry(c).or_insert_with(BigRational::zero);
        *entry -= factor * v;
        if entry.is_zero() {
            row.remove(&c);
        }
    }
}

/// All minimal non-empty sets of small columns (weight < k) whose indicator lies in the
/// row space.
fn minimal_breaches(
    rows: &[SparseRow],
    weight: &[usize],
    nbig: usize,
    k: usize,
) -> Vec<BTreeSet<usize>> {
    // Row echelon form by leading entries.
    let mut echelon: BTreeMap<usize, SparseRow> = BTreeMap::new();
    for r in rows {
        let mut row = r.clone();
        while let Some((&lead, v)) = row.iter().next() {
            let v = v.clone();
            match echelon.get(&lead) {
                Some(base) => subtract(&mut row, &v, base),
                None => {
                    for x in row.values_mut() {
                        *x /= &v;
                    }
                    echelon.insert(lead, row);
                    break;
                }
            }
        }
    }
    // W = span of rows with a small pivot; reduce it.
    let mut w: BTreeMap<usize, SparseRow> = echelon.split_off(&nbig);
    let pivots: Vec<usize> = w.keys().copied().collect();
    for &p in pivots.iter().rev() {
        let Some(mut row) = w.remove(&p) else {
            continue;
        };
        let targets: Vec<(usize, BigRational)> = row
            .iter()
            .filter(|(&c, _)| c != p && w.contains_key(&c))
            .map(|(&c, v)| (c, v.clone()))
            .collect();
        for (c, v) in targets {
            if let Some(base) = w.get(&c) {
                subtract(&mut row, &v, base);
            }
        }
        w.insert(p, row);
    }
    // Free column -> (pivot, coefficient).
    let mut by_free: BTreeMap<usize, Vec<(usize, BigRational)>> = BTreeMap::new();
    for (&p, row) in &w {
        for (&c, v) in row {
            if c != p {
                by_free.entry(c).or_default().push((p, v.clone()));
            }
        }
    }
    let finder = Finder {
        w: &w,
        by_free: &by_free,
        weight,
        k,
    };
    let mut found: BTreeSet<BTreeSet<usize>> = BTreeSet::new();
    for (seed, &w) in weight.iter().enumerate().skip(nbig) {
        if w >= k {
            continue;
        }
        let mut set = BTreeSet::new();
        set.insert(seed);
        let mut visited = BTreeSet::new();
        finder.grow(seed, &mut set, &mut visited, &mut found);
    }
    // Keep the minimal ones (all minimal breaches are among those found).
    let all: Vec<BTreeSet<usize>> = found.into_iter().collect();
    all.iter()
        .filter(|s| !all.iter().any(|t| t != *s && t.is_subset(s)))
        .cloned()
        .collect()
}

struct Finder<'f> {
    w: &'f BTreeMap<usize, SparseRow>,
    by_free: &'f BTreeMap<usize, Vec<(usize, BigRational)>>,
    weight: &'f [usize],
    k: usize,
}

impl Finder<'_> {
    fn grow(
        &self,
        seed: usize,
        set: &mut BTreeSet<usize>,
        visited: &mut BTreeSet<BTreeSet<usize>>,
        found: &mut BTreeSet<BTreeSet<usize>>,
    ) {
        if !visited.insert(set.clone()) {
            return;
        }
        // The vector of W with value 1 on the pivots in `set` and 0 on the other pivots.
        let mut value: SparseRow = SparseRow::new();
        for c in set.iter() {
            if let Some(row) = self.w.get(c) {
                for (&col, v) in row {
                    *value.entry(col).or_insert_with(BigRational::zero) += v;
                }
            }
        }
        // Columns where it is not the indicator of `set`.
        let one = BigRational::one();
        let zero = BigRational::zero();
        let mut wrong: Vec<usize> = Vec::new();
        for (&col, v) in &value {
            let want = if set.contains(&col) { &one } else { &zero };
            if v != want {
                wrong.push(col);
            }
        }
        for &c in set.iter() {
            if !value.contains_key(&c) {
                wrong.push(c);
            }
        }
        if wrong.is_empty() {
            found.insert(set.clone());
            return;
        }
        let used: usize = set.iter().map(|&c| self.weight[c]).sum();
        let room = self.k - 1 - used;
        // Candidates able to fix one wrong column: the column itself or a pivot touching it.
        let candidates = |col: usize| -> Vec<usize> {
            let mut c: Vec<usize> = vec![col];
            if let Some(list) = self.by_free.get(&col) {
                c.extend(list.iter().map(|(p, _)| *p));
            }
            c.retain(|&a| a > seed && !set.contains(&a) && self.weight[a] <= room);
            c.sort_unstable();
            c.dedup();
            c
        };
        let Some(best) = wrong.iter().map(|&c| candidates(c)).min_by_key(|c| c.len()) else {
            return;
        };
        for c in best {
            set.insert(c);
            self.grow(seed, set, visited, found);
            set.remove(&c);
        }
    }
}

/// All unions of pairwise disjoint minimal breaches with total weight below k.
fn disjoint_unions(
    minimal: &[BTreeSet<usize>],
    weight: &[usize],
    k: usize,
) -> BTreeSet<Vec<usize>> {
    fn rec(
        start: usize,
        current: &mut BTreeSet<usize>,
        used: usize,
        minimal: &[BTreeSet<usize>],
        weights: &[usize],
        k: usize,
        out: &mut BTreeSet<Vec<usize>>,
    ) {
        for (i, m) in minimal.iter().enumerate().skip(start) {
            if !m.is_disjoint(current) {
                continue;
            }
            let w: usize = m.iter().map(|&c| weights[c]).sum();
            if used + w >= k {
                continue;
            }
            current.extend(m.iter().copied());
            out.insert(current.iter().copied().collect());
            rec(i + 1, current, used + w, minimal, weights, k, out);
            for c in m {
                current.remove(c);
            }
        }
    }
    let mut out = BTreeSet::new();
    rec(0, &mut BTreeSet::new(), 0, minimal, weight, k, &mut out);
    out
}

/// Writes a vector of the row space as a combination of the rows.
struct Solver {
    basis: BTreeMap<usize, (SparseRow, SparseRow)>,
}

impl Solver {
    fn new(rows: &[SparseRow]) -> Self {
        let mut basis: BTreeMap<usize, (SparseRow, SparseRow)> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            let mut row = r.clone();
            let mut combo = SparseRow::new();
            combo.insert(i, BigRational::one());
            while let Some((&lead, v)) = row.iter().next() {
                let v = v.clone();
                match basis.get(&lead) {
                    Some((base, base_combo)) => {
                        subtract(&mut row, &v, base);
                        subtract(&mut combo, &v, base_combo);
                    }
                    None => {
                        for x in row.values_mut() {
                            *x /= &v;
                        }
                        for x in combo.values_mut() {
                            *x /= &v;
                        }
                        basis.insert(lead, (row, combo));
                        break;
                    }
                }
            }
        }
        Solver { basis }
    }

    /// Coefficients per row index (non-zero only) whose combination is the indicator of `set`.
    fn combination(&self, set: &[usize]) -> Vec<(usize, BigRational)> {
        let mut target: SparseRow = set
            .iter()
            .map(|&c| (c, BigRational::from_integer(BigInt::from(1))))
            .collect();
        let mut lambda = SparseRow::new();
        while let Some((&lead, v)) = target.iter().next() {
            let v = v.clone();
            let Some((base, base_combo)) = self.basis.get(&lead) else {
                return Vec::new();
            };
            subtract(&mut target, &v, base);
            subtract(&mut lambda, &(-v), base_combo);
        }
        lambda.into_iter().collect()
    }
}
