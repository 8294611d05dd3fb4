//! P1 against an exhaustive integer search: on random small organisations (one to four units,
//! no, one or two attributes, response from none to complete, skipped answers), a reader who
//! knows every atom's invited count and every shown count enumerates every integer solution.
//! After `protect_counts`, every group under k either takes at least two values across those
//! solutions or sits wholly inside shown cells that answered in full (the counted exception).
//! Without attributes, the certificate check is exact: it flags exactly the pinned groups.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use std::collections::BTreeSet;
use survey_engine::disclosure::{
    audit, check_counts, protect_counts, shown_cells, suppress, CellKey, CellStatus, CountGroup,
    CountModel, Invited, Layout, Placement, SwapHints, UnitTree,
};

const K: usize = 3;

#[derive(Debug, Clone)]
struct Org {
    parents: Vec<Option<usize>>,
    attributes: usize,
    /// Per atom (unit, value combination): invited, answered, answered but skipped this measure.
    atoms: Vec<(Placement, u64, u64, u64)>,
}

fn org() -> impl Strategy<Value = Org> {
    (1usize..=4, 0usize..=2)
        .prop_flat_map(|(units, attributes)| {
            let parents = (1..units)
                .map(|u| (0..u).prop_map(Some).boxed())
                .collect::<Vec<_>>();
            let combos = 1usize << attributes;
            let cells = units * combos;
            let atom = (
                0u64..=3,
                prop_oneof![3 => Just(0u64), 2 => 0u64..=1, 2 => 0u64..=3],
                0u64..=1,
            );
            (
                Just(units),
                Just(attributes),
                parents,
                prop::collection::vec(atom, cells),
            )
        })
        .prop_map(|(units, attributes, parents, raw)| {
            let combos = 1usize << attributes;
            let mut atoms = Vec::new();
            for unit in 0..units {
                for c in 0..combos {
                    let (invited, missing, skipped) = raw[unit * combos + c];
                    let answered = invited - missing.min(invited);
                    let values = (0..attributes).map(|a| Some((c >> a) & 1)).collect();
                    atoms.push((
                        Placement { unit, values },
                        invited,
                        answered,
                        skipped.min(answered),
                    ));
                }
            }
            let mut all = vec![None];
            all.extend(parents);
            Org {
                parents: all,
                attributes,
                atoms,
            }
        })
        .prop_filter("small enough to enumerate", |o| {
            o.atoms.iter().map(|a| a.1 + 1).product::<u64>() <= 200_000
        })
}

/// Atoms (indices into `org.atoms`) of every group the promise covers.
fn groups(layout: &Layout, org: &Org) -> Vec<(CountGroup, Vec<usize>)> {
    let mut out = Vec::new();
    let mut cuts = vec![None];
    for a in 0..org.attributes {
        cuts.extend([Some((a, 0)), Some((a, 1))]);
    }
    for unit in 0..layout.tree.len() {
        for &cut in &cuts {
            for direct in [false, true] {
                let atoms: Vec<usize> = org
                    .atoms
                    .iter()
                    .enumerate()
                    .filter(|(_, (p, ..))| {
                        let inside = if direct {
                            p.unit == unit
                        } else {
                            layout.tree.is_ancestor_or_self(unit, p.unit)
                        };
                        inside && cut.is_none_or(|(a, v)| p.values[a] == Some(v))
                    })
                    .map(|(i, _)| i)
                    .collect();
                out.push((CountGroup { unit, cut, direct }, atoms));
            }
        }
    }
    out
}

fn in_cell(layout: &Layout, cell: CellKey, p: &Placement) -> bool {
    layout.tree.is_ancestor_or_self(cell.unit, p.unit)
        && cell.cut.is_none_or(|(a, v)| p.values[a] == Some(v))
}

/// For every group, the set of its counts over all integer solutions (as a bit set).
fn solutions(layout: &Layout, org: &Org, truth: &[u64], shown: &[CellKey]) -> Vec<u64> {
    let groups = groups(layout, org);
    let caps: Vec<u64> = org.atoms.iter().map(|a| a.1).collect();
    let rows: Vec<(Vec<usize>, u64)> = shown
        .iter()
        .map(|&c| {
            let atoms: Vec<usize> = (0..org.atoms.len())
                .filter(|&i| in_cell(layout, c, &org.atoms[i].0))
                .collect();
            let target = atoms.iter().map(|&i| truth[i]).sum();
            (atoms, target)
        })
        .collect();
    let mut seen = vec![0u64; groups.len()];
    let mut x = vec![0u64; caps.len()];
    fn walk(
        i: usize,
        x: &mut Vec<u64>,
        caps: &[u64],
        rows: &[(Vec<usize>, u64)],
        groups: &[(CountGroup, Vec<usize>)],
        seen: &mut [u64],
    ) {
        // Prune: every row must still be reachable with the atoms left.
        for (atoms, target) in rows {
            let fixed: u64 = atoms.iter().filter(|&&a| a < i).map(|&a| x[a]).sum();
            let room: u64 = atoms.iter().filter(|&&a| a >= i).map(|&a| caps[a]).sum();
            if fixed > *target || fixed + room < *target {
                return;
            }
        }
        if i == caps.len() {
            for ((_, atoms), s) in groups.iter().zip(seen.iter_mut()) {
                *s |= 1 << atoms.iter().map(|&a| x[a]).sum::<u64>();
            }
            return;
        }
        for v in 0..=caps[i] {
            x[i] = v;
            walk(i + 1, x, caps, rows, groups, seen);
        }
        x[i] = 0;
    }
    walk(0, &mut x, &caps, &rows, &groups, &mut seen);
    seen
}

