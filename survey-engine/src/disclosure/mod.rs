//! Disclosure control for team-level survey releases.
//!
//! # The promise
//!
//! A *release* is every cell a survey wave can show: for every unit of the organisation tree
//! the "whole unit" cell (everybody in the unit's subtree) and, for every report attribute
//! separately, one "cut" cell per attribute value (everybody in the subtree with that value).
//! Each measure has its own membership (`present`), so suppression is decided per measure.
//!
//! * D3, primary suppression: a cell with fewer than `k` respondents (including 0) is hidden
//!   ([`CellStatus::BelowMin`]).
//! * D4, complementary suppression: an attacker who knows n, sum, sum of squares and favourable
//!   count of every shown cell may combine them with any real coefficients. Every set of
//!   respondents whose 0/1 indicator vector lies in the real span of the shown cells' indicator
//!   vectors must be empty or hold at least `k` people. Further cells are hidden
//!   ([`CellStatus::Complementary`]) until that holds. The root's whole-unit cell is never hidden
//!   by this rule.
//! * D5, the auditor ([`audit`]): reports every derivable set of 1..k-1 respondents, exactly.
//!
//! # Atoms
//!
//! Respondents that belong to exactly the same cells cannot be told apart by any linear
//! combination of cells, so every derivable 0/1 vector is constant on such groups ("atoms") and
//! every derivable set is a union of whole atoms. An atom of weight (size) `>= k` can never be
//! part of a breach. All linear algebra below works on atoms and is exact (rational arithmetic).
//!
//! # Derivable small sets (shared math, separate code)
//!
//! Let `R` be the matrix of shown cells over atoms, columns ordered big atoms (weight `>= k`)
//! first, then small atoms. In a row echelon form of `R` the rows whose pivot is a small column
//! are zero on every big column and span `W = rowspace(R) ∩ {x : x = 0 on big atoms}`:
//! if `x = Σ c_i e_i` is zero on the big columns, the echelon row with the smallest pivot among
//! those with `c_i != 0` fixes `x` at that pivot, so that pivot is a small column, and hence all
//! rows with `c_i != 0` have small pivots. A breach is a 0/1 vector of `W` of weight 1..k-1.
//! Bring `W`'s basis to reduced form: pivot columns `P`, free columns `F`. A vector of `W` is
//! `Σ_{p} x_p w_p`, so a 0/1 vector `x` of `W` is a set `X` of small atoms satisfying, for every
//! free column `f`, the *constraint* `[f ∈ X] = Σ_{p ∈ X ∩ P} W[p][f]`.
//!
//! A breach `X` is *minimal* if no non-empty proper subset is a breach. Every breach is a disjoint
//! union of minimal breaches (if `Y ⊊ X` are both 0/1 vectors of `W`, so is `X - Y`), and every
//! disjoint union of breaches lies in `W`. Minimal breaches are found by a depth-first search per
//! seed atom `s` (the smallest atom of the breach): grow `X ⊆ X*` from `{s}`; while `X != X*`,
//! `X` violates some constraint (else `X` would be a smaller breach inside `X*`), and `X*`
//! satisfies it, so `X* \ X` meets the support of *every* violated constraint. The search
//! therefore branches only over the atoms of one violated constraint (the one with the fewest
//! candidates), restricted to atoms after `s` that fit the weight budget `k - 1 - w(X)`. This is
//! complete and, because the constraints are local, fast.
//!
//! # The suppressor ([`suppress`])
//!
//! 1. Primary suppression (D3).
//! 2. Residual rows. Whole-unit cells form one laminar family; for each attribute value the cut
//!    cells form another. Replacing every shown cell by its *residual* (the cell minus its maximal
//!    shown descendants in the same family) is a unitriangular change of basis, so the span is
//!    unchanged; residuals of one family are disjoint. Every atom lies in at most
//!    `1 + #attributes` residual rows.
//! 3. Local pass (a cheap pre-pass; the component pass alone is exact): bottom-up over units,
//!    (a) laminar rule: a shown cell whose residual has 1..k-1 respondents is a breach on its own
//!    (cell minus its maximal shown descendants); (b) margin rule: a shown whole cell minus the
//!    shown cuts of one attribute of the same unit (those with a hidden or no value) must not
//!    hold 1..k-1 respondents. For each breach, hide the smallest non-root cell of the
//!    combination. Hiding a cell only changes residuals of its ancestors and margins of its own
//!    unit, so processed units stay clean as the pass moves up.
//! 4. Component pass: residual rows sharing atoms form connected components; the span of all
//!    rows is the direct sum of the components' spans, so a breach exists iff some component
//!    contains one (restrict a breach to each component: a non-empty restriction is a 0/1 vector
//!    of that component's span with no larger weight). Every component that contains a small atom
//!    is checked exactly with the search above (rationals on `i64` with overflow checks, redone
//!    with `BigRational` if anything overflows). When a breach is found, it is written as a
//!    combination of the original shown cells and the non-root participating cell with the
//!    smallest n (ties: deepest unit, then lowest cell index) is hidden. Its residual atoms move
//!    to the residual of its nearest shown ancestor in the same family, components merge, and
//!    the affected component is checked again. Components found safe stay safe until a later
//!    hiding touches them (hiding only shrinks the span, but it can merge rows, so touched
//!    components are re-checked). The loop ends when every component is breach-free; every
//!    iteration hides one cell, so it terminates.
//!
//!    Monotonicity makes re-checks cheap: hiding a cell only shrinks the span, so the set of
//!    derivable sets only shrinks. A small atom from which the search found no minimal breach
//!    (as smallest atom) never starts one later, so it is never searched from again, and a
//!    component whose small atoms are all such atoms is safe without any elimination.
//!
//!    Two exact shortcuts make the check cheaper without changing its answer:
//!
//!    * *Peeling* before the elimination: a row whose only atom is a big atom `a` puts `e_a` in
//!      the span, so `W` equals the span of the other rows with column `a` cleared (intersected
//!      with "0 on big atoms"); a big atom in exactly one row `r` forces the coefficient of `r`
//!      to 0 in every vector of `W`, so `r` can be dropped. Both preserve `W` and hence its
//!      reduced echelon form, which is all the search reads.
//!    * *Flow certificate* (at most one attribute): then every atom lies in at most one
//!      whole-family row and one cut-family row, the span is the tension space of a directed
//!      graph (rows plus one extra vertex, atoms as arcs from their whole row to their cut row),
//!      and the minimal breaches are exactly the directed cuts `δ⁺(S)` (no atom entering `S`)
//!      made of small atoms of total weight `< k`. Giving small atoms their weight as capacity,
//!      big atoms infinite capacity and every atom infinite capacity backwards, "no breach" is
//!      "every cut has capacity `>= k`", which flows from and to one root vertex prove (see
//!      `Flows` in `suppress/flows.rs` for the argument). A component with such a certificate is
//!      clean, exactly what the search would conclude (and the same seeds are recorded as
//!      explored); without one the search runs as before, so it still finds the same breach and
//!      hides the same cell. Debug builds run the search on certified components too and assert
//!      that it finds nothing.
//!
//! Safety: the final check is exact over the whole span (direct sum of components), so the
//! returned release has no derivable set of 1..k-1 respondents. Hiding the root whole cell is
//! never needed: a combination whose only participant is the root is a multiple of the root, and
//! the only 0/1 multiple is the root itself, of size `>= k`.
//!
//! # Several measures ([`suppress_many`])
//!
//! A release suppresses every measure (each scale, the profiles) for its own membership.
//! [`suppress_many`] returns, for every membership, exactly the statuses [`suppress`] returns for
//! it alone, so each inherits the safety argument above unchanged; the property tests check this
//! equality and run the auditor on every result. What is shared is only work that does not
//! depend on the membership: validation, and grouping *all* respondents into atoms by (unit,
//! attribute values), the one sort of the method. A measure's atoms are the shared atoms with at
//! least one present respondent, in the same order, so per measure only weights, counts, residual
//! rows and the two passes are recomputed, in buffers reused across measures. Identical
//! memberships are suppressed once.
//!
//! Two reuses were considered and not done:
//!
//! * Warm-starting a measure from another measure's final pattern would be safe (the check is
//!   exact whatever the starting pattern) but gives different, not necessarily smaller,
//!   suppression than the measure's own run, and breaks the equality with [`suppress`] that
//!   keeps the results reproducible per measure. It would also save little: in the benchmark a
//!   measure needs about 100 component checks and only 3 to 11 of them find a breach.
//! * Skipping the check of a component identical to one already proven clean (same rows, same
//!   atoms per row, same atom weights) would be exact: the check's answer is a function of that
//!   data, and seeds recorded as explored only skip work. But a component is typically a whole
//!   department (about 1,000 respondents), and memberships that differ in 0.7% of respondents
//!   differ in about 7 of them per department, so such a cache essentially never hits; the flow
//!   certificate makes the per-measure checks cheap instead.
//!
//! # The auditor ([`audit`])
//!
//! Independent code: it builds its own atoms from the shown cells (respondents grouped by the set
//! of shown cells they belong to, computed from the tree directly), eliminates the whole matrix of
//! shown cells with `BigRational`, enumerates all minimal breaches with its own search, and then
//! all disjoint unions of them of weight `< k`. It also reports one combination of shown cells
//! that yields each breach.

