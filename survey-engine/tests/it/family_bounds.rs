//! D8 with bounds: a reader who reads a scale with its items, and also uses that no count of
//! favourable answers is negative or above the answers given, must learn nothing about a
//! small group of one measure that the measure's own shown cells and those same bounds do
//! not give. Checked here with integer programs over every atom's favourable answers,
//! written from the sheets and the released statuses, not with the engine's suppressor or
//! auditor.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use microlp::{ComparisonOp, OptimizationDirection, Problem, Variable};
use proptest::prelude::*;
use survey_engine::disclosure::{CellKey, CellStatus, Placement};
use survey_engine::org::OrgTree;
use survey_engine::release::{PlacedSheet, Release};
use survey_engine::testing::Rng;
use survey_engine::Instrument;

use super::cross_measure::{atoms_in, atoms_of, case, random_case, sheet, MINI};

/// What a reader of favourable answers faces in one scale's family (measure 0 the scale,
/// then its items in instrument order), per atom (the sheets of one unit with one
/// combination of attribute values).
struct Family {
    /// Per measure and atom: answers given (a favourable count lies from 0 to this).
    answers: Vec<Vec<u32>>,
    /// Per measure and atom: favourable answers (the truth the reader is after).
    favourable: Vec<Vec<u32>>,
    /// Per measure: the atoms of each cell it shows with an exact favourable figure.
    shown: Vec<Vec<Vec<usize>>>,
    /// Per measure: the small groups it hides, each as (what it is, its atoms): cells, and a
    /// unit's own members, with 1 to k - 1 respondents of the measure.
    small: Vec<Vec<(String, Vec<usize>)>>,
}

/// The fewest and the most favourable answers a group can hold.
type Range = (i64, i64);

/// How a reader reads a family for one measure's group.
#[derive(Clone, Copy, PartialEq)]
enum Reading {
    /// The measure's own shown cells.
    Alone,
    /// Every measure's shown cells, the scale's favourable answers being its items' (both
    /// count only people with a score on the scale).
    Together,
    /// As `Together`, but without the measure's own shown cells.
    Others,
}

/// A small group the family pins where its own measure does not.
#[derive(Debug, PartialEq)]
struct Narrowed {
    /// 0 the scale, then its items in instrument order.
    measure: usize,
    group: String,
    alone: Range,
    together: Range,
}

impl Family {
    fn new(
        instrument: &Instrument,
        release: &Release,
        sheets: &[PlacedSheet],
        scale: usize,
    ) -> Self {
        let items = instrument.scale_items(scale);
        let atoms = atoms_of(sheets);
        let atom_of = |p: &Placement| atoms.iter().position(|a| *a == p).unwrap();
        let measures = 1 + items.len();
        let mut answers = vec![vec![0u32; atoms.len()]; measures];
        let mut favourable = answers.clone();
        let mut respondents = answers.clone();
        for s in sheets {
            let a = atom_of(&s.placement);
            // Someone without a score on the scale counts for neither it nor its items.
            let Some(score) = s.scores.scales[scale] else {
                continue;
            };
            answers[0][a] += score.answered;
            favourable[0][a] += score.favorable;
            respondents[0][a] += 1;
            for (m, &i) in items.iter().enumerate() {
                if let Some(v) = s.answers[i] {
                    answers[m + 1][a] += 1;
                    respondents[m + 1][a] += 1;
                    favourable[m + 1][a] +=
                        u32::from(instrument.is_favorable(scale, instrument.keyed(i, v)));
                }
            }
        }
        let cells = release.layout.cells();
        let tree = &release.layout.tree;
        let atoms_in = |key: CellKey| atoms_in(release, &atoms, key);
        let hidden = |m: usize, c: usize| match m {
            0 => release.heat[scale][c].status.is_hidden(),
            m => release.items[items[m - 1]].status[c].is_hidden(),
        };
        let exact = |m: usize, c: usize| match m {
            0 => release.heat[scale][c]
                .stats
                .is_some_and(|st| st.favorable_pct.is_some()),
            m => release
                .item_cell(items[m - 1], cells[c])
                .and_then(|cell| cell.counts)
                .is_some_and(|counts| survey_engine::bands::distribution_bands(counts).is_none()),
        };
        let k = release.k as u32;
        let mut shown = vec![Vec::new(); measures];
        let mut small = vec![Vec::new(); measures];
        for m in 0..measures {
            let count = |group: &[usize]| group.iter().map(|&a| respondents[m][a]).sum::<u32>();
            for (c, &key) in cells.iter().enumerate() {
                let group = atoms_in(key);
                if exact(m, c) {
                    shown[m].push(group);
                } else if hidden(m, c) && (1..k).contains(&count(&group)) {
                    let label =
                        format!("{} {}", release.tree.path(key.unit), release.cut_label(key));
                    small[m].push((label.trim_end().to_string(), group));
                }
            }
            for unit in 0..tree.len() {
                let own: Vec<usize> = (0..atoms.len())
                    .filter(|&a| atoms[a].unit == unit)
                    .collect();
                if !tree.children(unit).is_empty() && (1..k).contains(&count(&own)) {
                    small[m].push((format!("{}'s own members", release.tree.path(unit)), own));
                }
            }
        }
        Family {
            answers,
            favourable,
            shown,
            small,
        }
    }

