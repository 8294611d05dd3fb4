//! P2 and a shown standard deviation (docs/privacy.md D7).
//!
//! A cell's sd bounds how far the mean of any part of it can stray from the cell's mean: for
//! `m` of the cell's `n` respondents, with sample sd `s`,
//!
//! ```text
//! |mean(part) - mean(cell)| <= s * sqrt((n - 1) * (n - m) / (n * m))
//! ```
//!
//! (the part's share of the cell's sum of squares, `m * n / (n - m) * d^2`, is at most all of
//! it, `(n - 1) * s^2`; two values per side reach it). So a reader who knows that a group of
//! `m < k` respondents sits inside a shown cell learns from the cell's sd that the group's
//! mean lies in `[mean - d, mean + d]`, cut to the scale's bounds. Where that interval is
//! narrower than P2's protection level, the release shows the sd only as a band, "below
//! `edge`", with the edge chosen so that the interval it allows is wide enough for every group
//! that can lie inside the cell ([`Parts::largest`], [`sd_band`]). The figures computed from the sd (the
//! confidence interval, Welch's tests) are withheld with it: each would give it back.
//!
//! [`check_spreads`] is the auditor's side: from the shown figures as a reader has them (the
//! mean to 2 decimals, the sd to 2 decimals or its band's edge) and each group's true number
//! of respondents, it lists every group under k that a shown cell's spread bounds too
//! narrowly.

use super::{CellKey, CellStatus, CountGroup, Layout, MeanBounds, NarrowGroup, Placement};

/// Guards the comparison of widths against the rounding of floats.
const EPSILON: f64 = 1e-9;

/// How far the mean of `m` of a cell's `n` respondents can stray from the cell's mean, per
/// unit of the cell's sample sd.
fn stray_per_sd(n: u64, m: u64) -> f64 {
    let (n, m) = (n as f64, m as f64);
    ((n - 1.0) * (n - m) / (n * m)).sqrt()
}

/// The width of `[mean - stray, mean + stray]` within the scale's bounds.
fn width_within(bounds: MeanBounds, mean: f64, stray: f64) -> f64 {
    (bounds.highest.min(mean + stray) - bounds.lowest.max(mean - stray)).max(0.0)
}

/// What P2 knows of the groups inside each cell, for [`Parts::largest`]: from the roster's
/// invited counts when there are any (a group has no more respondents than invited people),
/// else only that a group under k has at most `k - 1`. Both are known to the reader, so a
/// band chosen from them says nothing about who answered.
pub struct Parts {
    /// Invited people per cell, and per unit's direct members at the same offsets as its
    /// cells, each capped at `k - 1`.
    in_cell: Vec<u64>,
    in_direct: Vec<u64>,
}

impl Parts {
    pub fn new(layout: &Layout, invited: Option<&[(Placement, u64)]>, k: usize) -> Parts {
        let cap = (k as u64).saturating_sub(1);
        let per_unit = layout.cells_per_unit();
        let cells = layout.cell_count();
        let Some(atoms) = invited else {
            return Parts {
                in_cell: vec![cap; cells],
                in_direct: vec![cap; cells],
            };
        };
        let (mut in_cell, mut in_direct) = (vec![0u64; cells], vec![0u64; cells]);
        for (p, count) in atoms {
            let offsets: Vec<usize> = std::iter::once(Some(0))
                .chain(p.values.iter().enumerate().map(|(a, v)| {
                    let key = CellKey {
                        unit: 0,
                        cut: Some((a, (*v)?)),
                    };
                    layout.try_cell_index(key)
                }))
                .flatten()
                .collect();
            for &o in &offsets {
                if let Some(slot) = in_direct.get_mut(p.unit * per_unit + o) {
                    *slot = slot.saturating_add(*count);
                }
            }
            let mut unit = Some(p.unit);
            while let Some(u) = unit {
                for &o in &offsets {
                    if let Some(slot) = in_cell.get_mut(u * per_unit + o) {
                        *slot = slot.saturating_add(*count);
                    }
                }
                unit = layout.tree.parent(u);
            }
        }
        for x in in_cell.iter_mut().chain(in_direct.iter_mut()) {
            *x = (*x).min(cap);
        }
        Parts { in_cell, in_direct }
    }

