//! A scale of several questions read with its questions as one system (docs/privacy.md D8,
//! "Read as one system").
//!
//! A person's score is the mean of the questions they answered, so a scale's cell adds each
//! person's mean once where a question's cell adds each answer to it: where a cell shows a
//! scale and all its questions, three times the scale's sum less the questions' sums is a
//! figure of its partial answerers alone, and a question's sum is, for those who answered
//! only it, their scores. Where a cell shows the scale only, the reader has the people
//! together. Each measure is safe on its own cells (the suppressor sees to that), but read
//! together they are not: a cut that shows only the scale and holds every complete answerer
//! of a cell that shows both gives its partial answerers' figure. So the exact auditor reads
//! the scale's rows and its questions' as one system over each person's answers
//! ([`disclosure::audit_unknowns`]): per person with a score, their figure and how each of
//! their answers differs from it; and, for a small group's answers to one question, per
//! person each answer. [`breaches`] is what it finds; the release hides questions until it
//! finds no set of scores or favourable answers, [`hide_questions`].

use crate::disclosure::{self, Breach, CellKey, Layout, Placement, UnitTree, Unknown};
use num_bigint::BigInt;
use num_rational::BigRational;
use std::collections::BTreeMap;

/// Which questions of the scale a respondent answered, by their place among the scale's
/// questions; `None` without a score on the scale (in no figure of the scale or its
/// questions).
pub(super) type Answered = Option<Vec<usize>>;

/// One figure a reader has.
#[derive(Clone, Copy, Debug)]
enum Row {
    /// The scale's figure of a cell where it is shown: everyone with a score.
    Scale(usize),
    /// Where the scale and all its questions are shown: one question's figure of the cell.
    Question(usize),
}

impl Row {
    fn cell(self) -> usize {
        match self {
            Row::Scale(cell) | Row::Question(cell) => cell,
        }
    }
}

/// The two figures a scale and its questions show, which add people up differently.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Figure {
    /// Sums: a scale's cell adds each person's mean of their answers once, a question's cell
    /// each answer to it.
    Sums,
    /// Favourable answers: a scale's cell adds all of each person's, a question's cell those
    /// to it.
    Favourable,
}

/// What a reading looks for in a small group.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// Their figures on the scale (their scores, or their favourable answers).
    Scale,
    /// Their answers to one question (its place among the scale's questions): the sum, or
    /// how many were favourable.
    Question(usize),
}

/// The rows of one scale and its questions, and the unknowns behind them. For the scale's
/// figures, per respondent with a score: their figure (their score, or their favourable
/// answers on the scale) and how each of their answers but the last differs from it, which
/// is no one's figure. For one question's: each of their answers (or whether it was
/// favourable), the one to that question theirs, the others no one's. Either way a change of
/// unknowns per person, so both read the same rows alike.
struct Reading {
    target: Target,
    rows: Vec<Row>,
    unknowns: Vec<Unknown>,
}

impl Reading {
    /// `scale_shown` and `both_shown` per cell (as [`Layout::cells`]): where the scale is
    /// shown, and where it and all its `questions` are.
    fn new(
        layout: &Layout,
        placements: &[Placement],
        answered: &[Answered],
        questions: usize,
        (scale_shown, both_shown): (&[bool], &[bool]),
        figure: Figure,
        target: Target,
    ) -> Self {
        let mut rows = Vec::new();
        let mut scale_row = vec![None; scale_shown.len()];
        let mut question_rows = vec![None; scale_shown.len()];
        for (cell, &shown) in scale_shown.iter().enumerate() {
            if !shown {
                continue;
            }
            scale_row[cell] = Some(rows.len());
            rows.push(Row::Scale(cell));
            if both_shown.get(cell).copied().unwrap_or(false) {
                question_rows[cell] = Some(rows.len());
                rows.extend((0..questions).map(|_| Row::Question(cell)));
            }
        }
        let one = || BigRational::from_integer(BigInt::from(1));
        let mut unknowns = Vec::new();
        for (r, (p, answered)) in placements.iter().zip(answered).enumerate() {
            let Some(answered) = answered.as_deref().filter(|a| !a.is_empty()) else {
                continue;
            };
            let mut scales = Vec::new();
            let mut firsts = Vec::new();
            layout.for_each_cell_of(p, |cell| {
                scales.extend(scale_row.get(cell).copied().flatten());
                firsts.extend(question_rows.get(cell).copied().flatten());
            });
            if let Target::Question(asked) = target {
                // Each answer: a scale's cell adds its share of the score (one over the
                // answers given), or all of it where it counts favourable answers.
                let in_scale = match figure {
                    Figure::Sums => BigRational::new(BigInt::from(1), BigInt::from(answered.len())),
                    Figure::Favourable => one(),
                };
                for &q in answered {
                    let mut entries: Vec<(usize, BigRational)> =
                        scales.iter().map(|&row| (row, in_scale.clone())).collect();
                    entries.extend(firsts.iter().map(|&first| (first + q, one())));
                    unknowns.push(Unknown {
                        entries,
                        of: (q == asked).then_some(r),
                    });
                }
                continue;
            }
            // Answer j is the figure plus d_j (sums: the score; favourable: the favourable
            // answers, one m-th of them per answer), the last answer less all the d_j.
            let per_answer = match figure {
                Figure::Sums => one(),
                Figure::Favourable => {
                    BigRational::new(BigInt::from(1), BigInt::from(answered.len()))
                }
            };
            let mut figure_entries: Vec<(usize, BigRational)> =
                scales.iter().map(|&row| (row, one())).collect();
            for &first in &firsts {
                figure_entries.extend(answered.iter().map(|&q| (first + q, per_answer.clone())));
            }
            unknowns.push(Unknown {
                entries: figure_entries,
                of: Some(r),
            });
            if let Some((&last, rest)) = answered.split_last() {
                for &q in rest {
                    let entries = firsts
                        .iter()
                        .flat_map(|&first| [(first + q, one()), (first + last, -one())])
                        .collect();
                    unknowns.push(Unknown { entries, of: None });
                }
            }
        }
        Reading {
            target,
            rows,
            unknowns,
        }
    }

