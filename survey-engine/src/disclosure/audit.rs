//! The auditor (D5): an exact, global attacker. Written independently of the suppressor: it
//! derives cell membership from the tree itself, groups respondents by the set of shown cells
//! they are in, and works on the whole matrix of shown cells with exact fractions: 64-bit
//! ones first (`exact::Small`), `BigRational` again if one overflows.

use super::exact::{Exact, Small};
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
    let columns = groups
        .into_iter()
        .map(|(signature, members)| Column {
            entries: signature
                .into_iter()
                .map(|row| (row, BigRational::one()))
                .collect(),
            weight: members.len(),
            members,
        })
        .collect();
    solve(columns, row_count, k, Sets::Unions)
}

/// One unknown of a system that [`audit_unknowns`] reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    /// Its coefficient in each row that holds it (rows numbered below the system's count).
    pub entries: Vec<(usize, BigRational)>,
    /// Whose figure it is: `Some(r)`, respondent `r`'s, so that a set of respondents is
    /// given away when the sum of their unknowns lies in the span of the rows; `None`, a part
    /// of someone's answers that is no one's figure (how one of their answers differs from
    /// another), which a derived set must leave out.
    pub of: Option<usize>,
}

/// [`audit_rows`] for rows with any coefficients: every set of 1..=k-1 respondents whose
/// figures' sum (the sum of their unknowns, and nothing of any other unknown) lies in the
/// real span of the rows, as [`audit`] reports them.
///
/// For a scale read with its questions (docs/privacy.md D8): a scale's cell adds each
/// person's mean once, a question's cell each answer to it, so the unknowns are each
/// person's score and how their answers differ from it.
pub fn audit_unknowns(unknowns: &[Unknown], row_count: usize, k: usize) -> Vec<RowBreach> {
    solve(
        columns_of(unknowns, row_count, k),
        row_count,
        k,
        Sets::Unions,
    )
}

/// [`audit_unknowns`]' minimal sets only (no set of them holds a smaller one), each with one
/// way to derive it: what a suppressor needs, since every other set it reports is a union of
/// these, and where many single people are open at once their unions run into the hundreds
/// of thousands (32 people with k = 6: 242,824).
pub fn minimal_unknown_sets(unknowns: &[Unknown], row_count: usize, k: usize) -> Vec<RowBreach> {
    solve(
        columns_of(unknowns, row_count, k),
        row_count,
        k,
        Sets::Minimal,
    )
}

/// The columns of a system of unknowns.
fn columns_of(unknowns: &[Unknown], row_count: usize, k: usize) -> Vec<Column> {
    // Unknowns with the same coefficients in every row: one column (theirs is always the
    // same value in any combination of rows).
    type Entries = Vec<(usize, BigRational)>;
    let mut groups: BTreeMap<(bool, Entries), Vec<usize>> = BTreeMap::new();
    for unknown in unknowns {
        let mut entries: BTreeMap<usize, BigRational> = BTreeMap::new();
        for (row, v) in unknown.entries.iter().filter(|(row, _)| *row < row_count) {
            // (A row named once, as most are, takes its coefficient as it is: adding it to
            // zero would reduce the fraction for nothing.)
            match entries.entry(*row) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(v.clone());
                }
                std::collections::btree_map::Entry::Occupied(mut sum) => *sum.get_mut() += v,
            }
        }
        entries.retain(|_, v| !v.is_zero());
        if entries.is_empty() {
            continue; // in no released figure: nothing can be derived about it
        }
        let members = groups
            .entry((unknown.of.is_none(), entries.into_iter().collect()))
            .or_default();
        members.extend(unknown.of);
    }
    groups
        .into_iter()
        .map(|((nobody, entries), members)| Column {
            entries,
            // No one's figure: never part of a derived set, as a group of k or more is not.
            weight: if nobody { k } else { members.len() },
            members,
        })
        .collect()
}

/// Which derived sets [`solve`] reports.
#[derive(Clone, Copy, PartialEq)]
enum Sets {
    /// The minimal ones only.
    Minimal,
    /// Every one: the minimal ones and their disjoint unions below k.
    Unions,
}

/// A column of the system: unknowns with the same coefficients, whose respondents, and how
/// many count towards k.
struct Column {
    entries: Vec<(usize, BigRational)>,
    members: Vec<usize>,
    weight: usize,
}