mod audit;
pub mod comments;
mod counts;
pub mod derived;
mod exact;
mod means;
mod projection;
pub mod spread;
mod suppress;

pub use audit::{audit, audit_rows, audit_unknowns, minimal_unknown_sets, RowBreach, Unknown};
pub use counts::{
    check_counts, protect_counts, CountCheck, CountGroup, CountModel, Invited, Sibling, SwapHints,
    Within,
};
pub use means::{
    check_means, protect_means, protect_means_again, protects_items, AtomIndex, MeanAnswers,
    MeanBounds, MeanCheck, MeanReach, NarrowGroup,
};
pub use suppress::{suppress, suppress_many, suppress_many_where_present};

use num_rational::BigRational;

/// Errors from building or checking a release.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    /// The unit tree has no units.
    #[error("the unit tree is empty")]
    EmptyTree,
    /// Unit 0 must be the root (no parent).
    #[error("unit 0 must be the root and have no parent")]
    RootHasParent,
    /// A unit other than 0 has no parent.
    #[error("unit {0} has no parent but is not the root")]
    SecondRoot(usize),
    /// A parent index is out of range.
    #[error("unit {unit} has parent {parent}, which does not exist")]
    UnknownParent { unit: usize, parent: usize },
    /// The parent links contain a cycle (some unit is not reachable from the root).
    #[error("unit {0} is not reachable from the root (cycle in parent links)")]
    Cycle(usize),
    /// k must be at least 3.
    #[error("minimum group size k = {0} is below 3")]
    KTooSmall(usize),
    /// `placements` and `present` have different lengths.
    #[error("{placements} placements but {present} presence flags")]
    LengthMismatch { placements: usize, present: usize },
    /// A placement refers to a unit that does not exist.
    #[error("respondent {respondent} is placed in unknown unit {unit}")]
    UnknownUnit { respondent: usize, unit: usize },
    /// A placement has the wrong number of attribute values.
    #[error("respondent {respondent} has {got} attribute values, the layout has {expected}")]
    AttributeCount {
        respondent: usize,
        got: usize,
        expected: usize,
    },
    /// A placement has a value index out of range.
    #[error("respondent {respondent} has value {value} for attribute {attribute}, which has {count} values")]
    UnknownValue {
        respondent: usize,
        attribute: usize,
        value: usize,
        count: usize,
    },
    /// An invited count names a unit or attribute values the layout does not have.
    #[error(
        "an invited count names unit {unit} with values {values:?}, which the layout does not have"
    )]
    UnknownInvitedAtom {
        unit: usize,
        values: Vec<Option<usize>>,
    },
    /// The invited counts add up to more than can be counted.
    #[error("the invited counts add up to more than {}", u64::MAX)]
    InvitedOverflow,
    /// A cell key does not exist in the layout.
    #[error("cell {0:?} is not part of the layout")]
    UnknownCell(CellKey),
}

