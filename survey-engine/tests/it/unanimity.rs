//! D8 and D9 over whole releases of random organisations whose teams tend to answer alike:
//! every item is suppressed as a measure of its own (its answerers) and audited, and no shown
//! figure of an item, a profile distribution, a favorable % or a scale mean tells that all of
//! a cell's respondents, or all but one, gave the same answer. The truth each release is
//! checked against is counted here from the sheets, not read from the release.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use survey_engine::bands::{Band, MeanBand};
use survey_engine::disclosure::{CellKey, CellStatus, Placement};
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Release};
use survey_engine::report;
use survey_engine::Instrument;

const MINI: &str = include_str!("../../../server/tests/fixtures/mini.toml");

/// Units as parent indices and team sizes; each team leans to one answer with probability
/// `agree` in 10 per item, and skips an item with probability 1 in `skip`.
pub(crate) fn release(
    parents: &[prop::sample::Index],
    sizes: &[usize],
    agree: u64,
    skip: u64,
    seed: u64,
) -> (Instrument, Release, Vec<PlacedSheet>) {
    release_of(
        Instrument::parse(MINI).unwrap(),
        parents,
        sizes,
        agree,
        skip,
        seed,
    )
}

/// [`release`] of `instrument` (answers 1 to 5).
fn release_of(
    instrument: Instrument,
    parents: &[prop::sample::Index],
    sizes: &[usize],
    agree: u64,
    skip: u64,
    seed: u64,
) -> (Instrument, Release, Vec<PlacedSheet>) {
    let mut tree = OrgTree::new("Org").unwrap();
    let mut paths = vec!["Org".to_string()];
    let mut units = vec![0];
    for (i, p) in parents.iter().enumerate() {
        let path = format!("{}/u{}", paths[p.index(i + 1)], i + 1);
        units.push(tree.insert(&path).unwrap());
        paths.push(path);
    }
    let mut state = seed | 1;
    let mut next = |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    let mut sheets = Vec::new();
    for (u, &size) in sizes.iter().enumerate() {
        let lean: Vec<i32> = (0..instrument.items.len())
            .map(|_| 1 + next(5) as i32)
            .collect();
        for _ in 0..size {
            let answers: Vec<Option<i32>> = lean
                .iter()
                .map(|&l| {
                    if next(skip) == 0 {
                        None
                    } else if next(10) < agree {
                        Some(l)
                    } else {
                        Some(1 + next(5) as i32)
                    }
                })
                .collect();
            if answers.iter().all(Option::is_none) {
                continue;
            }
            sheets.push(PlacedSheet {
                placement: Placement {
                    unit: units[u],
                    values: vec![Some(next(2) as usize)],
                },
                scores: instrument.score(&answers).unwrap(),
                answers,
            });
        }
    }
    let site = Attribute {
        name: "site".into(),
        values: vec!["x".into(), "y".into()],
    };
    let release = Release::build(&instrument, tree, vec![site], &sheets, 3, "W").unwrap();
    (instrument, release, sheets)
}

/// What [`release`] builds from: 2 to 13 units (parent indices and team sizes, some teams
/// under 3), how often a team agrees (5 to 10 in 10), how rarely an item is skipped (1 in 4,
/// 12 or 1,000), and a seed.
pub(crate) fn alike_teams(
) -> impl Strategy<Value = (Vec<prop::sample::Index>, Vec<usize>, u64, u64, u64)> {
    let tree = (2usize..14).prop_flat_map(|n| {
        (
            prop::collection::vec(any::<prop::sample::Index>(), n - 1),
            prop::collection::vec(
                prop_oneof![1 => 0usize..3, 3 => 3usize..9, 1 => 9usize..20],
                n,
            ),
        )
    });
    let skip = prop_oneof![Just(4u64), Just(12), Just(1000)];
    (tree, 5u64..11, skip, any::<u64>())
        .prop_map(|((parents, sizes), agree, skip, seed)| (parents, sizes, agree, skip, seed))
}