fn solve(mut columns: Vec<Column>, row_count: usize, k: usize, sets: Sets) -> Vec<RowBreach> {
    // Columns: big groups (>= k respondents) first, then small ones.
    columns.sort_by_key(|c| c.weight < k);
    let nbig = columns.iter().filter(|c| c.weight >= k).count();
    let weight: Vec<usize> = columns.iter().map(|c| c.weight).collect();

    // The search in fast fractions first, again in big ones if any figure overflows.
    let minimal = rows_of::<Small>(&columns, row_count)
        .and_then(|rows| minimal_breaches(&rows, &weight, nbig, k))
        .or_else(|| {
            rows_of::<BigRational>(&columns, row_count)
                .and_then(|rows| minimal_breaches(&rows, &weight, nbig, k))
        })
        // Big fractions never overflow, and a pivot is never 0; were the search to fail all
        // the same, every small column is reported: the auditor fails closed.
        .unwrap_or_else(|| {
            (nbig..columns.len())
                .filter(|&c| weight[c] < k)
                .map(|c| BTreeSet::from([c]))
                .collect()
        });
    let unions: BTreeSet<Vec<usize>> = match sets {
        Sets::Unions => disjoint_unions(&minimal, &weight, k),
        Sets::Minimal => minimal
            .iter()
            .map(|s| s.iter().copied().collect())
            .collect(),
    };
    if unions.is_empty() {
        return Vec::new(); // nothing to write as a combination of rows
    }

    let rows = rows_of::<BigRational>(&columns, row_count).unwrap_or_default();
    let solver = Solver::new(&rows);
    let mut out: Vec<RowBreach> = unions
        .into_iter()
        .map(|set| {
            let mut respondents: Vec<usize> = set
                .iter()
                .flat_map(|&c| columns[c].members.iter().copied())
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

/// The rows of the system over `columns`, in the number type `T` (`None`: a coefficient
/// does not fit it).
fn rows_of<T: Exact>(columns: &[Column], row_count: usize) -> Option<Vec<BTreeMap<usize, T>>> {
    let mut rows: Vec<BTreeMap<usize, T>> = vec![BTreeMap::new(); row_count];
    for (col, column) in columns.iter().enumerate() {
        for (row, v) in &column.entries {
            if let Some(r) = rows.get_mut(*row) {
                r.insert(col, T::from_big(v)?);
            }
        }
    }
    Some(rows)
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

/// [`subtract`] in any [`Exact`] number type: `None` if a figure overflows it.
fn subtract_exact<T: Exact>(
    row: &mut BTreeMap<usize, T>,
    factor: &T,
    other: &BTreeMap<usize, T>,
) -> Option<()> {
    use std::collections::btree_map::Entry;
    // One lookup per entry: the elimination spends most of its time here.
    for (&c, v) in other {
        let delta = factor.mul(v)?;
        match row.entry(c) {
            Entry::Occupied(mut x) => {
                let left = x.get().sub(&delta)?;
                if left.is_nil() {
                    x.remove();
                } else {
                    x.insert(left);
                }
            }
            Entry::Vacant(slot) => {
                let left = T::from_int(0).sub(&delta)?;
                if !left.is_nil() {
                    slot.insert(left);
                }
            }
        }
    }
    Some(())
}

/// All minimal non-empty sets of small columns (weight < k) whose indicator lies in the
/// row space; `None` if a figure overflows `T` (then the caller asks again in big numbers).
fn minimal_breaches<T: Exact>(
    rows: &[BTreeMap<usize, T>],
    weight: &[usize],
    nbig: usize,
    k: usize,
) -> Option<Vec<BTreeSet<usize>>> {
    // Row echelon form by leading entries.
    let mut echelon: BTreeMap<usize, BTreeMap<usize, T>> = BTreeMap::new();
    for r in rows {
        let mut row = r.clone();
        while let Some((&lead, v)) = row.iter().next() {
            let v = v.clone();
            match echelon.get(&lead) {
                Some(base) => subtract_exact(&mut row, &v, base)?,
                None => {
                    for x in row.values_mut() {
                        *x = x.div(&v)?;
                    }
                    echelon.insert(lead, row);
                    break;
                }
            }
        }
    }
    // W = span of rows with a small pivot; reduce it.
    let mut w: BTreeMap<usize, BTreeMap<usize, T>> = echelon.split_off(&nbig);
    let pivots: Vec<usize> = w.keys().copied().collect();
    for &p in pivots.iter().rev() {
        let Some(mut row) = w.remove(&p) else {
            continue;
        };
        let targets: Vec<(usize, T)> = row
            .iter()
            .filter(|(&c, _)| c != p && w.contains_key(&c))
            .map(|(&c, v)| (c, v.clone()))
            .collect();
        for (c, v) in targets {
            if let Some(base) = w.get(&c) {
                subtract_exact(&mut row, &v, base)?;
            }
        }
        w.insert(p, row);
    }
    // Free column -> (pivot, coefficient).
    let mut by_free: BTreeMap<usize, Vec<(usize, T)>> = BTreeMap::new();
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
        finder.grow(seed, &mut set, &mut visited, &mut found)?;
    }
    // Keep the minimal ones (all minimal breaches are among those found).
    let all: Vec<BTreeSet<usize>> = found.into_iter().collect();
    Some(
        all.iter()
            .filter(|s| !all.iter().any(|t| t != *s && t.is_subset(s)))
            .cloned()
            .collect(),
    )
}

struct Finder<'f, T> {
    w: &'f BTreeMap<usize, BTreeMap<usize, T>>,
    by_free: &'f BTreeMap<usize, Vec<(usize, T)>>,
    weight: &'f [usize],
    k: usize,
}

impl<T: Exact> Finder<'_, T> {
    fn grow(
        &self,
        seed: usize,
        set: &mut BTreeSet<usize>,
        visited: &mut BTreeSet<BTreeSet<usize>>,
        found: &mut BTreeSet<BTreeSet<usize>>,
    ) -> Option<()> {
        if !visited.insert(set.clone()) {
            return Some(());
        }
        // The vector of W with value 1 on the pivots in `set` and 0 on the other pivots.
        let mut value: BTreeMap<usize, T> = BTreeMap::new();
        for c in set.iter() {
            if let Some(row) = self.w.get(c) {
                for (&col, v) in row {
                    let sum = match value.get(&col) {
                        Some(x) => x.add(v)?,
                        None => v.clone(),
                    };
                    value.insert(col, sum);
                }
            }
        }
        // Columns where it is not the indicator of `set`.
        let mut wrong: Vec<usize> = Vec::new();
        for (&col, v) in &value {
            let want = i64::from(set.contains(&col));
            if !v.is_int(want) {
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
            return Some(());
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
            return Some(());
        };
        for c in best {
            set.insert(c);
            self.grow(seed, set, visited, found)?;
            set.remove(&c);
        }
        Some(())
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