    /// Every set found, as the auditor reports them.
    fn breaches(&self, k: usize) -> Vec<disclosure::RowBreach> {
        disclosure::audit_unknowns(&self.unknowns, self.rows.len(), k)
    }

    /// The minimal sets found: enough to decide what to hide.
    fn minimal_breaches(&self, k: usize) -> Vec<disclosure::RowBreach> {
        disclosure::minimal_unknown_sets(&self.unknowns, self.rows.len(), k)
    }
}

/// The readings of one scale and its questions for `targets`, each for both figures.
fn readings(
    layout: &Layout,
    placements: &[Placement],
    answered: &[Answered],
    questions: usize,
    shown: (&[bool], &[bool]),
    targets: impl Iterator<Item = Target>,
) -> Vec<Reading> {
    targets
        .flat_map(|target| {
            [Figure::Sums, Figure::Favourable].map(|figure| {
                Reading::new(
                    layout, placements, answered, questions, shown, figure, target,
                )
            })
        })
        .collect()
}

/// Every set of 1 to k - 1 of the scale's people whose scores or favourable answers, or
/// whose answers to one question (`Some`: its place among the scale's questions), its
/// shown cells and its questions' give away together, each with one way to derive it (the
/// cell of every row used; a cell whose figures of several questions are used appears once
/// per question).
pub(super) fn breaches(
    layout: &Layout,
    placements: &[Placement],
    answered: &[Answered],
    questions: usize,
    (scale_shown, both_shown): (&[bool], &[bool]),
    k: usize,
) -> Vec<(Option<usize>, Breach)> {
    let cells: Vec<CellKey> = layout.cells();
    let shown = (scale_shown, both_shown);
    let mut out = Vec::new();
    // The scale's figures, then each question's answers.
    let targets = std::iter::once(Target::Scale).chain((0..questions).map(Target::Question));
    for reading in readings(layout, placements, answered, questions, shown, targets) {
        let question = match reading.target {
            Target::Scale => None,
            Target::Question(q) => Some(q),
        };
        out.extend(reading.breaches(k).into_iter().map(|b| {
            let breach = Breach {
                respondents: b.respondents,
                combination: b
                    .combination
                    .into_iter()
                    .filter_map(|(row, v)| {
                        let cell = reading.rows.get(row)?.cell();
                        Some((*cells.get(cell)?, v))
                    })
                    .collect(),
            };
            (question, breach)
        }));
    }
    out
}

/// Hides the questions (clears `both_shown`) in cells until [`breaches`] finds no set of
/// people's scores or favourable answers: for each set found, the cell with the fewest of
/// the scale's people (`people`, per cell) among those whose questions' figures derive it.
/// Hiding the questions takes those rows away and leaves the scale's cells alone; with no
/// question shown, the scale's own suppression is all there is, and it finds nothing.
/// Returns how many cells it hid.
///
/// One question's answers of a small group are left to the audit ([`breaches`]): reading
/// them costs one more pair of readings per question (six times the scale's own cost on the
/// full instrument's 1,661-cell scratch organisation, docs/privacy.md D8), and in every
/// organisation tried they were found nowhere the scale's figures were not.
pub(super) fn hide_questions(
    layout: &Layout,
    placements: &[Placement],
    answered: &[Answered],
    questions: usize,
    (scale_shown, both_shown): (&[bool], &mut [bool]),
    people: &[usize],
    k: usize,
) -> usize {
    let mut hidden = 0;
    loop {
        let shown = (scale_shown, &*both_shown);
        let scale = std::iter::once(Target::Scale);
        let found: Vec<usize> = readings(layout, placements, answered, questions, shown, scale)
            .iter()
            .flat_map(|reading| {
                reading
                    .minimal_breaches(k)
                    .into_iter()
                    .filter_map(|breach| {
                        breach
                            .combination
                            .iter()
                            .filter_map(|(row, _)| match reading.rows.get(*row) {
                                Some(Row::Question(cell)) => Some(*cell),
                                _ => None,
                            })
                            .min_by_key(|&cell| (people.get(cell).copied().unwrap_or(0), cell))
                    })
            })
            .collect();
        let mut changed = false;
        for cell in found {
            if let Some(shown) = both_shown.get_mut(cell).filter(|shown| **shown) {
                *shown = false;
                hidden += 1;
                changed = true;
            }
        }
        // A set derived from the scale's cells alone is the scale's suppression's to
        // prevent (and the auditor's to report): hiding questions cannot help there.
        if !changed {
            return hidden;
        }
    }
}