/// The organisation tree. Unit 0 is the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTree {
    parents: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    /// Breadth-first order from the root: every parent comes before its children.
    order: Vec<usize>,
    depth: Vec<usize>,
}

impl UnitTree {
    /// Builds and validates a tree: `parents[0] == None`, every other unit has a parent in range,
    /// and every unit is reachable from the root.
    pub fn new(parents: Vec<Option<usize>>) -> Result<Self, DisclosureError> {
        let n = parents.len();
        match parents.first() {
            None => return Err(DisclosureError::EmptyTree),
            Some(Some(_)) => return Err(DisclosureError::RootHasParent),
            Some(None) => {}
        }
        let mut children = vec![Vec::new(); n];
        for (u, p) in parents.iter().enumerate().skip(1) {
            match *p {
                None => return Err(DisclosureError::SecondRoot(u)),
                Some(p) if p >= n => {
                    return Err(DisclosureError::UnknownParent { unit: u, parent: p })
                }
                Some(p) => children[p].push(u),
            }
        }
        let mut order = Vec::with_capacity(n);
        let mut depth = vec![0usize; n];
        order.push(0);
        let mut i = 0;
        while i < order.len() {
            let u = order[i];
            i += 1;
            for &c in &children[u] {
                depth[c] = depth[u] + 1;
                order.push(c);
            }
        }
        if order.len() != n {
            let mut seen = vec![false; n];
            for &u in &order {
                seen[u] = true;
            }
            let missing = seen.iter().position(|s| !s).unwrap_or(0);
            return Err(DisclosureError::Cycle(missing));
        }
        Ok(UnitTree {
            parents,
            children,
            order,
            depth,
        })
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Always false: a valid tree has a root.
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// Parent of `u` (`None` for the root or an unknown unit).
    pub fn parent(&self, u: usize) -> Option<usize> {
        self.parents.get(u).copied().flatten()
    }

    /// Children of `u` (empty for an unknown unit).
    pub fn children(&self, u: usize) -> &[usize] {
        self.children.get(u).map_or(&[], |c| c.as_slice())
    }

    /// Depth of `u` (root = 0; 0 for an unknown unit).
    pub fn depth(&self, u: usize) -> usize {
        self.depth.get(u).copied().unwrap_or(0)
    }

    /// Units in breadth-first order from the root (parents before children).
    pub fn top_down(&self) -> &[usize] {
        &self.order
    }

    /// Sums per-unit blocks up the tree: `blocks` holds `stride` entries per unit (unit `u`'s
    /// at `u * stride`), each a unit's own; after it, each unit's whole subtree's, every
    /// child's block merged into its parent's bottom-up, each block visited once.
    pub fn sum_up<T>(&self, blocks: &mut [T], stride: usize, merge: impl Fn(&mut T, &T)) {
        for &unit in self.order.iter().rev() {
            let Some(parent) = self.parent(unit) else {
                continue;
            };
            // Parents come before children in top-down order, but not always at lower
            // indices: split wherever the child's block lies.
            let (child_at, parent_at) = (unit * stride, parent * stride);
            let (child, parent) = if child_at > parent_at {
                let Some((head, tail)) = blocks.split_at_mut_checked(child_at) else {
                    continue;
                };
                (
                    tail.get(..stride),
                    head.get_mut(parent_at..parent_at + stride),
                )
            } else {
                let Some((head, tail)) = blocks.split_at_mut_checked(parent_at) else {
                    continue;
                };
                (
                    head.get(child_at..child_at + stride),
                    tail.get_mut(..stride),
                )
            };
            if let (Some(child), Some(parent)) = (child, parent) {
                for (p, c) in parent.iter_mut().zip(child) {
                    merge(p, c);
                }
            }
        }
    }

    /// Whether `a` is `u` or an ancestor of `u`.
    pub fn is_ancestor_or_self(&self, a: usize, mut u: usize) -> bool {
        loop {
            if u == a {
                return true;
            }
            match self.parent(u) {
                Some(p) => u = p,
                None => return false,
            }
        }
    }
}

/// The cells of a release: whole units and unit x attribute value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The organisation tree.
    pub tree: UnitTree,
    /// Number of values of each report attribute.
    pub value_counts: Vec<usize>,
}

