//! The suppressor: primary suppression, then complementary suppression by residual rows,
//! a laminar pass and an exact per-component check. See the module documentation of
//! [`crate::disclosure`] for the method and its safety argument.
//!
//! [`suppress`] and [`suppress_many`] validate the input, group respondents into atoms
//! (`atoms.rs`) and drive the per-measure `State` (`state.rs`) through its passes: primary
//! suppression and residual rows (`State::prepare`), the local laminar and margin rules
//! (`local_pass.rs`) and the exact per-component check (`component_pass.rs`). The component
//! check first tries a flow certificate (`flows.rs`), then pre-reduces the component's rows
//! (`peel.rs`) and searches them exactly (`component_problem.rs`, `breach_search.rs`) with
//! sparse row reduction (`row_reduction.rs`).

mod atoms;
mod breach_search;
mod component_pass;
mod component_problem;
mod flows;
mod local_pass;
mod peel;
mod row_reduction;
mod state;

use super::{validate, validate_many, CellStatus, DisclosureError, Layout, Placement};
use atoms::Atoms;
use state::State;

const NONE: usize = usize::MAX;

/// Decides every cell's status for one measure. `present[r]` says whether respondent `r` counts
/// for this measure. The result is indexed like [`Layout::cells`].
///
/// Deterministic: the same input always gives the same output.
pub fn suppress(
    layout: &Layout,
    placements: &[Placement],
    present: &[bool],
    k: usize,
) -> Result<Vec<CellStatus>, DisclosureError> {
    validate(layout, placements, present, k)?;
    let atoms = Atoms::new(layout, placements);
    Ok(State::new(layout, &atoms, k).run(present))
}

/// [`suppress`] for several measures over the same respondents: one status vector per entry of
/// `presents`, each equal to `suppress(layout, placements, &presents[i], k)`.
///
/// The work that does not depend on the membership is done once: validation, and grouping all
/// respondents into atoms by (unit, attribute values), which needs a sort. Per measure only the
/// atom weights (present respondents per atom), cell counts, residual rows and the passes are
/// recomputed, in buffers reused across measures; identical memberships are suppressed once.
/// Nothing decided for one measure is carried over to another, so each result is exactly the
/// single-measure result and inherits its safety argument (see the module documentation).
pub fn suppress_many(
    layout: &Layout,
    placements: &[Placement],
    presents: &[Vec<bool>],
    k: usize,
) -> Result<Vec<Vec<CellStatus>>, DisclosureError> {
    many(layout, placements, presents, k, false)
}

/// [`suppress_many`] for groups that need protecting only where they have members: a cell
/// with none of them is no group, so it stays shown, where D3 hides it for a measure (its n
/// of 0 is under k). Every other cell gets the same treatment: no shown cell, and no sum or
/// difference of shown cells, holds 1 to k - 1 of them.
///
/// For the partial answerers of a scale (docs/privacy.md D8): their figures follow from a
/// scale's figures and its items' read together wherever both are known, so its items'
/// cells must leave none of 1 to k - 1 of them open, while a cell without any is safe.
pub fn suppress_many_where_present(
    layout: &Layout,
    placements: &[Placement],
    presents: &[Vec<bool>],
    k: usize,
) -> Result<Vec<Vec<CellStatus>>, DisclosureError> {
    many(layout, placements, presents, k, true)
}

fn many(
    layout: &Layout,
    placements: &[Placement],
    presents: &[Vec<bool>],
    k: usize,
    empty_shown: bool,
) -> Result<Vec<Vec<CellStatus>>, DisclosureError> {
    validate_many(layout, placements, presents.iter().map(Vec::as_slice), k)?;
    let atoms = Atoms::new(layout, placements);
    let mut state = State::new(layout, &atoms, k);
    state.empty_shown = empty_shown;
    // Identical memberships are suppressed once (compared directly: differing memberships
    // usually differ early, and hashing 100,000 flags costs more than comparing them).
    let mut distinct: Vec<usize> = Vec::new();
    let mut out: Vec<Vec<CellStatus>> = Vec::with_capacity(presents.len());
    for (i, present) in presents.iter().enumerate() {
        let status = match distinct.iter().find(|&&j| presents[j] == *present) {
            Some(&j) => out[j].clone(),
            None => {
                distinct.push(i);
                state.run(present)
            }
        };
        out.push(status);
    }
    Ok(out)
}

impl State<'_> {
    /// Suppresses one measure; `present` must have one flag per respondent.
    fn run(&mut self, present: &[bool]) -> Vec<CellStatus> {
        self.prepare(present);
        self.local_pass();
        self.component_pass();
        self.status.clone()
    }
}
