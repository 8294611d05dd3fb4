//! D8 read per answer: a reader who reads a scale and its questions as one system over each
//! person's answers must not be able to work out a figure of 1 to k - 1 people: the sum of
//! their scores, their favourable answers on the scale, or their answers to one question.
//! Every person with a score has one unknown per question of the scale they answered; a
//! shown scale cell adds each person's mean of their answers (or all their favourable
//! answers), a shown question cell each answer to it. Checked here with linear algebra
//! modulo a prime over those unknowns, written from the sheets and the released statuses,
//! not with the engine's auditor (which reads the same system with other unknowns:
//! `release/with_questions.rs`).
//!
//! A review found the case the engine's earlier reading (partial and complete answerers as
//! two groups) missed: people who skipped different questions, read apart through each
//! question's own figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use survey_engine::disclosure::{CellKey, CellStatus};
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Release};
use survey_engine::testing::Rng;
use survey_engine::Instrument;

use super::cross_measure::{
    case, inverse, mul, random_case, random_case_with_empty_units, sheet, MINI, PRIME,
};

fn neg(a: u64) -> u64 {
    (PRIME - a) % PRIME
}

/// A basis of the vectors x with `rows` x = 0 (modulo [`PRIME`]).
fn nullspace(rows: &[Vec<u64>], columns: usize) -> Vec<Vec<u64>> {
    let mut rows = rows.to_vec();
    let mut pivots = Vec::new();
    for column in 0..columns {
        let done = pivots.len();
        let Some(p) = (done..rows.len()).find(|&i| rows[i][column] != 0) else {
            continue;
        };
        rows.swap(done, p);
        let inv = inverse(rows[done][column]);
        for x in rows[done].iter_mut() {
            *x = mul(*x, inv);
        }
        let pivot = rows[done].clone();
        for (i, row) in rows.iter_mut().enumerate() {
            if i != done && row[column] != 0 {
                let f = row[column];
                for (x, y) in row.iter_mut().zip(&pivot) {
                    *x = (*x + PRIME - mul(f, *y)) % PRIME;
                }
            }
        }
        pivots.push(column);
    }
    (0..columns)
        .filter(|c| !pivots.contains(c))
        .map(|free| {
            let mut v = vec![0; columns];
            v[free] = 1;
            for (row, &p) in rows.iter().zip(&pivots) {
                v[p] = neg(row[free]);
            }
            v
        })
        .collect()
}

/// The figures a scale and its questions show, which add answers up differently.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Figure {
    /// A scale's cell adds each person's mean (here sixty times it: a whole number for one
    /// to five answers), a question's cell each answer.
    Sums,
    /// A scale's cell adds each person's favourable answers, a question's cell those to it.
    Favourable,
}

/// What a reader may be after for a group.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// The group's figure on the scale.
    Scale,
    /// The group's answers to the scale's question with this index in the instrument.
    Question(usize),
}

/// One scale's released rows over its people's answers, and the vectors they cannot see.
struct System {
    /// Per unknown: (sheet, question).
    unknowns: Vec<(usize, usize)>,
    /// Per unknown: how many questions of the scale its person answered.
    answered: Vec<u64>,
    null: Vec<Vec<u64>>,
}

