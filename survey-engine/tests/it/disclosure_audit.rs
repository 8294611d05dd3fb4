//! Auditor (D5) tests: known breaches are reported exactly, safe releases give no false alarm,
//! and the auditor agrees with a brute-force attacker on small random releases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use num_rational::BigRational;
use num_traits::{One, Zero};
use survey_engine::disclosure::{audit, Breach, CellKey, Layout, Placement, UnitTree};
use survey_engine::testing::Rng;

fn whole(unit: usize) -> CellKey {
    CellKey { unit, cut: None }
}

fn cut(unit: usize, a: usize, v: usize) -> CellKey {
    CellKey {
        unit,
        cut: Some((a, v)),
    }
}

/// Appends `count` respondents in `unit` with `values`; returns their indices.
fn add(
    people: &mut Vec<Placement>,
    unit: usize,
    values: &[Option<usize>],
    count: usize,
) -> Vec<usize> {
    let start = people.len();
    for _ in 0..count {
        people.push(Placement {
            unit,
            values: values.to_vec(),
        });
    }
    (start..people.len()).collect()
}

fn layout(parents: Vec<Option<usize>>, value_counts: Vec<usize>) -> Layout {
    Layout::new(UnitTree::new(parents).unwrap(), value_counts)
}

fn sets(breaches: &[Breach]) -> Vec<Vec<usize>> {
    breaches.iter().map(|b| b.respondents.clone()).collect()
}

/// Checks that each breach's combination of shown cells is exactly its indicator vector.
fn check_combinations(
    layout: &Layout,
    people: &[Placement],
    present: &[bool],
    breaches: &[Breach],
) {
    for b in breaches {
        for (r, p) in people.iter().enumerate() {
            let mut total = BigRational::zero();
            if present[r] {
                for (cell, coef) in &b.combination {
                    if member(layout, p, *cell) {
                        total += coef;
                    }
                }
            }
            let want = if b.respondents.contains(&r) {
                BigRational::one()
            } else {
                BigRational::zero()
            };
            assert_eq!(total, want, "combination of {b:?} wrong at respondent {r}");
        }
    }
}

fn member(layout: &Layout, p: &Placement, cell: CellKey) -> bool {
    if !layout.tree.is_ancestor_or_self(cell.unit, p.unit) {
        return false;
    }
    match cell.cut {
        None => true,
        Some((a, v)) => p.values[a] == Some(v),
    }
}

#[test]
fn finds_hidden_child_in_primary_only_release() {
    // Root with children of 6, 6 and 2; k = 5. Primary suppression hides only the 2.
    let l = layout(vec![None, Some(0), Some(0), Some(0)], vec![]);
    let mut people = Vec::new();
    add(&mut people, 1, &[], 6);
    add(&mut people, 2, &[], 6);
    let small = add(&mut people, 3, &[], 2);
    let present = vec![true; people.len()];
    let shown = [whole(0), whole(1), whole(2)];
    let breaches = audit(&l, &people, &present, &shown, 5).unwrap();
    assert_eq!(sets(&breaches), vec![small]);
    let one = BigRational::one();
    assert_eq!(
        breaches[0].combination,
        vec![
            (whole(0), one.clone()),
            (whole(1), -one.clone()),
            (whole(2), -one)
        ]
    );
    check_combinations(&l, &people, &present, &breaches);
}

#[test]
fn finds_small_group_in_attribute_cut() {
    // One unit shown whole and by tenure; tenure 2 is small and hidden.
    let l = layout(vec![None], vec![3]);
    let mut people = Vec::new();
    add(&mut people, 0, &[Some(0)], 6);
    add(&mut people, 0, &[Some(1)], 6);
    let small = add(&mut people, 0, &[Some(2)], 2);
    let present = vec![true; people.len()];
    let shown = [whole(0), cut(0, 0, 0), cut(0, 0, 1)];
    let breaches = audit(&l, &people, &present, &shown, 5).unwrap();
    assert_eq!(sets(&breaches), vec![small]);
    check_combinations(&l, &people, &present, &breaches);
}

#[test]
fn finds_group_across_two_levels() {
    // 0 -> {1, 2}; 1 -> {3, 4}. Unit 1 has 2 direct members and is hidden; the grandparent
    // minus the uncle (2) and the two children (3, 4) isolates them.
    let l = layout(vec![None, Some(0), Some(0), Some(1), Some(1)], vec![]);
    let mut people = Vec::new();
    let direct = add(&mut people, 1, &[], 2);
    add(&mut people, 2, &[], 7);
    add(&mut people, 3, &[], 6);
    add(&mut people, 4, &[], 6);
    let present = vec![true; people.len()];
    let shown = [whole(0), whole(2), whole(3), whole(4)];
    let breaches = audit(&l, &people, &present, &shown, 5).unwrap();
    assert_eq!(sets(&breaches), vec![direct]);
    check_combinations(&l, &people, &present, &breaches);
}

