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
            check_rests(r, &sheets)?;
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
                if (1..r.k).contains(&m) && m < n {
                    let width = reader_width(n, mean, sd_at_most, m);
                    // A band at the most the sd can be says no more than the cell's sum.
                    let (nf, mf) = (n as f64, m as f64);
                    let by_sum = (
                        ((nf * mean - (nf - mf) * 5.0) / mf).max(1.0),
                        ((nf * mean - (nf - mf) * 1.0) / mf).min(5.0),
                    );
                    let stray = sd_at_most * ((nf - 1.0) * (nf - mf) / (nf * mf)).sqrt();
                    let adds_nothing =
                        mean - stray <= by_sum.0 + 1e-6 && mean + stray >= by_sum.1 - 1e-6;
                    prop_assert!(
                        width + 1e-9 >= LEVEL || adds_nothing,
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
        // Two more answer the first workload item favourably and the third unfavourably: the
        // same scores, but the team's favourable answers are not all but one neutral, which
        // the organisation less the other team would tell (D9).
        if i == 3 || i == 4 {
            answers[0] = Some(4);
            answers[2] = Some(2);
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
    // The child is hidden. The other team answered apart, but its sd and the organisation's
    // would give the team's back (sums of squares add up, docs/privacy.md D7): it is
    // withheld, as a band at the most a team of 10 with its mean can have (all at the ends:
    // sqrt(10 * 2 * 2 / 9) = 2.108), and the organisation keeps its own.
    assert!(row("Org/Team/Child", "workload").status.is_hidden());
    let apart = row("Org/Other", "workload");
    assert_eq!(
        (apart.sd, apart.sd_below, apart.ci_low),
        (None, Some(2.11), None)
    );
    let org = row("Org", "workload");
    assert!(org.sd.is_some() && org.sd_below.is_none() && org.ci_low.is_some());
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

/// A shown cell as a reader has it: n, the sum, and the sum of squared scores bounded from
/// below and from above (from the exact sd, or 0 and the band's edge).
#[derive(Clone, Copy)]
struct Read {
    n: f64,
    sum: f64,
    squares_low: f64,
    squares_high: f64,
}

/// What a reader intersects for a group of `m`: every interval one part gives its mean
/// (sums alone, and sums with the squares), for the part of `n` with sum `sum` and at most
/// `squares` squared deviations around its mean.
fn part_intervals(n: f64, sum: f64, squares: f64, m: f64) -> ((f64, f64), (f64, f64)) {
    let mean = sum / n;
    let by_sum = (
        ((sum - (n - m) * 5.0) / m).max(1.0),
        ((sum - (n - m) * 1.0) / m).min(5.0),
    );
    let stray = (squares.max(0.0) * (n - m) / (n * m)).sqrt();
    (
        by_sum,
        (by_sum.0.max(mean - stray), by_sum.1.min(mean + stray)),
    )
}

/// The rests of docs/privacy.md D7, found here as sets of rows: for every group under k and
/// every shown cell holding it, the cell less the largest shown cells at its cut that do not
/// hold the group (and a whole cell less its unit's other values of the group's attribute,
/// with the shown cells of the group's value that do not hold it). The reader intersects
/// every cell's and every rest's interval; where the squares make the intersection narrower
/// than the level, the sums alone must already be (the mean auditor's case).
fn check_rests(r: &Release, sheets: &[PlacedSheet]) -> Result<(), TestCaseError> {
    let keys = r.row_order();
    let tree = &r.layout.tree;
    let rows = report::heat_rows(r, &keys, None);
    for (s, scale) in r.scales.iter().enumerate() {
        let mut read: BTreeMap<CellKey, Read> = BTreeMap::new();
        for key in &keys {
            let label = r.cut_label(*key);
            let path = r.tree.path(key.unit);
            let Some(row) = rows
                .iter()
                .find(|x| &x.scale == scale && x.unit == path && x.cut == label)
                .filter(|x| x.status == CellStatus::Shown && x.mean.is_some())
            else {
                continue;
            };
            let (n, mean) = (row.respondents.unwrap() as f64, row.mean.unwrap());
            let base = n * mean * mean;
            let (low, high) = match (row.sd, row.sd_below) {
                (Some(sd), None) => ((n - 1.0) * sd * sd, (n - 1.0) * sd * sd),
                (None, Some(edge)) => (0.0, (n - 1.0) * edge * edge),
                _ => (0.0, f64::INFINITY),
            };
            read.insert(
                *key,
                Read {
                    n,
                    sum: n * mean,
                    squares_low: base + low,
                    squares_high: base + high,
                },
            );
        }
        // A cell's squares are at least its shown parts' and the rest's (sum^2 / n), whatever
        // its own sd says: deepest cells first, so the parts are done.
        let depth = |u: usize| {
            let (mut d, mut at) = (0, u);
            while let Some(p) = tree.parent(at) {
                (d, at) = (d + 1, p);
            }
            d
        };
        let mut order: Vec<CellKey> = read.keys().copied().collect();
        order.sort_by_key(|k| std::cmp::Reverse(depth(k.unit)));
        for key in order {
            let inside: Vec<CellKey> = read
                .keys()
                .filter(|c| {
                    c.cut == key.cut
                        && c.unit != key.unit
                        && tree.is_ancestor_or_self(key.unit, c.unit)
                })
                .copied()
                .collect();
            let parts = inside.iter().filter(|c| {
                !inside
                    .iter()
                    .any(|o| o != *c && tree.is_ancestor_or_self(o.unit, c.unit))
            });
            let (mut n, mut sum, mut squares) = (0.0, 0.0, 0.0);
            for p in parts {
                let pr = read[p];
                (n, sum, squares) = (n + pr.n, sum + pr.sum, squares + pr.squares_low);
            }
            let cell = read.get_mut(&key).unwrap();
            let (rest_n, rest_sum) = (cell.n - n, cell.sum - sum);
            if rest_n > 0.0 {
                squares += rest_sum * rest_sum / rest_n;
            }
            cell.squares_low = cell.squares_low.max(squares);
        }
        let scored = |key: CellKey, direct: bool| {
            sheets
                .iter()
                .filter(|x| in_cell(r, key, x) && x.scores.scales[s].is_some())
                .filter(|x| !direct || x.placement.unit == key.unit)
                .count()
        };
        for g in &keys {
            for direct in [false, true] {
                if direct && tree.children(g.unit).is_empty() {
                    continue;
                }
                let m = scored(*g, direct);
                if !(1..r.k).contains(&m) {
                    continue;
                }
                // Does the cell `c` hold the group, or share no one with it?
                let holds = |c: &CellKey| {
                    tree.is_ancestor_or_self(c.unit, g.unit)
                        && (c.cut.is_none() || c.cut == g.cut)
                        && (direct || c != g)
                };
                let apart = |c: &CellKey| {
                    let off_chain = !tree.is_ancestor_or_self(c.unit, g.unit)
                        && (direct || !tree.is_ancestor_or_self(g.unit, c.unit));
                    let other_value = matches!((c.cut, g.cut),
                        (Some((a, v)), Some((b, w))) if a == b && v != w);
                    off_chain || other_value
                };
                // The largest shown cells at `cut` inside `holder`'s unit that share no one
                // with the group.
                let largest_apart = |holder: usize, cut: Option<(usize, usize)>| {
                    let inside = |c: &CellKey| {
                        c.cut == cut && tree.is_ancestor_or_self(holder, c.unit) && c.unit != holder
                    };
                    let candidates: Vec<CellKey> = read
                        .keys()
                        .filter(|c| inside(c) && apart(c))
                        .copied()
                        .collect();
                    candidates
                        .iter()
                        .filter(|c| {
                            !candidates
                                .iter()
                                .any(|o| o != *c && tree.is_ancestor_or_self(o.unit, c.unit))
                        })
                        .copied()
                        .collect::<Vec<_>>()
                };
                let mut parts: Vec<(f64, f64, f64)> = Vec::new();
                for (h, hr) in read.iter().filter(|(h, _)| holds(h)) {
                    parts.push((hr.n, hr.sum, hr.squares_high - hr.sum * hr.sum / hr.n));
                    let mut rests = vec![largest_apart(h.unit, h.cut)];
                    if let (None, Some((a, v))) = (h.cut, g.cut) {
                        let mut taken = largest_apart(h.unit, g.cut);
                        for other in (0..r.attributes[a].values.len()).filter(|&o| o != v) {
                            let at = CellKey {
                                unit: h.unit,
                                cut: Some((a, other)),
                            };
                            if read.contains_key(&at) {
                                taken.push(at);
                            } else {
                                taken.extend(largest_apart(h.unit, at.cut));
                            }
                        }
                        rests.push(taken);
                    }
                    for taken in rests.into_iter().filter(|t| !t.is_empty()) {
                        let (mut n, mut sum, mut squares) = (hr.n, hr.sum, hr.squares_high);
                        for t in &taken {
                            let tr = read[t];
                            n -= tr.n;
                            sum -= tr.sum;
                            squares -= tr.squares_low;
                        }
                        if n > m as f64 && squares.is_finite() {
                            parts.push((n, sum, squares - sum * sum / n));
                        }
                    }
                }
                let (mut sums, mut both) = ((1.0f64, 5.0f64), (1.0f64, 5.0f64));
                for (n, sum, squares) in parts.into_iter().filter(|p| p.0 > m as f64) {
                    let (by_sum, by_both) = part_intervals(n, sum, squares, m as f64);
                    sums = (sums.0.max(by_sum.0), sums.1.min(by_sum.1));
                    both = (both.0.max(by_both.0), both.1.min(by_both.1));
                }
                let (sums, both) = (sums.1 - sums.0, both.1 - both.0);
                prop_assert!(
                    both + 1e-9 >= LEVEL || sums + 1e-9 < LEVEL,
                    "{scale}: {} {:?} (direct: {direct}), {m} respondents, is {both} wide \
                     once the sds and their rests are read (sums alone: {sums})",
                    r.tree.path(g.unit),
                    g.cut,
                );
            }
        }
    }
    Ok(())
}