/// One cell: a unit's whole subtree (`cut == None`) or its respondents with value `v` of
/// attribute `a` (`cut == Some((a, v))`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub unit: usize,
    pub cut: Option<(usize, usize)>,
}

impl Layout {
    /// A layout from a tree and the number of values of each attribute.
    pub fn new(tree: UnitTree, value_counts: Vec<usize>) -> Self {
        Layout { tree, value_counts }
    }

    /// Number of cells per unit: the whole cell plus one per attribute value.
    pub fn cells_per_unit(&self) -> usize {
        1 + self.value_counts.iter().sum::<usize>()
    }

    /// Total number of cells.
    pub fn cell_count(&self) -> usize {
        self.tree.len() * self.cells_per_unit()
    }

    /// All cells in canonical order: for each unit in index order, the whole cell, then
    /// attribute 0 values 0.., attribute 1 values 0.., ...
    pub fn cells(&self) -> Vec<CellKey> {
        let mut out = Vec::with_capacity(self.cell_count());
        for unit in 0..self.tree.len() {
            out.push(CellKey { unit, cut: None });
            for (a, &count) in self.value_counts.iter().enumerate() {
                for v in 0..count {
                    out.push(CellKey {
                        unit,
                        cut: Some((a, v)),
                    });
                }
            }
        }
        out
    }