/// [`hide_questions`] for an organisation beyond the exact auditor's reach, read one unit at
/// a time over the people below it, by class ([`Kinds::each_unit`]): each of its cells
/// that shows both and holds no complete answerer alone ([`one_cell_at_a_time`]), then its
/// whole cell with its cuts. That is the shape a benchmark organisation gave people away in
/// (docs/privacy.md D8): a team showing the scale and its questions, whose skippers sit in
/// cuts that show the scale only, gives those cuts' other people's scores. With several
/// report attributes the whole is read with every attribute's cuts ([`UnitReading`]); what a
/// unit's cells give with other units' is not read here.
///
/// With one attribute, only a whole cell that shows both is read, where a cut shows the
/// scale only or the rest holds no complete answerer. Its cuts that show both hold people in
/// no other row of the reading, so they come off the whole (the whole less them is the
/// rest, a system of its own; each such cut alone is read by [`one_cell_at_a_time`] where
/// the partial and complete answerers' rules do not keep it), and where the rest answered
/// every question the questions' figures add up to the scale's, which D4 keeps. The
/// questions then hide at the whole until the rest's reading finds nothing. A reading is a
/// part of the whole system, so what it finds is found. Returns how many cells it hid.
pub(super) fn hide_questions_unit_by_unit(
    layout: &Layout,
    placements: &[Placement],
    (asked, combos): (&[Option<u128>], &Combos),
    questions: usize,
    (scale_shown, both_shown): (&[bool], &mut [bool]),
    k: usize,
) -> usize {
    let alone = match UnitTree::new(vec![None]) {
        // The questions answered are a bit set of 128 (no instrument comes near).
        Ok(alone) if questions <= 128 => alone,
        // Neither can happen (one root); were either to, no question is shown: fail closed.
        _ => {
            let hidden = both_shown.iter().filter(|b| **b).count();
            both_shown.fill(false);
            return hidden;
        }
    };
    let shown = |cells: &[bool], c: usize| cells.get(c).copied().unwrap_or(false);
    // Per cell, how many answered every question: most readings are skipped on these alone.
    let complete: Vec<bool> = asked
        .iter()
        .map(|a| a.is_some_and(|a| a.count_ones() as usize >= questions))
        .collect();
    let complete_in = disclosure::cell_counts(layout, placements, &complete);
    let kinds = Kinds::new(asked, combos);
    let mut hidden = 0;
    kinds.each_unit(layout, placements, |unit, people| {
        let people = People {
            kinds: &kinds,
            counts: people,
        };
        hidden += one_cell_at_a_time(
            layout,
            combos,
            questions,
            unit,
            people,
            (&alone, &complete_in, &mut *both_shown),
            k,
        );
        let whole = layout.cell_index(CellKey { unit, cut: None });
        if layout.value_counts.len() > 1 {
            // A cut of one attribute that shows both can stand in for the whole with the cuts
            // of another (a review's case): read them all together.
            let reading = UnitReading {
                layout,
                combos,
                questions,
                k,
                alone: &alone,
                complete_in: &complete_in,
            };
            hidden += reading.with_every_cut(unit, people, (scale_shown, &mut *both_shown));
            return;
        }
        for (attribute, &values) in layout.value_counts.iter().enumerate() {
            if !shown(both_shown, whole) {
                break; // hidden for an attribute before: nothing left to read
            }
            // Per value: its cut's cell in the organisation.
            let cuts: Vec<usize> = (0..values)
                .map(|v| {
                    layout.cell_index(CellKey {
                        unit,
                        cut: Some((attribute, v)),
                    })
                })
                .collect();
            let scale_only = |c: usize| shown(scale_shown, c) && !shown(both_shown, c);
            let any_scale_only = cuts.iter().any(|&c| scale_only(c));
            // (The rest's complete answerers: the whole's less those of its cuts that show
            // both.)
            let count = |c: usize| complete_in.get(c).copied().unwrap_or(0);
            let complete_in_rest = count(whole).saturating_sub(
                cuts.iter()
                    .filter(|&&c| shown(both_shown, c))
                    .map(|&c| count(c))
                    .sum::<usize>(),
            );
            if !any_scale_only && complete_in_rest > 0 {
                continue;
            }
            // The rest, by class: people alike here (the same cut, the same questions
            // answered) are one column of the system, and a column of k or more people is
            // never part of a small group, so k of them stand for any more.
            // (The questions answered as a bit set: no key to allocate per person, below the
            // root too.)
            let alike = classes(people, |combo| {
                let value = combos.value(combo, attribute);
                let cut_shows_both = value
                    .and_then(|v| cuts.get(v))
                    .is_some_and(|&c| shown(both_shown, c));
                (!cut_shows_both).then_some(value)
            });
            if alike
                .keys()
                .all(|(_, asked)| asked.count_ones() as usize >= questions)
            {
                continue;
            }
            // Per value: whether its cut shows the scale only (a row of the rest's reading).
            let row: Vec<bool> = cuts.iter().map(|&c| scale_only(c)).collect();
            if rest_may_give_away(&alike, &row, questions, k)
                && rest_gives_away(&alone, alike, &row, questions, k)
            {
                if let Some(b) = both_shown.get_mut(whole) {
                    *b = false;
                    hidden += 1;
                }
            }
        }
    });
    hidden
}