    /// The fewest and the most favourable answers of measure `m` that `group` can hold, as
    /// `reading` reads the family.
    fn range(&self, m: usize, group: &[usize], reading: Reading) -> Range {
        let together = reading != Reading::Alone;
        let atoms = self.answers.first().map_or(0, Vec::len);
        let solve = |direction| {
            let mut problem = Problem::new(direction);
            let vars: Vec<Vec<Option<Variable>>> = (0..self.answers.len())
                .map(|mm| {
                    (0..atoms)
                        .map(|a| {
                            (together || mm == m).then(|| {
                                let aim = f64::from(u8::from(mm == m && group.contains(&a)));
                                problem.add_integer_var(aim, (0, self.answers[mm][a] as i32))
                            })
                        })
                        .collect()
                })
                .collect();
            for (mm, cells) in self.shown.iter().enumerate() {
                if reading == Reading::Others && mm == m {
                    continue;
                }
                for cell in cells {
                    let Some(terms) = cell
                        .iter()
                        .map(|&a| vars[mm][a].map(|v| (v, 1.0)))
                        .collect::<Option<Vec<_>>>()
                    else {
                        continue;
                    };
                    let truth: u32 = cell.iter().map(|&a| self.favourable[mm][a]).sum();
                    problem.add_constraint(terms, ComparisonOp::Eq, f64::from(truth));
                }
            }
            if together {
                for a in 0..atoms {
                    let link: Vec<(Variable, f64)> = vars
                        .iter()
                        .enumerate()
                        .filter_map(|(mm, per)| {
                            let v = per.get(a).copied().flatten()?;
                            Some((v, if mm == 0 { 1.0 } else { -1.0 }))
                        })
                        .collect();
                    problem.add_constraint(link, ComparisonOp::Eq, 0.0);
                }
            }
            let solution = problem.solve().expect("the true answers are a solution");
            solution.objective().round() as i64
        };
        (
            solve(OptimizationDirection::Minimize),
            solve(OptimizationDirection::Maximize),
        )
    }

