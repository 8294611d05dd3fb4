//! Property tests: on random organisations the suppressed release passes the exact auditor,
//! primary suppression is exact, the root is kept, and suppression is deterministic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use survey_engine::disclosure::{
    audit, cell_counts, shown_cells, suppress, CellStatus, Layout, Placement,
};
use survey_engine::testing::Rng;

use super::random_org::{organisation, Params};

struct Release {
    layout: Layout,
    people: Vec<Placement>,
    present: Vec<bool>,
    k: usize,
}

fn build(p: &Params) -> Release {
    let mut rng = Rng(p.seed);
    let (tree, value_counts, people) = organisation(p, &mut rng);
    let absent = rng.next(4); // 0..3 in 20: share of respondents missing this measure
    let present = (0..people.len()).map(|_| rng.next(20) >= absent).collect();
    Release {
        layout: Layout::new(tree, value_counts),
        people,
        present,
        k: p.k,
    }
}

fn params() -> impl Strategy<Value = Params> {
    (
        prop_oneof![6 => 1usize..25, 3 => 25usize..80, 1 => 80usize..=200],
        1usize..=2,
        3usize..=6,
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

fn check(p: &Params) -> Result<(), TestCaseError> {
    let r = build(p);
    let status = suppress(&r.layout, &r.people, &r.present, r.k).unwrap();
    prop_assert_eq!(status.len(), r.layout.cell_count());
    let counts = cell_counts(&r.layout, &r.people, &r.present);
    for (i, (&s, &n)) in status.iter().zip(&counts).enumerate() {
        // D3 exactly: BelowMin iff n < k (so no shown cell has n < k).
        prop_assert_eq!(s == CellStatus::BelowMin, n < r.k, "cell {}", i);
    }
    // The root whole cell is shown whenever the root has n >= k.
    prop_assert_eq!(status[0] == CellStatus::Shown, counts[0] >= r.k);
    // Deterministic.
    let again = suppress(&r.layout, &r.people, &r.present, r.k).unwrap();
    prop_assert_eq!(&again, &status);
    // D4, checked by the exact auditor.
    let shown = shown_cells(&r.layout, &status);
    let breaches = audit(&r.layout, &r.people, &r.present, &shown, r.k).unwrap();
    prop_assert!(breaches.is_empty(), "breaches: {:?}", breaches);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn suppressed_releases_pass_the_auditor(p in params()) {
        check(&p)?;
    }
}

/// Many small releases, with no shrinking overhead: a wider net for rare patterns.
#[test]
fn many_small_releases_pass_the_auditor() {
    let mut meta = Rng(2024);
    for i in 0..300 {
        let p = Params {
            units: 1 + meta.next(12),
            attrs: 1 + meta.next(2),
            k: 3 + meta.next(4),
            shape: meta.next(3) as u8,
            size: 1 + meta.next(3),
            seed: i,
        };
        check(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
    }
}