/// The people of a unit's rest by class (value, questions answered), as
/// [`hide_questions_unit_by_unit`] reads them with one attribute.
type RestClasses = BTreeMap<(Option<usize>, u128), usize>;

/// Whether the exact reading of a unit's rest ([`rest_gives_away`]) can find a set through
/// its questions, worked out from its classes where the rest holds a complete answerer
/// (`false` only where it cannot; `true` where it can or where this does not decide). Nearly
/// every reading of a large organisation finds nothing (11 of 4,393 find a set in a build of
/// the benchmark's), and this costs a pass over a few dozen classes where the exact reading
/// costs a small system in fractions.
///
/// Why it holds. A combination of the rows that gives a set must leave out every part of
/// an answer that is no one's figure, so for each person who answered two questions or
/// more it weighs those questions alike; a complete answerer ties all of them, so every
/// question's row has one weight `c`. Then, for sums, a person's figure is weighed
/// `e + a c`, with `a` the questions they answered and `e` the weight of their scale rows:
/// the rest's row, plus their cut's where it shows the scale (`row`; a group per such
/// value, and one for everyone else, each with an `e` of its own). (For favourable answers
/// a person answers `1 / a` of theirs per question, so the weight is `e + c`: each group
/// whole, as below.) Each weight must be 0 or 1. With `c = 0`, or a group holding one `a`
/// only, a group comes whole: a union of groups, which the scale's own suppression keeps
/// at 0 or at least k (that case is left to the exact reading). A group holding two `a`s
/// sets `c` to one over their difference (either sign), so every other group holding two
/// has that difference too, and no group holds three; then the set is the classes those
/// weights put at 1, the larger `a` of each such group (the smaller one for `-c`), and it
/// is found where it holds 1 to k - 1 people.
fn rest_may_give_away(classes: &RestClasses, row: &[bool], questions: usize, k: usize) -> bool {
    // Only the scale's questions count, and someone who answered none of them is in no row
    // of the reading (a review's case: counted here, such a class made a set found by the
    // exact reading look out of reach; no score comes without answers today).
    let mask = match u32::try_from(questions) {
        Ok(q) if q < 128 => (1u128 << q) - 1,
        _ => u128::MAX,
    };
    let of_scale = |asked: u128| asked & mask;
    let complete = |asked: u128| of_scale(asked).count_ones() as usize >= questions;
    if !classes.keys().any(|&(_, asked)| complete(asked)) {
        return true; // the questions are not tied: left to the exact reading
    }
    // Per group (a value whose cut is a row, or everyone else): people per questions
    // answered.
    let mut groups: BTreeMap<Option<usize>, BTreeMap<u32, usize>> = BTreeMap::new();
    for (&(value, asked), &n) in classes {
        let asked = of_scale(asked);
        if asked == 0 {
            continue;
        }
        let group = value.filter(|&v| row.get(v).copied().unwrap_or(false));
        *groups
            .entry(group)
            .or_default()
            .entry(asked.count_ones())
            .or_default() += n;
    }
    let small = |n: usize| (1..k).contains(&n);
    if groups.values().any(|by| small(by.values().sum())) {
        return true; // a small group whole: the scale's suppression's, left to the exact reading
    }
    if groups.values().any(|by| by.len() > 2) {
        return false;
    }
    let pairs: Vec<(u32, usize, usize)> = groups
        .values()
        .filter_map(|by| {
            let mut by = by.iter();
            let ((&low, &n_low), (&high, &n_high)) = (by.next()?, by.next()?);
            Some((high - low, n_low, n_high))
        })
        .collect();
    let Some(&(gap, _, _)) = pairs.first() else {
        return false;
    };
    if pairs.iter().any(|&(d, _, _)| d != gap) {
        return false;
    }
    let higher: usize = pairs.iter().map(|&(_, _, n)| n).sum();
    let lower: usize = pairs.iter().map(|&(_, n, _)| n).sum();
    small(higher) || small(lower)
}

