//! Focus areas from a release: exact figures on a hand-made organisation, and a property
//! test over random organisations that nothing comes from a hidden cell and every figure is
//! the release's own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use survey_engine::actions::{focus_areas, Area};
use survey_engine::bands::Band;
use survey_engine::disclosure::{CellKey, CellStatus, Invited, Placement};
use survey_engine::instrument::builtin;
use survey_engine::org::OrgTree;
use survey_engine::release::{PlacedSheet, Protection, Release};
use survey_engine::stats::{welch_significant, Moments};
use survey_engine::Instrument;

fn pulse() -> Instrument {
    builtin::load("worklife-pulse").unwrap().unwrap()
}

/// One pulse sheet: workload and control as given, every other item 4.
fn sheet(instrument: &Instrument, unit: usize, workload: i32, control: i32) -> PlacedSheet {
    let mut answers = vec![Some(4); instrument.items.len()];
    answers[0] = Some(workload);
    answers[1] = Some(control);
    PlacedSheet {
        placement: Placement {
            unit,
            values: vec![],
        },
        scores: instrument.score(&answers).unwrap(),
        answers,
    }
}

/// Acme with teams A and B of five each. Team A: workload 1,2,2,2,3 and control 2,3,3,3,4
/// (or `a_control` for the previous wave); team B: workload 3,4,4,4,5 and control 4,5,5,5,4.
/// No team gave one answer to a question all but once (D9 would hide or band it: in a scale
/// of one question, Acme less A would tell B's answers).
fn release(a_control: [i32; 5], wave: &str) -> Release {
    let instrument = pulse();
    let mut tree = OrgTree::new("Acme").unwrap();
    let a = tree.insert("Acme/A").unwrap();
    let b = tree.insert("Acme/B").unwrap();
    let mut sheets = Vec::new();
    for (w, c) in [1, 2, 2, 2, 3].into_iter().zip(a_control) {
        sheets.push(sheet(&instrument, a, w, c));
    }
    for (w, c) in [3, 4, 4, 4, 5].into_iter().zip([4, 5, 5, 5, 4]) {
        sheets.push(sheet(&instrument, b, w, c));
    }
    // The roster: five invited in each team, nobody in Acme itself. So no group under k
    // lies inside any shown cell, and every sd (with Welch's tests) is shown (D7).
    let invited = Invited {
        atoms: [a, b]
            .map(|unit| {
                let at = Placement {
                    unit,
                    values: vec![],
                };
                (at, 5)
            })
            .into(),
    };
    let protection = Protection {
        invited: Some(&invited),
        ..Protection::default()
    };
    Release::build_for_roster(&instrument, tree, vec![], &sheets, protection, 5, wave).unwrap()
}

fn moments(values: &[f64]) -> Moments {
    let mut m = Moments::default();
    for v in values {
        m.add(*v);
    }
    m
}

#[test]
fn lowest_areas_against_the_organisation_with_exact_figures() {
    let now = release([2, 3, 3, 3, 4], "Q2");
    let found = focus_areas(&now, "Acme/A", None);
    let areas: Vec<Area> = found.iter().map(|f| f.area).collect();
    // Against the rest of the organisation (team B): workload 2.0 against 4.0 is significant
    // (t = -4.47, df = 8), and so is control 3.0 against 4.6 (t = -4.0, df = 7.5);
    // workload's larger gap to the organisation (-1.0 against -0.8) comes first.
    assert_eq!(areas, [Area::Workload, Area::Control]);
    let wl = &found[0];
    assert_eq!(wl.stats.n, 5);
    assert_eq!(wl.stats.mean, Some(2.0));
    assert_eq!(wl.delta_org, Some(-1.0));
    assert_eq!(wl.significant_org, Some(true));
    assert!(wl.significant());
    // Nobody in A answered workload favorably: shown as a band, not as 0% (D9).
    assert_eq!(wl.stats.favorable_pct, None);
    assert_eq!(wl.favorable_band, Some(Band::NoneOrNearlyNone));
    let ct = &found[1];
    assert_eq!(ct.stats.mean, Some(3.0));
    assert!((ct.delta_org.unwrap() + 0.8).abs() < 1e-12);
    assert_eq!(ct.significant_org, Some(true));
    assert_eq!((ct.previous_mean, ct.delta_prev), (None, None));
    // Team B is above the organisation everywhere; the root is the organisation.
    assert!(focus_areas(&now, "Acme/B", None).is_empty());
    assert!(focus_areas(&now, "Acme", None).is_empty());
    assert!(focus_areas(&now, "Acme/Nowhere", None).is_empty());
}

