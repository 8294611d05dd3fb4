//! Suppressor tests on small hand-made releases: no over-suppression in simple cases, the
//! expected complementary cell, and input validation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use survey_engine::disclosure::{
    audit, cell_counts, shown_cells, suppress, CellKey, CellStatus, DisclosureError, Layout,
    Placement, UnitTree,
};
use CellStatus::{BelowMin, Complementary, Shown};

fn add(people: &mut Vec<Placement>, unit: usize, values: &[Option<usize>], count: usize) {
    for _ in 0..count {
        people.push(Placement {
            unit,
            values: values.to_vec(),
        });
    }
}

fn layout(parents: Vec<Option<usize>>, value_counts: Vec<usize>) -> Layout {
    Layout::new(UnitTree::new(parents).unwrap(), value_counts)
}

/// Runs the suppressor, checks the basic guarantees with the auditor, returns the statuses.
fn run(l: &Layout, people: &[Placement], k: usize) -> Vec<CellStatus> {
    let present = vec![true; people.len()];
    let status = suppress(l, people, &present, k).unwrap();
    let counts = cell_counts(l, people, &present);
    for (i, (&s, &n)) in status.iter().zip(&counts).enumerate() {
        assert_eq!(s == BelowMin, n < k, "cell {:?}", l.cell_key(i));
    }
    let shown = shown_cells(l, &status);
    assert!(audit(l, people, &present, &shown, k).unwrap().is_empty());
    status
}

#[test]
fn two_big_children_show_everything() {
    let l = layout(vec![None, Some(0), Some(0)], vec![]);
    let mut people = Vec::new();
    add(&mut people, 1, &[], 10);
    add(&mut people, 2, &[], 10);
    assert_eq!(run(&l, &people, 5), vec![Shown, Shown, Shown]);
}

#[test]
fn one_small_child_costs_exactly_one_more_child() {
    let l = layout(vec![None, Some(0), Some(0), Some(0)], vec![]);
    let mut people = Vec::new();
    add(&mut people, 1, &[], 10);
    add(&mut people, 2, &[], 10);
    add(&mut people, 3, &[], 2);
    // Tie between the two children of 10: the lower index is hidden.
    assert_eq!(
        run(&l, &people, 5),
        vec![Shown, Complementary, Shown, BelowMin]
    );
    // Without a tie, the smaller child is hidden.
    let mut people = Vec::new();
    add(&mut people, 1, &[], 12);
    add(&mut people, 2, &[], 10);
    add(&mut people, 3, &[], 2);
    assert_eq!(
        run(&l, &people, 5),
        vec![Shown, Shown, Complementary, BelowMin]
    );
}

#[test]
fn small_cut_costs_one_more_cut() {
    let l = layout(vec![None], vec![3]);
    let mut people = Vec::new();
    add(&mut people, 0, &[Some(0)], 7);
    add(&mut people, 0, &[Some(1)], 6);
    add(&mut people, 0, &[Some(2)], 2);
    assert_eq!(
        run(&l, &people, 5),
        vec![Shown, Shown, Complementary, BelowMin]
    );
}

#[test]
fn missing_values_are_protected() {
    // One respondent without a value: whole - cut 0 - cut 1 would reveal them.
    let l = layout(vec![None], vec![2]);
    let mut people = Vec::new();
    add(&mut people, 0, &[Some(0)], 6);
    add(&mut people, 0, &[Some(1)], 7);
    add(&mut people, 0, &[None], 1);
    assert_eq!(run(&l, &people, 5), vec![Shown, Complementary, Shown]);
    // Six without a value: nothing to protect.
    let mut people = Vec::new();
    add(&mut people, 0, &[Some(0)], 6);
    add(&mut people, 0, &[Some(1)], 7);
    add(&mut people, 0, &[None], 6);
    assert_eq!(run(&l, &people, 5), vec![Shown, Shown, Shown]);
}

#[test]
fn two_by_two_table_keeps_its_margins() {
    let l = layout(vec![None, Some(0), Some(0)], vec![2]);
    let mut people = Vec::new();
    for unit in [1, 2] {
        for v in [0, 1] {
            add(&mut people, unit, &[Some(v)], 3);
        }
    }
    let status = run(&l, &people, 5);
    // Root: whole and both cuts shown; units 1 and 2: whole shown, cuts below k.
    assert_eq!(
        status,
        vec![Shown, Shown, Shown, Shown, BelowMin, BelowMin, Shown, BelowMin, BelowMin]
    );
}

