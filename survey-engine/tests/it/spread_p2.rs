//! P2 and the shown sd (docs/privacy.md D7): a shown cell's sd bounds how far the mean of any
//! small group inside it can stray from the cell's mean, so where that bound is narrower than
//! the protection level the sd is shown only as a band, and the figures that would give it
//! back (the confidence interval, Welch's tests) are withheld. The groups and their
//! respondents are counted here from the sheets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use survey_engine::disclosure::{CellKey, CellStatus, Invited, Placement};
use survey_engine::org::OrgTree;
use survey_engine::release::{PlacedSheet, Protection, Release};
use survey_engine::report;
use survey_engine::Instrument;

use crate::unanimity::{alike_teams, in_cell, release};

const MINI: &str = include_str!("../../../server/tests/fixtures/mini.toml");

/// P2's default level on a 1..5 scale: half the range.
const LEVEL: f64 = 2.0;

/// The range of a group's mean a reader allows from a shown cell of `n` with its mean and sd
/// (exact, as the JSON API gives them): `m` of the `n` respondents stray at most
/// `s * sqrt((n - 1)(n - m) / (n m))` from the cell's mean.
fn reader_width(n: usize, mean: f64, sd_at_most: f64, m: usize) -> f64 {
    let (n, m) = (n as f64, m as f64);
    let stray = sd_at_most * ((n - 1.0) * (n - m) / (n * m)).sqrt();
    (5.0_f64.min(mean + stray) - 1.0_f64.max(mean - stray)).max(0.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_shown_sd_narrows_a_small_groups_mean(
        (parents, sizes, agree, skip, seed) in alike_teams(),
    ) {
        let (inst, plain, sheets) = release(&parents, &sizes, agree, skip, seed);
        // The same sheets with the roster (one or two invited people per respondent), so the
        // bands leave room only for the groups the roster allows.
        let mut invited: BTreeMap<Placement, u64> = BTreeMap::new();
        for (i, x) in sheets.iter().enumerate() {
            *invited.entry(x.placement.clone()).or_default() += 1 + (i as u64 + seed) % 2;
        }
        let invited = Invited { atoms: invited.into_iter().collect() };
        let protection = Protection { invited: Some(&invited), ..Protection::default() };
        let with_roster = Release::build_for_roster(
            &inst, plain.tree.clone(), plain.attributes.clone(), &sheets, protection, plain.k, "W",
        ).unwrap();
        for r in [&plain, &with_roster] {
            check(r, &sheets)?;
        }
    }
}

/// Every shown sd, as a reader has it, leaves every group under k inside its cell a range of
/// possible means at least the protection level wide; a banded sd comes with nothing that
/// gives it back.
fn check(r: &Release, sheets: &[PlacedSheet]) -> Result<(), TestCaseError> {
    prop_assert!(r.audit_spreads(sheets).is_empty());
    let keys = r.row_order();
    for row in report::heat_rows(r, &keys, None) {
        if row.status != CellStatus::Shown || row.mean_band.is_some() {
            continue;
        }
        let key = *keys
            .iter()
            .find(|k| r.tree.path(k.unit) == row.unit && r.cut_label(**k) == row.cut)
            .unwrap();
        let s = r.scales.iter().position(|x| *x == row.scale).unwrap();
        let n = row.respondents.unwrap() as usize;
        // Exactly one of the sd and its band; with the band, nothing that gives it back.
        prop_assert!(row.sd.is_some() != row.sd_below.is_some(), "{:?}", row);
        if row.sd_below.is_some() {
            prop_assert!(
                row.ci_low.is_none() && row.ci_high.is_none() && row.significant.is_none(),
                "{:?}",
                row
            );
        } else {
            prop_assert!(row.ci_low.is_some());
        }
        let sd_at_most = row.sd_below.unwrap_or_else(|| row.sd.unwrap());
        let mean = row.mean.unwrap();
        // Every group under k inside the cell: every other cell (a part of this one) and
        // every unit's direct members below it, with their true respondents.
        for other in &keys {
            let inside = r.layout.tree.is_ancestor_or_self(key.unit, other.unit)
                && (key.cut.is_none() || key.cut == other.cut);
            if !inside || *other == key {
                continue;
            }
            let scored = |direct: bool| {
                sheets
                    .iter()
                    .filter(|x| in_cell(r, *other, x) && x.scores.scales[s].is_some())
                    .filter(|x| !direct || x.placement.unit == other.unit)
                    .count()
            };
            for m in [scored(false), scored(true)] {
                if (1..r.k).contains(&m) {
                    let width = reader_width(n, mean, sd_at_most, m);
                    prop_assert!(
                        width + 1e-9 >= LEVEL,
                        "{:?}: a group of {} inside is {} wide",
                        row,
                        m,
                        width
                    );
                }
            }
        }
    }
    Ok(())
}

/// A root of 20: a team of 10 who all scored 3 but one, with a child of 3 of them (hidden),
/// and a second team of 10 split between the ends of the scale.
fn close_team() -> (Release, Vec<PlacedSheet>) {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Org").unwrap();
    let team = tree.insert("Org/Team").unwrap();
    let child = tree.insert("Org/Team/Child").unwrap();
    let other = tree.insert("Org/Other").unwrap();
    let items = instrument.items.len();
    let sheet = |unit, answers: Vec<Option<i32>>| PlacedSheet {
        placement: Placement {
            unit,
            values: vec![],
        },
        scores: instrument.score(&answers).unwrap(),
        answers,
    };
    let mut sheets = Vec::new();
    for i in 0..10 {
        let mut answers = vec![Some(3); items];
        if i == 0 {
            answers[0] = Some(4);
        }
        sheets.push(sheet(if i < 3 { child } else { team }, answers));
    }
    // Half score 1 on workload, half 5 (its second item is reverse-keyed).
    for i in 0..10 {
        let (low, high) = if i % 2 == 0 { (1, 5) } else { (5, 1) };
        let mut answers = vec![Some(low); items];
        answers[1] = Some(high);
        sheets.push(sheet(other, answers));
    }
    let r = Release::build(&instrument, tree, vec![], &sheets, 5, "W").unwrap();
    (r, sheets)
}

#[test]
fn a_team_that_answered_alike_shows_its_sd_only_as_a_band() {
    let (r, sheets) = close_team();
    let rows = report::heat_rows(&r, &r.row_order(), None);
    let row = |unit: &str, scale: &str| {
        rows.iter()
            .find(|x| x.unit == unit && x.scale == scale)
            .unwrap()
            .clone()
    };
    // Workload: one answer of 4 among 30 of 3; the team's scores are 3 but one 3.33.
    let team = row("Org/Team", "workload");
    assert_eq!(team.status, CellStatus::Shown);
    assert!((team.mean.unwrap() - 91.0 / 30.0).abs() < 1e-9);
    assert_eq!(team.sd, None);
    // The edge: the smallest safe sd for n = 10, k = 5 and a mean in the middle,
    // 1 / sqrt(9 * 6 / 40) = 0.8607, rounded up.
    assert_eq!(team.sd_below, Some(0.87));
    assert_eq!(
        (team.ci_low, team.ci_high, team.significant),
        (None, None, None)
    );
    // Exhaustion: every score exactly 3.
    assert_eq!(row("Org/Team", "exhaustion").sd_below, Some(0.87));
    // The child is hidden, and a team that answered apart shows its sd and interval.
    assert!(row("Org/Team/Child", "workload").status.is_hidden());
    let apart = row("Org/Other", "workload");
    assert!(apart.sd.unwrap() > 0.87 && apart.sd_below.is_none() && apart.ci_low.is_some());
    // The CSV gives the band in the sd column.
    let csv = String::from_utf8(r.heatmap_csv().unwrap()).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("W,Org/Team,,workload,shown,10,3.03,<0.87,,,")),
        "{csv}"
    );
    assert!(r.audit_spreads(&sheets).is_empty());
}

#[test]
fn the_auditor_finds_the_small_group_an_exact_sd_would_narrow() {
    let (mut r, sheets) = close_team();
    // Put the team's exact sd back, as a release without the band would show it.
    let team = r.layout.cell_index(CellKey { unit: 1, cut: None });
    let cell = &mut r.heat[0][team];
    let tally_sd = 1.0 / 3.0 / 10.0_f64.sqrt(); // one score of 3.33 among ten
    cell.stats.as_mut().unwrap().sd = Some(tally_sd);
    cell.sd_below = None;
    let narrow = r.audit_spreads(&sheets);
    let labels: Vec<String> = narrow
        .iter()
        .map(|(m, g)| format!("{m}: {} ({})", r.group_label(&g.group), g.n))
        .collect();
    assert_eq!(labels, vec!["workload, by a shown sd: Org/Team/Child (3)"]);
    // The reader's range: the exact sd times sqrt(9 * 7 / 30), each way.
    let expected = 2.0 * tally_sd * (9.0_f64 * 7.0 / 30.0).sqrt();
    assert!(
        (narrow[0].1.width - expected).abs() < 1e-9,
        "{}",
        narrow[0].1.width
    );
}