/// The exact reading of a unit's rest (the whole less its cuts that show both) by its
/// classes: the rest shows its scale and questions, each value whose cut shows the scale
/// only (`row`) its scale. Whether it finds a set through the questions. With no cut
/// showing the scale only it is read as one cell: where someone in it answered every
/// question, only its partial and complete answerers come apart, which their rules keep
/// (the rest is the whole less cells that show both); where no one did, those who
/// answered a given number of questions can ([`one_cell_at_a_time`]).
fn rest_gives_away(
    alone: &UnitTree,
    classes: RestClasses,
    row: &[bool],
    questions: usize,
    k: usize,
) -> bool {
    let local = Local::new(
        Layout::new(alone.clone(), vec![row.len()]),
        classes
            .into_iter()
            .map(|((value, asked), n)| (vec![value], asked, n)),
        questions,
        k,
    );
    let at = |cut| local.layout.cell_index(CellKey { unit: 0, cut });
    let mut local_scale = vec![false; local.layout.cell_count()];
    let mut local_both = local_scale.clone();
    for (v, &shows) in row.iter().enumerate() {
        if let Some(s) = local_scale.get_mut(at(Some((0, v)))) {
            *s = shows;
        }
    }
    for cells in [&mut local_scale, &mut local_both] {
        if let Some(s) = cells.get_mut(at(None)) {
            *s = true;
        }
    }
    local.hide_questions(questions, (&local_scale, &mut local_both), k) > 0
}

/// Each of a unit's cells (`unit`, the people below it `people`) that shows a scale of several
/// questions and its questions, read alone where none of its people answered every
/// question: in one cell, combining the questions weighs each person by how many they
/// answered, so with no complete answerer to tie the weights, those who answered a given
/// number of questions can come apart (a review's case: a scale of four, eleven people,
/// one of them answering two questions). Where someone answered every question, only the
/// partial and the complete answerers come apart, which their own rules keep. Questions
/// hide where [`hide_questions`] finds a set. Returns how many cells it hid.
#[allow(clippy::too_many_arguments)]
fn one_cell_at_a_time(
    layout: &Layout,
    combos: &Combos,
    questions: usize,
    unit: usize,
    people: People<'_>,
    (alone, complete_in, both_shown): (&UnitTree, &[usize], &mut [bool]),
    k: usize,
) -> usize {
    let cuts = layout
        .value_counts
        .iter()
        .enumerate()
        .flat_map(|(a, &values)| (0..values).map(move |v| Some((a, v))));
    let mut hidden = 0;
    for cut in std::iter::once(None).chain(cuts) {
        let cell = layout.cell_index(CellKey { unit, cut });
        let complete = complete_in.get(cell).copied().unwrap_or(0) > 0;
        if complete || !both_shown.get(cell).copied().unwrap_or(false) {
            continue;
        }
        let alike = classes(people, |combo| {
            cut.is_none_or(|(a, v)| combos.value(combo, a) == Some(v))
                .then_some(())
        });
        if alike.len() < 2 {
            continue;
        }
        let local = Local::new(
            Layout::new(alone.clone(), vec![]),
            alike.into_iter().map(|(((), asked), n)| (vec![], asked, n)),
            questions,
            k,
        );
        if local.hide_questions(questions, (&[true], &mut [true]), k) > 0 {
            if let Some(b) = both_shown.get_mut(cell) {
                *b = false;
                hidden += 1;
            }
        }
    }
    hidden
}

/// Every combination of report attribute values among the people, each once: a person's
/// is an id, so a class of people is a pair of numbers and counting people by class
/// allocates nothing per person.
pub(super) struct Combos {
    /// Per person, their combination's id.
    of: Vec<usize>,
    values: Vec<Vec<Option<usize>>>,
}

impl Combos {
    pub(super) fn new(placements: &[Placement]) -> Combos {
        let mut ids: std::collections::HashMap<&[Option<usize>], usize> = Default::default();
        let mut values = Vec::new();
        let of = placements
            .iter()
            .map(|p| {
                *ids.entry(&p.values).or_insert_with(|| {
                    values.push(p.values.clone());
                    values.len() - 1
                })
            })
            .collect();
        Combos { of, values }
    }

    fn values(&self, combo: usize) -> &[Option<usize>] {
        self.values.get(combo).map_or(&[], Vec::as_slice)
    }

    /// The combination's value of `attribute`, if set.
    fn value(&self, combo: usize, attribute: usize) -> Option<usize> {
        self.values(combo).get(attribute).copied().flatten()
    }
}

/// The kinds of people the readings tell apart, each an id: a combination of values (a
/// [`Combos`] id) and the questions answered on the scale (a bit set).
struct Kinds {
    /// Per kind, its combination and questions.
    of: Vec<(usize, u128)>,
    /// Per person, their kind; `None` without a score on the scale.
    person: Vec<Option<usize>>,
}