impl System {
    fn new(
        instrument: &Instrument,
        release: &Release,
        sheets: &[PlacedSheet],
        scale: usize,
        figure: Figure,
        read: impl Fn(CellKey) -> bool,
    ) -> Self {
        let questions = instrument.scale_items(scale);
        let cells = release.layout.cells();
        let tree = &release.layout.tree;
        let holds = |key: CellKey, s: &PlacedSheet| {
            tree.is_ancestor_or_self(key.unit, s.placement.unit)
                && key
                    .cut
                    .is_none_or(|(a, v)| s.placement.values[a] == Some(v))
        };
        let mut unknowns = Vec::new();
        let mut answered = Vec::new();
        for (p, s) in sheets.iter().enumerate() {
            let Some(score) = s.scores.scales[scale] else {
                continue;
            };
            for &q in questions {
                if s.answers[q].is_some() {
                    unknowns.push((p, q));
                    answered.push(u64::from(score.answered));
                }
            }
        }
        let mut rows = Vec::new();
        for (c, &key) in cells.iter().enumerate() {
            if !read(key) {
                continue;
            }
            let scale_cell = release.heat[scale][c];
            let exact = scale_cell.stats.is_some_and(|st| match figure {
                Figure::Sums => st.mean.is_some(),
                Figure::Favourable => st.favorable_pct.is_some(),
            });
            if scale_cell.status == CellStatus::Shown && exact {
                rows.push(
                    unknowns
                        .iter()
                        .zip(&answered)
                        .map(|(&(p, _), &m)| match (holds(key, &sheets[p]), figure) {
                            (false, _) => 0,
                            (true, Figure::Sums) => 60 / m,
                            (true, Figure::Favourable) => 1,
                        })
                        .collect(),
                );
            }
            for &q in questions {
                if release.items[q].status[c] == CellStatus::Shown {
                    rows.push(
                        unknowns
                            .iter()
                            .map(|&(p, i)| u64::from(i == q && holds(key, &sheets[p])))
                            .collect(),
                    );
                }
            }
        }
        let null = nullspace(&rows, unknowns.len());
        System {
            unknowns,
            answered,
            null,
        }
    }

    /// The groups of 1 to min(k - 1, 4) people whose `target` figure the rows give (found by
    /// a random combination of the vectors the rows cannot see: a group's figure is given
    /// exactly when its part of that combination adds up to 0, up to a chance of about
    /// 2^-61 per group).
    fn groups(&self, target: Target, figure: Figure, k: usize) -> Vec<Vec<usize>> {
        let mut rng = Rng(12345);
        let mut z = vec![0u64; self.unknowns.len()];
        for v in &self.null {
            let w = (rng.next(1 << 30) as u64) * (1 << 30) + rng.next(1 << 30) as u64 + 1;
            for (zc, &vc) in z.iter_mut().zip(v) {
                *zc = (*zc + mul(vc, w)) % PRIME;
            }
        }
        // Per person: their part of the target's vector against z.
        let mut part: Vec<(usize, u64)> = Vec::new();
        for (c, &(p, q)) in self.unknowns.iter().enumerate() {
            let coefficient = match (target, figure) {
                (Target::Scale, Figure::Sums) => 60 / self.answered[c],
                (Target::Scale, Figure::Favourable) => 1,
                (Target::Question(j), _) => u64::from(q == j),
            };
            if coefficient == 0 {
                continue;
            }
            match part.last_mut() {
                Some((person, h)) if *person == p => *h = (*h + mul(coefficient, z[c])) % PRIME,
                _ => part.push((p, mul(coefficient, z[c]))),
            }
        }
        let largest = (k - 1).min(4);
        let mut found: Vec<Vec<usize>> = Vec::new();
        let n = part.len();
        // Every group of up to four: fine for the few dozen people of these organisations.
        let mut group = Vec::new();
        fn grow(
            part: &[(usize, u64)],
            from: usize,
            sum: u64,
            largest: usize,
            group: &mut Vec<usize>,
            found: &mut Vec<Vec<usize>>,
        ) {
            for i in from..part.len() {
                let sum = (sum + part[i].1) % PRIME;
                group.push(part[i].0);
                if sum == 0 {
                    found.push(group.clone());
                } else if group.len() < largest {
                    grow(part, i + 1, sum, largest, group, found);
                }
                group.pop();
            }
        }
        if n > 0 && largest > 0 {
            grow(&part, 0, 0, largest, &mut group, &mut found);
        }
        found
    }
}

/// Every group of 1 to min(k - 1, 4) people whose figure on a scale of several questions,
/// or answers to one of its questions, the release gives away, in words.
fn given_away(instrument: &Instrument, release: &Release, sheets: &[PlacedSheet]) -> Vec<String> {
    given_away_in(instrument, release, sheets, |_| true)
}