    /// Index of `key` in [`Layout::cells`]. The key must be valid (see [`Layout::contains`]);
    /// for an invalid key the result is meaningless. Use [`Layout::try_cell_index`] to check.
    pub fn cell_index(&self, key: CellKey) -> usize {
        key.unit * self.cells_per_unit() + self.family_of(key.cut)
    }

    /// Index of `key` in [`Layout::cells`], or `None` if the key is not part of the layout.
    pub fn try_cell_index(&self, key: CellKey) -> Option<usize> {
        self.contains(key).then(|| self.cell_index(key))
    }

    /// Whether `key` is a cell of this layout.
    pub fn contains(&self, key: CellKey) -> bool {
        key.unit < self.tree.len()
            && match key.cut {
                None => true,
                Some((a, v)) => self.value_counts.get(a).is_some_and(|&c| v < c),
            }
    }

    /// The largest cells at `offset` in `unit`'s subtree that `keep` accepts: the unit's own
    /// cell if it does, else those of its child units, down the tree.
    pub fn largest_cells(
        &self,
        unit: usize,
        offset: usize,
        keep: impl Fn(usize) -> bool,
        out: &mut Vec<usize>,
    ) {
        let per_unit = self.cells_per_unit();
        let mut stack = vec![unit];
        while let Some(u) = stack.pop() {
            let cell = u * per_unit + offset;
            if keep(cell) {
                out.push(cell);
            } else {
                stack.extend_from_slice(self.tree.children(u));
            }
        }
    }

    /// The cell at `index` of [`Layout::cells`].
    pub fn cell_key(&self, index: usize) -> CellKey {
        let stride = self.cells_per_unit();
        let unit = index / stride;
        let mut rest = index % stride;
        if rest == 0 {
            return CellKey { unit, cut: None };
        }
        rest -= 1;
        for (a, &count) in self.value_counts.iter().enumerate() {
            if rest < count {
                return CellKey {
                    unit,
                    cut: Some((a, rest)),
                };
            }
            rest -= count;
        }
        CellKey { unit, cut: None }
    }

