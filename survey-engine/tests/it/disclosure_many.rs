//! `suppress_many`: one status vector per membership, each equal to what `suppress` decides for
//! that membership alone (the documented contract), so each passes the exact auditor, keeps
//! primary suppression exact and the root shown, and is deterministic.
//!
//! Debug builds (which run these tests) also check every flow certificate the suppressor uses
//! (releases with at most one attribute) against the exact search, so the single-attribute
//! cases below exercise that path too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use survey_engine::disclosure::{
    audit, cell_counts, shown_cells, suppress, suppress_many, CellStatus, DisclosureError, Layout,
    Placement, UnitTree,
};
use survey_engine::testing::Rng;

use super::random_org::{organisation, Params};

/// A random organisation and several memberships over the same respondents: random ones with
/// different shares of absent respondents, one nested inside another, a duplicate, everybody.
fn build(p: &Params) -> (Layout, Vec<Placement>, Vec<Vec<bool>>) {
    let mut rng = Rng(p.seed);
    let (tree, value_counts, people) = organisation(p, &mut rng);
    let n = people.len();
    let mut presents: Vec<Vec<bool>> = (0..3)
        .map(|_| {
            let absent = rng.next(5);
            (0..n).map(|_| rng.next(20) >= absent).collect()
        })
        .collect();
    let nested: Vec<bool> = presents[0]
        .iter()
        .map(|&here| here && rng.next(10) != 0)
        .collect();
    presents.push(nested);
    presents.push(presents[1].clone());
    presents.push(vec![true; n]);
    (Layout::new(tree, value_counts), people, presents)
}

fn check(p: &Params) -> Result<(), TestCaseError> {
    let (layout, people, presents) = build(p);
    let many = suppress_many(&layout, &people, &presents, p.k).unwrap();
    prop_assert_eq!(many.len(), presents.len());
    for (present, status) in presents.iter().zip(&many) {
        // The contract: exactly the single-measure result.
        let single = suppress(&layout, &people, present, p.k).unwrap();
        prop_assert_eq!(status, &single);
        // D3 exactly, root kept when it can be.
        let counts = cell_counts(&layout, &people, present);
        for (i, (&s, &n)) in status.iter().zip(&counts).enumerate() {
            prop_assert_eq!(s == CellStatus::BelowMin, n < p.k, "cell {}", i);
        }
        prop_assert_eq!(status[0] == CellStatus::Shown, counts[0] >= p.k);
        // D4, by the exact auditor.
        let shown = shown_cells(&layout, status);
        let breaches = audit(&layout, &people, present, &shown, p.k).unwrap();
        prop_assert!(breaches.is_empty(), "breaches: {:?}", breaches);
    }
    // Deterministic, also across calls with the memberships in another order.
    let again = suppress_many(&layout, &people, &presents, p.k).unwrap();
    prop_assert_eq!(&again, &many);
    let reversed: Vec<Vec<bool>> = presents.iter().rev().cloned().collect();
    let mut back = suppress_many(&layout, &people, &reversed, p.k).unwrap();
    back.reverse();
    prop_assert_eq!(&back, &many);
    Ok(())
}

fn params() -> impl Strategy<Value = Params> {
    (
        prop_oneof![6 => 1usize..25, 3 => 25usize..80, 1 => 80usize..=160],
        prop_oneof![1 => Just(0usize), 6 => Just(1usize), 3 => Just(2usize)],
        3usize..=7,
        0u8..3,
        1usize..=4,
        any::<u64>(),
    )
        .prop_map(|(units, attrs, k, shape, size, seed)| Params {
            units,
            attrs,
            k,
            shape,
            size,
            seed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn many_measures_equal_single_measures_and_pass_the_auditor(p in params()) {
        check(&p)?;
    }
}

/// Many small releases without shrinking overhead, mostly with one attribute (the case the
/// flow certificate handles) and larger k.
#[test]
fn many_small_releases_equal_single_measures() {
    let mut meta = Rng(77);
    for i in 0..150 {
        let p = Params {
            units: 1 + meta.next(16),
            attrs: [0, 1, 1, 1, 2][meta.next(5)],
            k: 3 + meta.next(6),
            shape: meta.next(3) as u8,
            size: 1 + meta.next(3),
            seed: 1000 + i,
        };
        check(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
    }
}

#[test]
fn no_memberships_and_bad_input() {
    let tree = UnitTree::new(vec![None, Some(0)]).unwrap();
    let layout = Layout::new(tree, vec![2]);
    let people = vec![
        Placement {
            unit: 1,
            values: vec![Some(0)],
        };
        4
    ];
    assert_eq!(suppress_many(&layout, &people, &[], 3), Ok(vec![]));
    assert_eq!(
        suppress_many(&layout, &people, &[], 2),
        Err(DisclosureError::KTooSmall(2))
    );
    let good = vec![true; 4];
    assert_eq!(
        suppress_many(&layout, &people, &[good.clone(), vec![true; 3]], 3),
        Err(DisclosureError::LengthMismatch {
            placements: 4,
            present: 3
        })
    );
    let mut bad = people.clone();
    bad[2].unit = 7;
    assert_eq!(
        suppress_many(&layout, &bad, std::slice::from_ref(&good), 3),
        Err(DisclosureError::UnknownUnit {
            respondent: 2,
            unit: 7
        })
    );
    let one = suppress_many(&layout, &people, &[good.clone(), good.clone()], 3).unwrap();
    assert_eq!(one[0], one[1]);
    assert_eq!(one[0], suppress(&layout, &people, &good, 3).unwrap());
}