#[test]
fn finds_respondent_without_attribute_value() {
    let l = layout(vec![None], vec![2]);
    let mut people = Vec::new();
    add(&mut people, 0, &[Some(0)], 6);
    let lone = add(&mut people, 0, &[None], 1);
    add(&mut people, 0, &[Some(1)], 6);
    let present = vec![true; people.len()];
    let shown = [whole(0), cut(0, 0, 0), cut(0, 0, 1)];
    let breaches = audit(&l, &people, &present, &shown, 5).unwrap();
    assert_eq!(sets(&breaches), vec![lone]);
    check_combinations(&l, &people, &present, &breaches);
}

#[test]
fn absent_respondents_do_not_count() {
    // Same as above, but the respondent without a value is not present for this measure.
    let l = layout(vec![None], vec![2]);
    let mut people = Vec::new();
    add(&mut people, 0, &[Some(0)], 6);
    add(&mut people, 0, &[None], 1);
    add(&mut people, 0, &[Some(1)], 6);
    let mut present = vec![true; people.len()];
    present[6] = false;
    let shown = [whole(0), cut(0, 0, 0), cut(0, 0, 1)];
    assert!(audit(&l, &people, &present, &shown, 5).unwrap().is_empty());
}

#[test]
fn reports_unions_of_disjoint_breaches() {
    // Units 1 and 2 each have one respondent with value 1 and six with value 0; the whole units
    // and their value-0 cuts are shown, so each lone respondent is derivable, and so is the pair.
    let l = layout(vec![None, Some(0), Some(0)], vec![2]);
    let mut people = Vec::new();
    add(&mut people, 1, &[Some(0)], 6);
    let x = add(&mut people, 1, &[Some(1)], 1);
    add(&mut people, 2, &[Some(0)], 6);
    let y = add(&mut people, 2, &[Some(1)], 1);
    let present = vec![true; people.len()];
    let shown = [whole(0), whole(1), whole(2), cut(1, 0, 0), cut(2, 0, 0)];
    let breaches = audit(&l, &people, &present, &shown, 5).unwrap();
    let mut both = x.clone();
    both.extend(&y);
    assert_eq!(sets(&breaches), vec![x, y, both]);
    check_combinations(&l, &people, &present, &breaches);
}

#[test]
fn hidden_leaves_under_shown_parents_cancel_out() {
    // 0 -> {1, 2}, 1 -> 3, 2 -> 4; units 3 and 4 hold one respondent each. With 0, 1 and 2
    // shown, 0 - 1 - 2 = 0 (the root has no direct members): nothing is derivable.
    let l = layout(vec![None, Some(0), Some(0), Some(1), Some(2)], vec![]);
    let mut people = Vec::new();
    add(&mut people, 1, &[], 6);
    add(&mut people, 2, &[], 6);
    add(&mut people, 3, &[], 1);
    add(&mut people, 4, &[], 1);
    let present = vec![true; people.len()];
    assert!(
        audit(&l, &people, &present, &[whole(0), whole(1), whole(2)], 5)
            .unwrap()
            .is_empty()
    );
    assert!(audit(&l, &people, &present, &[whole(0), whole(1)], 5)
        .unwrap()
        .is_empty());
}

#[test]
fn no_false_alarm_when_only_root_shown() {
    let l = layout(vec![None, Some(0), Some(0)], vec![2]);
    let mut people = Vec::new();
    add(&mut people, 1, &[Some(0)], 1);
    add(&mut people, 1, &[Some(1)], 2);
    add(&mut people, 2, &[None], 3);
    let present = vec![true; people.len()];
    assert!(audit(&l, &people, &present, &[whole(0)], 3)
        .unwrap()
        .is_empty());
    // With k = 5, showing unit 1 (3 people) reveals it and the rest (root - unit 1).
    assert_eq!(
        sets(&audit(&l, &people, &present, &[whole(0), whole(1)], 5).unwrap()),
        vec![vec![0, 1, 2], vec![3, 4, 5]]
    );
}

#[test]
fn no_false_alarm_on_two_by_two_table_with_margins() {
    // Units A, B under the root; attribute with two values. Each interior cell has 3 (< k = 5)
    // and is hidden; all margins (6 each) and the total are shown.
    let l = layout(vec![None, Some(0), Some(0)], vec![2]);
    let mut people = Vec::new();
    for unit in [1, 2] {
        for v in [0, 1] {
            add(&mut people, unit, &[Some(v)], 3);
        }
    }
    let present = vec![true; people.len()];
    let shown = [whole(0), whole(1), whole(2), cut(0, 0, 0), cut(0, 0, 1)];
    assert!(audit(&l, &people, &present, &shown, 5).unwrap().is_empty());
    // Showing one interior cell too reveals the whole table.
    let shown = [
        whole(0),
        whole(1),
        whole(2),
        cut(0, 0, 0),
        cut(0, 0, 1),
        cut(1, 0, 0),
    ];
    let found = sets(&audit(&l, &people, &present, &shown, 5).unwrap());
    assert_eq!(
        found,
        vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8], vec![9, 10, 11]]
    );
}