    /// Every small group whose favourable answers the whole family pins to one figure where
    /// its own measure leaves them open.
    ///
    /// A group the family narrows without pinning it is not counted: where every answerer of
    /// a large shown cell answered an item favourably, so did every member of a small group
    /// inside it, and the scale's favourable answers of that group are then at least that
    /// many, which the scale alone does not say. Such a bound comes from a large group's
    /// figure. For the same reason a scale's group that its items pin without the scale's
    /// own cells is not counted: where no one in a large cell answered any of the items
    /// favourably, no one in a small group inside it did, on the items or on the scale.
    fn pinned(&self) -> Vec<Narrowed> {
        let mut out = Vec::new();
        for (m, groups) in self.small.iter().enumerate() {
            for (label, group) in groups {
                let alone = self.range(m, group, Reading::Alone);
                let together = self.range(m, group, Reading::Together);
                let point = |r: Range| r.0 == r.1;
                if point(together)
                    && !point(alone)
                    && !(m == 0 && point(self.range(m, group, Reading::Others)))
                {
                    out.push(Narrowed {
                        measure: m,
                        group: label.clone(),
                        alone,
                        together,
                    });
                }
            }
        }
        out
    }
}

/// A review's case (docs/privacy.md D8): k = 5, teams T of 5, U of 5 and V of 6 under P. In T
/// one person skipped the first workload item and the other four answered it favourably; in T
/// and U nobody answered the other two items favourably. The scale shows T (n = 5, 4
/// favourable of 14 answers). When the items hid only T and U, P less V showed no favourable
/// answer to the other two items in T and U, so all four favourable answers in T were the
/// first item's: all who answered it in T did so favourably. The skipper is the only partial
/// answerer of the workload questions, so the items now show no cell that holds them (P and
/// the root included), and the family read with bounds pins nothing.
#[test]
fn a_scale_shown_where_an_item_is_small_gives_the_item_away_through_bounds() {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Org").unwrap();
    tree.insert("Org/P").unwrap();
    let teams = ["Org/P/T", "Org/P/U", "Org/P/V"].map(|t| tree.insert(t).unwrap());
    // Workload's answers in T and U: wl2 is reverse keyed, so 3 to 5 are not favourable,
    // and wl3's 1 to 3 are not either. The other scales' answers vary at random.
    let workload: [[[Option<i32>; 5]; 3]; 2] = [
        [
            [None, Some(5), Some(5), Some(5), Some(5)],
            [Some(3), Some(4), Some(5), Some(3), Some(4)],
            [Some(1), Some(2), Some(3), Some(2), Some(1)],
        ],
        [
            [Some(4), Some(4), Some(5), Some(5), Some(3)],
            [Some(5), Some(4), Some(3), Some(4), Some(5)],
            [Some(2), Some(3), Some(1), Some(3), Some(2)],
        ],
    ];
    let mut rng = Rng(3);
    let mut sheets = Vec::new();
    for (t, (team, size)) in teams.iter().zip([5, 5, 6]).enumerate() {
        for person in 0..size {
            let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|_| Some(1 + rng.next(5) as i32))
                .collect();
            if let Some(items) = workload.get(t) {
                for (i, answer) in items.iter().enumerate() {
                    answers[i] = answer[person];
                }
            }
            sheets.push(sheet(&instrument, *team, vec![], answers));
        }
    }
    let release = Release::build(&instrument, tree, vec![], &sheets, 5, "W").unwrap();
    let family = Family::new(&instrument, &release, &sheets, 0);
    let t = "Org/P/T";
    assert!(
        family.small[1].iter().any(|(label, _)| label == t),
        "the first item hides T: {:?}",
        family.small[1]
    );
    assert_eq!(
        family.pinned(),
        vec![],
        "the workload family read with bounds"
    );
    assert_eq!(
        release.heat[0][whole_cell(&release, teams[0])].status,
        CellStatus::Shown
    );
    for unit in [0, 1] {
        assert!(release.items[0].status[whole_cell(&release, unit)].is_hidden());
    }
}

fn whole_cell(release: &Release, unit: usize) -> usize {
    release.layout.cell_index(CellKey { unit, cut: None })
}