/// An organisation as the engine takes it: layout, invited counts, respondents and who counts
/// for the measure, and the true count per atom.
struct Case {
    layout: Layout,
    invited: Invited,
    people: Vec<Placement>,
    present: Vec<bool>,
    truth: Vec<u64>,
}

impl Case {
    fn of(org: &Org) -> Case {
        let layout = Layout::new(
            UnitTree::new(org.parents.clone()).unwrap(),
            vec![2; org.attributes],
        );
        let invited = Invited {
            atoms: org.atoms.iter().map(|a| (a.0.clone(), a.1)).collect(),
        };
        let mut people = Vec::new();
        let mut present = Vec::new();
        for (p, _, answered, skipped) in &org.atoms {
            for r in 0..*answered {
                people.push(p.clone());
                present.push(r >= *skipped);
            }
        }
        let truth = org.atoms.iter().map(|a| a.2 - a.3).collect();
        Case {
            layout,
            invited,
            people,
            present,
            truth,
        }
    }
}

fn run(org: &Org) -> Result<(), TestCaseError> {
    let Case {
        layout,
        invited,
        people,
        present,
        truth,
    } = Case::of(org);
    let mut status = suppress(&layout, &people, &present, K).unwrap();
    let groups = groups(&layout, org);
    let eligible: Vec<bool> = groups
        .iter()
        .map(|(_, atoms)| {
            atoms.iter().map(|&a| org.atoms[a].1).sum::<u64>() > 0
                && atoms.iter().map(|&a| truth[a]).sum::<u64>() < K as u64
        })
        .collect();
    let pinned_set = |status: &[CellStatus]| -> BTreeSet<CountGroup> {
        let seen = solutions(&layout, org, &truth, &shown_cells(&layout, status));
        groups
            .iter()
            .zip(&seen)
            .zip(&eligible)
            .filter(|((_, s), &e)| e && s.count_ones() < 2)
            .map(|(((g, _), _), _)| *g)
            .collect()
    };

    // Without attributes the certificate is exact, before any extra hiding.
    if org.attributes == 0 {
        let check = check_counts(&layout, &invited, &people, &present, &status, K).unwrap();
        let flagged: BTreeSet<CountGroup> = check
            .pinned
            .iter()
            .chain(&check.complete)
            .copied()
            .collect();
        // A leaf's direct members are its cell; the module checks that group once.
        let exhaustive: BTreeSet<CountGroup> = pinned_set(&status)
            .into_iter()
            .filter(|g| !(g.direct && layout.tree.children(g.unit).is_empty()))
            .collect();
        prop_assert_eq!(flagged, exhaustive);
    }

    let check = protect_counts(&layout, &invited, &people, &present, &mut status, K).unwrap();
    prop_assert!(check.pinned.is_empty(), "left pinned: {:?}", check.pinned);
    only_excused_groups_pinned(org, &layout, &people, &present, &status)
}

/// The release's way of protecting many measures: the swaps P1 found for one measure are
/// tried first for another. Here one measure has every answer, skipped ones included, the
/// other only the answers kept, and the hints go both ways.
fn run_hinted(org: &Org) -> Result<(), TestCaseError> {
    let Case {
        layout,
        invited,
        people,
        present,
        ..
    } = Case::of(org);
    let model = CountModel::new(&layout, &invited, &people, K).unwrap();
    let everyone = vec![true; people.len()];
    for (from, to) in [(&everyone, &present), (&present, &everyone)] {
        let mut first = suppress(&layout, &people, from, K).unwrap();
        let (_, _, hints) =
            model.protect_hinted(from, &mut first, None, &SwapHints::default(), None);
        let mut status = suppress(&layout, &people, to, K).unwrap();
        let (check, _, _) = model.protect_hinted(to, &mut status, None, &hints, None);
        prop_assert!(check.pinned.is_empty(), "left pinned: {:?}", check.pinned);
        only_excused_groups_pinned(org, &layout, &people, to, &status)?;
    }
    Ok(())
}