    /// Offset of a cut within a unit's cells (0 for the whole cell).
    fn family_of(&self, cut: Option<(usize, usize)>) -> usize {
        match cut {
            None => 0,
            Some((a, v)) => 1 + self.value_counts.iter().take(a).sum::<usize>() + v,
        }
    }
}

/// Where a respondent sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Placement {
    /// The unit the respondent belongs to directly (may be an inner unit).
    pub unit: usize,
    /// Per attribute: the value index, or `None` (then the respondent is in no cut of that
    /// attribute, but still in the whole-unit cells).
    pub values: Vec<Option<usize>>,
}

/// The decision for one cell and one measure. Exports publish only whether a cell is shown:
/// both hidden statuses are written `hidden` (see [`CellStatus::as_str`]), because the reason
/// itself would tell a reader whether the cell holds fewer or at least k people (P1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellStatus {
    /// The cell is published.
    Shown,
    /// Hidden: fewer than k respondents (D3).
    BelowMin,
    /// Hidden to protect another cell (D4), or a count (P1).
    Complementary,
}

impl CellStatus {
    /// The name every export uses: `shown` or `hidden`.
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Shown => "shown",
            CellStatus::BelowMin | CellStatus::Complementary => "hidden",
        }
    }

    /// Whether the cell is hidden, for whatever reason.
    pub fn is_hidden(self) -> bool {
        self != CellStatus::Shown
    }
}