    /// Per cell of one measure (indexed like [`Layout::cells`]): the most respondents a
    /// roster group under k strictly inside the cell can have, which is what the cell's sd
    /// must leave room for (0: no such group, so the sd bounds no one). The groups are P1's
    /// and P2's: cells below it (a child unit's subtree, a cut of the unit or of a child) and
    /// a unit's direct members, whole and per attribute value. A shown cell below holds at
    /// least k respondents, so it is no such group itself; only the groups inside it count.
    pub fn largest(&self, layout: &Layout, status: &[CellStatus]) -> Vec<u64> {
        let per_unit = layout.cells_per_unit();
        let mut largest = vec![0u64; layout.cell_count()];
        // As a part of a larger cell: a shown cell only by what it holds.
        let as_part = |cell: usize, largest: &[u64]| {
            let own = if status.get(cell) == Some(&CellStatus::Shown) {
                0
            } else {
                self.in_cell.get(cell).copied().unwrap_or(0)
            };
            own.max(largest.get(cell).copied().unwrap_or(0))
        };
        // Children before parents.
        for &u in layout.tree.top_down().iter().rev() {
            let children = layout.tree.children(u);
            for offset in 0..per_unit {
                let cell = u * per_unit + offset;
                let mut most = 0;
                for &c in children {
                    most = most.max(as_part(c * per_unit + offset, &largest));
                }
                if !children.is_empty() {
                    most = most.max(self.in_direct.get(cell).copied().unwrap_or(0));
                }
                if offset == 0 {
                    // A whole unit also holds its own cuts.
                    for cut in 1..per_unit {
                        most = most.max(as_part(u * per_unit + cut, &largest));
                    }
                }
                largest[cell] = most;
            }
        }
        largest
    }
}

/// The smallest sd at which every group of up to `part` of a cell's `n` respondents keeps a
/// possible mean at least the protection level wide, given the cell's mean. `None` when no
/// group fits (`part` or `n - 1` is 0) or P2 is off.
pub fn smallest_safe_sd(n: u64, mean: f64, part: u64, bounds: MeanBounds) -> Option<f64> {
    let m = part.min(n.saturating_sub(1));
    if m == 0 || bounds.protection <= 0.0 {
        return None;
    }
    // The stray needed: half the level on each side, or, where the mean sits closer to an end
    // than that, the level minus the room on the near side.
    let near = (bounds.highest - mean).min(mean - bounds.lowest).max(0.0);
    let stray = if 2.0 * near >= bounds.protection {
        bounds.protection / 2.0
    } else {
        bounds.protection - near
    };
    // The larger the group, the less it can stray: the largest is the hardest case.
    Some(stray / stray_per_sd(n, m))
}

/// The band's edge ("below `edge`", to 2 decimals) when a shown cell's sd, shown to 2
/// decimals, would let a reader bound some group of up to `part` of its `n` respondents
/// ([`Parts::largest`]) narrower than the protection level; `None` when the sd can be shown.
pub fn sd_band(n: u64, mean: f64, sd: f64, part: u64, bounds: MeanBounds) -> Option<f64> {
    let safe = smallest_safe_sd(n, mean, part, bounds)?;
    // The reader takes the shown sd as at most half a hundredth above it.
    let shown = (sd * 100.0).round() / 100.0;
    (shown + 0.005 < safe).then(|| (safe * 100.0).ceil() / 100.0)
}

/// A shown cell's spread as a reader has it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShownSpread {
    pub n: u64,
    /// The mean as shown (2 decimals).
    pub mean: f64,
    /// The largest sd the reader must allow: the shown sd plus half a hundredth, or the
    /// band's edge.
    pub sd_at_most: f64,
}

