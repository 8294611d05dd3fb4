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
//! mean and the sd exactly, as the JSON API gives them, or the band's edge) and each group's
//! true number of respondents, it lists every group under k that the shown cells holding it
//! bound too narrowly together (the reader intersects their intervals).

use super::{CellKey, CellStatus, CountGroup, Layout, MeanBounds, NarrowGroup, Placement};

/// Guards the comparison of widths against the rounding of floats.
const EPSILON: f64 = 1e-9;

/// How far the mean of `m` of a cell's `n` respondents can stray from the cell's mean, per
/// unit of the cell's sample sd.
fn stray_per_sd(n: u64, m: u64) -> f64 {
    let (n, m) = (n as f64, m as f64);
    ((n - 1.0) * (n - m) / (n * m)).sqrt()
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
    /// k - 1.
    cap: u64,
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
                cap,
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
        Parts {
            in_cell,
            in_direct,
            cap,
        }
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

/// The band's edge ("below `edge`", to 2 decimals) when a shown cell's sd would let a reader
/// bound some group of up to `part` of its `n` respondents ([`Parts::largest`]) narrower
/// than the protection level; `None` when the sd can be shown. The reader is taken to know
/// the sd and the mean exactly, as the JSON API gives them (the pages round to 2 decimals).
pub fn sd_band(n: u64, mean: f64, sd: f64, part: u64, bounds: MeanBounds) -> Option<f64> {
    let safe = smallest_safe_sd(n, mean, part, bounds)?;
    (sd < safe).then(|| (safe * 100.0).ceil() / 100.0)
}

/// A shown cell's spread as a reader has it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShownSpread {
    pub n: u64,
    /// The mean, exact (as the JSON API gives it).
    pub mean: f64,
    /// The largest sd the reader must allow: the sd, exact, or the band's edge.
    pub sd_at_most: f64,
}

/// A group under k as P2 sees it: the group, its size, and the cells that may hold it.
struct SpreadGroup {
    group: CountGroup,
    m: u64,
    /// The cells holding the group: its own unit's (a direct group sits in its unit's cell;
    /// a cut in the whole cell) and every ancestor's, same cut and whole.
    holders: Vec<usize>,
}

/// Every group (cells, and non-leaf units' direct members, whole and per attribute value)
/// whose size `cell_size` or `direct_size` gives as 1 to k - 1.
fn spread_groups(
    layout: &Layout,
    k: usize,
    cell_size: impl Fn(usize) -> u64,
    direct_size: impl Fn(usize) -> u64,
) -> Vec<SpreadGroup> {
    let mut cuts = vec![None];
    for (a, &values) in layout.value_counts.iter().enumerate() {
        cuts.extend((0..values).map(|v| Some((a, v))));
    }
    let index = |unit, cut| layout.try_cell_index(CellKey { unit, cut });
    let mut out = Vec::new();
    for unit in 0..layout.tree.len() {
        let has_children = !layout.tree.children(unit).is_empty();
        for &cut in &cuts {
            let Some(cell) = index(unit, cut) else {
                continue;
            };
            let mut groups = vec![(false, cell_size(cell))];
            if has_children {
                groups.push((true, direct_size(cell)));
            }
            for (direct, m) in groups {
                if m == 0 || m >= k as u64 {
                    continue;
                }
                let mut holders = Vec::new();
                if direct {
                    holders.push(cell);
                }
                if cut.is_some() {
                    holders.extend(index(unit, None));
                }
                let mut up = layout.tree.parent(unit);
                while let Some(p) = up {
                    holders.extend(index(p, cut));
                    if cut.is_some() {
                        holders.extend(index(p, None));
                    }
                    up = layout.tree.parent(p);
                }
                out.push(SpreadGroup {
                    group: CountGroup { unit, cut, direct },
                    m,
                    holders,
                });
            }
        }
    }
    out
}