/// After protection: D4 holds, and every group under k that the exhaustive search pins lies
/// wholly inside shown cells that answered in full.
fn only_excused_groups_pinned(
    org: &Org,
    layout: &Layout,
    people: &[Placement],
    present: &[bool],
    status: &[CellStatus],
) -> Result<(), TestCaseError> {
    let truth: Vec<u64> = org
        .atoms
        .iter()
        .map(|a| {
            people
                .iter()
                .zip(present)
                .filter(|(p, &here)| here && **p == a.0)
                .count() as u64
        })
        .collect();
    let groups = groups(layout, org);
    // D4 still holds after the extra hiding.
    let shown = shown_cells(layout, status);
    prop_assert!(audit(layout, people, present, &shown, K)
        .unwrap()
        .is_empty());
    // Every group still pinned is wholly inside shown cells that answered in full.
    let complete_cells: Vec<CellKey> = shown
        .iter()
        .copied()
        .filter(|&c| {
            org.atoms
                .iter()
                .zip(&truth)
                .filter(|(a, _)| in_cell(layout, c, &a.0))
                .all(|(a, &n)| n == a.1)
        })
        .collect();
    let seen = solutions(layout, org, &truth, &shown);
    let pinned = groups.iter().zip(&seen).filter(|((_, atoms), s)| {
        atoms.iter().map(|&a| org.atoms[a].1).sum::<u64>() > 0
            && atoms.iter().map(|&a| truth[a]).sum::<u64>() < K as u64
            && s.count_ones() < 2
    });
    for ((g, atoms), _) in pinned {
        let excused = atoms.iter().all(|&a| {
            org.atoms[a].1 == 0
                || complete_cells
                    .iter()
                    .any(|&c| in_cell(layout, c, &org.atoms[a].0))
        });
        prop_assert!(excused, "group {g:?} is pinned; statuses {status:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_count_under_k_is_pinned_by_a_reader_who_knows_the_roster(org in org()) {
        run(&org)?;
    }

    #[test]
    fn no_count_is_pinned_where_another_measures_swaps_were_tried_first(org in org()) {
        run_hinted(&org)?;
    }
}

/// The demo's worked case (wave 2026-Q2, Engineering/Data): Data's one direct member answered,
/// Analytics and Data Platform show 5 each, Machine Learning had 4 of 5. Two labels
/// (`below_min` says n < 5) pin ML at 4; one "hidden" label and the roster leave it at 4 or 5.
#[test]
fn the_worked_case_of_engineering_data_is_not_pinned() {
    let layout = Layout::new(
        UnitTree::new(vec![None, Some(0), Some(0), Some(0)]).unwrap(),
        vec![],
    );
    let at = |unit| Placement {
        unit,
        values: vec![],
    };
    let org = Org {
        parents: vec![None, Some(0), Some(0), Some(0)],
        attributes: 0,
        atoms: vec![
            (at(0), 1, 1, 0),
            (at(1), 6, 5, 0),
            (at(2), 7, 5, 0),
            (at(3), 5, 4, 0),
        ],
    };
    run(&org).unwrap();
    let truth = [1, 5, 5, 4];
    let people: Vec<Placement> = org
        .atoms
        .iter()
        .flat_map(|a| std::iter::repeat_n(a.0.clone(), a.2 as usize))
        .collect();
    let status = suppress(&layout, &people, &vec![true; people.len()], 5).unwrap();
    let seen = solutions(&layout, &org, &truth, &shown_cells(&layout, &status));
    let ml = groups(&layout, &org)
        .iter()
        .position(|(g, _)| g.unit == 3 && g.cut.is_none() && !g.direct)
        .unwrap();
    // Machine Learning: 4 or 5 respondents; with "below_min" the reader could drop the 5.
    assert_eq!(seen[ml], (1 << 4) | (1 << 5));
}

/// How conservative the certificate is with attributes: of the groups it flags as pinned
/// (before any extra hiding) on a fixed sample of random organisations with one or two
/// attributes, how many the exhaustive search finds truly pinned. On this sample: 1,340 of
/// 1,361 (98.5%), so the extra hiding P1 costs is almost all the price of the promise, not of
/// the method (docs/privacy.md D7).
#[test]
fn the_certificate_flags_almost_only_truly_pinned_groups() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut flagged, mut truly, mut cases) = (0, 0, 0);
    for _ in 0..3000 {
        let org = org().new_tree(&mut runner).unwrap().current();
        if org.attributes == 0 {
            continue;
        }
        cases += 1;
        let Case {
            layout,
            invited,
            people,
            present,
            truth,
        } = Case::of(&org);
        let status = suppress(&layout, &people, &present, K).unwrap();
        let check = check_counts(&layout, &invited, &people, &present, &status, K).unwrap();
        let seen = solutions(&layout, &org, &truth, &shown_cells(&layout, &status));
        let gs = groups(&layout, &org);
        for g in &check.pinned {
            flagged += 1;
            let i = gs.iter().position(|(h, _)| h == g).unwrap();
            if seen[i].count_ones() < 2 {
                truly += 1;
            }
        }
    }
    eprintln!("{cases} organisations: {flagged} groups flagged, {truly} truly pinned");
    assert!(cases > 1_000 && flagged > 500, "{cases} {flagged}");
    assert!(
        truly * 100 >= flagged * 95,
        "only {truly} of {flagged} flagged groups are truly pinned"
    );
}