#[test]
fn cross_family_breach_is_closed() {
    // Unit 1: whole 10 (value 0: 5, value 1: 5); unit 2: 6 with value 0 and 2 with value 1
    // (that cut is below k). Several combinations reveal unit 2's value-1 pair: root cut 1 -
    // unit 1 cut 1, unit 2 whole - unit 2 cut 0, unit 2 whole - (root cut 0 - unit 1 cut 0).
    // No two hidden cells block them all (checked below), so three is the minimum.
    let l = layout(vec![None, Some(0), Some(0)], vec![2]);
    let mut people = Vec::new();
    add(&mut people, 1, &[Some(0)], 5);
    add(&mut people, 1, &[Some(1)], 5);
    add(&mut people, 2, &[Some(0)], 6);
    add(&mut people, 2, &[Some(1)], 2);
    let status = run(&l, &people, 5);
    assert_eq!(status[l.cell_index(CellKey { unit: 0, cut: None })], Shown);
    let hidden = status.iter().filter(|&&s| s == Complementary).count();
    assert_eq!(hidden, 3, "{status:?}");
    let present = vec![true; people.len()];
    let candidates: Vec<CellKey> = shown_cells(&l, &vec![Shown; l.cell_count()])
        .into_iter()
        .filter(|&c| status[l.cell_index(c)] != BelowMin)
        .collect();
    for i in 1..candidates.len() {
        for j in i + 1..candidates.len() {
            let shown: Vec<CellKey> = candidates
                .iter()
                .enumerate()
                .filter(|&(x, _)| x != i && x != j)
                .map(|(_, &c)| c)
                .collect();
            assert!(!audit(&l, &people, &present, &shown, 5).unwrap().is_empty());
        }
    }
}

#[test]
fn everything_hidden_when_root_is_small() {
    let l = layout(vec![None, Some(0)], vec![2]);
    let mut people = Vec::new();
    add(&mut people, 1, &[Some(0)], 2);
    add(&mut people, 0, &[Some(1)], 2);
    assert!(run(&l, &people, 5).iter().all(|&s| s == BelowMin));
}

#[test]
fn suppression_follows_the_measure() {
    // Same people, two measures: for the second, three respondents of unit 3 did not answer.
    let l = layout(vec![None, Some(0), Some(0), Some(0)], vec![]);
    let mut people = Vec::new();
    add(&mut people, 1, &[], 10);
    add(&mut people, 2, &[], 12);
    add(&mut people, 3, &[], 6);
    let all = vec![true; people.len()];
    assert_eq!(suppress(&l, &people, &all, 5).unwrap(), vec![Shown; 4]);
    let mut some = all.clone();
    for p in some.iter_mut().skip(22).take(3) {
        *p = false;
    }
    assert_eq!(
        suppress(&l, &people, &some, 5).unwrap(),
        vec![Shown, Complementary, Shown, BelowMin]
    );
}

#[test]
fn rejects_bad_input() {
    let l = layout(vec![None, Some(0)], vec![2]);
    let ok = vec![Placement {
        unit: 1,
        values: vec![Some(1)],
    }];
    assert_eq!(
        suppress(&l, &ok, &[true], 2),
        Err(DisclosureError::KTooSmall(2))
    );
    assert!(matches!(
        suppress(&l, &ok, &[], 3),
        Err(DisclosureError::LengthMismatch { .. })
    ));
    let bad = vec![Placement {
        unit: 2,
        values: vec![None],
    }];
    assert!(matches!(
        suppress(&l, &bad, &[true], 3),
        Err(DisclosureError::UnknownUnit { .. })
    ));
    let bad = vec![Placement {
        unit: 1,
        values: vec![Some(2)],
    }];
    assert!(matches!(
        suppress(&l, &bad, &[true], 3),
        Err(DisclosureError::UnknownValue { .. })
    ));
    let bad = vec![Placement {
        unit: 1,
        values: vec![None, None],
    }];
    assert!(matches!(
        suppress(&l, &bad, &[true], 3),
        Err(DisclosureError::AttributeCount { .. })
    ));
}