#[test]
fn rejects_bad_input() {
    let l = layout(vec![None, Some(0)], vec![2]);
    let people = vec![Placement {
        unit: 1,
        values: vec![Some(0)],
    }];
    assert!(audit(&l, &people, &[true], &[whole(0)], 2).is_err());
    assert!(audit(&l, &people, &[true, true], &[whole(0)], 3).is_err());
    assert!(audit(&l, &people, &[true], &[whole(7)], 3).is_err());
    assert!(audit(&l, &people, &[true], &[cut(0, 0, 2)], 3).is_err());
    let bad = vec![Placement {
        unit: 1,
        values: vec![Some(2)],
    }];
    assert!(audit(&l, &bad, &[true], &[whole(0)], 3).is_err());
    let bad = vec![Placement {
        unit: 9,
        values: vec![None],
    }];
    assert!(audit(&l, &bad, &[true], &[whole(0)], 3).is_err());
    let bad = vec![Placement {
        unit: 1,
        values: vec![],
    }];
    assert!(audit(&l, &bad, &[true], &[whole(0)], 3).is_err());
}

// ---------------------------------------------------------------------------------------------
// Brute force: every subset of present respondents of size 1..k-1, tested for membership in the
// span of the shown cells' indicator vectors by exact rank computation.

fn rank(rows: &[Vec<BigRational>]) -> usize {
    let mut m: Vec<Vec<BigRational>> = rows.to_vec();
    let cols = m.first().map_or(0, |r| r.len());
    let mut rank = 0;
    for c in 0..cols {
        let Some(p) = (rank..m.len()).find(|&i| !m[i][c].is_zero()) else {
            continue;
        };
        m.swap(rank, p);
        let pivot_row = m[rank].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != rank && !row[c].is_zero() {
                let f = &row[c] / &pivot_row[c];
                for (x, p) in row.iter_mut().zip(&pivot_row) {
                    *x -= &f * p;
                }
            }
        }
        rank += 1;
    }
    rank
}

fn brute_force(
    l: &Layout,
    people: &[Placement],
    present: &[bool],
    shown: &[CellKey],
    k: usize,
) -> Vec<Vec<usize>> {
    let here: Vec<usize> = (0..people.len()).filter(|&r| present[r]).collect();
    let row = |cell: CellKey| -> Vec<BigRational> {
        here.iter()
            .map(|&r| {
                if member(l, &people[r], cell) {
                    BigRational::one()
                } else {
                    BigRational::zero()
                }
            })
            .collect()
    };
    let rows: Vec<Vec<BigRational>> = shown.iter().map(|&c| row(c)).collect();
    let base = rank(&rows);
    let mut out = Vec::new();
    for mask in 1u32..(1 << here.len()) {
        let size = mask.count_ones() as usize;
        if size >= k {
            continue;
        }
        let v: Vec<BigRational> = (0..here.len())
            .map(|i| {
                if mask & (1 << i) != 0 {
                    BigRational::one()
                } else {
                    BigRational::zero()
                }
            })
            .collect();
        let mut with = rows.clone();
        with.push(v);
        if rank(&with) == base {
            out.push(
                (0..here.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| here[i])
                    .collect::<Vec<_>>(),
            );
        }
    }
    out.sort_by(|a: &Vec<usize>, b| (a.len(), a).cmp(&(b.len(), b)));
    out
}

#[test]
fn agrees_with_brute_force_on_small_releases() {
    let mut rng = Rng(7);
    for case in 0..150 {
        let units = 1 + rng.next(5);
        let parents: Vec<Option<usize>> = (0..units)
            .map(|u| if u == 0 { None } else { Some(rng.next(u)) })
            .collect();
        let attrs = rng.next(3);
        let value_counts: Vec<usize> = (0..attrs).map(|_| 2 + rng.next(2)).collect();
        let l = layout(parents, value_counts.clone());
        let count = 3 + rng.next(10);
        let people: Vec<Placement> = (0..count)
            .map(|_| Placement {
                unit: rng.next(units),
                values: value_counts
                    .iter()
                    .map(|&c| {
                        let v = rng.next(c + 1);
                        (v < c).then_some(v)
                    })
                    .collect(),
            })
            .collect();
        let present: Vec<bool> = (0..count).map(|_| rng.next(6) != 0).collect();
        let k = 3 + rng.next(3);
        let shown: Vec<CellKey> = l.cells().into_iter().filter(|_| rng.next(3) != 0).collect();
        let got = audit(&l, &people, &present, &shown, k).unwrap();
        check_combinations(&l, &people, &present, &got);
        let want = brute_force(&l, &people, &present, &shown, k);
        assert_eq!(sets(&got), want, "case {case}");
    }
}