impl Kinds {
    fn new(asked: &[Option<u128>], combos: &Combos) -> Kinds {
        let mut ids: rustc_hash::FxHashMap<(usize, u128), usize> = Default::default();
        let mut of = Vec::new();
        let person = asked
            .iter()
            .zip(&combos.of)
            .map(|(asked, &combo)| {
                let asked = (*asked)?;
                Some(*ids.entry((combo, asked)).or_insert_with(|| {
                    of.push((combo, asked));
                    of.len() - 1
                }))
            })
            .collect();
        Kinds { of, person }
    }

    /// Calls `read` with every unit and its people by kind (kind, how many; by kind),
    /// children before parents. A unit's are its direct members' and its child units' added
    /// up, so each person is counted once, not once per unit above them (a dense count per
    /// kind while a unit is added up: no map per unit).
    fn each_unit(
        &self,
        layout: &Layout,
        placements: &[Placement],
        mut read: impl FnMut(usize, &[(usize, usize)]),
    ) {
        let units = layout.tree.len();
        let mut direct: Vec<Vec<usize>> = vec![Vec::new(); units];
        for (placement, kind) in placements.iter().zip(&self.person) {
            if let (Some(kind), Some(d)) = (kind, direct.get_mut(placement.unit)) {
                d.push(*kind);
            }
        }
        let mut below: Vec<Vec<(usize, usize)>> = vec![Vec::new(); units];
        let mut dense = vec![0usize; self.of.len()];
        let mut touched: Vec<usize> = Vec::new();
        for &unit in layout.tree.top_down().iter().rev() {
            let mut add = |kind: usize, n: usize| {
                if let Some(d) = dense.get_mut(kind) {
                    if *d == 0 {
                        touched.push(kind);
                    }
                    *d += n;
                }
            };
            for &kind in direct.get(unit).map_or(&[][..], Vec::as_slice) {
                add(kind, 1);
            }
            for &child in layout.tree.children(unit) {
                // Each child is added into its parent once, then dropped.
                for (kind, n) in below.get_mut(child).map(std::mem::take).unwrap_or_default() {
                    add(kind, n);
                }
            }
            touched.sort_unstable();
            let people: Vec<(usize, usize)> = touched
                .drain(..)
                .map(|kind| (kind, dense.get_mut(kind).map_or(0, std::mem::take)))
                .collect();
            read(unit, &people);
            if let Some(slot) = below.get_mut(unit) {
                *slot = people;
            }
        }
    }
}

/// A unit's people with a score on the scale, by kind ([`Kinds::each_unit`]).
#[derive(Clone, Copy)]
struct People<'a> {
    kinds: &'a Kinds,
    /// (kind, how many), by kind.
    counts: &'a [(usize, usize)],
}

/// A unit's people by class as a reading sees them: those alike in it (the same `key` of
/// their combination, the same questions answered) are one column of its system. `key` is
/// `None` for people the reading leaves out.
fn classes<K: Ord>(
    people: People<'_>,
    key: impl Fn(usize) -> Option<K>,
) -> BTreeMap<(K, u128), usize> {
    let mut alike = BTreeMap::new();
    for &(kind, n) in people.counts {
        let Some(&(combo, asked)) = people.kinds.of.get(kind) else {
            continue;
        };
        if let Some(key) = key(combo) {
            *alike.entry((key, asked)).or_default() += n;
        }
    }
    alike
}

/// A reading's own system, of one unit (`layout`'s only one): a column of k people is never
/// part of a small group, so k of a class stand for any more.
struct Local {
    layout: Layout,
    placements: Vec<Placement>,
    answered: Vec<Answered>,
    /// Per cell of `layout`, how many people it holds, all of each class.
    people: Vec<usize>,
}

impl Local {
    /// From classes: their values in `layout`, the questions they answered (a bit set of
    /// the scale's `questions`), how many they are.
    fn new(
        layout: Layout,
        classes: impl IntoIterator<Item = (Vec<Option<usize>>, u128, usize)>,
        questions: usize,
        k: usize,
    ) -> Self {
        let mut placements = Vec::new();
        let mut answered = Vec::new();
        let mut people = vec![0; layout.cell_count()];
        for (values, asked, n) in classes {
            let placement = Placement { unit: 0, values };
            layout.for_each_cell_of(&placement, |cell| {
                if let Some(c) = people.get_mut(cell) {
                    *c += n;
                }
            });
            let asked: Vec<usize> = (0..questions).filter(|&q| asked & (1 << q) != 0).collect();
            for _ in 0..n.min(k) {
                placements.push(placement.clone());
                answered.push(Some(asked.clone()));
            }
        }
        Local {
            layout,
            placements,
            answered,
            people,
        }
    }

    /// [`hide_questions`] on this system.
    fn hide_questions(&self, questions: usize, shown: (&[bool], &mut [bool]), k: usize) -> usize {
        hide_questions(
            &self.layout,
            &self.placements,
            &self.answered,
            questions,
            shown,
            &self.people,
            k,
        )
    }
}

