//! Whole releases (D2-D6): built from random organisations with missing answers, audited by
//! the attacker for every measure (every scale and the profiles).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use survey_engine::disclosure::{CellKey, CellStatus, Placement};
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Release};
use survey_engine::Instrument;

const MINI: &str = include_str!("../../../server/tests/fixtures/mini.toml");

#[derive(Debug, Clone)]
struct Org {
    parents: Vec<usize>,
    sizes: Vec<usize>,
}

fn org() -> impl Strategy<Value = Org> {
    (2usize..30).prop_flat_map(|units| {
        (
            prop::collection::vec(any::<prop::sample::Index>(), units - 1),
            prop::collection::vec(
                prop_oneof![3 => 0usize..4, 2 => 4usize..12, 1 => 12usize..30],
                units,
            ),
        )
            .prop_map(|(parents, sizes)| Org {
                parents: parents
                    .iter()
                    .enumerate()
                    .map(|(i, p)| p.index(i + 1))
                    .collect(),
                sizes,
            })
    })
}

/// A generated organisation: its tree, attributes, scored sheets and their raw answers.
type Generated = (
    OrgTree,
    Vec<Attribute>,
    Vec<PlacedSheet>,
    Vec<Vec<Option<i32>>>,
);

/// Deterministic pseudo-random answers from a seed.
fn sheets(instrument: &Instrument, org: &Org, seed: u64) -> Generated {
    let mut tree = OrgTree::new("Org").unwrap();
    let mut paths = vec!["Org".to_string()];
    let mut units = vec![0];
    for (i, &p) in org.parents.iter().enumerate() {
        let path = format!("{}/u{}", paths[p], i + 1);
        units.push(tree.insert(&path).unwrap());
        paths.push(path);
    }
    let mut state = seed | 1;
    let mut next = move |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    let tenure = Attribute {
        name: "tenure".into(),
        values: vec!["a".into(), "b".into(), "c".into()],
    };
    let site = Attribute {
        name: "site".into(),
        values: vec!["x".into(), "y".into()],
    };
    let mut out = Vec::new();
    let mut raw = Vec::new();
    for (u, &size) in org.sizes.iter().enumerate() {
        for _ in 0..size {
            let answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|_| (next(10) != 0).then(|| 1 + next(5) as i32))
                .collect();
            let t = next(4);
            out.push(PlacedSheet {
                placement: Placement {
                    unit: units[u],
                    values: vec![(t < 3).then_some(t as usize), Some(next(2) as usize)],
                },
                scores: instrument.score(&answers).unwrap(),
                answers: answers.clone(),
            });
            raw.push(answers);
        }
    }
    (tree, vec![tenure, site], out, raw)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_release_lets_the_attacker_isolate_a_small_group(org in org(), seed in any::<u64>(), k in 3usize..6) {
        let instrument = Instrument::parse(MINI).unwrap();
        let (tree, attributes, sheets, _) = sheets(&instrument, &org, seed);
        let release = Release::build(&instrument, tree, attributes, &sheets, k, "W").unwrap();
        let breaches = release.audit(&sheets).unwrap();
        prop_assert!(breaches.is_empty(), "breaches: {:?}", breaches);
        let cells = release.layout.cells();
        for heat in &release.heat {
            for (cell, key) in heat.iter().zip(&cells) {
                match cell.status {
                    CellStatus::Shown => prop_assert!(cell.stats.unwrap().n >= k as u64),
                    _ => prop_assert!(cell.stats.is_none() && cell.delta_org.is_none() && cell.significant.is_none()),
                }
                if key.unit == 0 && key.cut.is_none() && cell.status != CellStatus::Shown {
                    // The root is only ever hidden when it is itself under k.
                    prop_assert_eq!(cell.status, CellStatus::BelowMin);
                }
            }
        }
        for p in &release.profiles {
            prop_assert_eq!(p.counts.is_some(), p.status == CellStatus::Shown);
            if let Some((n, _)) = p.counts { prop_assert!(n >= k as u64); }
        }
        // Every item is a measure of its own (D8): where its cell is shown, the answers per
        // point of everyone in the cell with a score on its scale who answered it; where
        // hidden, nothing.
        for (i, item) in release.items.iter().enumerate() {
            for (c, key) in cells.iter().enumerate() {
                let cell = release.item_cell(i, *key).unwrap();
                prop_assert_eq!(cell.status, item.status[c]);
                prop_assert_eq!(cell.counts.is_some(), cell.status == CellStatus::Shown);
                if let Some(counts) = cell.counts {
                    let mut truth = vec![0u64; release.points];
                    for sheet in &sheets {
                        let inside = release.layout.tree.is_ancestor_or_self(key.unit, sheet.placement.unit)
                            && key.cut.is_none_or(|(a, v)| sheet.placement.values[a] == Some(v));
                        let scored = sheet.scores.scales[instrument.items[i].scale].is_some();
                        if let (true, true, Some(answer)) = (inside, scored, sheet.answers[i]) {
                            truth[(answer - release.scale_min) as usize] += 1;
                        }
                    }
                    prop_assert_eq!(counts, &truth[..], "item {} at {:?}", i, key);
                    prop_assert!(truth.iter().sum::<u64>() >= k as u64);
                }
            }
        }
        // How many answered at all (`wave status` of a closed wave): every sheet, where shown;
        // the auditor above checked these counts too.
        let everyone = vec![true; sheets.len()];
        let placements: Vec<_> = sheets.iter().map(|s| s.placement.clone()).collect();
        let truth = survey_engine::disclosure::cell_counts(&release.layout, &placements, &everyone);
        prop_assert_eq!(release.answered.len(), truth.len());
        for (shown, n) in release.answered.iter().zip(truth) {
            if let Some(shown) = shown {
                prop_assert_eq!(*shown, n as u64);
                prop_assert!(n >= k);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Alpha is said only beside a shown scale cell whose sd is shown (D7) and only over at
    /// least k complete answer sheets (D6); where it is said, it is the alpha of those sheets.
    #[test]
    fn alpha_is_shown_only_for_shown_scales_over_k_complete_sheets(org in org(), seed in any::<u64>(), k in 3usize..6) {
        use survey_engine::reliability::ReleasedAlpha;
        let instrument = Instrument::parse(MINI).unwrap();
        let (tree, attributes, sheets, raw) = sheets(&instrument, &org, seed);
        let release = Release::build(&instrument, tree, attributes, &sheets, k, "W").unwrap();
        let layout_tree = &release.layout.tree;
        for unit in 0..layout_tree.len() {
            let alphas = release.unit_alphas(unit);
            prop_assert_eq!(alphas.len(), release.scales.len());
            for (s, alpha) in alphas.iter().enumerate() {
                let items = instrument.scale_items(s);
                let complete = sheets
                    .iter()
                    .zip(&raw)
                    .filter(|(sh, a)| {
                        layout_tree.is_ancestor_or_self(unit, sh.placement.unit)
                            && items.iter().all(|&i| a[i].is_some())
                    })
                    .count();
                let cell = release
                    .heat_cell(s, CellKey { unit, cut: None })
                    .filter(|c| c.status == CellStatus::Shown);
                let shown = cell.is_some();
                // D7/D9: where the sd is a band (or the mean is), alpha would give the sd back.
                let banded = cell.is_some_and(|c| c.sd_below.is_some() || c.mean_band.is_some());
                match alpha {
                    ReleasedAlpha::Hidden => prop_assert!(!shown),
                    ReleasedAlpha::SpreadWithheld => prop_assert!(banded),
                    ReleasedAlpha::TooFewCompleteSheets => prop_assert!(shown && !banded && complete < k),
                    ReleasedAlpha::Shown(alpha) => {
                        prop_assert!(shown && !banded && complete >= k);
                        // The alpha of those sheets, worked out here on the whole file's
                        // aggregate of the unit's sheets.
                        let mut agg = survey_engine::aggregate::Aggregate::new(&instrument);
                        for sheet in sheets.iter().filter(|x| layout_tree.is_ancestor_or_self(unit, x.placement.unit)) {
                            agg.add(&instrument, &sheet.answers, &sheet.scores);
                        }
                        let expected = agg.alpha()[s];
                        prop_assert_eq!(alpha.is_some(), expected.is_some());
                        if let (Some(a), Some(e)) = (alpha, expected) {
                            prop_assert!((a - e).abs() < 1e-9, "{} {}", a, e);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_auditor_catches_a_release_with_only_primary_suppression() {
    // Root with children of 6, 6 and 2 people, k = 5: if the parent and the two big children
    // were shown, the small one is the difference. Build the honest release, then show the
    // complementary cell anyway and let the attacker look.
    let instrument = Instrument::parse(MINI).unwrap();
    let org = Org {
        parents: vec![0, 0, 0],
        sizes: vec![0, 6, 6, 2],
    };
    let (tree, _, sheets, _) = sheets(&instrument, &org, 42);
    let sheets: Vec<PlacedSheet> = sheets
        .into_iter()
        .map(|mut s| {
            s.placement.values.clear();
            // Every answer given, so every measure has the same 14 members.
            s.scores = instrument.score(&[Some(3); 9]).unwrap();
            s
        })
        .collect();
    let mut release = Release::build(&instrument, tree, vec![], &sheets, 5, "W").unwrap();
    assert!(release.audit(&sheets).unwrap().is_empty());
    // The whole audit the server keeps at close: every scale and item checked, nothing found,
    // and no roster counts to check P1 with.
    let all = release.audit_all(&sheets).unwrap();
    assert!(all.clean(), "{all:?}");
    assert_eq!(all.measures, release.scales.len() + release.items.len());
    assert!(!all.counts_checked);
    let status: Vec<CellStatus> = release.heat[0].iter().map(|c| c.status).collect();
    assert_eq!(
        status
            .iter()
            .filter(|s| **s == CellStatus::BelowMin)
            .count(),
        1
    );
    assert_eq!(
        status
            .iter()
            .filter(|s| **s == CellStatus::Complementary)
            .count(),
        1
    );
    for cell in release.heat[0].iter_mut() {
        if cell.status == CellStatus::Complementary {
            cell.status = CellStatus::Shown;
        }
    }
    let breaches = release.audit(&sheets).unwrap();
    let small: Vec<usize> = sheets
        .iter()
        .enumerate()
        .filter(|(_, s)| s.placement.unit == release.tree.find("Org/u3").unwrap())
        .map(|(i, _)| i)
        .collect();
    assert!(breaches
        .iter()
        .any(|(measure, b)| measure == "workload" && b.respondents == small));
    let all = release.audit_all(&sheets).unwrap();
    assert!(!all.clean());
    assert_eq!(all.breaches, Some(breaches));
}

#[test]
fn rows_follow_tree_order_with_cuts_after_their_unit() {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Acme").unwrap();
    for p in ["Acme/Zeta", "Acme/Alpha/Two", "Acme/Alpha/One"] {
        tree.insert(p).unwrap();
    }
    let attr = Attribute {
        name: "tenure".into(),
        values: vec!["new".into(), "old".into()],
    };
    let release = Release::build(&instrument, tree, vec![attr], &[], 3, "").unwrap();
    let rows: Vec<String> = release
        .row_order()
        .into_iter()
        .map(|k: CellKey| format!("{}|{}", release.tree.path(k.unit), release.cut_label(k)))
        .collect();
    assert_eq!(
        rows,
        [
            "Acme|",
            "Acme|tenure=new",
            "Acme|tenure=old",
            "Acme/Alpha|",
            "Acme/Alpha|tenure=new",
            "Acme/Alpha|tenure=old",
            "Acme/Alpha/One|",
            "Acme/Alpha/One|tenure=new",
            "Acme/Alpha/One|tenure=old",
            "Acme/Alpha/Two|",
            "Acme/Alpha/Two|tenure=new",
            "Acme/Alpha/Two|tenure=old",
            "Acme/Zeta|",
            "Acme/Zeta|tenure=new",
            "Acme/Zeta|tenure=old",
        ]
    );
    // An empty release hides everything, even the root, and shows no figure.
    let csv = String::from_utf8(release.heatmap_csv().unwrap()).unwrap();
    assert!(csv.lines().skip(1).all(|l| l.contains(",hidden,,,,,,,,")));
    assert!(Release::build(&instrument, OrgTree::new("A").unwrap(), vec![], &[], 2, "").is_err());
}

/// P2 (docs/privacy.md D7) holds for the release as built, after P1 and D9 have hidden more
/// cells than P2 did: the audit at close, which starts afresh from the final cells, lists
/// no small group's mean beyond P2's counted exceptions. (Found by the property test below:
/// an item's group in this organisation that P2 had proved wide before D9 hid more, and the
/// audit's proofs did not reach again, until P2 ran once more on the final statuses.)
#[test]
fn the_audit_of_means_lists_nothing_beyond_the_counted_exceptions_in_a_case_once_found() {
    let org = Org {
        parents: vec![0, 0, 0, 2, 4, 4, 6, 5, 0, 9, 1],
        sizes: vec![0, 2, 2, 9, 5, 11, 2, 5, 3, 2, 14, 11],
    };
    let instrument = Instrument::parse(MINI).unwrap();
    let (tree, attributes, sheets, _) = sheets(&instrument, &org, 13_850_344_379_311_013_665);
    let release = Release::build(&instrument, tree, attributes, &sheets, 5, "W").unwrap();
    let narrow = release.audit_means(&sheets);
    assert!(
        narrow.len() <= release.mean_exceptions.unwrap(),
        "{:?} beyond {:?} exceptions",
        narrow,
        release.mean_exceptions
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The same for random organisations (two attributes, up to 30 units: every group of
    /// every scale and item protected, `MeanReach::EveryGroup`).
    #[test]
    fn the_audit_of_means_lists_nothing_beyond_the_counted_exceptions(
        org in org(), seed in any::<u64>(), k in 3usize..6
    ) {
        let instrument = Instrument::parse(MINI).unwrap();
        let (tree, attributes, sheets, _) = sheets(&instrument, &org, seed);
        let release = Release::build(&instrument, tree, attributes, &sheets, k, "W").unwrap();
        let narrow = release.audit_means(&sheets);
        let exceptions = release.mean_exceptions.unwrap();
        prop_assert!(narrow.len() <= exceptions, "{:?} beyond {} exceptions", narrow, exceptions);
    }
}