pub(crate) fn in_cell(r: &Release, key: CellKey, sheet: &PlacedSheet) -> bool {
    r.layout
        .tree
        .is_ancestor_or_self(key.unit, sheet.placement.unit)
        && key
            .cut
            .is_none_or(|(a, v)| sheet.placement.values.get(a) == Some(&Some(v)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_shown_figure_tells_that_a_cell_answered_alike(
        (parents, sizes, agree, skip, seed) in alike_teams(),
        pulse in any::<bool>(),
    ) {
        // The pulse instrument's areas are scales of one question each.
        let instrument = match pulse {
            true => survey_engine::instrument::builtin::load("worklife-pulse").unwrap().unwrap(),
            false => Instrument::parse(MINI).unwrap(),
        };
        let (inst, r, sheets) = release_of(instrument, &parents, &sizes, agree, skip, seed);
        // D8: every item is suppressed as a measure of its own, and the attacker finds no
        // small group in it or in any other measure.
        let breaches = r.audit(&sheets).unwrap();
        prop_assert!(breaches.is_empty(), "{:?}", breaches);
        let keys = r.row_order();
        for row in report::item_rows(&r, &inst, &keys) {
            let key = *keys.iter().find(|k| r.tree.path(k.unit) == row.unit && r.cut_label(**k) == row.cut).unwrap();
            let item = inst.items.iter().position(|i| i.id == row.item).unwrap();
            let mut counts = [0u64; 5];
            // Only those with a score on the question's scale count for it (D8).
            let scored = |s: &PlacedSheet, q: usize| s.scores.scales[inst.items[q].scale].is_some();
            for s in sheets.iter().filter(|s| in_cell(&r, key, s) && scored(s, item)) {
                if let Some(v) = s.answers[item] {
                    counts[(v - 1) as usize] += 1;
                }
            }
            let n: u64 = counts.iter().sum();
            if row.status != CellStatus::Shown {
                prop_assert!(row.respondents.is_none() && row.mean.is_none() && row.pct.is_empty() && row.pct_band.is_empty());
                continue;
            }
            prop_assert_eq!(row.respondents, Some(n));
            prop_assert!(n >= 3);
            // D9 with D8: on a scale of several questions, the scale's figures less the other
            // questions' would give a banded question's sum back, so no question of it shows
            // a cell where one of them is banded.
            let questions = inst.scale_items(inst.items[item].scale);
            if questions.len() > 1 {
                for &q in questions {
                    let mut answers = [0u64; 5];
                    for s in sheets.iter().filter(|s| in_cell(&r, key, s) && scored(s, q)) {
                        if let Some(v) = s.answers[q] {
                            answers[(v - 1) as usize] += 1;
                        }
                    }
                    let answered: u64 = answers.iter().sum();
                    prop_assert!(
                        answered < 3 || !answers.iter().any(|&c| c + 1 >= answered),
                        "{} shows {:?} where {} answered {:?}", row.item, row.unit, inst.items[q].id, answers
                    );
                }
            }
            let dominant = counts.iter().position(|&c| c + 1 >= n);
            match dominant {
                Some(d) => {
                    // D9: bands, and no mean, sd or % that would give the counts back.
                    prop_assert_eq!(row.pct_band.len(), 5);
                    prop_assert_eq!(row.pct_band[d], Band::AllOrNearlyAll);
                    prop_assert!(row.pct_band.iter().enumerate().all(|(i, b)| i == d || *b == Band::NoneOrNearlyNone));
                    prop_assert!(row.mean.is_none() && row.sd.is_none() && row.pct.iter().all(Option::is_none));
                }
                None => {
                    prop_assert!(row.pct_band.is_empty());
                    for (p, c) in row.pct.iter().zip(counts) {
                        prop_assert!((p.unwrap() - 100.0 * c as f64 / n as f64).abs() < 1e-9);
                    }
                }
            }
        }
        for row in report::profile_rows(&r, &keys) {
            if row.status != CellStatus::Shown {
                continue;
            }
            let key = *keys.iter().find(|k| r.tree.path(k.unit) == row.unit && r.cut_label(**k) == row.cut).unwrap();
            let mut counts = [0u64; 6];
            for s in sheets.iter().filter(|s| in_cell(&r, key, s)) {
                if let Some(p) = s.scores.profile {
                    counts[p.index()] += 1;
                }
            }
            let n: u64 = counts.iter().sum();
            let unanimous = counts.iter().any(|&c| c + 1 >= n);
            prop_assert_eq!(row.bands.is_some(), unanimous, "{:?} {:?}", row, counts);
            prop_assert_eq!(row.percent.is_none(), unanimous);
        }
        for row in report::heat_rows(&r, &keys, None) {
            if row.status != CellStatus::Shown {
                continue;
            }
            let key = *keys.iter().find(|k| r.tree.path(k.unit) == row.unit && r.cut_label(**k) == row.cut).unwrap();
            let s = r.scales.iter().position(|x| *x == row.scale).unwrap();
            let scored: Vec<_> = sheets.iter().filter(|x| in_cell(&r, key, x)).filter_map(|x| x.scores.scales[s]).collect();
            let n = scored.len() as u64;
            let answered: u64 = scored.iter().map(|x| u64::from(x.answered)).sum();
            let favorable: u64 = scored.iter().map(|x| u64::from(x.favorable)).sum();
            let worth = answered.div_ceil(n);
            let with_unfavorable = scored.iter().filter(|x| x.answered > x.favorable).count();
            let with_favorable = scored.iter().filter(|x| x.favorable > 0).count();
            // D9, favorable %: banded when at most one respondent is on the other side, or
            // within one respondent's worth of answers of either end.
            let band = if answered - favorable <= worth || with_unfavorable <= 1 {
                Some(Band::AllOrNearlyAll)
            } else if favorable <= worth || with_favorable <= 1 {
                Some(Band::NoneOrNearlyNone)
            } else {
                None
            };
            prop_assert_eq!(row.favorable_band, band, "{:?}", row);
            prop_assert_eq!(row.favorable_pct.is_none(), band.is_some());
            // D9, means: all but at most one respondent at an end of the scale.
            let off = |end: f64| scored.iter().filter(|x| (x.score - end).abs() > 1e-9).count();
            // A scale of one question: its score is the answer, so a cell that gave one
            // answer all but once shows no mean, wherever that answer lies.
            let one_question = inst.scale_items(s).len() == 1;
            let mean_band = if off(5.0) <= 1 {
                Some(MeanBand::AllOrNearlyAllHighest)
            } else if off(1.0) <= 1 {
                Some(MeanBand::AllOrNearlyAllLowest)
            } else if one_question && [2.0, 3.0, 4.0].into_iter().any(|v| off(v) <= 1) {
                Some(MeanBand::AllOrNearlyAllOneAnswer)
            } else {
                None
            };
            prop_assert_eq!(row.mean_band, mean_band, "{:?}", row);
            if mean_band.is_some() {
                prop_assert!(row.mean.is_none() && row.sd.is_none() && row.ci_low.is_none() && row.delta_org.is_none() && row.significant.is_none());
            }
        }
    }
}

/// D9 for what a reader works out, found here as sets of rows: for every group (a cell that
/// shows no exact figures, or a unit's direct members) and every shown exact cell holding
/// it, the cell less the largest exact cells at its cut that share no one with the group
/// (and a whole cell less its unit's other values of the group's attribute) leaves a rest;
/// no rest may be `alike`. `exact` is every exactly shown cell's figures, which add up over
/// disjoint cells.
fn check_worked_out(
    r: &Release,
    exact: &BTreeMap<CellKey, Vec<u64>>,
    alike: &dyn Fn(&[u64]) -> bool,
    what: &str,
) -> Result<(), TestCaseError> {
    let tree = &r.layout.tree;
    let keys = r.row_order();
    let mut groups: Vec<(CellKey, bool)> = keys
        .iter()
        .filter(|k| (k.unit != 0 || k.cut.is_some()) && !exact.contains_key(k))
        .map(|k| (*k, false))
        .collect();
    groups.extend(
        keys.iter()
            .filter(|k| !tree.children(k.unit).is_empty())
            .map(|k| (*k, true)),
    );
    for (g, direct) in groups {
        let holds = |c: &CellKey| {
            tree.is_ancestor_or_self(c.unit, g.unit)
                && (c.cut.is_none() || c.cut == g.cut)
                && (direct || *c != g)
        };
        let apart = |u: usize| {
            !tree.is_ancestor_or_self(u, g.unit) && (direct || !tree.is_ancestor_or_self(g.unit, u))
        };
        // The largest exact cells at `cut` strictly inside `unit` that `keep` allows.
        let largest = |unit: usize, cut, keep: &dyn Fn(usize) -> bool| {
            let inside: Vec<CellKey> = exact
                .keys()
                .filter(|c| {
                    c.cut == cut && c.unit != unit && tree.is_ancestor_or_self(unit, c.unit)
                })
                .filter(|c| keep(c.unit))
                .copied()
                .collect();
            inside
                .iter()
                .filter(|c| {
                    !inside
                        .iter()
                        .any(|o| o != *c && tree.is_ancestor_or_self(o.unit, c.unit))
                })
                .copied()
                .collect::<Vec<_>>()
        };
        for (h, counts) in exact.iter().filter(|(h, _)| holds(h)) {
            let mut takes = vec![largest(h.unit, h.cut, &apart)];
            if let (None, Some((a, v))) = (h.cut, g.cut) {
                let mut taken = largest(h.unit, g.cut, &apart);
                for other in (0..r.attributes[a].values.len()).filter(|&o| o != v) {
                    let at = CellKey {
                        unit: h.unit,
                        cut: Some((a, other)),
                    };
                    if exact.contains_key(&at) {
                        taken.push(at);
                    } else {
                        taken.extend(largest(h.unit, at.cut, &|_| true));
                    }
                }
                takes.push(taken);
            }
            for taken in takes.into_iter().filter(|t| !t.is_empty()) {
                let mut rest = counts.clone();
                for t in &taken {
                    for (x, y) in rest.iter_mut().zip(&exact[t]) {
                        *x -= y;
                    }
                }
                prop_assert!(
                    !alike(&rest),
                    "{what}: {} {:?} less {:?} leaves {:?}, answered alike (group {:?}, direct: {direct})",
                    r.tree.path(h.unit),
                    h.cut,
                    taken,
                    rest,
                    g
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// No shown cell less shown cells inside it leaves a rest that answered alike, for any
    /// item, the profiles or any scale's means and favourable %s; and the auditor agrees.
    #[test]
    fn no_rest_worked_out_from_shown_cells_answered_alike(
        (parents, sizes, agree, skip, seed) in alike_teams(),
        pulse in any::<bool>(),
    ) {
        let instrument = match pulse {
            true => survey_engine::instrument::builtin::load("worklife-pulse").unwrap().unwrap(),
            false => Instrument::parse(MINI).unwrap(),
        };
        let (inst, r, sheets) = release_of(instrument, &parents, &sizes, agree, skip, seed);
        let found = r.audit_alike(&sheets);
        prop_assert!(found.is_empty(), "{:?}", found);
        let keys = r.row_order();
        let key_of = |unit: &str, cut: &str| {
            *keys.iter().find(|k| r.tree.path(k.unit) == unit && r.cut_label(**k) == cut).unwrap()
        };
        let rows = report::item_rows(&r, &inst, &keys);
        for item in &inst.items {
            let mut exact = BTreeMap::new();
            for row in rows.iter().filter(|x| x.item == item.id && x.status == CellStatus::Shown && x.pct_band.is_empty()) {
                let n = row.respondents.unwrap() as f64;
                let counts: Vec<u64> = row.pct.iter().map(|p| (p.unwrap() * n / 100.0).round() as u64).collect();
                exact.insert(key_of(&row.unit, &row.cut), counts);
            }
            check_worked_out(&r, &exact, &one_answer_holds_nearly_all, &item.id)?;
        }
        let mut exact = BTreeMap::new();
        for row in report::profile_rows(&r, &keys) {
            if let (CellStatus::Shown, Some(percent)) = (row.status, &row.percent) {
                let n = row.respondents.unwrap() as f64;
                let counts = percent.iter().map(|(_, p)| (p * n / 100.0).round() as u64).collect();
                exact.insert(key_of(&row.unit, &row.cut), counts);
            }
        }
        check_worked_out(&r, &exact, &one_answer_holds_nearly_all, "profiles")?;
        // Scales: a rest's sums (and sums of squares) tell all but one at an end of the scale
        // as a cell's do; its favourable answers tell all but one respondent on one side when
        // at most one answer is on the other. The figures of each exactly shown cell are
        // counted here from the sheets.
        for (s, row_scale) in r.scales.iter().enumerate() {
            let (mut means, mut favorable) = (BTreeMap::new(), BTreeMap::new());
            for row in report::heat_rows(&r, &keys, None).into_iter().filter(|x| x.scale == *row_scale && x.status == CellStatus::Shown) {
                let key = key_of(&row.unit, &row.cut);
                let scored: Vec<_> = sheets.iter().filter(|x| in_cell(&r, key, x)).filter_map(|x| x.scores.scales[s]).collect();
                let at = |end: f64| scored.iter().filter(|x| (x.score - end).abs() < 1e-9).count() as u64;
                let n = scored.len() as u64;
                if row.mean_band.is_none() {
                    // A scale of one question: the rest's sums and sums of squares, over
                    // answers 1 to 5, read as its answers; here the rest's own count of each.
                    match inst.scale_items(s).len() {
                        1 => means.insert(key, (1..=5).map(|v| at(f64::from(v))).collect()),
                        _ => means.insert(key, vec![n, at(5.0), at(1.0)]),
                    };
                }
                if row.favorable_band.is_none() {
                    let answered = scored.iter().map(|x| u64::from(x.answered)).sum();
                    let fav = scored.iter().map(|x| u64::from(x.favorable)).sum();
                    favorable.insert(key, vec![n, answered, fav]);
                }
            }
            let ends = |f: &[u64]| f[0] >= 3 && (f[1] + 1 >= f[0] || f[2] + 1 >= f[0]);
            let alike: &dyn Fn(&[u64]) -> bool = match inst.scale_items(s).len() {
                1 => &one_answer_holds_nearly_all,
                _ => &ends,
            };
            check_worked_out(&r, &means, alike, &format!("{row_scale}, means"))?;
            check_worked_out(&r, &favorable, &|f: &[u64]| f[0] >= 3 && (f[1] - f[2] <= 1 || f[2] <= 1), &format!("{row_scale}, favourable"))?;
        }
    }
}

/// A distribution's rest of 3 or more whose answers one category holds all or all but one of.
fn one_answer_holds_nearly_all(rest: &[u64]) -> bool {
    let n: u64 = rest.iter().sum();
    n >= 3 && rest.iter().any(|&c| c + 1 >= n)
}

/// A scale of one question scores each respondent by their answer, so its mean and sd would
/// tell what the question's own band hides: four of five answering 3 and one 2 shows mean
/// 2.80 and sd 0.45, which only {3, 3, 3, 3, 2} gives. Such a cell shows a band instead,
/// wherever on the scale the answer lies; a cell with answers apart shows its figures.
#[test]
fn a_one_question_scale_shows_a_band_where_its_question_does() {
    let inst = survey_engine::instrument::builtin::load("worklife-pulse")
        .unwrap()
        .unwrap();
    let workload = inst.scales.iter().position(|s| s.id == "workload").unwrap();
    let [item] = inst.scale_items(workload) else {
        panic!("the pulse's workload is one question");
    };
    let mut tree = OrgTree::new("Acme").unwrap();
    let a = tree.insert("Acme/A").unwrap();
    let b = tree.insert("Acme/B").unwrap();
    let mut sheets = Vec::new();
    for (unit, answers) in [(a, [3, 3, 2, 3, 3]), (b, [1, 2, 4, 4, 5])] {
        for (n, answer) in answers.into_iter().enumerate() {
            // Every other question apart too, so that only workload is alike.
            let mut all: Vec<Option<i32>> = (0..inst.items.len())
                .map(|i| Some(1 + ((i + n) % 5) as i32))
                .collect();
            all[*item] = Some(answer);
            sheets.push(PlacedSheet {
                placement: Placement {
                    unit,
                    values: vec![],
                },
                scores: inst.score(&all).unwrap(),
                answers: all,
            });
        }
    }
    let r = Release::build(&inst, tree, vec![], &sheets, 5, "W").unwrap();
    let cell = |unit| r.heat_cell(workload, CellKey { unit, cut: None }).unwrap();
    let banded = cell(a);
    assert_eq!(banded.status, CellStatus::Shown);
    assert_eq!(banded.mean_band, Some(MeanBand::AllOrNearlyAllOneAnswer));
    let stats = banded.stats.unwrap();
    assert_eq!(stats.n, 5);
    assert!(stats.mean.is_none() && stats.sd.is_none() && stats.ci_low.is_none());
    assert!(banded.delta_org.is_none() && banded.significant.is_none());
    // Acme's answers lie apart: its mean is shown. B is hidden, since Acme less B would
    // give A's answers (D9's worked-out rests).
    let acme = cell(0);
    assert_eq!(acme.mean_band, None);
    assert_eq!(acme.stats.unwrap().mean, Some(3.0));
    assert!(cell(b).status.is_hidden());
    let csv = String::from_utf8(r.heatmap_csv().unwrap()).unwrap();
    assert!(
        csv.lines().any(|l| l.starts_with("W,Acme/A,")
            && l.contains(",workload,")
            && l.contains("all_or_nearly_all_one_answer")),
        "{csv}"
    );
}