/// What [`hide_questions_unit_by_unit`] reads a unit with, where the organisation has
/// several report attributes.
struct UnitReading<'a> {
    layout: &'a Layout,
    combos: &'a Combos,
    questions: usize,
    k: usize,
    alone: &'a UnitTree,
    /// Per cell, how many answered every question.
    complete_in: &'a [usize],
}

impl UnitReading<'_> {
    /// The unit's whole cell with the cuts of every attribute, over everyone below it (by
    /// class: the same values, the same questions answered, k standing for any more), where
    /// the whole shows both and a cut the scale only; questions hide where
    /// [`hide_questions`] finds a set. Returns how many cells it hid.
    fn with_every_cut(
        &self,
        unit: usize,
        people: People<'_>,
        (scale_shown, both_shown): (&[bool], &mut [bool]),
    ) -> usize {
        let shown = |cells: &[bool], c: usize| cells.get(c).copied().unwrap_or(false);
        // (cut, its cell in the organisation), the whole first.
        let cuts = self
            .layout
            .value_counts
            .iter()
            .enumerate()
            .flat_map(|(a, &values)| (0..values).map(move |v| Some((a, v))));
        let cells: Vec<(Option<(usize, usize)>, usize)> = std::iter::once(None)
            .chain(cuts)
            .map(|cut| (cut, self.layout.cell_index(CellKey { unit, cut })))
            .collect();
        let whole_both = cells.first().is_some_and(|&(_, c)| shown(both_shown, c));
        if !whole_both {
            return 0;
        }
        let scale_only = cells
            .iter()
            .any(|&(_, c)| shown(scale_shown, c) && !shown(both_shown, c));
        // Each attribute's rest holds a complete answerer: nothing to read without a cut that
        // shows the scale only (known from the counts, before anyone below is read).
        let count = |c: usize| self.complete_in.get(c).copied().unwrap_or(0);
        let whole = self.layout.cell_index(CellKey { unit, cut: None });
        let rests_complete = self
            .layout
            .value_counts
            .iter()
            .enumerate()
            .all(|(a, &values)| {
                let in_cuts: usize = (0..values)
                    .map(|v| {
                        self.layout.cell_index(CellKey {
                            unit,
                            cut: Some((a, v)),
                        })
                    })
                    .filter(|&c| shown(both_shown, c))
                    .map(count)
                    .sum();
                count(whole).saturating_sub(in_cuts) > 0
            });
        if !scale_only && rests_complete {
            return 0;
        }
        let alike = classes(people, |combo| Some(self.combos.values(combo)));
        let complete = |asked: &u128| asked.count_ones() as usize >= self.questions;
        if alike.keys().all(|(_, asked)| complete(asked)) {
            return 0;
        }
        // With no cut showing the scale only, what is left to read is each attribute's rest
        // (the whole less its cuts that show both) as one cell: read where one has no
        // complete answerer (see the single-attribute reading).
        let both_cut = |a: usize, value: Option<usize>| {
            value.is_some_and(|v| {
                let c = self.layout.cell_index(CellKey {
                    unit,
                    cut: Some((a, v)),
                });
                shown(both_shown, c)
            })
        };
        let rest_without_complete = (0..self.layout.value_counts.len()).any(|a| {
            let mut rest = alike
                .keys()
                .filter(|(values, _)| !both_cut(a, values.get(a).copied().flatten()));
            rest.clone().next().is_some() && !rest.any(|(_, asked)| complete(asked))
        });
        if !scale_only && !rest_without_complete {
            return 0;
        }
        let local = Local::new(
            Layout::new(self.alone.clone(), self.layout.value_counts.clone()),
            alike
                .into_iter()
                .map(|((values, asked), n)| (values.to_vec(), asked, n)),
            self.questions,
            self.k,
        );
        let mut local_scale = vec![false; local.layout.cell_count()];
        let mut local_both = local_scale.clone();
        for &(cut, c) in &cells {
            let at = local.layout.cell_index(CellKey { unit: 0, cut });
            if let (Some(s), Some(b)) = (local_scale.get_mut(at), local_both.get_mut(at)) {
                *s = shown(scale_shown, c);
                *b = shown(both_shown, c);
            }
        }
        local.hide_questions(self.questions, (&local_scale, &mut local_both), self.k);
        let mut hidden = 0;
        for &(cut, c) in &cells {
            let at = local.layout.cell_index(CellKey { unit: 0, cut });
            let now = local_both.get(at).copied().unwrap_or(false);
            if let Some(b) = both_shown.get_mut(c).filter(|b| **b && !now) {
                *b = false;
                hidden += 1;
            }
        }
        hidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::UnitTree;

    /// One team of six, k = 5: two people answered all three questions, four skipped the
    /// first. Where the team shows the scale and its questions, the first question's figures
    /// are the two complete answerers' answers to it (and the three figures together give
    /// their scores too); with the scale alone there is nothing to find.
    #[test]
    fn a_question_answered_by_two_gives_their_answers_to_it_away() {
        let layout = Layout::new(UnitTree::new(vec![None]).unwrap(), vec![]);
        let placements = vec![
            Placement {
                unit: 0,
                values: vec![]
            };
            6
        ];
        let answered: Vec<Answered> = (0..6)
            .map(|p| Some(if p < 2 { vec![0, 1, 2] } else { vec![1, 2] }))
            .collect();
        let found = breaches(&layout, &placements, &answered, 3, (&[true], &[true]), 5);
        let first: Vec<&Vec<usize>> = found
            .iter()
            .filter(|(question, _)| *question == Some(0))
            .map(|(_, b)| &b.respondents)
            .collect();
        assert_eq!(first, vec![&vec![0, 1], &vec![0, 1]], "sums and favourable");
        assert!(found
            .iter()
            .all(|(question, _)| question.is_none() || *question == Some(0)));
        assert!(breaches(&layout, &placements, &answered, 3, (&[true], &[false]), 5).is_empty());
    }

    /// The benchmark's shape: a team's rest shows the scale and its three questions, its
    /// tenure band 2 (one complete answerer and five who answered two questions) shows the
    /// scale only, and everyone else in the rest answered all three. Three times the rest's
    /// sum less its questions' sums is the five's scores, and band 2's sum less those is the
    /// sixth's: found by both readings. With five complete answerers in band 2 instead of
    /// one, neither finds anything.
    #[test]
    fn a_rest_gives_its_cut_s_one_complete_answerer_away_by_the_classes_too() {
        let alone = UnitTree::new(vec![None]).unwrap();
        let (all, two) = (0b111u128, 0b110u128);
        let rest = |complete_in_band: usize| -> RestClasses {
            BTreeMap::from([
                ((None, all), 10),
                ((Some(1), all), complete_in_band),
                ((Some(1), two), 5),
            ])
        };
        let row = [false, true, false];
        assert!(rest_may_give_away(&rest(1), &row, 3, 5));
        assert!(rest_gives_away(&alone, rest(1), &row, 3, 5));
        assert!(!rest_may_give_away(&rest(5), &row, 3, 5));
        assert!(!rest_gives_away(&alone, rest(5), &row, 3, 5));
        // Two bands that show the scale only, one with a person who answered one question,
        // the other with one who answered two: no weight of the questions leaves either
        // alone with the rest, and neither reading finds anything.
        let one = 0b001u128;
        let apart = BTreeMap::from([
            ((None, all), 10),
            ((Some(0), all), 5),
            ((Some(0), one), 1),
            ((Some(1), all), 5),
            ((Some(1), two), 1),
        ]);
        let rows = [true, true];
        assert!(!rest_may_give_away(&apart, &rows, 3, 5));
        assert!(!rest_gives_away(&alone, apart, &rows, 3, 5));
    }

    use proptest::prelude::*;

    /// A unit's rest: the scale's questions, k, per value whether its cut shows the scale
    /// only, and the classes (value, questions answered as a bit set, people), with every
    /// group the scale's suppression would show whole (a value whose cut is a row, or
    /// everyone else) holding 0 or at least k people, as D4 keeps them.
    fn rest() -> impl Strategy<Value = (usize, usize, Vec<bool>, RestClasses)> {
        (
            2usize..=4,
            3usize..=6,
            prop::collection::vec(any::<bool>(), 1..=3),
        )
            .prop_flat_map(|(questions, k, row)| {
                let values = row.len();
                let class = (
                    prop::option::of(0..values),
                    0u128..(1 << questions),
                    1usize..=6,
                );
                prop::collection::vec(class, 1..=7).prop_map(move |list| {
                    let mut classes = RestClasses::new();
                    for (value, asked, n) in list {
                        *classes.entry((value, asked)).or_default() += n;
                    }
                    let group = |value: Option<usize>| value.filter(|&v| row[v]);
                    let mut totals: BTreeMap<Option<usize>, usize> = BTreeMap::new();
                    // (Someone who answered no question is in no row: in no group.)
                    for (&(value, asked), &n) in &classes {
                        if asked != 0 {
                            *totals.entry(group(value)).or_default() += n;
                        }
                    }
                    for (g, total) in totals {
                        if total < k {
                            if let Some((_, n)) = classes
                                .iter_mut()
                                .find(|((v, asked), _)| *asked != 0 && group(*v) == g)
                            {
                                *n += k - total;
                            }
                        }
                    }
                    (questions, k, row.clone(), classes)
                })
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The classes' reading says "nothing" only where the exact reading finds nothing,
        /// and, with a complete answerer in the rest, says "found" only where it finds a set.
        #[test]
        fn the_classes_read_a_rest_as_the_exact_reading_does((questions, k, row, classes) in rest()) {
            let alone = UnitTree::new(vec![None]).unwrap();
            let may = rest_may_give_away(&classes, &row, questions, k);
            let complete = classes.keys().any(|&(_, asked)| asked.count_ones() as usize == questions);
            let exact = rest_gives_away(&alone, classes, &row, questions, k);
            prop_assert!(may || !exact, "the exact reading finds a set the classes' does not");
            if complete {
                prop_assert_eq!(may, exact);
            }
        }
    }
}