#[test]
fn a_significant_bigger_drop_since_the_previous_wave_comes_first() {
    let before = release([4, 5, 4, 5, 5], "Q1");
    let now = release([2, 3, 3, 3, 4], "Q2");
    let found = focus_areas(&now, "Acme/A", Some(&before));
    let areas: Vec<Area> = found.iter().map(|f| f.area).collect();
    // Both significant; control's shortfall (-1.6 since Q1) is larger than workload's (-1.0).
    assert_eq!(areas, [Area::Control, Area::Workload]);
    let ct = &found[0];
    assert_eq!(ct.previous_mean, Some(4.6));
    assert!((ct.delta_prev.unwrap() + 1.6).abs() < 1e-12);
    let expected = welch_significant(
        &moments(&[2.0, 3.0, 3.0, 3.0, 4.0]),
        &moments(&[4.0, 5.0, 4.0, 5.0, 5.0]),
    );
    assert_eq!(ct.significant_prev, expected);
    assert_eq!(ct.significant_prev, Some(true));
    // Workload did not change: no drop, only the gap to the organisation.
    assert_eq!(found[1].delta_prev, Some(0.0));
    assert!(!found[1].dropped());
    // The root dropped on control too: 4.6 in Q1, 3.8 now.
    let root = focus_areas(&now, "Acme", Some(&before));
    assert_eq!(root.len(), 1);
    assert_eq!(root[0].area, Area::Control);
    assert!((root[0].delta_prev.unwrap() + 0.8).abs() < 1e-12);
}

#[test]
fn a_unit_under_k_gets_no_focus_areas() {
    let instrument = pulse();
    let mut tree = OrgTree::new("Acme").unwrap();
    let a = tree.insert("Acme/A").unwrap();
    let small = tree.insert("Acme/Small").unwrap();
    let mut sheets: Vec<PlacedSheet> = (0..6).map(|_| sheet(&instrument, a, 5, 5)).collect();
    sheets.push(sheet(&instrument, small, 1, 1));
    sheets.push(sheet(&instrument, small, 1, 2));
    let release = Release::build(&instrument, tree, vec![], &sheets, 5, "Q1").unwrap();
    let key = CellKey {
        unit: small,
        cut: None,
    };
    assert_eq!(
        release.heat_cell(0, key).unwrap().status,
        CellStatus::BelowMin
    );
    assert!(focus_areas(&release, "Acme/Small", None).is_empty());
    // Its previous wave does not help either.
    assert!(focus_areas(&release, "Acme/Small", Some(&release)).is_empty());
}

#[derive(Debug, Clone)]
struct Org {
    parents: Vec<usize>,
    sizes: Vec<usize>,
}

fn org() -> impl Strategy<Value = Org> {
    (2usize..16).prop_flat_map(|units| {
        (
            prop::collection::vec(any::<prop::sample::Index>(), units - 1),
            prop::collection::vec(prop_oneof![2 => 0usize..4, 2 => 4usize..10], units),
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

/// A release of random answers (with gaps) on the organisation; returns it and its paths.
fn random_release(org: &Org, seed: u64, k: usize) -> (Release, Vec<String>) {
    let instrument = pulse();
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
    let mut sheets = Vec::new();
    for (u, &size) in org.sizes.iter().enumerate() {
        for _ in 0..size {
            let answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|_| (next(8) != 0).then(|| 1 + next(5) as i32))
                .collect();
            if answers.iter().all(Option::is_none) {
                continue;
            }
            sheets.push(PlacedSheet {
                placement: Placement {
                    unit: units[u],
                    values: vec![],
                },
                scores: instrument.score(&answers).unwrap(),
                answers,
            });
        }
    }
    let release = Release::build(&instrument, tree, vec![], &sheets, k, "W").unwrap();
    (release, paths)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn focus_areas_only_carry_figures_of_shown_cells(
        org in org(), seed in any::<u64>(), seed_prev in any::<u64>(), k in 3usize..6,
    ) {
        let (now, paths) = random_release(&org, seed, k);
        let (before, _) = random_release(&org, seed_prev, k);
        for path in &paths {
            let unit = now.tree.find(path).unwrap();
            let key = CellKey { unit, cut: None };
            let found = focus_areas(&now, path, Some(&before));
            let all_hidden = (0..now.scales.len())
                .filter(|&s| Area::from_id(&now.scales[s]).is_some())
                .all(|s| now.heat_cell(s, key).unwrap().status != CellStatus::Shown);
            if all_hidden {
                prop_assert!(found.is_empty());
            }
            for f in &found {
                prop_assert_eq!(Area::from_id(&now.scales[f.scale]), Some(f.area));
                let cell = now.heat_cell(f.scale, key).unwrap();
                prop_assert_eq!(cell.status, CellStatus::Shown);
                prop_assert_eq!(Some(f.stats), cell.stats);
                prop_assert_eq!(f.delta_org, cell.delta_org);
                prop_assert_eq!(f.significant_org, cell.significant);
                prop_assert!(f.stats.n >= k as u64);
                prop_assert!(f.below_org() || f.dropped());
                if let Some(prev_mean) = f.previous_mean {
                    let pu = before.tree.find(path).unwrap();
                    let pcell = before.heat_cell(f.scale, CellKey { unit: pu, cut: None }).unwrap();
                    prop_assert_eq!(pcell.status, CellStatus::Shown);
                    prop_assert_eq!(Some(prev_mean), pcell.stats.unwrap().mean);
                    prop_assert_eq!(f.delta_prev, Some(f.stats.mean.unwrap() - prev_mean));
                } else {
                    prop_assert!(f.delta_prev.is_none() && f.significant_prev.is_none());
                }
            }
            // The documented order: significant first, then the larger shortfall.
            for w in found.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                prop_assert!(a.significant() >= b.significant());
                if a.significant() == b.significant() {
                    prop_assert!(a.gap() <= b.gap());
                }
            }
        }
    }
}