/// Teams A, B and C of `size` under Org on the mini instrument, every answer drawn from
/// `seed`, then changed by `tweak(team, person, answers)`; and their release with k = 5.
fn three_teams(
    size: usize,
    seed: u64,
    tweak: impl Fn(usize, usize, &mut [Option<i32>]),
) -> (Instrument, [usize; 3], Vec<PlacedSheet>, Release) {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Org").unwrap();
    let teams = ["Org/A", "Org/B", "Org/C"].map(|t| tree.insert(t).unwrap());
    let mut rng = Rng(seed);
    let mut sheets = Vec::new();
    for (t, team) in teams.iter().enumerate() {
        for person in 0..size {
            let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|_| Some(1 + rng.next(5) as i32))
                .collect();
            tweak(t, person, &mut answers);
            sheets.push(sheet(&instrument, *team, vec![], answers));
        }
    }
    let release = Release::build(&instrument, tree, vec![], &sheets, 5, "W").unwrap();
    (instrument, teams, sheets, release)
}

/// Three teams of 8; in team A one person skipped the second workload question. Their
/// workload score is the mean of the two they answered, so three times the team's scale sum
/// (its 2-decimal mean times 8) less the three items' sums is their score to within
/// 3 x 8 x 0.005 = 0.12, and a mean of two answers is a multiple of 0.5: it would be given
/// back exactly. The same holds at the root, where they are the only one to skip. So the
/// items show no cell that holds them while the scale shows the workload means.
#[test]
fn a_lone_skipper_s_score_is_not_given_back_by_the_scale_and_its_items() {
    let (instrument, teams, sheets, release) = three_teams(8, 11, |t, person, answers| {
        if t == 0 && person == 0 {
            answers[1] = None;
        }
    });
    let skipper = sheets[0].scores.scales[0].unwrap();
    assert_eq!(skipper.answered, 2);
    for key in [
        CellKey { unit: 0, cut: None },
        CellKey {
            unit: teams[0],
            cut: None,
        },
    ] {
        let cell = release.layout.cell_index(key);
        let scale = release.heat[0][cell];
        assert_eq!(
            scale.status,
            CellStatus::Shown,
            "the scale is shown in {key:?}"
        );
        let n = scale.stats.unwrap().n as f64;
        let mean = (scale.stats.unwrap().mean.unwrap() * 100.0).round() / 100.0;
        // What the reader would compute, had the items been shown: the skipper's score.
        let sums: Vec<f64> = (0..3)
            .map(|i| {
                sheets
                    .iter()
                    .filter(|s| {
                        release
                            .layout
                            .tree
                            .is_ancestor_or_self(key.unit, s.placement.unit)
                    })
                    .filter_map(|s| s.answers[i])
                    .map(|v| f64::from(instrument.keyed(i, v)))
                    .sum()
            })
            .collect();
        let worked_out = 3.0 * n * mean - sums.iter().sum::<f64>();
        assert!(
            (worked_out - skipper.score).abs() <= 3.0 * n * 0.005 + 1e-9,
            "{worked_out} against {}",
            skipper.score
        );
        for i in 0..3 {
            assert!(
                release.items[i].status[cell].is_hidden(),
                "item {i} is hidden in {key:?}, where the skipper is the only one"
            );
        }
    }
    // The two teams without a skipper show every item.
    for team in &teams[1..] {
        let cell = release.layout.cell_index(CellKey {
            unit: *team,
            cut: None,
        });
        for i in 0..3 {
            assert_eq!(release.items[i].status[cell], CellStatus::Shown);
        }
    }
    let findings = release.audit(&sheets).unwrap();
    assert_eq!(
        findings,
        vec![],
        "the release's own auditor, partial answerers included"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random organisations ([`case`]): for every scale of several questions, its shown cells
    /// (everyone with a score) read with the cells where its questions are shown too (there
    /// its partial answerers, with a score and a skipped question, and its complete
    /// answerers apart) leave no set of 1 to k - 1 of its people to be worked out by adding
    /// and subtracting, by the exact auditor over those rows, written here from the sheets.
    /// (Someone without a score counts for neither the scale nor its questions.)
    #[test]
    fn no_scale_read_with_its_items_gives_its_partial_answerers_away(case in case()) {
        let (instrument, release, sheets) = random_case(&case);
        let cells = release.layout.cells();
        let tree = &release.layout.tree;
        let holds = |key: CellKey, s: &PlacedSheet| {
            tree.is_ancestor_or_self(key.unit, s.placement.unit)
                && key.cut.is_none_or(|(a, v)| s.placement.values[a] == Some(v))
        };
        for scale in 0..instrument.scales.len() {
            let items = instrument.scale_items(scale);
            if items.len() < 2 {
                continue;
            }
            let answered = |s: &PlacedSheet| items.iter().filter(|&&i| s.answers[i].is_some()).count();
            // Per released figure: its cell, and whether it holds only those who answered
            // every question (`Some(true)`), only those who skipped one, or both.
            let mut rows: Vec<(CellKey, Option<bool>)> = Vec::new();
            for (c, &key) in cells.iter().enumerate() {
                if release.heat[scale][c].status != CellStatus::Shown {
                    continue;
                }
                rows.push((key, None));
                if items.iter().all(|&i| release.items[i].status[c] == CellStatus::Shown) {
                    rows.extend([(key, Some(true)), (key, Some(false))]);
                }
            }
            let rows_of: Vec<Vec<usize>> = sheets
                .iter()
                .map(|s| match s.scores.scales[scale] {
                    Some(_) => (0..rows.len())
                        .filter(|&r| {
                            let (key, complete) = rows[r];
                            holds(key, s) && complete.is_none_or(|c| c == (answered(s) == items.len()))
                        })
                        .collect(),
                    None => Vec::new(),
                })
                .collect();
            let breaches = survey_engine::disclosure::audit_rows(&rows_of, rows.len(), release.k);
            prop_assert!(breaches.is_empty(), "scale {}: {:?}", scale, breaches);
        }
    }
}

/// Three teams of 6, nobody skipping; in team A five answered the first workload question 1
/// and one answered 2, which a question shows as "all or nearly all" for answer 1 (D9). With
/// the workload scale's mean shown in A, three times its sum less the other two questions'
/// sums is the first question's sum, 7, to within 3 x 6 x 0.005: the band would be given
/// back (a sum of 6 would tell that all six answered 1). So the workload questions hide A,
/// and its mean stays.
#[test]
fn a_question_answered_alike_is_not_given_back_by_its_scale_less_its_other_questions() {
    let (_, teams, sheets, release) = three_teams(6, 5, |t, person, answers| {
        if t == 0 {
            answers[0] = Some(if person == 0 { 2 } else { 1 });
        }
    });
    let a = whole_cell(&release, teams[0]);
    let scale = release.heat[0][a];
    assert_eq!(scale.status, CellStatus::Shown);
    let stats = scale.stats.unwrap();
    assert_eq!(stats.n, 6);
    assert!(stats.mean.is_some());
    for i in 0..3 {
        assert!(
            release.items[i].status[a].is_hidden(),
            "workload question {i} in A"
        );
    }
    // Exhaustion's questions are not banded in A: they show.
    assert_eq!(release.items[3].status[a], CellStatus::Shown);
    assert_eq!(release.audit_alike(&sheets), vec![]);
    assert_eq!(release.audit(&sheets).unwrap(), vec![]);
}

/// A review's case: teams A, B and C of 10; in A one person answered only the first workload
/// question, favourably (a 5), too few for a score. When the questions counted that answer
/// and the scale did not, A's workload showed n = 9 and a favourable % that only 13 of 23
/// answers give, its questions 14 favourable of 24: exactly one person in A had answered
/// without a score, favourably (the root gave the same). Now a question counts only those
/// with a score on its scale: the questions show A and the root, each with A's nine people
/// with a score, and their favourable answers are the scale's, so nothing is left over.
#[test]
fn an_answer_without_a_score_counts_for_no_question() {
    let (instrument, teams, sheets, release) = three_teams(10, 11, |t, person, answers| {
        if t == 0 && person == 4 {
            answers[0] = Some(5);
            answers[1] = None;
            answers[2] = None;
        }
    });
    assert_eq!(sheets[4].scores.scales[0], None);
    let cells = release.layout.cells();
    for (unit, people) in [(teams[0], 9), (0, 29)] {
        let cell = whole_cell(&release, unit);
        let scale = release.heat[0][cell];
        assert_eq!(scale.status, CellStatus::Shown);
        let stats = scale.stats.unwrap();
        assert_eq!(stats.n, people);
        let mut favourable = 0;
        for i in 0..3 {
            let counts = release.item_cell(i, cells[cell]).unwrap().counts;
            let counts = counts.unwrap_or_else(|| panic!("workload question {i} hidden"));
            assert_eq!(counts.iter().sum::<u64>(), people, "workload question {i}");
            favourable += counts
                .iter()
                .enumerate()
                .filter(|(p, _)| instrument.is_favorable(0, instrument.keyed(i, *p as i32 + 1)))
                .map(|(_, c)| c)
                .sum::<u64>();
        }
        let pct = stats.favorable_pct.unwrap();
        let answers = 3.0 * people as f64;
        assert!(
            (pct - 100.0 * favourable as f64 / answers).abs() < 0.006,
            "{pct}% of {answers} answers, the questions' {favourable}"
        );
    }
    assert_eq!(release.audit(&sheets).unwrap(), vec![]);
}

/// A review's case (docs/privacy.md D8): k = 3, one unit of nine people with a score on
/// efficacy (two questions), four of them at site X: the three who answered both questions
/// and one who answered only the first; the other five, at no site, answered one question
/// each. The organisation's partial answerers (six) and complete answerers (three) are each
/// safe where efficacy and its questions show, and X holds one partial answerer, so its
/// questions hide there while its scale shows (n = 4). But X holds every complete answerer:
/// X's scale sum less the organisation's complete answerers' (from its scale and its
/// questions) was the lone partial answerer's score. Read as one system, the questions hide
/// at the organisation instead, and the scale shows in both.
#[test]
fn a_cut_that_shows_only_the_scale_does_not_give_its_lone_skipper_away() {
    let instrument = Instrument::parse(MINI).unwrap();
    let efficacy = instrument
        .scales
        .iter()
        .position(|s| s.id == "efficacy")
        .unwrap();
    let questions = instrument.scale_items(efficacy).to_vec();
    assert_eq!(questions.len(), 2);
    let tree = OrgTree::new("Org").unwrap();
    let site = survey_engine::release::Attribute {
        name: "site".into(),
        values: vec!["X".into()],
    };
    let mut sheets = Vec::new();
    for person in 0..9usize {
        let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
            .map(|i| Some(1 + ((person * 3 + i * 2) % 5) as i32))
            .collect();
        if person >= 3 {
            // Answered one of the two: the first at X, either elsewhere.
            answers[questions[usize::from(person != 3 && person % 2 == 0)]] = None;
        }
        let values = vec![(person <= 3).then_some(0)];
        sheets.push(sheet(&instrument, 0, values, answers));
    }
    let release = Release::build(&instrument, tree, vec![site], &sheets, 3, "W").unwrap();
    let org = CellKey { unit: 0, cut: None };
    let x = CellKey {
        unit: 0,
        cut: Some((0, 0)),
    };
    let cell = |key: CellKey| release.layout.cell_index(key);
    for (key, n) in [(org, 9), (x, 4)] {
        let scale = release.heat[efficacy][cell(key)];
        assert_eq!(scale.status, CellStatus::Shown, "{key:?}");
        assert_eq!(scale.stats.unwrap().n, n, "{key:?}");
        for &q in &questions {
            assert!(
                release.items[q].status[cell(key)].is_hidden(),
                "{} at {key:?}",
                instrument.items[q].id
            );
        }
    }
    // The other scales, which nobody skipped, keep their questions.
    assert_eq!(release.items[0].status[cell(org)], CellStatus::Shown);
    assert_eq!(release.audit(&sheets).unwrap(), vec![]);
}