/// Every group under k (cells, and non-leaf units' direct members, whole and per attribute
/// value, with 1 to k - 1 respondents) whose mean some shown cell's spread bounds narrower
/// than the protection level. `cell_n` is each cell's true number of respondents of the
/// measure; `shown` each cell's spread, `None` for a hidden cell or one without an sd.
pub fn check_spreads(
    layout: &Layout,
    cell_n: &[usize],
    shown: &[Option<ShownSpread>],
    k: usize,
    bounds: MeanBounds,
) -> Vec<NarrowGroup> {
    if bounds.protection <= 0.0 {
        return Vec::new();
    }
    let n_of = |key: CellKey| {
        layout
            .try_cell_index(key)
            .and_then(|i| cell_n.get(i))
            .map_or(0, |&n| n as u64)
    };
    let spread_of = |key: CellKey| {
        layout
            .try_cell_index(key)
            .and_then(|i| shown.get(i).copied().flatten())
    };
    let mut cuts = vec![None];
    for (a, &values) in layout.value_counts.iter().enumerate() {
        cuts.extend((0..values).map(|v| Some((a, v))));
    }
    let mut narrow = Vec::new();
    for unit in 0..layout.tree.len() {
        for &cut in &cuts {
            let cell = n_of(CellKey { unit, cut });
            let children = layout.tree.children(unit);
            let direct = cell.saturating_sub(
                children
                    .iter()
                    .map(|&c| n_of(CellKey { unit: c, cut }))
                    .sum::<u64>(),
            );
            let mut groups = vec![(false, cell)];
            if !children.is_empty() {
                groups.push((true, direct));
            }
            for (is_direct, m) in groups {
                if m == 0 || m >= k as u64 {
                    continue;
                }
                let group = CountGroup {
                    unit,
                    cut,
                    direct: is_direct,
                };
                // The shown cells holding the group: its own unit's (a direct group sits in
                // its unit's cell; a cut in the whole cell) and every ancestor's.
                let mut holders = Vec::new();
                if is_direct {
                    holders.push(CellKey { unit, cut });
                }
                if cut.is_some() {
                    holders.push(CellKey { unit, cut: None });
                }
                let mut up = layout.tree.parent(unit);
                while let Some(p) = up {
                    holders.push(CellKey { unit: p, cut });
                    if cut.is_some() {
                        holders.push(CellKey { unit: p, cut: None });
                    }
                    up = layout.tree.parent(p);
                }
                let width = holders
                    .into_iter()
                    .filter_map(spread_of)
                    .filter(|s| s.n > m)
                    .map(|s| {
                        // The mean is known to half a hundredth either way.
                        let stray = s.sd_at_most * stray_per_sd(s.n, m) + 0.005;
                        width_within(bounds, s.mean, stray)
                    })
                    .fold(f64::INFINITY, f64::min);
                if width + EPSILON < bounds.protection {
                    narrow.push(NarrowGroup { group, n: m, width });
                }
            }
        }
    }
    narrow
}

