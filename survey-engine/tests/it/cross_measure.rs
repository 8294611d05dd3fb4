//! D4 across measures (D8): a scale's favourable answers are its items' favourable answers
//! added up, for every atom whose item answerers all have a score on the scale. A reader who
//! reads a scale and its items together must learn nothing about any one of them that its own
//! shown cells do not give. Checked here by linear algebra over the family's figures, written
//! from the sheets and the statuses, not with the engine's suppressor or auditor.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use survey_engine::disclosure::{
    CellKey, CellStatus, CountGroup, CountModel, Invited, Placement, Sibling, SwapHints, Within,
};
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Protection, Release};
use survey_engine::testing::Rng;
use survey_engine::Instrument;

pub const MINI: &str = include_str!("../../../server/tests/fixtures/mini.toml");

/// 2^61 - 1, a prime: ranks are taken modulo it.
pub const PRIME: u64 = (1 << 61) - 1;

pub fn mul(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(PRIME)) as u64
}

pub fn inverse(a: u64) -> u64 {
    // Fermat: a^(p-2).
    let (mut base, mut exp, mut out) = (a, PRIME - 2, 1);
    while exp > 0 {
        if exp & 1 == 1 {
            out = mul(out, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    out
}

/// The rank of `rows` modulo [`PRIME`]. That is the rank over the rationals unless the prime
/// divides every minor of that size, a chance of the order of 2^-61 for these 0/±1 matrices.
fn rank(mut rows: Vec<Vec<u64>>) -> usize {
    let columns = rows.first().map_or(0, Vec::len);
    let mut rank = 0;
    for column in 0..columns {
        let Some(pivot) = (rank..rows.len()).find(|&r| rows[r][column] != 0) else {
            continue;
        };
        rows.swap(rank, pivot);
        let scale = inverse(rows[rank][column]);
        let pivot_row: Vec<u64> = rows[rank].iter().map(|&x| mul(x, scale)).collect();
        for row in rows.iter_mut().skip(rank + 1) {
            let factor = row[column];
            if factor != 0 {
                for (x, p) in row.iter_mut().zip(&pivot_row) {
                    *x = (*x + PRIME - mul(factor, *p)) % PRIME;
                }
            }
        }
        rank += 1;
    }
    rank
}

/// For `scale`'s family (the scale, then its items in instrument order): how many dimensions a
/// reader learns about each measure alone by reading every shown cell of the family together
/// with the family's exact per-atom sums, beyond what that measure's own shown cells give.
/// The unknowns are every atom's favourable answers of every measure of the family (an atom:
/// the sheets of one unit with one combination of attribute values).
fn extra_dimensions(
    instrument: &Instrument,
    release: &Release,
    sheets: &[PlacedSheet],
    scale: usize,
) -> Vec<usize> {
    let items = instrument.scale_items(scale);
    let mut atoms: Vec<&Placement> = sheets.iter().map(|s| &s.placement).collect();
    atoms.sort_by_key(|p| (p.unit, p.values.clone()));
    atoms.dedup();
    let cells = release.layout.cells();
    let inside = |c: usize, atom: &Placement| {
        let key = cells[c];
        release.layout.tree.is_ancestor_or_self(key.unit, atom.unit)
            && key.cut.is_none_or(|(a, v)| atom.values[a] == Some(v))
    };
    let status = |measure: usize, c: usize| match measure {
        0 => release.heat[scale][c].status,
        m => release.items[items[m - 1]].status[c],
    };
    let family = 1 + items.len();
    let width = family * atoms.len();
    // Each measure's shown cells, as rows over its own block of columns.
    let own_rows = |m: usize| -> Vec<Vec<u64>> {
        (0..cells.len())
            .filter(|&c| status(m, c) == CellStatus::Shown)
            .map(|c| {
                let mut row = vec![0; width];
                for (a, atom) in atoms.iter().enumerate() {
                    row[m * atoms.len() + a] = u64::from(inside(c, atom));
                }
                row
            })
            .collect()
    };
    let mut joint: Vec<Vec<u64>> = (0..family).flat_map(own_rows).collect();
    // The scale's favourable answers in an atom are its items' there, unless someone in it
    // answered some of the items without a score on the scale.
    for (a, atom) in atoms.iter().enumerate() {
        let exact = sheets.iter().filter(|s| &&s.placement == atom).all(|s| {
            s.scores.score(scale).is_some() || items.iter().all(|&i| s.answers[i].is_none())
        });
        if exact {
            let mut row = vec![0; width];
            row[a] = 1;
            for m in 1..family {
                row[m * atoms.len() + a] = PRIME - 1;
            }
            joint.push(row);
        }
    }
    let whole = rank(joint.clone());
    (0..family)
        .map(|m| {
            // What follows about measure m alone: the joint rows' span less its projection on
            // the other measures' columns.
            let others: Vec<Vec<u64>> = joint
                .iter()
                .map(|row| {
                    let mut row = row.clone();
                    row[m * atoms.len()..(m + 1) * atoms.len()].fill(0);
                    row
                })
                .collect();
            let alone = whole - rank(others);
            alone - rank(own_rows(m))
        })
        .collect()
}

pub fn sheet(
    instrument: &Instrument,
    unit: usize,
    values: Vec<Option<usize>>,
    answers: Vec<Option<i32>>,
) -> PlacedSheet {
    PlacedSheet {
        placement: Placement { unit, values },
        scores: instrument.score(&answers).unwrap(),
        answers,
    }
}

/// Three teams of 3, 6 and 6 under one parent, everybody answering every item, except one
/// person in the third team who skipped the scale's first item. The scale hides the team of
/// 3 and, as its complement, the second team; the first item, with one answerer fewer in the
/// third team, would hide the third instead. Then the scale's figure of the first two teams,
/// less the other items' figures of those two teams and the first item's shown second team,
/// is the first item's figure of the team of three.
#[test]
fn a_scale_and_its_items_read_together_leave_no_small_team_open() {
    let instrument = Instrument::parse(MINI).unwrap();
    let mut tree = OrgTree::new("Org").unwrap();
    tree.insert("Org/P").unwrap();
    let teams = ["Org/P/A", "Org/P/B", "Org/P/C"].map(|t| tree.insert(t).unwrap());
    let mut sheets = Vec::new();
    let mut next = 0i32;
    for (team, size) in teams.iter().zip([3, 6, 6]) {
        for person in 0..size {
            let mut answers: Vec<Option<i32>> = (0..instrument.items.len())
                .map(|_| {
                    next += 1;
                    Some(1 + (next * 7 % 5))
                })
                .collect();
            if *team == teams[2] && person == 0 {
                answers[0] = None;
            }
            sheets.push(sheet(&instrument, *team, vec![], answers));
        }
    }
    let release = Release::build(&instrument, tree, vec![], &sheets, 5, "W").unwrap();
    let workload = 0;
    assert_eq!(instrument.scale_items(workload), &[0, 1, 2]);
    assert_eq!(
        extra_dimensions(&instrument, &release, &sheets, workload),
        vec![0; 4],
        "the workload scale and its three items read together give more than each alone"
    );
    // The team of three shows nothing in any of them.
    let a = release
        .layout
        .cell_index(survey_engine::disclosure::CellKey {
            unit: teams[0],
            cut: None,
        });
    assert!(release.heat[workload][a].status.is_hidden());
    for i in 0..3 {
        assert!(release.items[i].status[a].is_hidden());
    }
}

/// A random organisation with skipped items (so a scale's and its items' answerers differ),
/// or, one time in five, without (every scale then has the same answerers, and shares the
/// first one's protection), with or without an attribute and the roster's invited counts, on
/// the mini instrument or the pulse.
#[derive(Debug, Clone)]
pub struct Case {
    parents: Vec<prop::sample::Index>,
    sizes: Vec<usize>,
    seed: u64,
    k: usize,
    /// One answer in `skip` is skipped ([`NO_SKIPS`]: none).
    skip: usize,
    with_attribute: bool,
    with_roster: bool,
    pulse: bool,
}

impl Case {
    /// The same case with a report attribute.
    pub fn with_an_attribute(&self) -> Case {
        Case {
            with_attribute: true,
            ..self.clone()
        }
    }
}

pub fn case() -> impl Strategy<Value = Case> {
    (2usize..9).prop_flat_map(|units| {
        (
            prop::collection::vec(any::<prop::sample::Index>(), units - 1),
            prop::collection::vec(prop_oneof![2 => 0usize..5, 3 => 5usize..12], units),
            any::<u64>(),
            3usize..6,
            prop_oneof![4 => 3usize..12, 1 => Just(NO_SKIPS)],
            any::<[bool; 3]>(),
        )
            .prop_map(
                |(parents, sizes, seed, k, skip, [with_attribute, with_roster, pulse])| Case {
                    parents,
                    sizes,
                    seed,
                    k,
                    skip,
                    with_attribute,
                    with_roster,
                    pulse,
                },
            )
    })
}

/// [`Case::skip`] for a case where nobody skips a question.
const NO_SKIPS: usize = 0;

/// The instrument, the release and the sheets of `case`.
pub fn random_case(case: &Case) -> (Instrument, Release, Vec<PlacedSheet>) {
    random_case_with_empty_units(case, 0)
}

/// [`random_case`] with `empty` units more below the root, after the case's own, where no one
/// answered: an organisation of the same people with as many more cells.
pub fn random_case_with_empty_units(
    case: &Case,
    empty: usize,
) -> (Instrument, Release, Vec<PlacedSheet>) {
    random_case_on(case, empty, Roster::OneMore)
}

/// How a case's roster invites, atom by atom: everyone who answered and one more, or
/// (`Tight`) everyone who answered and, by the case's seed, none or one more, so that many
/// atoms and cells answered in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Roster {
    OneMore,
    Tight,
}

/// The invited counts of `case`'s roster ([`Roster`]) for its `sheets`.
pub fn roster_of(case: &Case, sheets: &[PlacedSheet], roster: Roster) -> Invited {
    let mut more = Rng(case.seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut atoms: Vec<(Placement, u64)> = Vec::new();
    for s in sheets {
        match atoms.iter_mut().find(|(p, _)| *p == s.placement) {
            Some((_, n)) => *n += 1,
            None => {
                let more = match roster {
                    Roster::OneMore => 1,
                    Roster::Tight => more.next(2) as u64,
                };
                atoms.push((s.placement.clone(), 1 + more));
            }
        }
    }
    Invited { atoms }
}

/// [`random_case_with_empty_units`] on the given roster (used when the case has one).
pub fn random_case_on(
    case: &Case,
    empty: usize,
    roster: Roster,
) -> (Instrument, Release, Vec<PlacedSheet>) {
    // The pulse has scales of one and of two questions; the mini scales of three.
    let instrument = match case.pulse {
        true => builtin("worklife-pulse"),
        false => Instrument::parse(MINI).unwrap(),
    };
    random_case_with(instrument, case, empty, roster)
}

/// A built-in instrument.
fn builtin(id: &str) -> Instrument {
    survey_engine::instrument::builtin::load(id)
        .unwrap()
        .unwrap()
}

/// [`random_case_on`] with `instrument`.
fn random_case_with(
    instrument: Instrument,
    case: &Case,
    empty: usize,
    roster: Roster,
) -> (Instrument, Release, Vec<PlacedSheet>) {
    // Unit i + 1 hangs below one of the units before it.
    let mut tree = OrgTree::new("Org").unwrap();
    let mut paths = vec!["Org".to_string()];
    for (i, p) in case.parents.iter().enumerate() {
        paths.push(format!("{}/u{}", paths[p.index(i + 1)], i + 1));
        assert_eq!(tree.insert(&paths[i + 1]).unwrap(), i + 1);
    }
    for e in 0..empty {
        tree.insert(&format!("Org/empty{e}")).unwrap();
    }
    let mut rng = Rng(case.seed);
    let mut sheets = Vec::new();
    for (unit, &size) in case.sizes.iter().enumerate() {
        for _ in 0..size {
            let answers = (0..instrument.items.len())
                .map(|_| {
                    let answered = case.skip == NO_SKIPS || rng.next(case.skip) != 0;
                    answered.then(|| 1 + rng.next(5) as i32)
                })
                .collect();
            let values = match case.with_attribute {
                true => vec![Some(rng.next(2))],
                false => vec![],
            };
            sheets.push(sheet(&instrument, unit, values, answers));
        }
    }
    let attributes = if case.with_attribute {
        vec![Attribute {
            name: "site".into(),
            values: vec!["x".into(), "y".into()],
        }]
    } else {
        vec![]
    };
    let invited = roster_of(case, &sheets, roster);
    let protection = Protection {
        invited: case.with_roster.then_some(&invited),
        ..Protection::default()
    };
    let release = Release::build_for_roster(
        &instrument,
        tree,
        attributes,
        &sheets,
        protection,
        case.k,
        "W",
    )
    .unwrap();
    (instrument, release, sheets)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random organisations ([`case`]): for every scale, the scale and its items read
    /// together give a reader who adds and subtracts nothing about any one of them beyond
    /// its own shown cells.
    #[test]
    fn no_scale_read_with_its_items_gives_more_than_each_alone(case in case()) {
        let (instrument, release, sheets) = random_case(&case);
        for scale in 0..instrument.scales.len() {
            let extra = extra_dimensions(&instrument, &release, &sheets, scale);
            prop_assert!(extra.iter().all(|&d| d == 0), "scale {}: {:?}", scale, extra);
        }
    }
}

/// The atoms of `sheets` (their distinct placements), in unit and value order.
pub fn atoms_of(sheets: &[PlacedSheet]) -> Vec<&Placement> {
    let mut atoms: Vec<&Placement> = sheets.iter().map(|s| &s.placement).collect();
    atoms.sort_by_key(|p| (p.unit, p.values.clone()));
    atoms.dedup();
    atoms
}

/// The atoms (by their place in `atoms`) that the cell `key` of `release` holds.
pub fn atoms_in(release: &Release, atoms: &[&Placement], key: CellKey) -> Vec<usize> {
    let tree = &release.layout.tree;
    (0..atoms.len())
        .filter(|&a| {
            tree.is_ancestor_or_self(key.unit, atoms[a].unit)
                && key.cut.is_none_or(|(at, v)| atoms[a].values[at] == Some(v))
        })
        .collect()
}

/// Invited per atom of `atoms`, as `roster` invites.
fn invited_per_atom(atoms: &[&Placement], roster: &Invited) -> Vec<u64> {
    let invited = |a: &Placement| roster.atoms.iter().find(|(p, _)| p == a).map(|x| x.1);
    atoms.iter().map(|a| invited(a).unwrap_or(0)).collect()
}

/// [`random_case`] with its roster (one more invited per atom), and the invited count per
/// atom of [`atoms_of`] its sheets.
fn random_case_with_roster(case: Case) -> (Instrument, Release, Vec<PlacedSheet>, Vec<u64>) {
    let case = Case {
        with_roster: true,
        ..case
    };
    let (instrument, release, sheets) = random_case(&case);
    let roster = roster_of(&case, &sheets, Roster::OneMore);
    let invited = invited_per_atom(&atoms_of(&sheets), &roster);
    (instrument, release, sheets, invited)
}

/// Per atom of `atoms`, how many of `sheets` are `counted`.
fn per_atom(
    atoms: &[&Placement],
    sheets: &[PlacedSheet],
    counted: impl Fn(&PlacedSheet) -> bool,
) -> Vec<u64> {
    let mut n = vec![0u64; atoms.len()];
    for s in sheets.iter().filter(|s| counted(s)) {
        n[atoms.iter().position(|a| **a == s.placement).unwrap()] += 1;
    }
    n
}

/// Scale `s`'s shown counts: each shown cell's atoms and respondents.
fn scale_counts(release: &Release, atoms: &[&Placement], s: usize) -> Vec<(Vec<usize>, u64)> {
    release
        .layout
        .cells()
        .into_iter()
        .zip(&release.heat[s])
        .filter_map(|(key, cell)| Some((atoms_in(release, atoms, key), cell.stats?.n)))
        .collect()
}

/// The fewest and the most of one measure's respondents (`counts`, per atom a variable from
/// 0 to its invited count) a group of atoms can hold, with integer programs over the shown
/// counts of that measure (`shown`: each cell's atoms and count); with `answered`, also over
/// the shown counts of everyone who answered (a variable per atom too, from 0 to the invited
/// count) and, per atom, the measure's respondents at most those who answered.
fn count_range(
    invited: &[u64],
    shown: &[(Vec<usize>, u64)],
    answered: Option<&[(Vec<usize>, u64)]>,
    group: &[usize],
) -> (i64, i64) {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let bound = |a: usize| (0, i32::try_from(invited[a]).unwrap());
    let solve = |direction| {
        let mut problem = Problem::new(direction);
        let counts: Vec<_> = (0..invited.len())
            .map(|a| problem.add_integer_var(f64::from(u8::from(group.contains(&a))), bound(a)))
            .collect();
        for (cell, n) in shown {
            let terms: Vec<_> = cell.iter().map(|&a| (counts[a], 1.0)).collect();
            problem.add_constraint(terms, ComparisonOp::Eq, *n as f64);
        }
        if let Some(answered) = answered {
            let all: Vec<_> = (0..invited.len())
                .map(|a| problem.add_integer_var(0.0, bound(a)))
                .collect();
            for (count, all) in counts.iter().zip(&all) {
                problem.add_constraint([(*count, 1.0), (*all, -1.0)], ComparisonOp::Le, 0.0);
            }
            for (cell, n) in answered {
                let terms: Vec<_> = cell.iter().map(|&a| (all[a], 1.0)).collect();
                problem.add_constraint(terms, ComparisonOp::Eq, *n as f64);
            }
        }
        let solution = problem.solve().expect("the true counts are a solution");
        solution.objective().round() as i64
    };
    (
        solve(OptimizationDirection::Minimize),
        solve(OptimizationDirection::Maximize),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// P1 across measures (docs/privacy.md D7, "Counts of different measures"): everyone who
    /// answered includes every scale's respondents, so a reader who knows the roster reads a
    /// scale's hidden count as at most the count of everyone who answered, group by group.
    /// Random organisations ([`case`], with the roster): for every hidden cell of every scale
    /// with 1 to k - 1 respondents, integer programs over the scale's shown counts and those
    /// of everyone who answered, per atom, leave its count open wherever the scale's own
    /// counts do. (With the count of everyone who answered kept for every cut too, this
    /// pinned a group in about one organisation in ten; the release keeps it for whole units.)
    #[test]
    fn no_scale_count_is_pinned_by_the_count_of_everyone_who_answered(case in case()) {
        let (instrument, release, sheets, invited) = random_case_with_roster(case);
        let atoms = atoms_of(&sheets);
        let cells = release.layout.cells();
        let atoms_in = |key: CellKey| atoms_in(&release, &atoms, key);
        let answered: Vec<(Vec<usize>, u64)> = cells
            .iter()
            .zip(&release.answered)
            .filter_map(|(&key, n)| Some((atoms_in(key), (*n)?)))
            .collect();
        for s in 0..instrument.scales.len() {
            let truth = per_atom(&atoms, &sheets, |x| x.scores.scales[s].is_some());
            let shown = scale_counts(&release, &atoms, s);
            for (&key, cell) in cells.iter().zip(&release.heat[s]) {
                let group = atoms_in(key);
                let n: u64 = group.iter().map(|&a| truth[a]).sum();
                if !cell.status.is_hidden() || !(1..release.k as u64).contains(&n) {
                    continue;
                }
                let alone = count_range(&invited, &shown, None, &group);
                let together = count_range(&invited, &shown, Some(&answered), &group);
                prop_assert!(
                    together.0 < together.1 || alone.0 == alone.1,
                    "{} {} (scale {s}): {n} respondents, {alone:?} from the scale's counts, {together:?} with everyone who answered",
                    release.tree.path(key.unit),
                    release.cut_label(key)
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// P1 across a scale and its questions (docs/privacy.md D7, "Counts of different
    /// measures"): a question counts only the scale's respondents who answered it, so a
    /// reader who knows the roster reads a question's hidden count as at most the scale's,
    /// atom by atom. Random organisations ([`case`], with the roster): for every hidden cell
    /// of every question with 1 to k - 1 respondents, integer programs over the question's
    /// shown counts and the scale's leave its count open wherever the question's own counts
    /// do.
    #[test]
    fn no_question_count_is_pinned_by_its_scale_s_counts(case in case()) {
        let (instrument, release, sheets, invited) = random_case_with_roster(case);
        let atoms = atoms_of(&sheets);
        let cells = release.layout.cells();
        let atoms_in = |key: CellKey| atoms_in(&release, &atoms, key);
        for (i, item) in instrument.items.iter().enumerate() {
            let s = item.scale;
            let scale = scale_counts(&release, &atoms, s);
            let shown: Vec<(Vec<usize>, u64)> = cells
                .iter()
                .filter_map(|&key| {
                    let counts = release.item_cell(i, key)?.counts?;
                    Some((atoms_in(key), counts.iter().sum()))
                })
                .collect();
            let truth = per_atom(&atoms, &sheets, |x| {
                x.scores.scales[s].is_some() && x.answers[i].is_some()
            });
            for &key in &cells {
                let group = atoms_in(key);
                let n: u64 = group.iter().map(|&a| truth[a]).sum();
                let hidden = release.item_cell(i, key).is_none_or(|c| c.status.is_hidden());
                if !hidden || !(1..release.k as u64).contains(&n) {
                    continue;
                }
                let alone = count_range(&invited, &shown, None, &group);
                let together = count_range(&invited, &shown, Some(&scale), &group);
                prop_assert!(
                    together.0 < together.1 || alone.0 == alone.1,
                    "{} {} (question {}): {n} respondents, {alone:?} from its own counts, {together:?} with its scale's",
                    release.tree.path(key.unit),
                    release.cut_label(key),
                    item.id
                );
            }
        }
    }
}

/// Every roster group P1 protects, with its atoms (by their place in `atoms`): each cell, and
/// each unit's direct members, whole and per attribute value.
fn roster_groups(release: &Release, atoms: &[&Placement]) -> Vec<(CountGroup, Vec<usize>)> {
    let mut groups = Vec::new();
    for key in release.layout.cells() {
        let cell = CountGroup {
            unit: key.unit,
            cut: key.cut,
            direct: false,
        };
        groups.push((cell, atoms_in(release, atoms, key)));
        let direct: Vec<usize> = (0..atoms.len())
            .filter(|&a| {
                atoms[a].unit == key.unit
                    && key.cut.is_none_or(|(at, v)| atoms[a].values[at] == Some(v))
            })
            .collect();
        groups.push((
            CountGroup {
                direct: true,
                ..cell
            },
            direct,
        ));
    }
    groups
}

/// A scale and all its questions as a reader who knows the roster and the scoring rule reads
/// their shown counts: per atom, a scale count from 0 to the invited count, and per question
/// a count at most the scale's, the questions' counts adding up to at least `least` (the
/// fewest answers a score needs) times the scale's. Those per-atom sums are all the rule
/// says: any counts within them can be dealt out to people, each answering at least `least`
/// questions.
struct FamilyCounts<'a> {
    invited: &'a [u64],
    least: usize,
    /// Shown cells (atoms, count): the scale's, then each question's.
    shown: Vec<Vec<(Vec<usize>, u64)>>,
}

impl FamilyCounts<'_> {
    /// Whether the count of measure `m` (0: the scale, 1 + j: question j) in the group of
    /// `atoms`, truly `truth`, is the only one the shown counts allow.
    fn pins(&self, m: usize, atoms: &[usize], truth: u64) -> bool {
        use microlp::{ComparisonOp, OptimizationDirection, Problem};
        let solve = |direction| {
            let mut problem = Problem::new(direction);
            let vars: Vec<Vec<_>> = (0..self.shown.len())
                .map(|measure| {
                    (0..self.invited.len())
                        .map(|a| {
                            let counted = measure == m && atoms.contains(&a);
                            let bound = (0, i32::try_from(self.invited[a]).unwrap());
                            problem.add_integer_var(f64::from(u8::from(counted)), bound)
                        })
                        .collect()
                })
                .collect();
            for a in 0..self.invited.len() {
                let scale = vars[0][a];
                for question in &vars[1..] {
                    problem.add_constraint(
                        [(question[a], 1.0), (scale, -1.0)],
                        ComparisonOp::Le,
                        0.0,
                    );
                }
                let mut least: Vec<_> = vars[1..].iter().map(|q| (q[a], 1.0)).collect();
                least.push((scale, -(self.least as f64)));
                problem.add_constraint(least, ComparisonOp::Ge, 0.0);
            }
            for (measure, cells) in vars.iter().zip(&self.shown) {
                for (cell, n) in cells {
                    let terms: Vec<_> = cell.iter().map(|&a| (measure[a], 1.0)).collect();
                    problem.add_constraint(terms, ComparisonOp::Eq, *n as f64);
                }
            }
            let solution = problem.solve().expect("the true counts are a solution");
            solution.objective().round() as u64
        };
        // The fewest first: most groups are free downwards, and then one program is enough.
        solve(OptimizationDirection::Minimize) == truth
            && solve(OptimizationDirection::Maximize) == truth
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// P1 for a scale read with all its questions at once, on tight rosters (docs/privacy.md
    /// D7, "A question beside its scale"): random organisations ([`case`]) whose roster
    /// invites, per atom, those who answered and none or one more, so that many cells
    /// answered in full. Integer programs read a question's count with the scale's and every
    /// question's shown counts and the fewest answers a score needs ([`FamilyCounts`]), and
    /// the scale's with its own. The audit at close pins no group; the groups under k it
    /// counts as exceptions, cells and direct members, of the scale or of a question, are
    /// exactly those the programs pin.
    #[test]
    fn the_counted_exceptions_are_the_counts_a_scale_and_its_questions_pin_together(case in case()) {
        let case = Case { with_roster: true, ..case };
        let (instrument, release, sheets) = random_case_on(&case, 0, Roster::Tight);
        let roster = roster_of(&case, &sheets, Roster::Tight);
        let atoms = atoms_of(&sheets);
        let invited = invited_per_atom(&atoms, &roster);
        let (pinned, excused) = release.audit_counts(&sheets, &roster).unwrap();
        prop_assert!(pinned.is_empty(), "the audit pins {:?}", pinned);
        let groups = roster_groups(&release, &atoms);
        let atoms_of_group = |group: &CountGroup| {
            groups.iter().find(|(g, _)| g == group).map(|(_, a)| a.clone()).unwrap()
        };
        let cells = release.layout.cells();
        for s in 0..instrument.scales.len() {
            let questions: Vec<usize> = (0..instrument.items.len())
                .filter(|&i| instrument.items[i].scale == s)
                .collect();
            let mut shown = vec![scale_counts(&release, &atoms, s)];
            for &i in &questions {
                shown.push(
                    cells
                        .iter()
                        .filter_map(|&key| {
                            let counts = release.item_cell(i, key)?.counts?;
                            Some((atoms_in(&release, &atoms, key), counts.iter().sum()))
                        })
                        .collect(),
                );
            }
            let family = FamilyCounts {
                invited: &invited,
                least: survey_engine::scoring::min_answered_of(questions.len()),
                shown,
            };
            // The scale itself is protected against its own counts: read with its
            // questions, a few bounds of a scale are known to be pinned (docs/privacy.md D8,
            // limits).
            let scale_alone = FamilyCounts {
                invited: &invited,
                least: 0,
                shown: family.shown[..1].to_vec(),
            };
            let scored = |x: &PlacedSheet| x.scores.scales[s].is_some();
            let mut measures = vec![(release.scales[s].clone(), per_atom(&atoms, &sheets, scored))];
            for &i in &questions {
                let truth = per_atom(&atoms, &sheets, |x| scored(x) && x.answers[i].is_some());
                measures.push((format!("item {}", release.items[i].id), truth));
            }
            for (m, (name, truth)) in measures.iter().enumerate() {
                // A group is its atoms: a leaf's direct members are its cell, which the
                // audit names instead.
                let mut counted: Vec<Vec<usize>> = excused
                    .iter()
                    .filter(|(measure, _)| measure == name)
                    .map(|(_, group)| atoms_of_group(group))
                    .collect();
                counted.sort();
                counted.dedup();
                let mut pinned_here: Vec<Vec<usize>> = Vec::new();
                for (group, group_atoms) in &groups {
                    let n: u64 = group_atoms.iter().map(|&a| truth[a]).sum();
                    let room: u64 = group_atoms.iter().map(|&a| invited[a]).sum();
                    let reader = if m == 0 { &scale_alone } else { &family };
                    if n >= release.k as u64 || room == 0 || !reader.pins(m, group_atoms, n) {
                        continue;
                    }
                    prop_assert!(
                        counted.contains(group_atoms),
                        "{} ({}): {} respondents of {}, pinned but not counted as an exception",
                        release.group_label(group),
                        name,
                        n,
                        room
                    );
                    pinned_here.push(group_atoms.clone());
                }
                for group_atoms in counted.iter().filter(|a| !pinned_here.contains(a)) {
                    let (group, _) = groups.iter().find(|(_, a)| a == group_atoms).unwrap();
                    prop_assert!(
                        false,
                        "{} ({}): counted as an exception, but its count is free",
                        release.group_label(group),
                        name
                    );
                }
            }
        }
    }
}

/// Random statuses for a scale and its questions: the scale shows each cell with chance one
/// half (the root's whole cell always, as in every release), and its questions hide what it
/// hides and a third of what it shows, one pattern for all (D8).
fn scale_and_questions_hiding_at_random(rng: &mut Rng, cells: usize) -> [Vec<CellStatus>; 2] {
    let scale: Vec<CellStatus> = (0..cells)
        .map(|c| match c == 0 || rng.next(2) == 0 {
            true => CellStatus::Shown,
            false => CellStatus::Complementary,
        })
        .collect();
    let questions = scale
        .iter()
        .map(
            |&status| match status == CellStatus::Shown && rng.next(3) == 0 {
                true => CellStatus::Complementary,
                false => status,
            },
        )
        .collect();
    [scale, questions]
}

/// The shown cells of `status` as [`FamilyCounts`] reads them: each one's atoms and count
/// (`truth` per atom).
fn shown_counts(
    release: &Release,
    atoms: &[&Placement],
    status: &[CellStatus],
    truth: &[u64],
) -> Vec<(Vec<usize>, u64)> {
    release
        .layout
        .cells()
        .into_iter()
        .zip(status)
        .filter(|(_, &status)| status == CellStatus::Shown)
        .map(|(key, _)| {
            let inside = atoms_in(release, atoms, key);
            let n = inside.iter().map(|&a| truth[a]).sum();
            (inside, n)
        })
        .collect()
}

/// Scale `s`'s questions, and per question its respondents per atom of `atoms` (those with
/// a score on the scale who answered it).
fn questions_of(
    instrument: &Instrument,
    sheets: &[PlacedSheet],
    atoms: &[&Placement],
    s: usize,
) -> (Vec<usize>, Vec<Vec<u64>>) {
    let questions: Vec<usize> = (0..instrument.items.len())
        .filter(|&i| instrument.items[i].scale == s)
        .collect();
    let truths = questions
        .iter()
        .map(|&i| {
            per_atom(atoms, sheets, |x| {
                x.scores.scales[s].is_some() && x.answers[i].is_some()
            })
        })
        .collect();
    (questions, truths)
}

/// Asserts that every group under k of question `j` of `family` (truly `truth` per atom),
/// other than those `found` (pinned or excused), is free.
fn unfound_groups_are_free(
    release: &Release,
    family: &FamilyCounts<'_>,
    (j, name, truth): (usize, &str, &[u64]),
    groups: &[(CountGroup, Vec<usize>)],
    found: &[CountGroup],
) -> Result<(), TestCaseError> {
    let found: Vec<&Vec<usize>> = found
        .iter()
        .filter_map(|group| groups.iter().find(|(g, _)| g == group))
        .map(|(_, atoms)| atoms)
        .collect();
    for (group, group_atoms) in groups {
        let n: u64 = group_atoms.iter().map(|&a| truth[a]).sum();
        let room: u64 = group_atoms.iter().map(|&a| family.invited[a]).sum();
        if n >= release.k as u64 || room == 0 || found.contains(&group_atoms) {
            continue;
        }
        prop_assert!(
            !family.pins(1 + j, group_atoms, n),
            "{} ({}): {} respondents, pinned, but called free",
            release.group_label(group),
            name,
            n
        );
    }
    Ok(())
}

/// Whether a scale's questions hide at least its hidden cells, as a build makes them
/// (docs/privacy.md D8), or any cells.
#[derive(Clone, Copy, PartialEq, Eq)]
enum D8 {
    Kept,
    Broken,
}

/// The body of the audit-path property tests: each scale of `release` hides random cells,
/// its questions those and more (with `D8::Broken`, cells drawn apart from the scale's;
/// for half the scales each question more of its own); every question group under k that
/// the audit neither pins nor excuses must be free for the exact reader
/// ([`FamilyCounts`]).
fn audit_calls_free_only_what_is_free(
    case: &Case,
    instrument: &Instrument,
    mut release: Release,
    sheets: &[PlacedSheet],
    d8: D8,
) -> Result<(), TestCaseError> {
    let roster = roster_of(case, sheets, Roster::Tight);
    let atoms = atoms_of(sheets);
    let invited = invited_per_atom(&atoms, &roster);
    let cells = release.layout.cells().len();
    let mut rng = Rng(case.seed ^ 0x51ab_1e5e_ed00_0001);
    let mut statuses = Vec::new();
    for s in 0..instrument.scales.len() {
        let [scale, mut questions] = scale_and_questions_hiding_at_random(&mut rng, cells);
        if d8 == D8::Broken {
            // Drawn again, whatever the scale hides (the second draw's first pattern, with
            // every cell shown or hidden at random; its second is not used).
            let [again, _] = scale_and_questions_hiding_at_random(&mut rng, cells);
            questions = again;
        }
        for (cell, &status) in release.heat[s].iter_mut().zip(&scale) {
            cell.status = status;
        }
        // Half the scales' questions hide cells of their own too: the audit reads each
        // sibling on its own cells, where no exchange (one person answering a sibling
        // instead of the question, another the other way round) may move its counts.
        let own = rng.next(2) == 0;
        let mut per_question = Vec::new();
        for item in release.items.iter_mut().filter(|item| item.scale == s) {
            item.status.clone_from(&questions);
            if own {
                for status in item.status.iter_mut() {
                    if *status == CellStatus::Shown && rng.next(4) == 0 {
                        *status = CellStatus::Complementary;
                    }
                }
            }
            per_question.push(item.status.clone());
        }
        statuses.push((scale, per_question));
    }
    let (pinned, excused) = release.audit_counts(sheets, &roster).unwrap();
    let groups = roster_groups(&release, &atoms);
    for (s, (scale_status, question_statuses)) in statuses.iter().enumerate() {
        let scored = per_atom(&atoms, sheets, |x| x.scores.scales[s].is_some());
        let (questions, truths) = questions_of(instrument, sheets, &atoms, s);
        let mut shown = vec![shown_counts(&release, &atoms, scale_status, &scored)];
        shown.extend(
            truths
                .iter()
                .zip(question_statuses)
                .map(|(t, status)| shown_counts(&release, &atoms, status, t)),
        );
        let family = FamilyCounts {
            invited: &invited,
            least: survey_engine::scoring::min_answered_of(questions.len()),
            shown,
        };
        for (j, (&i, truth)) in questions.iter().zip(&truths).enumerate() {
            let name = format!("item {}", release.items[i].id);
            let found: Vec<CountGroup> = pinned
                .iter()
                .chain(&excused)
                .filter(|(measure, _)| *measure == name)
                .map(|(_, group)| *group)
                .collect();
            unfound_groups_are_free(&release, &family, (j, &name, truth), &groups, &found)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The check's certificates for a question are sound on any hidden cells, not only on
    /// those a build chose (docs/privacy.md D7, "A question beside its scale"): random
    /// organisations with an attribute and tight rosters, whose scales hide cells at random,
    /// and whose questions hide their scale's cells and more, one pattern per scale (D8),
    /// or for half the scales each question more of its own. Every question group under k
    /// that the audit neither pins nor excuses is free for a reader of the scale's and all
    /// its questions' shown counts who knows the scoring rule ([`FamilyCounts`]). In
    /// particular, two of the scale's people who swap teams whole must have answered the
    /// same questions, or the swap moves a sibling question's counts; and no exchange may
    /// move the counts of a sibling that hides other cells.
    #[test]
    fn a_question_count_the_audit_calls_free_is_free_whatever_is_hidden(case in case()) {
        let case = Case { with_roster: true, ..case.with_an_attribute() };
        let (instrument, release, sheets) = random_case_on(&case, 0, Roster::Tight);
        audit_calls_free_only_what_is_free(&case, &instrument, release, &sheets, D8::Kept)?;
    }

    /// The same for the build's own path: each scale's P1 protection runs on random hidden
    /// cells and hands on the swaps it found; each of its questions is protected beside it
    /// (on the scale's final cells and more), trying those swaps first, as the release does
    /// (`Classes::holds` then checks them), all from every cell one of them hides, until none
    /// hides more (one pattern, D8). Every question group under k that its protection
    /// neither left pinned nor excused is free for the integer programs.
    #[test]
    fn a_question_count_the_build_calls_free_is_free_whatever_is_hidden(case in case()) {
        let case = Case { with_roster: true, ..case.with_an_attribute() };
        let (instrument, release, sheets) = random_case_on(&case, 0, Roster::Tight);
        build_calls_free_only_what_is_free(&case, &instrument, &release, &sheets)?;
    }
}

/// The build-path property tests' body (`a_question_count_the_build_calls_free_is_free_*`).
fn build_calls_free_only_what_is_free(
    case: &Case,
    instrument: &Instrument,
    release: &Release,
    sheets: &[PlacedSheet],
) -> Result<(), TestCaseError> {
    let roster = roster_of(case, sheets, Roster::Tight);
    let atoms = atoms_of(sheets);
    let invited = invited_per_atom(&atoms, &roster);
    let placements: Vec<Placement> = sheets.iter().map(|x| x.placement.clone()).collect();
    let model = CountModel::new(&release.layout, &roster, &placements, release.k).unwrap();
    let cells = release.layout.cells().len();
    let groups = roster_groups(release, &atoms);
    let mut rng = Rng(case.seed ^ 0x51ab_1e5e_ed00_0002);
    for s in 0..instrument.scales.len() {
        let [mut scale_status, _] = scale_and_questions_hiding_at_random(&mut rng, cells);
        let scored: Vec<bool> = sheets
            .iter()
            .map(|x| x.scores.scales[s].is_some())
            .collect();
        let no_hints = SwapHints::default();
        let (_, _, hints) = model.protect_hinted(&scored, &mut scale_status, None, &no_hints, None);
        let start: Vec<CellStatus> = scale_status
            .iter()
            .map(
                |&status| match status == CellStatus::Shown && rng.next(3) == 0 {
                    true => CellStatus::Complementary,
                    false => status,
                },
            )
            .collect();
        let (questions, _) = questions_of(instrument, sheets, &atoms, s);
        let least = survey_engine::scoring::min_answered_of(questions.len());
        let spare: Vec<u64> = sheets
            .iter()
            .map(|x| {
                x.scores.scales[s].map_or(0, |a| u64::from(a.answered).saturating_sub(least as u64))
            })
            .collect();
        let presents: Vec<Vec<bool>> = questions
            .iter()
            .map(|&i| {
                sheets
                    .iter()
                    .map(|x| x.scores.scales[s].is_some() && x.answers[i].is_some())
                    .collect()
            })
            .collect();
        // Each question protected from the cells every question hides, until none hides
        // more: then every question's claims are made on the statuses all of them end
        // with, as a release's (D8).
        let mut question_status = start;
        let checks = loop {
            let mut checks = Vec::new();
            let mut hidden = question_status.clone();
            for (j, present) in presents.iter().enumerate() {
                let siblings = presents
                    .iter()
                    .enumerate()
                    .filter(|&(o, _)| o != j)
                    .map(|(_, present)| Sibling {
                        present,
                        status: None,
                    })
                    .collect();
                let within = Within {
                    outer: &scored,
                    outer_status: &scale_status,
                    spare: &spare,
                    hints: &hints,
                    siblings,
                    least: least as u64,
                };
                let mut status = question_status.clone();
                let (check, _) = model.protect_within(present, &mut status, None, Some(&within));
                for (all, own) in hidden.iter_mut().zip(&status) {
                    if own.is_hidden() {
                        *all = CellStatus::Complementary;
                    }
                }
                checks.push(check);
            }
            if hidden == question_status {
                break checks;
            }
            question_status = hidden;
        };
        let (_, truths) = questions_of(instrument, sheets, &atoms, s);
        let scale_truth = per_atom(&atoms, sheets, |x| x.scores.scales[s].is_some());
        let mut shown = vec![shown_counts(release, &atoms, &scale_status, &scale_truth)];
        shown.extend(
            truths
                .iter()
                .map(|t| shown_counts(release, &atoms, &question_status, t)),
        );
        let family = FamilyCounts {
            invited: &invited,
            least,
            shown,
        };
        for (j, ((&i, truth), check)) in questions.iter().zip(&truths).zip(&checks).enumerate() {
            let name = format!("item {}", release.items[i].id);
            let found: Vec<CountGroup> = check
                .pinned
                .iter()
                .chain(&check.complete)
                .copied()
                .collect();
            unfound_groups_are_free(release, &family, (j, &name, truth), &groups, &found)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The audit-path test on the core instrument, whose scales have four to six questions
    /// (the mini instrument has three, where a question's giver without an answer to spare
    /// and its taker always share exactly the sibling the giver skipped).
    #[test]
    fn a_question_count_the_audit_calls_free_is_free_on_the_core_instrument(case in case()) {
        let case = Case { with_roster: true, ..case.with_an_attribute() };
        let (instrument, release, sheets) =
            random_case_with(builtin("worklife-core"), &case, 0, Roster::Tight);
        audit_calls_free_only_what_is_free(&case, &instrument, release, &sheets, D8::Kept)?;
    }

    /// The build-path test on the core instrument (a review's gap).
    #[test]
    fn a_question_count_the_build_calls_free_is_free_on_the_core_instrument(case in case()) {
        let case = Case { with_roster: true, ..case.with_an_attribute() };
        let (instrument, release, sheets) =
            random_case_with(builtin("worklife-core"), &case, 0, Roster::Tight);
        build_calls_free_only_what_is_free(&case, &instrument, &release, &sheets)?;
    }

    /// The audit-path test on releases built otherwise, whose questions show cells their
    /// scale hides: the audit moves a person whole only between atoms that share every cell
    /// the scale or any of its questions shows (docs/privacy.md D7, "A question beside its
    /// scale").
    #[test]
    fn a_question_count_the_audit_calls_free_is_free_where_a_question_shows_what_its_scale_hides(
        case in case()
    ) {
        let case = Case { with_roster: true, ..case.with_an_attribute() };
        let (instrument, release, sheets) = random_case_on(&case, 0, Roster::Tight);
        audit_calls_free_only_what_is_free(&case, &instrument, release, &sheets, D8::Broken)?;
    }

    /// Both paths' tests on organisations with or without an attribute, as generated (the
    /// others always add one; without one there are no swaps, and a question's classes are
    /// the residual rows of D4: a review's gap).
    #[test]
    fn a_question_count_both_paths_call_free_is_free_with_or_without_an_attribute(case in case()) {
        let case = Case { with_roster: true, ..case };
        let (instrument, release, sheets) = random_case_on(&case, 0, Roster::Tight);
        build_calls_free_only_what_is_free(&case, &instrument, &release, &sheets)?;
        audit_calls_free_only_what_is_free(&case, &instrument, release, &sheets, D8::Kept)?;
    }
}

/// Two scales answered by the same people with the same answers, every question answered:
/// the second shares the first's protection (the same people and statuses are protected
/// once), and P1 reads each question beside its scale as that protection leaves it. The
/// second scale's questions were read beside their scale as it was before P1 instead: there
/// no move of the scale's people freed their small teams, so they hid cell after cell (on
/// the server's benchmark organisation, 6,000 rounds per question and 80 s per release)
/// where the first scale's questions, with the same counts, hid nothing more.
#[test]
fn a_scale_that_shares_another_s_protection_shows_its_questions_alike() {
    let instrument = Instrument::parse(
        "id = \"twin\"\nversion = 1\ntitle = \"Twin\"\nlanguage = \"en\"\n\
         [response_scale]\nmin = 1\nmax = 5\nlabels = [\"1\", \"2\", \"3\", \"4\", \"5\"]\n\
         [[scales]]\nid = \"a\"\nlabel = \"A\"\nkind = \"area\"\nhigher_is = \"better\"\n\
         [[scales]]\nid = \"b\"\nlabel = \"B\"\nkind = \"area\"\nhigher_is = \"better\"\n\
         [[items]]\nid = \"a1\"\nscale = \"a\"\ntext = \"x\"\n\
         [[items]]\nid = \"a2\"\nscale = \"a\"\ntext = \"x\"\n\
         [[items]]\nid = \"b1\"\nscale = \"b\"\ntext = \"x\"\n\
         [[items]]\nid = \"b2\"\nscale = \"b\"\ntext = \"x\"\n",
    )
    .unwrap();
    // Four departments of eight teams of 2 to 9 people; the answer sheets fill the teams
    // a layer at a time, so that the small teams answered in full and the larger ones in
    // part, as in the server's benchmark organisation.
    let mut tree = OrgTree::new("Org").unwrap();
    let mut teams = Vec::new();
    for d in 0..4 {
        for t in 0..8 {
            let unit = tree.insert(&format!("Org/d{d}/t{t}")).unwrap();
            teams.push((unit, 2 + (d * 8 + t) * 5 % 8));
        }
    }
    let mut placed = Vec::new();
    for layer in 0..6 {
        placed.extend(
            teams
                .iter()
                .filter(|(_, size)| layer < *size)
                .map(|(u, _)| *u),
        );
    }
    let mut rng = Rng(7);
    let sheets: Vec<PlacedSheet> = placed
        .iter()
        .map(|&unit| {
            let (x, y) = (1 + rng.next(5) as i32, 1 + rng.next(5) as i32);
            sheet(
                &instrument,
                unit,
                vec![],
                vec![Some(x), Some(y), Some(x), Some(y)],
            )
        })
        .collect();
    let invited = Invited {
        atoms: teams
            .iter()
            .map(|&(unit, size)| {
                let p = Placement {
                    unit,
                    values: vec![],
                };
                (p, size as u64)
            })
            .collect(),
    };
    let protection = Protection {
        invited: Some(&invited),
        ..Protection::default()
    };
    let release =
        Release::build_for_roster(&instrument, tree, vec![], &sheets, protection, 5, "W").unwrap();
    let hidden = |status: &[CellStatus]| status.iter().filter(|s| s.is_hidden()).count();
    let scales: Vec<Vec<CellStatus>> = release
        .heat
        .iter()
        .map(|cells| cells.iter().map(|c| c.status).collect())
        .collect();
    assert_eq!(scales[0], scales[1]);
    for (a, b) in [(0, 2), (1, 3)] {
        let (a, b) = (&release.items[a].status, &release.items[b].status);
        assert_eq!(a, b, "hidden: {} and {}", hidden(a), hidden(b));
    }
    // (So that the case is one: P1 hid cells for the scales.)
    let without_p1 =
        Release::build(&instrument, release.tree.clone(), vec![], &sheets, 5, "W").unwrap();
    let before: usize = without_p1.heat[0]
        .iter()
        .filter(|c| c.status.is_hidden())
        .count();
    assert!(hidden(&scales[0]) > before, "{} hidden", hidden(&scales[0]));
}