/// [`given_away`] reading only the cells `read` keeps.
fn given_away_in(
    instrument: &Instrument,
    release: &Release,
    sheets: &[PlacedSheet],
    read: impl Fn(CellKey) -> bool + Copy,
) -> Vec<String> {
    let mut out = Vec::new();
    for scale in 0..instrument.scales.len() {
        let questions = instrument.scale_items(scale);
        if questions.len() < 2 {
            continue;
        }
        for figure in [Figure::Sums, Figure::Favourable] {
            let system = System::new(instrument, release, sheets, scale, figure, read);
            let targets = std::iter::once(Target::Scale)
                .chain(questions.iter().map(|&q| Target::Question(q)));
            for target in targets {
                for group in system.groups(target, figure, release.k) {
                    out.push(format!(
                        "{} ({figure:?}), {target:?}: sheets {group:?}",
                        instrument.scales[scale].id
                    ));
                }
            }
        }
    }
    out
}

/// An organisation with units U and W, a site attribute (x, y) and k = 3; everyone answers
/// every question but efficacy's two (ef1, ef2; one answer gives a score), which `people`
/// gives as (unit: 1 U, 2 W; site; ef1; ef2).
fn efficacy_case(
    people: &[(usize, usize, Option<i32>, Option<i32>)],
) -> (Instrument, Release, Vec<PlacedSheet>, [usize; 3]) {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Org").unwrap();
    let units = [
        0,
        tree.insert("Org/U").unwrap(),
        tree.insert("Org/W").unwrap(),
    ];
    let site = Attribute {
        name: "site".into(),
        values: vec!["x".into(), "y".into()],
    };
    let [ef1, ef2] = efficacy_questions(&instrument);
    let sheets: Vec<PlacedSheet> = people
        .iter()
        .enumerate()
        .map(|(n, &(u, s, a, b))| {
            let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|i| Some(1 + ((n * 3 + i * 2) % 5) as i32))
                .collect();
            answers[ef1] = a;
            answers[ef2] = b;
            sheet(&instrument, units[u], vec![Some(s)], answers)
        })
        .collect();
    let release = Release::build(&instrument, tree, vec![site], &sheets, 3, "W").unwrap();
    (instrument, release, sheets, units)
}

fn efficacy(instrument: &Instrument) -> usize {
    instrument
        .scales
        .iter()
        .position(|s| s.id == "efficacy")
        .unwrap()
}

fn efficacy_questions(instrument: &Instrument) -> [usize; 2] {
    let questions = instrument.scale_items(efficacy(instrument));
    [questions[0], questions[1]]
}

/// The review's case: U at site x, three people who answered only ef1; U at y, three who
/// answered only ef2; W at x, one person, w, who answered only ef2 (a 2); W at y, five who
/// answered both and three only ef1. The earlier release showed efficacy at Org x site
/// (n = 4, mean 3.50) and ef1 in U (n = 3, sum 12): U's ef1 answerers are U's people at x,
/// each scored by that one answer, so 4 x 3.50 - 12 = 2.00 +- 0.02 was w's score (and 50% of
/// 4 answers less ef1's 2 favourable in U, w's favourable answers: none). Its auditor,
/// which read partial and complete answerers as two groups, found nothing. Now the release
/// does not show both, and neither this file's reader nor the engine's finds anything.
#[test]
fn skippers_of_different_questions_do_not_give_a_lone_score_away() {
    let mut people = Vec::new();
    people.extend([3, 4, 5].map(|a| (1, 0, Some(a), None)));
    people.extend([2, 3, 4].map(|b| (1, 1, None, Some(b))));
    people.push((2, 0, None, Some(2))); // w
    people.extend([(1, 2), (2, 3), (3, 4), (4, 5), (5, 1)].map(|(a, b)| (2, 1, Some(a), Some(b))));
    people.extend([2, 3, 5].map(|a| (2, 1, Some(a), None)));
    let (instrument, release, sheets, units) = efficacy_case(&people);
    let [ef1, _] = efficacy_questions(&instrument);
    let cell = |unit, cut| release.layout.cell_index(CellKey { unit, cut });
    let org_x = release.heat[efficacy(&instrument)][cell(0, Some((0, 0)))];
    let u_ef1 = release.items[ef1].status[cell(units[1], None)];
    assert!(
        org_x.status.is_hidden() || u_ef1.is_hidden(),
        "efficacy at Org x site ({:?}) and ef1 in U ({u_ef1:?}) both shown",
        org_x.stats
    );
    assert_eq!(
        given_away(&instrument, &release, &sheets),
        Vec::<String>::new()
    );
    assert_eq!(release.audit(&sheets).unwrap(), vec![]);
}