impl serde::Serialize for CellStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for CellStatus {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(["shown", "hidden"]))
            .description(Some(
                "`hidden`: fewer than k people, or the figure would let a reader work out a \
                 smaller group or pin a count; the two reasons are not told apart.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for CellStatus {}

/// A derivable set of 1..k-1 respondents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// Respondent indices, sorted.
    pub respondents: Vec<usize>,
    /// One way to derive the set: coefficients of shown cells whose combination is exactly the
    /// set's indicator vector (sorted by cell, zero coefficients omitted).
    pub combination: Vec<(CellKey, BigRational)>,
}

/// Respondents per cell (indexed like [`Layout::cells`]) among those with `present[r]`.
/// Placements must be valid for the layout; invalid ones are skipped.
pub fn cell_counts(layout: &Layout, placements: &[Placement], present: &[bool]) -> Vec<usize> {
    // Each respondent in their own unit's cells, then every unit's block added to its
    // parent's: the cells [`Layout::for_each_cell_of`] names, with a few writes per person
    // instead of one per cell above them (most of which miss the cache).
    let mut counts = vec![0usize; layout.cell_count()];
    for (p, _) in placements.iter().zip(present).filter(|(_, &here)| here) {
        let whole = std::iter::once(layout.try_cell_index(CellKey {
            unit: p.unit,
            cut: None,
        }));
        let cuts = p.values.iter().enumerate().map(|(a, v)| {
            layout.try_cell_index(CellKey {
                unit: p.unit,
                cut: Some((a, (*v)?)),
            })
        });
        for i in whole.chain(cuts).flatten() {
            if let Some(c) = counts.get_mut(i) {
                *c += 1;
            }
        }
    }
    layout
        .tree
        .sum_up(&mut counts, layout.cells_per_unit(), |p: &mut usize, c| {
            *p += *c
        });
    counts
}

impl Layout {
    /// Calls `f` with the index (as in [`Layout::cells`]) of every cell that holds a
    /// respondent placed at `p`: the whole cell and the cuts of their values, of their unit
    /// and of every unit above it. Cells outside the layout are skipped.
    pub fn for_each_cell_of(&self, p: &Placement, mut f: impl FnMut(usize)) {
        let mut unit = Some(p.unit);
        while let Some(u) = unit {
            if let Some(i) = self.try_cell_index(CellKey { unit: u, cut: None }) {
                f(i);
            }
            for (a, v) in p.values.iter().enumerate() {
                if let Some(v) = *v {
                    if let Some(i) = self.try_cell_index(CellKey {
                        unit: u,
                        cut: Some((a, v)),
                    }) {
                        f(i);
                    }
                }
            }
            unit = self.tree.parent(u);
        }
    }
}

/// The keys of the cells whose status is [`CellStatus::Shown`], in canonical order.
pub fn shown_cells(layout: &Layout, status: &[CellStatus]) -> Vec<CellKey> {
    layout
        .cells()
        .into_iter()
        .zip(status)
        .filter(|(_, &s)| s == CellStatus::Shown)
        .map(|(c, _)| c)
        .collect()
}

/// Checks k, lengths and every placement against the layout.
fn validate(
    layout: &Layout,
    placements: &[Placement],
    present: &[bool],
    k: usize,
) -> Result<(), DisclosureError> {
    validate_many(layout, placements, std::iter::once(present), k)
}

/// [`validate`] for several memberships: k, then every length, then every placement (once).
fn validate_many<'p>(
    layout: &Layout,
    placements: &[Placement],
    presents: impl IntoIterator<Item = &'p [bool]>,
    k: usize,
) -> Result<(), DisclosureError> {
    if k < 3 {
        return Err(DisclosureError::KTooSmall(k));
    }
    for present in presents {
        if placements.len() != present.len() {
            return Err(DisclosureError::LengthMismatch {
                placements: placements.len(),
                present: present.len(),
            });
        }
    }
    for (r, p) in placements.iter().enumerate() {
        if p.unit >= layout.tree.len() {
            return Err(DisclosureError::UnknownUnit {
                respondent: r,
                unit: p.unit,
            });
        }
        if p.values.len() != layout.value_counts.len() {
            return Err(DisclosureError::AttributeCount {
                respondent: r,
                got: p.values.len(),
                expected: layout.value_counts.len(),
            });
        }
        for (a, (v, &count)) in p.values.iter().zip(&layout.value_counts).enumerate() {
            if let Some(v) = *v {
                if v >= count {
                    return Err(DisclosureError::UnknownValue {
                        respondent: r,
                        attribute: a,
                        value: v,
                        count,
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tree_validation() {
        assert_eq!(UnitTree::new(vec![]), Err(DisclosureError::EmptyTree));
        assert_eq!(
            UnitTree::new(vec![Some(0)]),
            Err(DisclosureError::RootHasParent)
        );
        assert_eq!(
            UnitTree::new(vec![None, None]),
            Err(DisclosureError::SecondRoot(1))
        );
        assert_eq!(
            UnitTree::new(vec![None, Some(5)]),
            Err(DisclosureError::UnknownParent { unit: 1, parent: 5 })
        );
        assert_eq!(
            UnitTree::new(vec![None, Some(2), Some(1)]),
            Err(DisclosureError::Cycle(1))
        );
        let t = UnitTree::new(vec![None, Some(0), Some(1), Some(0)]).unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(t.children(0), &[1, 3]);
        assert_eq!(t.parent(2), Some(1));
        assert_eq!(t.parent(0), None);
        assert_eq!(t.depth(2), 2);
        assert!(t.is_ancestor_or_self(0, 2));
        assert!(!t.is_ancestor_or_self(3, 2));
    }

    #[test]
    fn cell_indexing_round_trips() {
        let t = UnitTree::new(vec![None, Some(0), Some(0)]).unwrap();
        let l = Layout::new(t, vec![2, 3]);
        let cells = l.cells();
        assert_eq!(cells.len(), l.cell_count());
        for (i, &c) in cells.iter().enumerate() {
            assert_eq!(l.cell_index(c), i);
            assert_eq!(l.try_cell_index(c), Some(i));
            assert_eq!(l.cell_key(i), c);
        }
        assert_eq!(
            l.try_cell_index(CellKey {
                unit: 0,
                cut: Some((0, 2))
            }),
            None
        );
        assert_eq!(l.try_cell_index(CellKey { unit: 3, cut: None }), None);
    }
}