/// What a reader can say of the mean of `m` respondents inside the shown cells `holders`:
/// the width of the intersection of what the cells' sums allow (the rest of each cell at the
/// scale's ends), the width once the sds are added (each part strays at most
/// `s * sqrt((n - 1)(n - m) / (n m))` from its cell's mean), and the holder whose sd
/// interval is narrowest among those that do not yet span the whole scale.
fn reader_range(
    holders: &[usize],
    shown: &[Option<ShownSpread>],
    m: u64,
    bounds: MeanBounds,
) -> (f64, f64, Option<usize>) {
    let (lowest, highest) = (bounds.lowest, bounds.highest);
    let mut sums = (lowest, highest);
    let mut both = (lowest, highest);
    let mut narrowest: Option<(f64, usize)> = None;
    for &h in holders {
        let Some(s) = shown.get(h).copied().flatten().filter(|s| s.n > m) else {
            continue;
        };
        let (n, mf) = (s.n as f64, m as f64);
        let total = s.mean * n;
        let by_sum = (
            ((total - (n - mf) * highest) / mf).max(lowest),
            ((total - (n - mf) * lowest) / mf).min(highest),
        );
        let stray = s.sd_at_most * stray_per_sd(s.n, m);
        let by_sd = (s.mean - stray, s.mean + stray);
        sums = (sums.0.max(by_sum.0), sums.1.min(by_sum.1));
        both = (
            both.0.max(by_sum.0).max(by_sd.0),
            both.1.min(by_sum.1).min(by_sd.1),
        );
        // Only a holder whose sd still says something about the group can be widened.
        let far = (highest - s.mean).max(s.mean - lowest);
        if stray < far && narrowest.is_none_or(|(w, _)| 2.0 * stray < w) {
            narrowest = Some((2.0 * stray, h));
        }
    }
    let width = |(lo, hi): (f64, f64)| (hi - lo).max(0.0);
    (width(sums), width(both), narrowest.map(|(_, h)| h))
}

/// Every group under k (cells, and non-leaf units' direct members, whole and per attribute
/// value, with 1 to k - 1 respondents) whose mean the shown cells holding it bound narrower
/// than the protection level once their sds are read with their sums, though their sums
/// alone do not (those are P2's mean check, [`super::check_means`]). `cell_n` is each
/// cell's true number of respondents of the measure; `shown` each cell's spread, `None` for
/// a hidden cell or one without an sd.
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
    let n_of = |cell: usize| cell_n.get(cell).map_or(0, |&n| n as u64);
    let per_unit = layout.cells_per_unit();
    let direct_of = |cell: usize| {
        let (unit, offset) = (cell / per_unit, cell % per_unit);
        let below: u64 = layout
            .tree
            .children(unit)
            .iter()
            .map(|&c| n_of(c * per_unit + offset))
            .sum();
        n_of(cell).saturating_sub(below)
    };
    spread_groups(layout, k, n_of, direct_of)
        .into_iter()
        .filter_map(|g| {
            let (sums, both, _) = reader_range(&g.holders, shown, g.m, bounds);
            let narrow = both + EPSILON < bounds.protection && sums + EPSILON >= bounds.protection;
            narrow.then_some(NarrowGroup {
                group: g.group,
                n: g.m,
                width: both,
            })
        })
        .collect()
}

impl Parts {
    /// After each shown cell's own band ([`sd_band`]): while some group's mean is bounded
    /// narrower than the protection level by the shown cells holding it together (the
    /// reader intersects their intervals, sums and sds), though not by their sums alone,
    /// widens the band of the holder whose sd interval is narrowest until it says nothing
    /// about any group inside it. Uses only what the reader knows: each group's size is the
    /// most it can have ([`Parts::largest`]'s counts), which is where intervals are
    /// narrowest. Returns the cells whose band changed, with their new edge.
    pub fn widen(
        &self,
        layout: &Layout,
        status: &[CellStatus],
        shown: &mut [Option<ShownSpread>],
        bounds: MeanBounds,
    ) -> Vec<(usize, f64)> {
        if bounds.protection <= 0.0 {
            return Vec::new();
        }
        let hidden = |cell: usize| status.get(cell) != Some(&CellStatus::Shown);
        let cell_size = |cell: usize| {
            if hidden(cell) {
                self.in_cell.get(cell).copied().unwrap_or(0)
            } else {
                0 // a shown cell holds k or more
            }
        };
        let direct_size = |cell: usize| self.in_direct.get(cell).copied().unwrap_or(0);
        let k = usize::try_from(self.cap).map_or(usize::MAX, |c| c + 1);
        let groups = spread_groups(layout, k, cell_size, direct_size);
        let mut widened: Vec<(usize, f64)> = Vec::new();
        // Widening only widens, so a group found wide stays wide: after the first pass only
        // the groups that made a band wider are looked at again.
        let mut pending: Vec<&SpreadGroup> = groups.iter().collect();
        while !pending.is_empty() {
            let mut again = Vec::new();
            for g in pending {
                // Ranges only narrow as a group grows: a group wide at its most respondents is
                // wide at any size. Else the sums alone can be narrow at one size and the sds
                // decisive at a smaller one.
                if reader_range(&g.holders, shown, g.m, bounds).1 + EPSILON >= bounds.protection {
                    continue;
                }
                let short = (1..=g.m).rev().find_map(|m| {
                    let (sums, both, narrowest) = reader_range(&g.holders, shown, m, bounds);
                    let sd_decides =
                        both + EPSILON < bounds.protection && sums + EPSILON >= bounds.protection;
                    sd_decides.then_some(narrowest).flatten()
                });
                let Some(h) = short else {
                    continue;
                };
                let Some(s) = shown.get_mut(h).and_then(|s| s.as_mut()) else {
                    continue;
                };
                // An edge at which every group of up to k - 1 inside may lie anywhere on the
                // scale. The holder's sd interval did not yet span it, so the sd is below
                // this edge: the band stays true.
                let m = self.cap.min(s.n.saturating_sub(1)).max(1);
                let far = (bounds.highest - s.mean).max(s.mean - bounds.lowest);
                let edge = ((far / stray_per_sd(s.n, m)) * 100.0).ceil() / 100.0;
                if edge <= s.sd_at_most {
                    continue;
                }
                s.sd_at_most = edge;
                match widened.iter_mut().find(|w| w.0 == h) {
                    Some(w) => w.1 = edge,
                    None => widened.push((h, edge)),
                }
                again.push(g);
            }
            pending = again;
        }
        widened
    }
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