/// The reader of this file finds what it should: in the cut case of docs/privacy.md D8 (one
/// unit of nine people with a score on efficacy, four at site X: every complete answerer and
/// one partial answerer), nothing while the release hides the organisation's questions, and
/// the lone partial answerer once they are shown there, as the engine's auditor does.
#[test]
fn the_reader_finds_the_lone_skipper_when_the_organisation_shows_its_questions() {
    let instrument = Instrument::parse(MINI).unwrap();
    let questions = efficacy_questions(&instrument);
    let tree = OrgTree::new("Org").unwrap();
    let site = Attribute {
        name: "site".into(),
        values: vec!["X".into()],
    };
    let sheets: Vec<PlacedSheet> = (0..9usize)
        .map(|person| {
            let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|i| Some(1 + ((person * 3 + i * 2) % 5) as i32))
                .collect();
            if person >= 3 {
                answers[questions[usize::from(person != 3 && person % 2 == 0)]] = None;
            }
            sheet(&instrument, 0, vec![(person <= 3).then_some(0)], answers)
        })
        .collect();
    let mut release = Release::build(&instrument, tree, vec![site], &sheets, 3, "W").unwrap();
    assert_eq!(
        given_away(&instrument, &release, &sheets),
        Vec::<String>::new()
    );
    for q in questions {
        release.items[q].status[0] = CellStatus::Shown;
    }
    let found = given_away(&instrument, &release, &sheets);
    assert!(
        found.iter().any(|f| f.contains("Scale: sheets [3]")),
        "{found:?}"
    );
    assert!(!release.audit(&sheets).unwrap().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random organisations ([`case`]: skipped answers at random, with and without an
    /// attribute, the mini instrument and the pulse): nothing of 1 to k - 1 people follows
    /// from any scale of several questions read with its questions.
    #[test]
    fn no_scale_read_with_its_questions_gives_a_small_group_away(case in case()) {
        let (instrument, release, sheets) = random_case(&case);
        let found = given_away(&instrument, &release, &sheets);
        prop_assert!(found.is_empty(), "k = {}: {:?}", release.k, found);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Random organisations with an attribute, beyond the exact auditor's reach (700 empty
    /// units more), where the release reads each unit's whole cell with its cuts instead of
    /// the whole system: nothing of 1 to k - 1 people follows from any unit's whole cell and
    /// its cuts, read by this file's reader. (What cells of different units give together is
    /// not read in such an organisation: docs/privacy.md D8's limits.) The seed saved in
    /// `proptest-regressions/per_answer.txt` is an organisation where a unit gives two
    /// people's workload scores away when the release does not read its cuts so.
    #[test]
    fn beyond_the_exact_auditor_no_unit_read_with_its_cuts_gives_a_small_group_away(case in case()) {
        let (instrument, release, sheets) =
            random_case_with_empty_units(&case.with_an_attribute(), 700);
        prop_assert!(
            release.layout.cell_count() > survey_engine::release::EXACT_AUDIT_MAX_CELLS
        );
        let tree = &release.layout.tree;
        for unit in 0..tree.len() {
            let below: Vec<PlacedSheet> = sheets
                .iter()
                .filter(|s| tree.is_ancestor_or_self(unit, s.placement.unit))
                .cloned()
                .collect();
            if below.is_empty() {
                continue;
            }
            let found = given_away_in(&instrument, &release, &below, |key| key.unit == unit);
            prop_assert!(found.is_empty(), "unit {}, k = {}: {:?}", unit, release.k, found);
        }
    }
}

/// Random organisations where a question of efficacy is skipped by everyone at a site of a
/// unit (a question not asked there, or not applicable to a team), as in the review's case:
/// nothing of 1 to k - 1 people follows. With the release's earlier reading (partial and
/// complete answerers as two groups, 64785e5), the 100th gave two people's scores away.
#[test]
fn no_scale_gives_a_small_group_away_where_whole_sites_skip_a_question() {
    let instrument = Instrument::parse(MINI).unwrap();
    let [ef1, ef2] = efficacy_questions(&instrument);
    let mut rng = Rng(99);
    for run in 0..150 {
        let units = 2 + rng.next(5);
        let mut tree = OrgTree::new("Org").unwrap();
        let mut paths = vec!["Org".to_string()];
        for i in 1..units {
            let parent = rng.next(i);
            paths.push(format!("{}/u{i}", paths[parent]));
            tree.insert(&paths[i]).unwrap();
        }
        let k = 3 + rng.next(3);
        let mut sheets = Vec::new();
        for unit in 0..units {
            for site in 0..2 {
                // What this unit's people at this site skip of efficacy: nothing, ef1 or ef2.
                let skips = (rng.next(3) == 0).then(|| [ef1, ef2][rng.next(2)]);
                for _ in 0..rng.next(8) {
                    let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
                        .map(|_| (rng.next(20) != 0).then(|| 1 + rng.next(5) as i32))
                        .collect();
                    if let Some(skipped) = skips {
                        for q in [ef1, ef2] {
                            answers[q] = (q != skipped).then(|| 1 + rng.next(5) as i32);
                        }
                    }
                    sheets.push(sheet(&instrument, unit, vec![Some(site)], answers));
                }
            }
        }
        let site = Attribute {
            name: "site".into(),
            values: vec!["x".into(), "y".into()],
        };
        let release = Release::build(&instrument, tree, vec![site], &sheets, k, "W").unwrap();
        let found = given_away(&instrument, &release, &sheets);
        assert!(found.is_empty(), "run {run}, k = {k}: {found:?}");
        assert_eq!(release.audit(&sheets).unwrap(), vec![], "run {run}");
    }
}

/// A review's case of many lone skippers at once: k = 6, 32 sibling units of 19 people, each
/// with six complete answerers of efficacy and one person who answered only its first
/// question at site X, and twelve people without a site who answered one question each.
/// Each unit shows efficacy and its questions, and its site X cut shows the scale only, so
/// each unit's X cut less its complete answerers is its lone skipper at X: 32 people open
/// at once (whose unions below k the auditor would write out by the hundred thousand; the
/// questions are decided from the 32 themselves). The questions hide in every unit, the
/// organisation keeps them, and the auditor finds nothing.
#[test]
fn many_lone_skippers_at_once_hide_their_units_questions() {
    let k = 6;
    let instrument = Instrument::parse(MINI).unwrap();
    let [ef1, ef2] = efficacy_questions(&instrument);
    let mut tree = OrgTree::new("Org").unwrap();
    let units: Vec<usize> = (0..32)
        .map(|i| tree.insert(&format!("Org/u{i}")).unwrap())
        .collect();
    let mut next = 0usize;
    let mut answer = || {
        next += 1;
        Some(1 + ((next * 7) % 5) as i32)
    };
    let mut sheets = Vec::new();
    for &unit in &units {
        for person in 0..19 {
            let mut answers: Vec<Option<i32>> =
                (0..instrument.items.len()).map(|_| answer()).collect();
            if person == 6 {
                answers[ef1] = Some(5);
                answers[ef2] = None;
            } else if person > 6 {
                answers[if person % 2 == 0 { ef1 } else { ef2 }] = None;
            }
            let site = (person < 7).then_some(0);
            sheets.push(sheet(&instrument, unit, vec![site], answers));
        }
    }
    let site = Attribute {
        name: "site".into(),
        values: vec!["X".into()],
    };
    let release = Release::build(&instrument, tree, vec![site], &sheets, k, "W").unwrap();
    let shown = |unit: usize| {
        let cell = release.layout.cell_index(CellKey { unit, cut: None });
        [ef1, ef2].map(|q| release.items[q].status[cell] == CellStatus::Shown)
    };
    assert_eq!(shown(0), [true, true], "the organisation's questions");
    for &unit in &units {
        assert_eq!(shown(unit), [false, false], "{}", release.tree.path(unit));
    }
    // (This file's reader tries every group of up to four of 608 people: too many here.)
    assert_eq!(release.audit(&sheets).unwrap(), vec![]);
}

/// A case the benchmark organisation showed (docs/privacy.md D8), in an organisation beyond
/// the exact auditor's 2,000 cells (600 empty units beside team T), k = 5, a tenure attribute
/// (a, b, c): in T, five people at a skipped wl1 and the sixth at a answered all three
/// workload questions, as did five at b and five at c. With `site`, a second attribute (x,
/// y): those sixteen are at x, and five more who answered every question are at y, tenure c.
fn large_team_case(site: bool) -> (Instrument, Release, Vec<PlacedSheet>, usize) {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Org").unwrap();
    for f in 0..600 {
        tree.insert(&format!("Org/f{f}")).unwrap();
    }
    let t = tree.insert("Org/T").unwrap();
    let mut attributes = vec![Attribute {
        name: "tenure".into(),
        values: ["a", "b", "c"].map(String::from).into(),
    }];
    if site {
        attributes.push(Attribute {
            name: "site".into(),
            values: ["x", "y"].map(String::from).into(),
        });
    }
    let wl1 = instrument.scale_items(0)[0];
    let people = if site { 21 } else { 16 };
    let sheets: Vec<PlacedSheet> = (0..people)
        .map(|n: usize| {
            let tenure = match n {
                0..=5 => 0,
                6..=10 => 1,
                _ => 2,
            };
            let mut values = vec![Some(tenure)];
            if site {
                values.push(Some(usize::from(n >= 16)));
            }
            let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|i| Some(1 + ((n * 3 + i * 2) % 5) as i32))
                .collect();
            if n < 5 {
                answers[wl1] = None;
            }
            sheet(&instrument, t, values, answers)
        })
        .collect();
    let release = Release::build(&instrument, tree, attributes, &sheets, 5, "W").unwrap();
    assert!(release.layout.cell_count() > survey_engine::release::EXACT_AUDIT_MAX_CELLS);
    (instrument, release, sheets, t)
}

/// [`large_team_case`]: T shows workload and its questions; a shows workload only (one
/// person answered wl1 there). Three times T's sum less its questions' sums is the five
/// skippers' scores, and a's sum less those was the sixth person's score. The release now
/// reads T's cells with its cuts and hides T's questions.
#[test]
fn a_large_organisation_does_not_give_a_cut_s_one_complete_answerer_away() {
    let (instrument, release, sheets, t) = large_team_case(false);
    let workload = instrument.scale_items(0);
    let cell = |cut| release.layout.cell_index(CellKey { unit: t, cut });
    assert_eq!(release.heat[0][cell(None)].status, CellStatus::Shown);
    assert_eq!(
        release.heat[0][cell(Some((0, 0)))].status,
        CellStatus::Shown
    );
    assert!(release.items[workload[0]].status[cell(Some((0, 0)))].is_hidden());
    for &item in workload {
        assert!(
            release.items[item].status[cell(None)].is_hidden(),
            "T's workload questions"
        );
    }
    assert_eq!(
        given_away(&instrument, &release, &sheets),
        Vec::<String>::new()
    );
}

/// [`large_team_case`] with a site attribute (a review's case): with T's questions hidden,
/// site x (the sixteen) showed workload and its questions, and three times x's sum less its
/// questions' sums gave the five skippers' scores just as T's had. The release now reads a
/// unit's whole cell with the cuts of every attribute together.
#[test]
fn a_cut_of_another_attribute_does_not_stand_in_for_its_unit() {
    let (instrument, release, sheets, _) = large_team_case(true);
    assert_eq!(
        given_away(&instrument, &release, &sheets),
        Vec::<String>::new()
    );
}

/// A review's case, on the full instrument (control: four questions), k = 3, in an
/// organisation beyond the exact auditor's reach (1,100 empty units, a tenure attribute no
/// one in T has a value of): team T of eleven, none of whom answered all four questions
/// (three answered 1-3, three 2-4, two 1, 3 and 4, two 1, 2 and 4, one only 1 and 4). Each
/// question is skipped by three and answered by eight. In one cell, combining the questions
/// weighs each person by how many they answered, so with no complete answerer the one who
/// answered two came apart: three times T's sum less its questions' sums was that person's
/// score. The release now reads such a cell alone and hides its questions. With
/// `colleagues`, the eleven are T's tenure band a and three more at b answered every
/// question: T then has complete answerers, and its band a is the cell read alone.
fn two_answer_case(colleagues: bool) {
    let instrument = survey_engine::instrument::builtin::load("worklife-core")
        .unwrap()
        .unwrap();
    let control = instrument
        .scales
        .iter()
        .position(|s| s.id == "control")
        .unwrap();
    let questions = instrument.scale_items(control);
    let mut tree = OrgTree::new("Org").unwrap();
    for f in 0..1100 {
        tree.insert(&format!("Org/f{f}")).unwrap();
    }
    let t = tree.insert("Org/T").unwrap();
    let tenure = Attribute {
        name: "tenure".into(),
        values: ["a", "b"].map(String::from).into(),
    };
    let patterns: [&[usize]; 11] = [
        &[0, 1, 2],
        &[0, 1, 2],
        &[0, 1, 2],
        &[1, 2, 3],
        &[1, 2, 3],
        &[1, 2, 3],
        &[0, 2, 3],
        &[0, 2, 3],
        &[0, 1, 3],
        &[0, 1, 3],
        &[0, 3],
    ];
    let mut rng = Rng(17);
    let all: &[usize] = &[0, 1, 2, 3];
    let extra = if colleagues { 3 } else { 0 };
    let mut sheets: Vec<PlacedSheet> = patterns
        .iter()
        .copied()
        .chain(std::iter::repeat_n(all, extra))
        .enumerate()
        .map(|(n, asked)| {
            let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|_| Some(1 + rng.next(5) as i32))
                .collect();
            for (q, &item) in questions.iter().enumerate() {
                if !asked.contains(&q) {
                    answers[item] = None;
                }
            }
            let tenure = colleagues.then_some(usize::from(n >= 11));
            sheet(&instrument, t, vec![tenure], answers)
        })
        .collect();
    sheets.sort_by_key(|s| s.placement.values.clone());
    let release = Release::build(&instrument, tree, vec![tenure], &sheets, 3, "W").unwrap();
    assert!(release.layout.cell_count() > survey_engine::release::EXACT_AUDIT_MAX_CELLS);
    let read_alone = release.layout.cell_index(CellKey {
        unit: t,
        cut: colleagues.then_some((0, 0)),
    });
    assert_eq!(release.heat[control][read_alone].status, CellStatus::Shown);
    assert_eq!(
        given_away(&instrument, &release, &sheets),
        Vec::<String>::new()
    );
}

#[test]
fn a_cell_without_a_complete_answerer_does_not_give_its_two_answer_person_away() {
    two_answer_case(false);
}

#[test]
fn a_cut_without_a_complete_answerer_does_not_give_its_two_answer_person_away() {
    two_answer_case(true);
}