/// Each cell's spread as a reader of a release has it, from its shown n, mean and sd (or the
/// sd's band), for [`check_spreads`].
pub fn shown_spreads(
    status: &[CellStatus],
    figures: impl Iterator<Item = Option<(u64, f64, f64)>>,
) -> Vec<Option<ShownSpread>> {
    status
        .iter()
        .zip(figures)
        .map(|(s, f)| {
            let (n, mean, sd_at_most) = f.filter(|_| *s == CellStatus::Shown)?;
            Some(ShownSpread {
                n,
                mean,
                sd_at_most,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::UnitTree;
    use proptest::prelude::*;

    fn one_to_five() -> MeanBounds {
        MeanBounds::with_share(1.0, 5.0, 0.5)
    }

    #[test]
    fn the_safe_sd_has_exact_figures() {
        // n = 10, k = 5: a group of 4 strays at most s * sqrt(9 * 6 / 40) = 1.1619 s; a
        // 2-point interval in the middle of 1..5 needs 1 / 1.1619 = 0.8607.
        let safe = smallest_safe_sd(10, 3.0, 4, one_to_five()).unwrap();
        assert!((safe - 0.860_662).abs() < 1e-6, "{safe}");
        // Near the top (4.6: 0.4 of room above) the interval must reach 1.6 below the mean.
        let safe = smallest_safe_sd(10, 4.6, 4, one_to_five()).unwrap();
        assert!((safe - 1.6 / 1.161_895).abs() < 1e-6, "{safe}");
        // Larger cells need less spread: 100 respondents, 0.2054.
        let safe = smallest_safe_sd(100, 3.0, 4, one_to_five()).unwrap();
        assert!((safe - 1.0 / (99.0_f64 * 96.0 / 400.0).sqrt()).abs() < 1e-9);
        // P2 off, or no group that fits.
        assert_eq!(
            smallest_safe_sd(10, 3.0, 4, MeanBounds::with_share(1.0, 5.0, 0.0)),
            None
        );
        assert_eq!(smallest_safe_sd(1, 3.0, 4, one_to_five()), None);
    }

    #[test]
    fn an_sd_below_the_safe_one_is_banded_at_its_edge_rounded_up() {
        // Safe sd 0.8607: 0.85 shown would allow at most 0.855, too little.
        assert_eq!(sd_band(10, 3.0, 0.85, 4, one_to_five()), Some(0.87));
        // 0.857 shows as 0.86, read as up to 0.865: wide enough.
        assert_eq!(sd_band(10, 3.0, 0.857, 4, one_to_five()), None);
        assert_eq!(sd_band(10, 3.0, 1.2, 4, one_to_five()), None);
        assert_eq!(sd_band(100, 3.0, 0.1, 4, one_to_five()), Some(0.21));
    }

    proptest! {
        /// The stray bound holds: no part of a cell has a mean further from the cell's than
        /// it allows (the top and the bottom m values are the furthest parts).
        #[test]
        fn no_part_strays_further_than_the_sd_allows(
            mut values in prop::collection::vec(1u8..=5, 2..30),
            m in 1usize..29,
        ) {
            let n = values.len();
            prop_assume!(m < n);
            values.sort_unstable();
            let x: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
            let mean = x.iter().sum::<f64>() / n as f64;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
            let bound = var.sqrt() * stray_per_sd(n as u64, m as u64);
            let low = x[..m].iter().sum::<f64>() / m as f64;
            let high = x[n - m..].iter().sum::<f64>() / m as f64;
            prop_assert!(mean - low <= bound + 1e-9);
            prop_assert!(high - mean <= bound + 1e-9);
        }

        /// What the band lets through is what the auditor passes: a cell whose sd is shown
        /// or banded by [`sd_band`] bounds no group of up to k - 1 too narrowly.
        #[test]
        fn a_shown_or_banded_sd_passes_the_auditor(
            n in 5u64..200,
            mean in 1.0f64..5.0,
            sd in 0.0f64..2.0,
            k in 3usize..8,
            m in 1u64..8,
        ) {
            prop_assume!(m < k as u64 && n >= k as u64);
            let bounds = one_to_five();
            let mean = (mean * 100.0).round() / 100.0;
            let at_most = sd_band(n, mean, sd, k as u64 - 1, bounds)
                .unwrap_or((sd * 100.0).round() / 100.0 + 0.005);
            let stray = at_most * stray_per_sd(n, m) + 0.005;
            prop_assert!(width_within(bounds, mean, stray) + EPSILON >= bounds.protection);
        }
    }

    #[test]
    fn a_cell_leaves_room_only_for_the_groups_that_can_lie_inside_it() {
        // Org > Team > Leaf, and Org > Other (a leaf); k = 5.
        let tree = || UnitTree::new(vec![None, Some(0), Some(1), Some(0)]).unwrap();
        let hidden = |n| vec![CellStatus::BelowMin; n];
        // Without attributes and without the roster: a leaf holds no group.
        let plain = Layout::new(tree(), vec![]);
        let parts = Parts::new(&plain, None, 5);
        assert_eq!(parts.largest(&plain, &hidden(4)), vec![4, 4, 0, 0]);
        // A shown cell below counts only by what it holds: with Team and Other shown, Org
        // holds its direct members (up to 4 without the roster), Team its Leaf.
        let mut status = hidden(4);
        status[1] = CellStatus::Shown;
        status[3] = CellStatus::Shown;
        assert_eq!(parts.largest(&plain, &status), vec![4, 4, 0, 0]);
        // With one attribute of two values, a leaf's whole cell holds its cuts; a cut of a
        // leaf holds nothing.
        let cut = Layout::new(tree(), vec![2]);
        assert_eq!(
            Parts::new(&cut, None, 5).largest(&cut, &hidden(12)),
            vec![4, 4, 4, 4, 4, 4, 4, 0, 0, 4, 0, 0]
        );
        // With the roster a group has no more respondents than invited people: Leaf invites
        // 2 + 1, Team itself 1 (value 0), Other 9 (all value 1); nobody sits in Org itself.
        let at = |unit, v: Option<usize>| Placement {
            unit,
            values: vec![v],
        };
        let invited = [
            (at(2, Some(0)), 2),
            (at(2, Some(1)), 1),
            (at(1, Some(0)), 1),
            (at(3, Some(1)), 9),
        ];
        let parts = Parts::new(&cut, Some(&invited), 5);
        assert_eq!(
            parts.largest(&cut, &hidden(12)),
            // Org: Other's 9 capped at 4; its value-0 cut holds Team's 3, its value-1 cut
            // Other's 9. Team: Leaf (3), its cuts (3 and 1); Team's value-0 cut: Leaf's 2 and
            // Team's own direct 1; value 1: Leaf's 1. Leaf: its cuts, 2. Other: its cut 9.
            vec![4, 3, 4, 3, 2, 1, 2, 0, 0, 4, 0, 0]
        );
        // Other and its value-1 cut shown: they are no groups, and hold none. Org's value-1
        // cut then holds only Team's 1; Org itself still holds Team (4 invited).
        let mut status = hidden(12);
        status[9] = CellStatus::Shown;
        status[11] = CellStatus::Shown;
        assert_eq!(
            parts.largest(&cut, &status),
            vec![4, 3, 1, 3, 2, 1, 2, 0, 0, 0, 0, 0]
        );
    }

    /// A team of 8 inside a root of 20; the team's sd is what the reader sees.
    fn team_in_root(team_sd: f64) -> Vec<NarrowGroup> {
        let layout = Layout::new(UnitTree::new(vec![None, Some(0), Some(1)]).unwrap(), vec![]);
        // Root 20, team 8 (of which its child holds 3: hidden, a group under k), child 3.
        let cell_n = [20, 8, 3];
        let spread = |n, sd| {
            Some(ShownSpread {
                n,
                mean: 3.0,
                sd_at_most: sd,
            })
        };
        let shown = [spread(20, 1.5), spread(8, team_sd), None];
        check_spreads(&layout, &cell_n, &shown, 5, one_to_five())
    }

    #[test]
    fn the_auditor_lists_the_groups_a_shown_sd_bounds_too_narrowly() {
        // The child (3 respondents) and the team's direct members (5 - no: 8 - 3 = 5 >= k)
        // are the groups; the child strays at most 0.4 * sqrt(7 * 5 / 24) = 0.48 from 3.0.
        let narrow = team_in_root(0.4);
        assert_eq!(narrow.len(), 1, "{narrow:?}");
        assert_eq!(narrow[0].group.unit, 2);
        assert_eq!(narrow[0].n, 3);
        let expected = 2.0 * (0.4 * (7.0_f64 * 5.0 / 24.0).sqrt() + 0.005);
        assert!((narrow[0].width - expected).abs() < 1e-9);
        // With the band's edge the reader can say no more than the level allows.
        let edge = sd_band(8, 3.0, 0.4, 4, one_to_five()).unwrap();
        assert!(team_in_root(edge).is_empty());
    }
}