    /// The width of `[mean - stray, mean + stray]` within the scale's bounds.
    fn width_within(bounds: MeanBounds, mean: f64, stray: f64) -> f64 {
        (bounds.highest.min(mean + stray) - bounds.lowest.max(mean - stray)).max(0.0)
    }

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
        // Safe sd 0.8607: the API gives the sd exactly, so 0.857 (0.86 on a page) is banded.
        assert_eq!(sd_band(10, 3.0, 0.857, 4, one_to_five()), Some(0.87));
        assert_eq!(sd_band(10, 3.0, 0.861, 4, one_to_five()), None);
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
            let at_most = sd_band(n, mean, sd, k as u64 - 1, bounds).unwrap_or(sd);
            let stray = at_most * stray_per_sd(n, m);
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

    /// A review's example: a team's tenure band of three is held by the team (mean 4.0, sd
    /// 0.9) and by the organisation's cut of that band (mean 3.0, sd below 0.30). Each
    /// leaves the band's mean a range over 2 points, but a reader intersects them:
    /// [2.70, 5] and [1.82, 4.18] leave 1.48.
    #[test]
    fn holders_are_read_together_and_the_narrowest_is_widened() {
        let layout = Layout::new(UnitTree::new(vec![None, Some(0)]).unwrap(), vec![2]);
        // Cells: Org, Org new, Org old, Team, Team new (the group), Team old.
        let cell_n = [100, 50, 50, 10, 3, 7];
        let spread = |n, mean, sd| {
            Some(ShownSpread {
                n,
                mean,
                sd_at_most: sd,
            })
        };
        let mut shown = [
            spread(100, 3.5, 1.5),
            spread(50, 3.0, 0.30),
            spread(50, 4.0, 1.2),
            spread(10, 4.0, 0.9),
            None,
            spread(7, 4.0, 1.0),
        ];
        let narrow = check_spreads(&layout, &cell_n, &shown, 5, one_to_five());
        assert_eq!(narrow.len(), 1, "{narrow:?}");
        assert_eq!(
            (narrow[0].group.unit, narrow[0].group.cut),
            (1, Some((0, 0)))
        );
        let team = 0.9 * (9.0_f64 * 7.0 / 30.0).sqrt();
        let band = 0.30 * (49.0_f64 * 47.0 / 150.0).sqrt();
        let expected = (3.0 + band) - (4.0 - team);
        assert!((narrow[0].width - expected).abs() < 1e-9, "{narrow:?}");
        // Protection takes the band as large as it may be (4 without the roster) and widens
        // the holder with the narrower sd interval there: the organisation's cut (2.01 points
        // against the team's 2.09), until its sd says nothing: its mean 3.0 is 2 points from
        // either end, so the edge is 2 / sqrt(49 * 46 / 200) = 0.596, shown as 0.60.
        let mut status = vec![CellStatus::Shown; 6];
        status[4] = CellStatus::BelowMin;
        let parts = Parts::new(&layout, None, 5);
        let widened = parts.widen(&layout, &status, &mut shown, one_to_five());
        assert_eq!(widened, vec![(1, 0.60)]);
        assert!(check_spreads(&layout, &cell_n, &shown, 5, one_to_five()).is_empty());
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
        // The child (3 respondents) is the only group (the team's direct members are
        // 8 - 3 = 5 >= k); it strays at most 0.4 * sqrt(7 * 5 / 24) = 0.48 from 3.0.
        let narrow = team_in_root(0.4);
        assert_eq!(narrow.len(), 1, "{narrow:?}");
        assert_eq!(narrow[0].group.unit, 2);
        assert_eq!(narrow[0].n, 3);
        let expected = 2.0 * 0.4 * (7.0_f64 * 5.0 / 24.0).sqrt();
        assert!((narrow[0].width - expected).abs() < 1e-9);
        // With the band's edge the reader can say no more than the level allows.
        let edge = sd_band(8, 3.0, 0.4, 4, one_to_five()).unwrap();
        assert!(team_in_root(edge).is_empty());
    }
}
