//! A wave's release (docs/privacy.md D2): every unit of the tree rolled up over its subtree and every
//! unit x value of each report attribute, for every scale and for the burnout profiles, with
//! suppression decided once over the whole release (D3, D4). Every export is produced from a
//! [`Release`] only (D6): hidden cells carry no figure at all.

use crate::bands::{self, Band, MeanBand};
use crate::csv_out::CsvWriter;
use crate::disclosure::derived::Distributions;
use crate::disclosure::{
    self, AtomIndex, CellKey, CellStatus, CountModel, Invited, Layout, MeanAnswers, MeanBounds,
    MeanReach, Placement, SwapHints,
};
use crate::error::EngineError;
use crate::instrument::Instrument;
use crate::org::OrgTree;
use crate::reliability::ReleasedAlpha;
use crate::scoring::SheetScores;
use crate::stats::{welch_significant, GroupStats, Moments, ScaleTally};

mod with_questions;

/// The design's floor for k (D1).
pub const MIN_K: usize = 3;

/// P2's default protection level: a small group's possible means span at least half the
/// scale's range (docs/privacy.md D7).
pub const DEFAULT_MEAN_PROTECTION: f64 = 0.5;

/// What a release protects against beyond D3 and D4 (docs/privacy.md D7).
#[derive(Clone, Copy, Debug)]
pub struct Protection<'a> {
    /// How many people were invited per roster atom: with it, P1 protects every count.
    pub invited: Option<&'a Invited>,
    /// P2's protection level as a share of the scale's range, from 0 (P2 off) to 1.
    pub mean_share: f64,
}

impl Default for Protection<'_> {
    fn default() -> Self {
        Protection {
            invited: None,
            mean_share: DEFAULT_MEAN_PROTECTION,
        }
    }
}

/// A report attribute (e.g. tenure band) and its values, sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub values: Vec<String>,
}

/// One scored answer sheet with where it belongs.
#[derive(Clone, Debug)]
pub struct PlacedSheet {
    pub placement: Placement,
    pub scores: SheetScores,
    /// The raw answers, aligned with the instrument's items (`None`: skipped). Each item is
    /// a measure of its own (D8); a sheet with no answers here counts for no item.
    pub answers: Vec<Option<i32>>,
}

/// One cell of one scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeatCell {
    pub status: CellStatus,
    /// Only for shown cells.
    pub stats: Option<GroupStats>,
    /// Cell mean minus the root's (same cut and scale); only when both are shown.
    pub delta_org: Option<f64>,
    /// Welch's t-test against the rest of the organisation (same cut); never for the root.
    pub significant: Option<bool>,
    /// D9: set instead of `stats.favorable_pct` when that figure is within one respondent of
    /// all or none.
    pub favorable_band: Option<Band>,
    /// D9: set when all respondents but at most one scored at one end of the scale; then the
    /// cell shows only its n (`stats` holds no mean, sd or interval; no comparisons, no
    /// moments).
    pub mean_band: Option<MeanBand>,
    /// Set instead of `stats.sd` (and with the confidence interval and Welch's tests
    /// withheld, which would give the sd back) when the sd would bound the mean of a small
    /// group inside the cell narrower than P2's protection level: the sd is below this figure
    /// (docs/privacy.md D7, [`disclosure::spread`]).
    pub sd_below: Option<f64>,
    /// Mergeable moments, kept for comparisons between releases; only for shown cells.
    pub moments: Option<Moments>,
}

/// The burnout-profile distribution of one cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfileCell {
    pub status: CellStatus,
    /// Respondents and their count per [`crate::Profile`] (indexed by `Profile::index`); only shown.
    pub counts: Option<(u64, [u64; 6])>,
}

/// One item of the instrument as a measure of its own (D8): its respondents are those with
/// a score on the item's scale who answered it ([`counted_answer`]).
#[derive(Clone, Debug)]
pub struct ItemMeasure {
    /// The item's id in the instrument.
    pub id: String,
    /// Index of the item's scale.
    pub scale: usize,
    /// Per cell, indexed like `layout.cells()`.
    pub status: Vec<CellStatus>,
}

/// What a release shows of one item in one cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ItemCell<'a> {
    pub status: CellStatus,
    /// Answers per scale point from the scale's minimum up; only for shown cells.
    pub counts: Option<&'a [u64]>,
}

#[derive(Clone, Debug)]
pub struct Release {
    pub wave: String,
    pub k: usize,
    pub tree: OrgTree,
    pub attributes: Vec<Attribute>,
    pub layout: Layout,
    /// Scale ids in instrument order.
    pub scales: Vec<String>,
    /// `heat[scale][cell]`, cells indexed like `layout.cells()`.
    pub heat: Vec<Vec<HeatCell>>,
    /// Per cell; empty when the instrument has no profile settings.
    pub profiles: Vec<ProfileCell>,
    /// The lowest point of the answer scale; item counts start there.
    pub scale_min: i32,
    /// Points of the answer scale.
    pub points: usize,
    /// Every item in instrument order.
    pub items: Vec<ItemMeasure>,
    /// Answers per cell, item and scale point, `[(cell * items + item) * points + point]`
    /// ([`Release::item_cell`]); zero where the item's cell is hidden (D6). Kept as the
    /// roll-up sums them, cell by cell: one item's answers are read in place, not copied.
    item_counts: Vec<u64>,
    /// Items per cell in `item_counts` (the instrument's, whatever is done to `items`).
    item_count: usize,
    /// Per cell: how many answered at all (every answer sheet of the wave), where shown, and
    /// for whole units only (`None` for every cut: no view shows one, and beside the scales'
    /// counts a cut's would pin small ones, docs/privacy.md D7). A measure of the release
    /// like the scales and items (suppressed, P1, audited): the counts `wave status` prints
    /// for a closed wave, so they add nothing to the release.
    pub answered: Vec<Option<u64>>,
    /// Cronbach's alpha of each unit's scales (its whole subtree) as the release may say it
    /// (`crate::reliability`), `[unit * scales + scale]`; read through [`Release::unit_alphas`].
    alphas: Vec<ReleasedAlpha>,
    /// The roster's invited counts the release was protected with (P1), if any.
    pub invited: Option<Invited>,
    /// Groups under k, summed over measures, whose count a roster-knowing reader can pin
    /// only because they sit inside shown cells that answered in full (P1's one exception).
    pub count_exceptions: usize,
    /// P2's protection level as a share of the scale's range.
    pub mean_share: f64,
    /// Groups under k, summed over scales and items, whose possible means stay narrower than
    /// P2 asks because only hiding the root's whole figure would widen them (P2's one
    /// exception). `None`: P2 is off. With report attributes, in a release of more than
    /// [`EXACT_AUDIT_MAX_CELLS`] cells, P2 proves the whole-unit groups of scales wide, hides
    /// for their attribute cuts only where they are surely narrow, and leaves items as they
    /// are ([`disclosure::MeanReach`]); [`Release::audit_means`] checks every group.
    pub mean_exceptions: Option<usize>,
}

/// The largest release (cells per measure: units x (1 + attribute values)) that
/// [`Release::audit_all`] runs D4's exact auditor on, and that P2 protects every group of
/// (with report attributes too; [`disclosure::MeanReach::EveryGroup`]). The auditor's
/// elimination over exact fractions grows much faster than the release: it takes seconds
/// on the demo's 54 units and did not finish in minutes on the 10,000-unit benchmark. D4
/// holds by construction (the suppressor) and is checked in the tests on every release
/// they build.
pub const EXACT_AUDIT_MAX_CELLS: usize = 2_000;

/// How far P2 protects in a release of this layout (with report attributes): every group
/// where the linear programs can afford it, the auditor's own reach at close.
fn mean_reach(layout: &Layout) -> MeanReach {
    if layout.cell_count() <= EXACT_AUDIT_MAX_CELLS {
        MeanReach::EveryGroup
    } else {
        MeanReach::WholeUnits
    }
}

/// What [`Release::audit_counts`] found, per measure name: the groups under k whose count is
/// pinned, and those excused by complete response (P1's one exception).
pub type CountFindings = (
    Vec<(String, disclosure::CountGroup)>,
    Vec<(String, disclosure::CountGroup)>,
);

/// What [`Release::audit_all`] found, per measure name.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditFindings {
    /// The scales and items checked.
    pub measures: usize,
    /// D4: groups under k that adding and subtracting shown figures isolates; `None`: the
    /// release is larger than [`EXACT_AUDIT_MAX_CELLS`] and the exact auditor did not run.
    pub breaches: Option<Vec<(String, disclosure::Breach)>>,
    /// Whether P1 ran (the roster's invited counts were known).
    pub counts_checked: bool,
    /// P1: groups under k whose count a reader who knows the roster can pin.
    pub pinned: Vec<(String, disclosure::CountGroup)>,
    /// P1's counted exception: groups inside shown cells that answered in full.
    pub excused: usize,
    /// P2: groups under k whose possible means are narrower than the protection level.
    pub narrow: Vec<(String, disclosure::NarrowGroup)>,
    /// P2's counted exception: groups only the organisation's own figure pins.
    pub mean_exceptions: usize,
    /// D9: rests of shown distributions (a shown cell less shown cells inside it) whose
    /// answers one category holds all or all but one of.
    pub alike: Vec<(String, disclosure::derived::AlikeRest)>,
}

impl AuditFindings {
    /// No breach, no pinned count, no narrow mean and no alike rest (the counted exceptions
    /// aside).
    pub fn clean(&self) -> bool {
        self.breaches.as_ref().is_none_or(Vec::is_empty)
            && self.pinned.is_empty()
            && self.narrow.is_empty()
            && self.alike.is_empty()
    }
}

impl Release {
    /// Builds the release of one wave without the roster's invited counts, so without P1,
    /// with P2 at its default level (see [`Release::build_for_roster`]). `k` below [`MIN_K`]
    /// is refused.
    pub fn build(
        instrument: &Instrument,
        tree: OrgTree,
        attributes: Vec<Attribute>,
        sheets: &[PlacedSheet],
        k: usize,
        wave: &str,
    ) -> Result<Release, EngineError> {
        let protection = Protection::default();
        Self::build_for_roster(instrument, tree, attributes, sheets, protection, k, wave)
    }

    /// Builds the release of one wave. With `protection.invited` (how many people were
    /// invited per roster atom) every measure is also protected against a reader who knows
    /// those counts (P1, [`disclosure::CountModel`]): no count under k can be pinned, except
    /// inside shown cells that answered in full, which [`Release::count_exceptions`] counts.
    /// Then every scale and item keeps the possible means of each group under k at least
    /// `protection.mean_share` of the scale's range wide (P2, [`disclosure::protect_means`]),
    /// except where only the root's whole figure is left to hide, which
    /// [`Release::mean_exceptions`] counts; with report attributes in a release of more than
    /// [`EXACT_AUDIT_MAX_CELLS`] cells, only whole units' scale means and surely narrow cuts
    /// ([`disclosure::MeanReach`]). `k` below [`MIN_K`] is refused.
    pub fn build_for_roster(
        instrument: &Instrument,
        tree: OrgTree,
        attributes: Vec<Attribute>,
        sheets: &[PlacedSheet],
        protection: Protection<'_>,
        k: usize,
        wave: &str,
    ) -> Result<Release, EngineError> {
        if k < MIN_K {
            return Err(EngineError::InvalidInput(format!(
                "the minimum group size must be at least {MIN_K}, got {k}"
            )));
        }
        if !(0.0..=1.0).contains(&protection.mean_share) {
            return Err(EngineError::InvalidInput(format!(
                "the mean protection level must be a share of the scale's range from 0 to 1, got {}",
                protection.mean_share
            )));
        }
        let invited = protection.invited;
        let layout = Layout::new(
            tree.unit_tree()?,
            attributes.iter().map(|a| a.values.len()).collect(),
        );
        let placements: Vec<Placement> = sheets.iter().map(|s| s.placement.clone()).collect();
        let item_count = instrument.items.len();
        let item_scale = |i: usize| {
            instrument
                .items
                .get(i)
                .map_or(usize::MAX, |item| item.scale)
        };
        let scale_count = instrument.scales.len();
        let lowest = f64::from(instrument.response_scale.min);
        let highest = f64::from(instrument.response_scale.max);
        let scale_min = instrument.response_scale.min;
        let points = instrument.response_scale.points().count();
        let width = item_count * points;
        // The figures of every cell, rolled up the tree, do not depend on what is hidden: they
        // are summed on a thread of their own while D4 (one thread) and P2 and P1 (every
        // thread) decide what is shown.
        let roll_ups = || {
            // All in one pass over the sheets, by unit: each sheet is read once, and its
            // unit's rows stay in the cache ([`by_unit`]).
            let mut scales = Rows::new(&layout, scale_count);
            let mut profiles = instrument.profiles.as_ref().map(|_| Rows::new(&layout, 1));
            let mut items = Rows::new(&layout, width);
            let mut alphas = crate::reliability::UnitTallies::empty(instrument, layout.tree.len());
            for sheet in by_unit(sheets, layout.tree.len()) {
                for cell in own_cells(&layout, &sheet.placement) {
                    if let Some(row) = scales.row(cell) {
                        add_scores(sheet, row, (lowest, highest));
                    }
                    let profile = profiles.as_mut().and_then(|p| p.row(cell));
                    if let (Some(p), Some([c])) = (sheet.scores.profile, profile) {
                        let c: &mut (u64, [u64; 6]) = c;
                        c.0 += 1;
                        if let Some(slot) = c.1.get_mut(p.index()) {
                            *slot += 1;
                        }
                    }
                    let Some(row) = items.row(cell) else {
                        continue;
                    };
                    for i in 0..item_count {
                        let answer = counted_answer(sheet, i, item_scale(i));
                        let point = answer.and_then(|v| usize::try_from(v - scale_min).ok());
                        if let Some(slot) = point
                            .filter(|p| *p < points)
                            .and_then(|p| row.get_mut(i * points + p))
                        {
                            *slot += 1;
                        }
                    }
                }
                alphas.add(instrument, sheet);
            }
            let scales = scales.summed_up(&layout);
            let profiles = profiles.map(|p| p.summed_up(&layout));
            let items: Vec<u64> = items.summed_up(&layout);
            let alphas = alphas.summed_up(&layout.tree);
            // Everyone who answered at all, per cell (`Release::answered`).
            let answered = disclosure::cell_counts(&layout, &placements, &vec![true; sheets.len()]);
            // What the sd's P2 knows of the groups in each cell (from the roster alone).
            let parts = disclosure::spread::Parts::new(&layout, invited.map(|i| &i.atoms[..]), k);
            (scales, profiles, items, alphas, (answered, parts))
        };
        let p2 = MeanProtection::new(
            instrument,
            &layout,
            &placements,
            sheets,
            protection.mean_share,
            k,
        );
        let protect = || -> Result<_, EngineError> {
            // (Computed here, beside the roll-ups, which do not need them.)
            let memberships = memberships(instrument, sheets);
            // The family groups' suppression (D8) on a thread of its own beside the measures'
            // (each is one thread, and it does not depend on theirs), then P1's model of the
            // roster, which needs no statuses: that thread ends well before the measures'.
            let (statuses, (family, model)) = std::thread::scope(|scope| {
                let family = scope.spawn(|| {
                    let family = family_patterns(instrument, &layout, &placements, sheets, k);
                    let model = invited.map(|i| CountModel::new(&layout, i, &placements, k));
                    (family, model)
                });
                let statuses = Suppressor::new(&layout, &placements, k).statuses(&memberships);
                let family = family
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (statuses, family)
            });
            let mut statuses = statuses?;
            hide_items_with_their_scale(
                instrument,
                &layout,
                (&placements, sheets),
                (family?, k),
                &mut statuses,
            )?;
            // P2 before P1: each only hides, so neither undoes the other, and P1's count of
            // complete-response exceptions is then taken on the final statuses.
            let mean_exceptions = protect_means_of_all(&p2, &mut statuses);
            let mut excused = vec![Vec::new(); memberships.len()];
            let mut counts_model = None;
            let mut beside = Beside::default();
            if let Some(model) = model {
                let model = model.map_err(|e| EngineError::InvalidInput(e.to_string()))?;
                beside = Beside::new(instrument, sheets, &statuses);
                excused = protect_counts_of_all(&model, &memberships, &mut beside, &mut statuses);
                counts_model = Some(model);
            }
            Ok((
                statuses,
                mean_exceptions,
                excused,
                (counts_model, beside),
                memberships,
            ))
        };
        let (rolled, protected) = std::thread::scope(|scope| {
            let rolled = scope.spawn(roll_ups);
            let protected = protect();
            let rolled = rolled
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (rolled, protected)
        });
        let (all_tallies, profile_counts, mut item_counts, alpha_tallies, (answered_n, parts)) =
            rolled;
        let (statuses, mean_exceptions, mut excused, (counts_model, beside), memberships) =
            protected?;
        // D9 hides after P1 (it needs the rolled-up answers): where it hides, P1 checks again
        // the groups it had excused (every other group keeps its certificate), so that they
        // and the count of exceptions hold for the final statuses.
        // `outer`: a question's scale's statuses as they are now (else those P1 left).
        let recheck_counts = |measure: usize,
                              open: Vec<usize>,
                              status: &mut [CellStatus],
                              outer: Option<&[CellStatus]>| {
            if open.is_empty() {
                return Some(open);
            }
            let model = counts_model.as_ref()?;
            let present = memberships.get(measure)?;
            let within = beside.within_now(measure, &memberships, outer);
            Some(
                model
                    .protect_within(present, status, Some(open), within.as_ref())
                    .1,
            )
        };
        let mut statuses = statuses.into_iter();
        // P2 for the sd: a shown sd must not bound a small group's mean too narrowly.
        let spread_bounds = MeanBounds::with_share(lowest, highest, protection.mean_share);
        let profile_flat: Vec<u64> = profile_counts
            .iter()
            .flatten()
            .flat_map(|(_, per)| *per)
            .collect();
        let first_item = scale_count + usize::from(profile_counts.is_some());
        let finishing = (0..first_item + item_count)
            .map(|measure| {
                Ok(Finishing {
                    measure,
                    status: statuses.next().ok_or_else(Suppressor::missing)?,
                    open: excused.get(measure).cloned().unwrap_or_default(),
                    cells: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        // D9 for what a reader works out: a scale's means and favourable %s (then its cells:
        // statistics, Welch's test against the organisation, the sd's bands on the final
        // statuses), the profiles, each item's answers. Where D9 hides, P1 checks again the
        // groups it had excused. A scale and its items are one piece of work, since its items
        // show the same cells, among the scale's (D8, `Family`); one queue on every core, the
        // scales (the longest) first.
        let strided = |m: usize| Strided {
            all: &all_tallies,
            width: scale_count,
            offset: m,
        };
        // A scale of one question scores each respondent by their answer: its cells' means
        // are banded where the question's answers are (D9).
        let single_item: Vec<Option<usize>> = (0..scale_count)
            .map(|s| match instrument.scale_items(s) {
                [item] => Some(*item),
                _ => None,
            })
            .collect();
        let one_answer = |m: usize| {
            let item = single_item.get(m).copied().flatten();
            let counts = &item_counts;
            move |cell: usize| {
                item.is_some_and(|i| {
                    let at = cell * width + i * points;
                    counts
                        .get(at..at + points)
                        .is_some_and(|c| bands::distribution_bands(c).is_some())
                })
            }
        };
        let scale_rests = |m: usize, status: &mut [CellStatus]| {
            let tallies = strided(m);
            hide_alike_scale_rests(&layout, &tallies, one_answer(m), status)
        };
        let item_rests = |items: &[Finishing], status: &mut [CellStatus]| {
            let mut shown: Vec<Distributions<'_>> = items
                .iter()
                .map(|item| {
                    let answers = item_counts
                        .get((item.measure - first_item) * points..)
                        .unwrap_or(&[]);
                    Distributions::as_shown_among(points, width, answers, status)
                })
                .collect();
            !disclosure::derived::protect(&layout, &mut shown, status).is_empty()
        };
        // D9 with D8: on a scale of several questions, for those who answered every question,
        // three times the scale's sum less its other questions' sums is one question's sum,
        // and its favourable answers less theirs are that question's. So where one question's
        // answers would be banded, the scale's figures would give the band back: the
        // questions hide such a cell instead of showing the band (and D9's rests then keep it
        // from being worked out). A scale of one question shows the band in both, its mean
        // as a band too.
        let hide_banded = |items: &[Finishing], status: &mut [CellStatus]| {
            for (cell, st) in status.iter_mut().enumerate() {
                let banded = items.iter().any(|item| {
                    let at = cell * width + (item.measure - first_item) * points;
                    item_counts
                        .get(at..at + points)
                        .is_some_and(|c| bands::distribution_bands(c).is_some())
                });
                if banded && *st == CellStatus::Shown {
                    *st = CellStatus::Complementary;
                }
            }
        };
        let mut work = Family::split(finishing, &instrument.items, scale_count, first_item)?;
        on_every_core(&mut work, |family| {
            let recheck =
                |m: usize, open, status: &mut [CellStatus], outer: Option<&[CellStatus]>| {
                    recheck_counts(m, open, status, outer)
                };
            match family {
                Family::Profiles(profiles) => {
                    let m = profiles.measure;
                    let categories = crate::Profile::ALL.len();
                    hide_alike_then_recheck(
                        &mut profiles.status,
                        &mut profiles.open,
                        |status| {
                            let d = Distributions::as_shown(categories, &profile_flat, status);
                            hide_alike_rests(&layout, d, status)
                        },
                        |open, status| recheck(m, open, status, None),
                    );
                }
                Family::Scale { scale, items } => {
                    let single = items.len() == 1;
                    let m = scale.measure;
                    // D9 and P1, then P2 once more on the final statuses, until P2 hides
                    // nothing more (where it hides, D9 reads the new rests).
                    loop {
                        if !single {
                            hide_alike_then_recheck(
                                &mut scale.status,
                                &mut scale.open,
                                |status| scale_rests(m, status),
                                |open, status| recheck(m, open, status, None),
                            );
                        }
                        let joint = |items: &[Finishing], status: &mut [CellStatus]| {
                            if !single {
                                hide_banded(items, status);
                                item_rests(items, status);
                                return;
                            }
                            // A scale of one item: both readings on the one pattern, until
                            // neither hides.
                            while {
                                scale_rests(m, status);
                                item_rests(items, status)
                            } {}
                        };
                        Family::finish_items(scale, items, single, joint, recheck);
                        let mut hid = p2.protect_again(m, &mut scale.status);
                        for item in items.iter_mut() {
                            hid |= p2.protect_again(item.measure, &mut item.status);
                        }
                        if !hid {
                            break;
                        }
                    }
                    let tallies = strided(scale.measure);
                    scale.cells = heat_cells(
                        &layout,
                        &scale.status,
                        tallies,
                        one_answer(m),
                        &parts,
                        spread_bounds,
                    );
                }
            }
        });
        let finishing = Family::join(work);
        let mut heat = Vec::with_capacity(scale_count);
        let mut profile_status = None;
        let mut items = Vec::with_capacity(item_count);
        for (
            Finishing {
                measure: m,
                status,
                open,
                cells,
                ..
            },
            item,
        ) in finishing.into_iter().zip(
            (0..first_item)
                .map(|_| None)
                .chain(instrument.items.iter().map(Some)),
        ) {
            if let Some(slot) = excused.get_mut(m) {
                *slot = open;
            }
            match item {
                Some(item) => items.push(ItemMeasure {
                    id: item.id.clone(),
                    scale: item.scale,
                    status,
                }),
                None if m < scale_count => heat.push(cells),
                None => profile_status = Some(status),
            }
        }
        let profiles = match (profile_status, profile_counts) {
            (Some(status), Some(counts)) => status
                .iter()
                .zip(counts)
                .map(|(&status, counts)| ProfileCell {
                    status,
                    counts: (status == CellStatus::Shown).then_some(counts),
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut answered_status = statuses.next().ok_or_else(Suppressor::missing)?;
        // Everyone who answered is counted per unit only: `wave status` and the participation
        // page show a unit's count, and no view shows one of a unit's cuts. A cut's count
        // would also reach the scales' counts: it includes every scale's respondents in every
        // group, so a reader who knows the roster reads a scale's hidden count as at most it,
        // and in random organisations that pinned a small group's count one time in ten
        // (docs/privacy.md D7, "Counts of different measures"). Then P1 checks again the
        // groups it had excused (a shown cell around them may be hidden now).
        for (cell, st) in answered_status.iter_mut().enumerate() {
            if layout.cell_key(cell).cut.is_some() && *st == CellStatus::Shown {
                *st = CellStatus::Complementary;
            }
        }
        let answered_measure = memberships.len().saturating_sub(1);
        if let Some(open) = excused.get_mut(answered_measure) {
            *open = recheck_counts(
                answered_measure,
                std::mem::take(open),
                &mut answered_status,
                None,
            )
            .unwrap_or_default();
        }
        // Nothing of a hidden cell outlives the build (D6).
        let answered = answered_status
            .iter()
            .zip(answered_n)
            .map(|(st, n)| (*st == CellStatus::Shown).then_some(n as u64))
            .collect();
        let count_exceptions = excused.iter().map(Vec::len).sum();
        // Nothing of a hidden cell outlives the build (D6).
        // On every core, a block of cells each.
        const BLOCK: usize = 4096;
        let mut blocks: Vec<(usize, &mut [u64])> = item_counts
            .chunks_mut((width * BLOCK).max(1))
            .enumerate()
            .collect();
        on_every_core(&mut blocks, |(block, counts)| {
            for (i, answers) in counts.chunks_mut(width.max(1)).enumerate() {
                let cell = *block * BLOCK + i;
                for (item, answers) in items.iter().zip(answers.chunks_mut(points.max(1))) {
                    if item.status.get(cell).is_none_or(|st| st.is_hidden()) {
                        answers.fill(0);
                    }
                }
            }
        });

        // Cronbach's alpha of every unit's scales, beside its whole-unit scale cells.
        let alphas = (0..layout.tree.len())
            .flat_map(|unit| (0..scale_count).map(move |s| (unit, s)))
            .map(|(unit, s)| {
                let cell = heat
                    .get(s)
                    .and_then(|cells| cells.get(layout.cell_index(CellKey { unit, cut: None })));
                alpha_tallies.released(unit, s, cell, k)
            })
            .collect();
        Ok(Release {
            wave: wave.to_string(),
            k,
            tree,
            attributes,
            layout,
            scales: instrument.scales.iter().map(|s| s.id.clone()).collect(),
            heat,
            profiles,
            scale_min,
            points,
            items,
            item_counts,
            item_count,
            answered,
            alphas,
            invited: invited.cloned(),
            count_exceptions,
            mean_share: protection.mean_share,
            mean_exceptions,
        })
    }

    /// The rows of a report: units in tree order, each whole unit before its cuts.
    pub fn row_order(&self) -> Vec<CellKey> {
        let mut rows = Vec::with_capacity(self.layout.cell_count());
        for unit in self.tree.tree_order() {
            rows.push(CellKey { unit, cut: None });
            for (a, attr) in self.attributes.iter().enumerate() {
                rows.extend((0..attr.values.len()).map(|v| CellKey {
                    unit,
                    cut: Some((a, v)),
                }));
            }
        }
        rows
    }

    /// `attribute=value` for a cut, empty for a whole unit.
    pub fn cut_label(&self, key: CellKey) -> String {
        match key.cut {
            None => String::new(),
            Some((a, v)) => match self.attributes.get(a) {
                Some(attr) => format!(
                    "{}={}",
                    attr.name,
                    attr.values.get(v).map_or("", String::as_str)
                ),
                None => String::new(),
            },
        }
    }

    /// Cronbach's alpha of each of the release's scales for `unit` (its whole subtree), in
    /// scale order: said only beside a shown scale cell whose sd and mean are shown, over at
    /// least k complete answer sheets (docs/privacy.md D6).
    pub fn unit_alphas(&self, unit: usize) -> &[ReleasedAlpha] {
        let scales = self.scales.len();
        self.alphas
            .get(unit * scales..(unit + 1) * scales)
            .unwrap_or(&[])
    }

    pub fn heat_cell(&self, scale: usize, key: CellKey) -> Option<&HeatCell> {
        let i = self.layout.try_cell_index(key)?;
        self.heat.get(scale)?.get(i)
    }

    pub fn profile_cell(&self, key: CellKey) -> Option<&ProfileCell> {
        self.profiles.get(self.layout.try_cell_index(key)?)
    }

    /// Item `item` (instrument order) in the cell `key`.
    pub fn item_cell(&self, item: usize, key: CellKey) -> Option<ItemCell<'_>> {
        let cell = self.layout.try_cell_index(key)?;
        let m = self.items.get(item).filter(|_| item < self.item_count)?;
        let status = *m.status.get(cell)?;
        let from = (cell * self.item_count + item) * self.points;
        let counts = self.item_counts.get(from..from + self.points);
        Some(ItemCell {
            status,
            counts: counts.filter(|_| status == CellStatus::Shown),
        })
    }

    /// Item `item`'s answers from its first cell on, for reading in place: cell `c`'s
    /// lie `items * points` apart ([`disclosure::derived::Distributions::as_shown_among`]).
    fn item_answers(&self, item: usize) -> &[u64] {
        self.item_counts.get(item * self.points..).unwrap_or(&[])
    }

    /// The heat-map CSV (the contract other tools read).
    pub fn heatmap_csv(&self) -> Result<Vec<u8>, EngineError> {
        let rows = crate::report::heat_rows(self, &self.row_order(), None);
        crate::report::heatmap_csv(CsvWriter::lf(), &rows, false)
    }

    /// The profiles CSV: the burnout-profile distribution per unit and cut.
    pub fn profiles_csv(&self) -> Result<Vec<u8>, EngineError> {
        let rows = crate::report::profile_rows(self, &self.row_order());
        crate::report::profiles_csv(CsvWriter::lf(), &rows)
    }

    /// Runs the auditor (D5) over every measure of the release against the true placements
    /// and scores; returns the breaches found, per measure name.
    pub fn audit(
        &self,
        sheets: &[PlacedSheet],
    ) -> Result<Vec<(String, disclosure::Breach)>, EngineError> {
        let placements: Vec<Placement> = sheets.iter().map(|s| s.placement.clone()).collect();
        let mut found = Vec::new();
        let cells = self.layout.cells();
        for (name, present, status) in self.measures(sheets) {
            let shown: Vec<CellKey> = cells
                .iter()
                .zip(&status)
                .filter(|(_, s)| **s == CellStatus::Shown)
                .map(|(c, _)| *c)
                .collect();
            let breaches = disclosure::audit(&self.layout, &placements, &present, &shown, self.k)
                .map_err(|e| EngineError::InvalidInput(e.to_string()))?;
            found.extend(breaches.into_iter().map(|b| (name.clone(), b)));
        }
        found.extend(self.scales_read_with_their_questions(&placements, sheets));
        Ok(found)
    }

    /// The whole disclosure audit of the release, as the server runs it once when a wave
    /// closes: the count check of P1 when the release was built with the roster's invited
    /// counts ([`Release::audit_counts`]), the mean check of P2 over every group of every
    /// scale and item ([`Release::audit_means`]), and, for releases of at most
    /// [`EXACT_AUDIT_MAX_CELLS`] cells, the exact auditor of D4 ([`Release::audit`]).
    pub fn audit_all(&self, sheets: &[PlacedSheet]) -> Result<AuditFindings, EngineError> {
        let breaches = if self.layout.cell_count() <= EXACT_AUDIT_MAX_CELLS {
            Some(self.audit(sheets)?)
        } else {
            None
        };
        let invited = self.invited.as_ref();
        let (pinned, excused) = match invited {
            Some(invited) => self.audit_counts(sheets, invited)?,
            None => (Vec::new(), Vec::new()),
        };
        Ok(AuditFindings {
            measures: self.scales.len() + self.items.len(),
            breaches,
            counts_checked: invited.is_some(),
            pinned,
            excused: excused.len(),
            narrow: self.audit_means(sheets),
            mean_exceptions: self.mean_exceptions.unwrap_or(0),
            alike: self.audit_alike(sheets),
        })
    }

    /// D9 for what a reader works out: every rest of a shown distribution (an item's
    /// answers, the profiles) less shown distributions inside it whose answers one category
    /// holds all or all but one of, and every rest of a scale's shown means or favourable %s
    /// whose respondents all but at most one scored at an end of the scale or answered on one
    /// side only, per measure ("<item>, answers", "profiles", "<scale>, means", "<scale>,
    /// favourable"). Reads only cells the release shows exactly (a band counts as not shown);
    /// a scale's rests are judged on the sheets' true figures, as a cell's band is.
    pub fn audit_alike(
        &self,
        sheets: &[PlacedSheet],
    ) -> Vec<(String, disclosure::derived::AlikeRest)> {
        let check = |name: &str, d: disclosure::derived::Distributions<'_>| {
            disclosure::derived::check(&self.layout, &d)
                .into_iter()
                .map(|f| (name.to_string(), f))
                .collect::<Vec<_>>()
        };
        let mut found = Vec::new();
        let lowest = f64::from(self.scale_min);
        let highest = lowest + self.points.saturating_sub(1) as f64;
        let width = self.scales.len();
        let tallies = scale_tallies(&self.layout, sheets, width, (lowest, highest));
        for (s, (name, cells)) in self.scales.iter().zip(&self.heat).enumerate() {
            let tallies = Strided {
                all: &tallies,
                width,
                offset: s,
            };
            // What the release shows of each cell, read from the cell as published.
            let readings = scale_readings(cells.len(), &tallies, |cell, _| {
                let shown = cells.get(cell).filter(|c| c.status == CellStatus::Shown);
                (
                    shown.is_some_and(|c| c.mean_band.is_none()),
                    shown.is_some_and(|c| c.favorable_band.is_none()),
                )
            });
            for (what, reading) in ["means", "favourable"].into_iter().zip(readings) {
                found.extend(
                    disclosure::derived::check(&self.layout, &reading)
                        .into_iter()
                        .map(|f| (format!("{name}, {what}"), f)),
                );
            }
        }
        for (i, item) in self.items.iter().enumerate() {
            let answers = self.item_answers(i);
            found.extend(check(
                &format!("{}, answers", item.id),
                disclosure::derived::Distributions::as_shown_among(
                    self.points,
                    self.item_count * self.points,
                    answers,
                    &item.status,
                ),
            ));
        }
        if !self.profiles.is_empty() {
            let status: Vec<CellStatus> = self.profiles.iter().map(|p| p.status).collect();
            let counts: Vec<u64> = self
                .profiles
                .iter()
                .flat_map(|p| p.counts.map_or([0; 6], |(_, c)| c))
                .collect();
            found.extend(check(
                "profiles",
                disclosure::derived::Distributions::as_shown(
                    crate::Profile::ALL.len(),
                    &counts,
                    &status,
                ),
            ));
        }
        found
    }

    /// A roster group in words: "Acme/Eng", "Acme/Eng (direct members)",
    /// "Acme/Eng, tenure = short".
    pub fn group_label(&self, group: &disclosure::CountGroup) -> String {
        let mut label = self.tree.path(group.unit);
        if group.direct {
            label.push_str(" (direct members)");
        }
        if let Some((a, v)) = group.cut {
            if let Some(attribute) = self.attributes.get(a) {
                let value = attribute.values.get(v).map_or("?", String::as_str);
                label.push_str(&format!(", {} = {value}", attribute.name));
            }
        }
        label
    }

    /// Runs the count check (P1) over every measure against the true placements: the groups
    /// under k whose count a reader who knows `invited` can pin, per measure name, and those
    /// excused because they sit inside shown cells that answered in full.
    pub fn audit_counts(
        &self,
        sheets: &[PlacedSheet],
        invited: &Invited,
    ) -> Result<CountFindings, EngineError> {
        let placements: Vec<Placement> = sheets.iter().map(|s| s.placement.clone()).collect();
        let model = CountModel::new(&self.layout, invited, &placements, self.k)
            .map_err(|e| EngineError::InvalidInput(e.to_string()))?;
        let measures = self.measures(sheets);
        // A question beside its scale, as the build reads it (docs/privacy.md D7).
        let scales = self.scales.len();
        let first_item = scales + usize::from(!self.profiles.is_empty());
        let spare: Vec<Vec<u64>> = (0..scales)
            .map(|s| {
                let items = self.items.iter().filter(|i| i.scale == s).count();
                spare_answers(sheets, s, crate::scoring::min_answered_of(items))
            })
            .collect();
        // The scale's people move whole between atoms of one of its classes, which keeps its
        // questions' shown counts only where each class of theirs holds whole classes of the
        // scale: where they show no cell the scale hides (D8), as a build makes them. A
        // release built otherwise is read on the cells the scale or any of its questions
        // shows, whose classes hold whole classes of every one of them.
        let outer_statuses: Vec<Vec<CellStatus>> = (0..scales)
            .map(|s| {
                let mut status = measures.get(s).map(|m| m.2.clone()).unwrap_or_default();
                let questions = (0..self.items.len()).filter(|&j| self.items[j].scale == s);
                for question in questions.filter_map(|j| measures.get(first_item + j)) {
                    for (st, q) in status.iter_mut().zip(&question.2) {
                        if *q == CellStatus::Shown {
                            *st = CellStatus::Shown;
                        }
                    }
                }
                status
            })
            .collect();
        let no_hints = disclosure::SwapHints::default();
        let within = |m: usize| {
            let s = self.items.get(m.checked_sub(first_item)?)?.scale;
            let (_, outer, _) = measures.get(s)?;
            let outer_status = outer_statuses.get(s)?;
            let siblings = (0..self.items.len())
                .filter(|&j| first_item + j != m && self.items[j].scale == s)
                .filter_map(|j| measures.get(first_item + j))
                .map(|(_, present, status)| disclosure::Sibling {
                    present,
                    status: Some(status),
                })
                .collect();
            let items = self.items.iter().filter(|i| i.scale == s).count();
            Some(disclosure::Within {
                outer: outer.as_slice(),
                outer_status: outer_status.as_slice(),
                spare: spare.get(s)?,
                hints: &no_hints,
                siblings,
                least: crate::scoring::min_answered_of(items) as u64,
            })
        };
        let mut work: Vec<(usize, Option<disclosure::CountCheck>)> =
            (0..measures.len()).map(|m| (m, None)).collect();
        on_every_core(&mut work, |(m, check)| {
            if let Some((_, present, status)) = measures.get(*m) {
                *check = Some(model.check_within(present, status, within(*m).as_ref()));
            }
        });
        let mut pinned = Vec::new();
        let mut excused = Vec::new();
        for ((name, _, _), (_, check)) in measures.iter().zip(work) {
            let check = check.unwrap_or_default();
            excused.extend(check.complete.into_iter().map(|g| (name.clone(), g)));
            pinned.extend(check.pinned.into_iter().map(|g| (name.clone(), g)));
        }
        Ok((pinned, excused))
    }

    /// Runs the mean check (P2) over every scale and item against the true scores and
    /// answers: the groups under k whose possible means are narrower than the release's
    /// protection level, per measure name. A scale's shown sds are checked too
    /// ([`Release::audit_spreads`]).
    pub fn audit_means(&self, sheets: &[PlacedSheet]) -> Vec<(String, disclosure::NarrowGroup)> {
        let mut narrow = self.narrow_means(sheets);
        narrow.extend(self.audit_spreads(sheets));
        narrow
    }

    /// P2 for the shown sds of every scale: the groups under k whose mean some shown cell's
    /// sd (as shown, or its band's edge) bounds narrower than the protection level, per
    /// measure name ("<scale>, by a shown sd").
    pub fn audit_spreads(&self, sheets: &[PlacedSheet]) -> Vec<(String, disclosure::NarrowGroup)> {
        let placements: Vec<Placement> = sheets.iter().map(|s| s.placement.clone()).collect();
        let lowest = f64::from(self.scale_min);
        let bounds = MeanBounds::with_share(
            lowest,
            lowest + self.points.saturating_sub(1) as f64,
            self.mean_share,
        );
        let mut found = Vec::new();
        for (s, (scale, cells)) in self.scales.iter().zip(&self.heat).enumerate() {
            let present: Vec<bool> = sheets.iter().map(|x| x.scores.score(s).is_some()).collect();
            let cell_n = disclosure::cell_counts(&self.layout, &placements, &present);
            let status: Vec<CellStatus> = cells.iter().map(|c| c.status).collect();
            let shown = disclosure::spread::shown_spreads(&status, shown_figures(cells));
            let narrow =
                disclosure::spread::check_spreads(&self.layout, &cell_n, &shown, self.k, bounds);
            let name = format!("{scale}, by a shown sd");
            found.extend(narrow.into_iter().map(|g| (name.clone(), g)));
        }
        found
    }

    /// P2's check of every group of every scale and item, the measures on every core, in
    /// measure order.
    fn narrow_means(&self, sheets: &[PlacedSheet]) -> Vec<(String, disclosure::NarrowGroup)> {
        if self.mean_share <= 0.0 {
            return Vec::new();
        }
        let respondents = respondents_of(sheets);
        let scales = self.scales.len();
        let top = self.points.saturating_sub(1) as f64;
        let lowest = f64::from(self.scale_min);
        let measures = scales + self.items.len();
        let reach = mean_reach(&self.layout);
        let mut work: Vec<(usize, Vec<disclosure::NarrowGroup>)> =
            (0..measures).map(|m| (m, Vec::new())).collect();
        on_every_core(&mut work, |(m, narrow)| {
            let check = if *m < scales {
                let scores: Vec<Option<f64>> = sheets.iter().map(|x| x.scores.score(*m)).collect();
                let status: Vec<CellStatus> = self
                    .heat
                    .get(*m)
                    .map(|h| h.iter().map(|c| c.status).collect())
                    .unwrap_or_default();
                disclosure::check_means(
                    &self.layout,
                    &respondents,
                    MeanAnswers::Scores(&scores),
                    &status,
                    self.k,
                    MeanBounds::with_share(lowest, lowest + top, self.mean_share),
                    reach,
                )
            } else {
                let i = *m - scales;
                let scale = self.items.get(i).map_or(usize::MAX, |item| item.scale);
                let of = item_points(sheets, i, scale, self.scale_min);
                let answers = MeanAnswers::Points {
                    of: &of,
                    points: self.points,
                };
                let status = self.items.get(i).map_or(&[][..], |item| &item.status[..]);
                disclosure::check_means(
                    &self.layout,
                    &respondents,
                    answers,
                    status,
                    self.k,
                    MeanBounds::with_share(0.0, top, self.mean_share),
                    reach,
                )
            };
            *narrow = check.narrow;
        });
        let mut found = Vec::new();
        for (m, narrow) in work {
            let name = match m.checked_sub(scales) {
                None => self.scales[m].clone(),
                Some(i) => format!("item {}", self.items[i].id),
            };
            found.extend(narrow.into_iter().map(|g| (name.clone(), g)));
        }
        found
    }

    /// D4 across a scale and its items (D8, read as one system): per scale of several
    /// questions, its shown cells and, where its questions are shown too, theirs, read as one
    /// system over each person's answers by the exact auditor ([`with_questions::breaches`]),
    /// as "<scale>, read with its questions" for a small group's scores or favourable
    /// answers, and "<question>, read with its scale" for their answers to one question.
    fn scales_read_with_their_questions(
        &self,
        placements: &[Placement],
        sheets: &[PlacedSheet],
    ) -> Vec<(String, disclosure::Breach)> {
        // Per scale of several questions, on every core: what it finds.
        type Work = (usize, Vec<usize>, Vec<(String, disclosure::Breach)>);
        let mut work: Vec<Work> = (0..self.scales.len())
            .map(|s| {
                let items: Vec<usize> = (0..self.items.len())
                    .filter(|&i| self.items[i].scale == s)
                    .collect();
                (s, items, Vec::new())
            })
            .filter(|(_, items, _)| items.len() > 1)
            .collect();
        on_every_core(&mut work, |(s, items, found)| {
            let s = *s;
            let scale_shown: Vec<bool> = (0..self.layout.cell_count())
                .map(|c| {
                    self.heat
                        .get(s)
                        .and_then(|h| h.get(c))
                        .is_some_and(|h| h.status == CellStatus::Shown)
                })
                .collect();
            let both_shown: Vec<bool> = scale_shown
                .iter()
                .enumerate()
                .map(|(c, &shown)| {
                    shown
                        && items
                            .iter()
                            .all(|&i| self.items[i].status.get(c) == Some(&CellStatus::Shown))
                })
                .collect();
            let answered = answered_of(sheets, s, items);
            let scale = self.scales.get(s).map_or("", String::as_str);
            let name = |question: Option<usize>| match question.and_then(|q| items.get(q)) {
                Some(&item) => format!("{}, read with its scale", self.items[item].id),
                None => format!("{scale}, read with its questions"),
            };
            found.extend(
                with_questions::breaches(
                    &self.layout,
                    placements,
                    &answered,
                    items.len(),
                    (&scale_shown, &both_shown),
                    self.k,
                )
                .into_iter()
                .map(|(question, b)| (name(question), b)),
            );
        });
        work.into_iter().flat_map(|(_, _, found)| found).collect()
    }

    /// Every measure of the release: its name, who counts for it among `sheets`, its statuses.
    fn measures(&self, sheets: &[PlacedSheet]) -> Vec<(String, Vec<bool>, Vec<CellStatus>)> {
        let mut measures: Vec<(String, Vec<bool>, Vec<CellStatus>)> = Vec::new();
        for (s, scale) in self.scales.iter().enumerate() {
            let present = sheets.iter().map(|x| x.scores.score(s).is_some()).collect();
            let status = self
                .heat
                .get(s)
                .map(|h| h.iter().map(|c| c.status).collect())
                .unwrap_or_default();
            measures.push((scale.clone(), present, status));
        }
        if !self.profiles.is_empty() {
            let present = sheets.iter().map(|x| x.scores.profile.is_some()).collect();
            measures.push((
                "profiles".to_string(),
                present,
                self.profiles.iter().map(|c| c.status).collect(),
            ));
        }
        for (i, item) in self.items.iter().enumerate() {
            let present = sheets
                .iter()
                .map(|x| counted_answer(x, i, item.scale).is_some())
                .collect();
            measures.push((format!("item {}", item.id), present, item.status.clone()));
        }
        let answered = self
            .answered
            .iter()
            .map(|n| match n {
                Some(_) => CellStatus::Shown,
                None => CellStatus::Complementary,
            })
            .collect();
        measures.push((
            "answered (wave status)".to_string(),
            vec![true; sheets.len()],
            answered,
        ));
        measures
    }
}

pub const HEATMAP_HEADER: &[&str] = &[
    "wave",
    "unit",
    "cut",
    "scale",
    "status",
    "respondents",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "favorable_pct",
    "delta_org",
    "significant",
];

pub const PROFILES_HEADER: &[&str] = &[
    "wave",
    "unit",
    "cut",
    "status",
    "respondents",
    "burnout_pct",
    "overextended_pct",
    "disengaged_pct",
    "ineffective_pct",
    "engaged_pct",
    "unclassified_pct",
];

/// Who counts, per measure, in the order of the release's statuses: each scale (a score on
/// it), the profiles (if the instrument has them), each item ([`counted_answer`]), then
/// everyone who answered at all (`Release::answered`). One pass over the sheets: each is
/// read once for every measure.
fn memberships(instrument: &Instrument, sheets: &[PlacedSheet]) -> Vec<Vec<bool>> {
    let scales = instrument.scales.len();
    let profiles = usize::from(instrument.profiles.is_some());
    let items = instrument.items.len();
    let mut out = vec![Vec::with_capacity(sheets.len()); scales + profiles + items + 1];
    for sheet in sheets {
        let mut of = out.iter_mut();
        for (s, m) in (0..scales).zip(&mut of) {
            m.push(sheet.scores.score(s).is_some());
        }
        for (_, m) in (0..profiles).zip(&mut of) {
            m.push(sheet.scores.profile.is_some());
        }
        for ((i, item), m) in instrument.items.iter().enumerate().zip(&mut of) {
            m.push(counted_answer(sheet, i, item.scale).is_some());
        }
        for m in of {
            m.push(true);
        }
    }
    out
}

/// Suppression depends only on who counts for a measure. All memberships of a release go to
/// one [`disclosure::suppress_many`] call, which shares the work that does not depend on the
/// membership and suppresses identical memberships (e.g. scales without missing scores) once.
struct Suppressor<'a> {
    layout: &'a Layout,
    placements: &'a [Placement],
    k: usize,
}

impl<'a> Suppressor<'a> {
    fn new(layout: &'a Layout, placements: &'a [Placement], k: usize) -> Self {
        Suppressor {
            layout,
            placements,
            k,
        }
    }

    /// One status vector per membership, in order.
    fn statuses(&self, memberships: &[Vec<bool>]) -> Result<Vec<Vec<CellStatus>>, EngineError> {
        disclosure::suppress_many(self.layout, self.placements, memberships, self.k)
            .map_err(|e| EngineError::InvalidInput(e.to_string()))
    }

    fn missing() -> EngineError {
        EngineError::InvalidInput("suppression returned too few measures".to_string())
    }
}

/// D4 across a scale and its questions (docs/privacy.md D8): the questions hide the cells
/// where the scale's partial or complete answerers would be given away, first among the
/// cells that show both ([`hide_items_for_family_groups`]), then read with the scale's other
/// cells ([`hide_items_read_with_their_scale`]: whole where the exact auditor reaches, one
/// unit at a time beyond).
fn hide_items_with_their_scale(
    instrument: &Instrument,
    layout: &Layout,
    (placements, sheets): (&[Placement], &[PlacedSheet]),
    (family, k): (FamilyPatterns, usize),
    statuses: &mut [Vec<CellStatus>],
) -> Result<(), EngineError> {
    hide_items_for_family_groups(instrument, family, statuses)?;
    hide_items_read_with_their_scale(instrument, layout, placements, sheets, k, statuses)
}

/// The groups of a scale's people (`scale`, its questions `items`) whose figures the scale
/// and its questions give together (docs/privacy.md D8, "Read with its scale: who
/// skipped"), named: those with a score who skipped some of the questions, and those who
/// answered every question. (Someone without a score counts for neither the scale nor its
/// questions: [`counted_answer`].)
fn family_groups(
    sheets: &[PlacedSheet],
    scale: usize,
    items: &[usize],
) -> [(&'static str, Vec<bool>); FAMILY_GROUPS] {
    // Per sheet, how many of the questions it answered (counted once for both groups).
    let answered: Vec<usize> = sheets
        .iter()
        .map(|s| {
            items
                .iter()
                .filter(|&&i| counted_answer(s, i, scale).is_some())
                .count()
        })
        .collect();
    let of = |f: &dyn Fn(usize) -> bool| answered.iter().map(|&a| f(a)).collect::<Vec<bool>>();
    let all = items.len();
    [
        ("partial answerers", of(&|a| a > 0 && a < all)),
        ("complete answerers", of(&|a| a == all)),
    ]
}

/// How many groups [`family_groups`] names per scale.
const FAMILY_GROUPS: usize = 2;

/// D4 across a scale and its items (docs/privacy.md D8, "Read with its scale: who
/// skipped"): a scale's score is the mean of the questions a person answered, so for a
/// person who answered all three of a scale's questions three times the score is the sum of
/// the answers, and for one who answered two it is not. In a cell where the scale and its
/// items are shown, three times the scale's sum less the items' sums is then a figure of the
/// cell's partial answerers alone: one person who skipped a question in a team of 8 has
/// their score given back by the 2-decimal mean. With the partial answerers' figures, the complete
/// answerers' follow too. So every item of a scale of several questions hides, as a
/// complement, every cell that [`disclosure::suppress_many_where_present`] hides for any of
/// the scale's [`family_groups`] (`patterns`, from [`family_patterns`]): no shown item
/// cell, and no sum or difference of item cells, holds 1 to k - 1 of them. (A reader who
/// also reads the scale's cells where its items are hidden can combine the two:
/// [`hide_items_read_with_their_scale`] reads them together.) Runs before P2 and P1, which
/// only hide more.
fn hide_items_for_family_groups(
    instrument: &Instrument,
    patterns: FamilyPatterns,
    statuses: &mut [Vec<CellStatus>],
) -> Result<(), EngineError> {
    let first_item = instrument.scales.len() + usize::from(instrument.profiles.is_some());
    for (s, pattern) in patterns {
        for &item in instrument.scale_items(s) {
            let Some(status) = statuses.get_mut(first_item + item) else {
                return Err(Suppressor::missing());
            };
            for (st, p) in status.iter_mut().zip(&pattern) {
                if p.is_hidden() && *st == CellStatus::Shown {
                    *st = CellStatus::Complementary;
                }
            }
        }
    }
    Ok(())
}

/// Per scale of several questions, the suppression of each of its [`family_groups`] (the
/// scale's place, the pattern), for [`hide_items_for_family_groups`].
type FamilyPatterns = Vec<(usize, Vec<CellStatus>)>;

/// [`FamilyPatterns`]: D4 for each group, where present. It does not depend on what the
/// measures' own suppression hides, so it runs beside it.
fn family_patterns(
    instrument: &Instrument,
    layout: &Layout,
    placements: &[Placement],
    sheets: &[PlacedSheet],
    k: usize,
) -> Result<FamilyPatterns, EngineError> {
    let scales: Vec<usize> = (0..instrument.scales.len())
        .filter(|&s| instrument.scale_items(s).len() > 1)
        .collect();
    let groups: Vec<Vec<bool>> = scales
        .iter()
        .flat_map(|&s| family_groups(sheets, s, instrument.scale_items(s)))
        .map(|(_, members)| members)
        .collect();
    let patterns = disclosure::suppress_many_where_present(layout, placements, &groups, k)
        .map_err(|e| EngineError::InvalidInput(e.to_string()))?;
    // The groups of each scale, in `family_groups`' order.
    Ok(scales
        .iter()
        .flat_map(|&s| std::iter::repeat_n(s, FAMILY_GROUPS))
        .zip(patterns)
        .collect())
}

/// Per sheet, which of scale `scale`'s questions `items` it answered, by their place in
/// `items`, as the release counts them ([`counted_answer`]); `None` without a score.
fn answered_of(
    sheets: &[PlacedSheet],
    scale: usize,
    items: &[usize],
) -> Vec<with_questions::Answered> {
    sheets
        .iter()
        .map(|sheet| {
            sheet.scores.score(scale)?;
            Some(
                (0..items.len())
                    .filter(|&q| counted_answer(sheet, items[q], scale).is_some())
                    .collect(),
            )
        })
        .collect()
}

/// [`answered_of`] as a bit set per sheet (the questions past the 128th left out: a reading
/// of so many questions hides them all instead).
fn asked_of(sheets: &[PlacedSheet], scale: usize, items: &[usize]) -> Vec<Option<u128>> {
    sheets
        .iter()
        .map(|sheet| {
            sheet.scores.score(scale)?;
            Some(
                items
                    .iter()
                    .enumerate()
                    .filter(|&(_, &i)| counted_answer(sheet, i, scale).is_some())
                    .fold(0, |set, (q, _)| {
                        set | u32::try_from(q).map_or(0, |q| 1u128.checked_shl(q).unwrap_or(0))
                    }),
            )
        })
        .collect()
}

/// D4 across a scale and its items read as one system (docs/privacy.md D8, "Read as one
/// system"): where the scale and its questions show a cell, its partial and complete
/// answerers' figures come apart (and, through each question's sums, those of people who
/// skipped different questions), and a cell that shows the scale only can then give the
/// partial answerers of a smaller group, where [`hide_items_for_family_groups`] looks at
/// cells that show both only. Per scale of several questions, on every core, the questions
/// hide cells until the exact auditor finds nothing in the system, read over each person's
/// answers ([`with_questions::hide_questions`]). The auditor is exact and its cost grows fast with
/// the number of cells, so the whole system is read for layouts of at most
/// [`EXACT_AUDIT_MAX_CELLS`] cells (the auditor's own reach at close); a larger
/// organisation's is read one unit and one attribute at a time, each unit's whole cell with
/// its cuts ([`with_questions::hide_questions_unit_by_unit`]), which leaves out what cells of
/// different units give together (docs/privacy.md D8's limits). Runs before P2 and P1, which
/// only hide more.
fn hide_items_read_with_their_scale(
    instrument: &Instrument,
    layout: &Layout,
    placements: &[Placement],
    sheets: &[PlacedSheet],
    k: usize,
    statuses: &mut [Vec<CellStatus>],
) -> Result<(), EngineError> {
    // Beyond the exact auditor's reach, the system is read one unit at a time, over the
    // people below each unit.
    let large = layout.cell_count() > EXACT_AUDIT_MAX_CELLS;
    let combos = large.then(|| with_questions::Combos::new(placements));
    let first_item = instrument.scales.len() + usize::from(instrument.profiles.is_some());
    let shown = |measure: usize, cell: usize| {
        statuses.get(measure).and_then(|s| s.get(cell)) == Some(&CellStatus::Shown)
    };
    let cells = layout.cell_count();
    // Per scale: where it is shown, and where its questions are, before and after.
    type Work = (usize, Vec<bool>, Vec<bool>, Vec<bool>);
    let mut work: Vec<Work> = (0..instrument.scales.len())
        .filter(|&s| instrument.scale_items(s).len() > 1)
        .map(|s| {
            let scale_shown: Vec<bool> = (0..cells).map(|c| shown(s, c)).collect();
            let both: Vec<bool> = (0..cells)
                .map(|c| {
                    shown(s, c)
                        && instrument
                            .scale_items(s)
                            .iter()
                            .all(|&i| shown(first_item + i, c))
                })
                .collect();
            (s, scale_shown, both.clone(), both)
        })
        .collect();
    on_every_core(&mut work, |(s, scale_shown, _, both)| {
        let items = instrument.scale_items(*s);
        if let Some(combos) = &combos {
            with_questions::hide_questions_unit_by_unit(
                layout,
                placements,
                (&asked_of(sheets, *s, items), combos),
                items.len(),
                (scale_shown, both),
                k,
            );
            return;
        }
        let answered = answered_of(sheets, *s, items);
        let present: Vec<bool> = answered.iter().map(Option::is_some).collect();
        let people = disclosure::cell_counts(layout, placements, &present);
        with_questions::hide_questions(
            layout,
            placements,
            &answered,
            items.len(),
            (scale_shown, both),
            &people,
            k,
        );
    });
    for (s, _, before, after) in work {
        for &item in instrument.scale_items(s) {
            let Some(status) = statuses.get_mut(first_item + item) else {
                return Err(Suppressor::missing());
            };
            for ((st, was), now) in status.iter_mut().zip(&before).zip(&after) {
                if *was && !*now {
                    *st = CellStatus::Complementary;
                }
            }
        }
    }
    Ok(())
}

/// P1 for every measure: each distinct membership is protected once, on as many threads as
/// the machine has (the measures are independent); identical memberships with identical
/// statuses get the same protection. Returns the groups excused by complete response (the
/// only ones without a certificate), per measure, as the model's group indices.
fn protect_counts_of_all(
    model: &CountModel<'_>,
    memberships: &[Vec<bool>],
    beside: &mut Beside,
    statuses: &mut [Vec<CellStatus>],
) -> Vec<Vec<usize>> {
    let mut first_of: Vec<usize> = Vec::with_capacity(memberships.len());
    let mut distinct: Vec<usize> = Vec::new();
    for (i, m) in memberships.iter().enumerate() {
        // Same members and same statuses so far (P2 may have hidden more for one scale),
        // read beside the same scale (or none).
        match distinct.iter().find(|&&j| {
            memberships[j] == *m
                && statuses[j] == statuses[i]
                && beside.outer_of(j) == beside.outer_of(i)
        }) {
            Some(&j) => first_of.push(j),
            None => {
                distinct.push(i);
                first_of.push(i);
            }
        }
    }
    let mut work: Vec<Work> = distinct
        .iter()
        .map(|&i| (i, statuses[i].clone(), Vec::new(), SwapHints::default()))
        .collect();
    let protect = |(i, status, excused, found): &mut Work,
                   hints: &SwapHints,
                   within: Option<disclosure::Within<'_>>| {
        let (check, left, swaps) =
            model.protect_hinted(&memberships[*i], status, None, hints, within.as_ref());
        // Protection ends only when every group is free or excused: hiding stops only when
        // nothing but the root is shown, and D3 hides a root under k. A question's group can
        // be left pinned through its scale's counts alone (the scale's own groups are its
        // protection's); it is counted with the exceptions (`left`).
        debug_assert!(
            check.pinned.is_empty() || within.is_some(),
            "{:?}",
            check.pinned
        );
        *excused = left;
        *found = swaps;
    };
    // The measures differ little: the same few teams pin the same groups in nearly every
    // one, and most groups under k are freed by the same swaps. P1 finds the cells to hide
    // one per neighbourhood and round, each round rebuilding the classes, and searches a
    // swap for tens of thousands of groups. So the first measure is protected alone, and
    // every other one starts with the cells P1 hid there hidden too (most then need one
    // round instead of four or five), and tries its swaps before searching (BENCHMARKS.md).
    // Hiding only removes equations, so the seeded cells never pin a count (nor break D4 or
    // P2); they cost a measure the few it would not have needed. A swap is checked on the
    // measure's own classes and counts before it counts as a certificate.
    if let Some((first, rest)) = work.split_first_mut() {
        let before = first.1.clone();
        protect(
            first,
            &SwapHints::default(),
            beside.within(first.0, memberships),
        );
        beside.keep(first, &first_of);
        let hints = &first.3;
        let seeded: Vec<usize> = before
            .iter()
            .zip(&first.1)
            .enumerate()
            .filter(|(_, (was, now))| **was == CellStatus::Shown && now.is_hidden())
            .map(|(cell, _)| cell)
            .collect();
        let seed_and_protect = |item: &mut Work, within: Option<disclosure::Within<'_>>| {
            for &cell in &seeded {
                if let Some(st) = item.1.get_mut(cell).filter(|st| **st == CellStatus::Shown) {
                    *st = CellStatus::Complementary;
                }
            }
            protect(item, hints, within);
        };
        // A question is read beside its scale as P1 leaves the scale: each scale with its
        // questions after it, on one core (a family), the families on every core. A scale
        // that shares another's protection (same people, same statuses) ends with that
        // one's statuses, so its questions join that one's family.
        let mut families: Vec<(&mut Work, Vec<&mut Work>)> = Vec::new();
        let mut questions = Vec::new();
        for item in rest.iter_mut() {
            match beside.outer_of(item.0) {
                Some(_) => questions.push(item),
                None => families.push((item, Vec::new())),
            }
        }
        for question in questions {
            let scale = beside
                .outer_of(question.0)
                .map(|s| first_of.get(s).copied().unwrap_or(s));
            match families.iter_mut().find(|(s, _)| Some(s.0) == scale) {
                Some((_, of_scale)) => of_scale.push(question),
                // Its scale is the first measure, protected alone before the families, or
                // shares that one's protection (`Beside` keeps the statuses it left).
                None => families.push((question, Vec::new())),
            }
        }
        let shared = &*beside;
        on_every_core(&mut families, |(head, of_scale)| {
            seed_and_protect(head, shared.within(head.0, memberships));
            for question in of_scale.iter_mut() {
                let within = shared.within_as_left(question.0, memberships, head, &first_of);
                seed_and_protect(question, within);
            }
        });
        for (head, _) in &families {
            beside.keep(head, &first_of);
        }
    }
    let mut excused_of = vec![Vec::new(); memberships.len()];
    for (i, status, excused, _) in work {
        statuses[i] = status;
        excused_of[i] = excused;
    }
    let mut per_measure = vec![Vec::new(); memberships.len()];
    for (i, &j) in first_of.iter().enumerate() {
        if i != j {
            statuses[i] = statuses[j].clone();
        }
        per_measure[i] = excused_of[j].clone();
    }
    per_measure
}

/// One measure's P1 in [`protect_counts_of_all`]: its place, its statuses, the groups it
/// excused, the swaps its first round found.
type Work = (usize, Vec<CellStatus>, Vec<usize>, SwapHints);

/// P1 for each question read beside its scale ([`disclosure::Within`], docs/privacy.md D7,
/// "Counts of different measures"): per measure, the scale a question counts within; per
/// scale, each person's answers to its questions beyond the fewest a score needs, and the
/// scale's statuses and swaps as its P1 left them (its own protection's, or that of the
/// scale whose protection it shares; before its P1, its statuses as they came); it only
/// hides more after, which merges its classes, so a certificate on them stays one.
#[derive(Default)]
struct Beside {
    /// Per measure: the measure of its scale, for a question.
    outer: Vec<Option<usize>>,
    /// Per scale measure: per respondent, spare answers, and the fewest a score needs.
    spare: Vec<Vec<u64>>,
    least: Vec<usize>,
    status: Vec<Vec<CellStatus>>,
    /// Per scale measure: the swaps its protection found.
    hints: Vec<SwapHints>,
}

impl Beside {
    /// `statuses` in measure order: the scales, then the profiles (if any), then the items.
    fn new(instrument: &Instrument, sheets: &[PlacedSheet], statuses: &[Vec<CellStatus>]) -> Self {
        let scales = instrument.scales.len();
        let first_item = scales + usize::from(instrument.profiles.is_some());
        let mut outer = vec![None; statuses.len()];
        for (i, item) in instrument.items.iter().enumerate() {
            if let Some(slot) = outer.get_mut(first_item + i) {
                *slot = Some(item.scale);
            }
        }
        let least: Vec<usize> = (0..scales).map(|s| instrument.min_answered(s)).collect();
        let spare = (0..scales)
            .map(|s| spare_answers(sheets, s, least[s]))
            .collect();
        Beside {
            outer,
            spare,
            least,
            status: statuses.iter().take(scales).cloned().collect(),
            hints: vec![SwapHints::default(); scales],
        }
    }

    /// A scale's statuses and swaps as its protection left them (`work`), for the
    /// questions read beside it after: also for every scale that shares its protection
    /// (`first_of`, per measure the one whose protection it takes), which ends the same.
    fn keep(&mut self, (measure, status, _, found): &Work, first_of: &[usize]) {
        for (scale, _) in first_of.iter().enumerate().filter(|(_, j)| *j == measure) {
            if let Some(slot) = self.status.get_mut(scale) {
                slot.clone_from(status);
            }
            if let Some(slot) = self.hints.get_mut(scale) {
                slot.clone_from(found);
            }
        }
    }

    /// [`Beside::within`] with the scale as its protection left it (`scale`, not yet kept):
    /// the question's own scale, or the one whose protection that scale shares
    /// (`first_of`).
    fn within_as_left<'a>(
        &'a self,
        measure: usize,
        memberships: &'a [Vec<bool>],
        (s, status, _, found): &'a Work,
        first_of: &[usize],
    ) -> Option<disclosure::Within<'a>> {
        let scale = self.outer_of(measure)?;
        (first_of.get(scale).copied().unwrap_or(scale) == *s).then_some(())?;
        let mut within = self.within_now(measure, memberships, Some(status))?;
        within.hints = found;
        Some(within)
    }

    /// [`Beside::within`] with the scale's statuses as they are now (`outer`), where given.
    fn within_now<'a>(
        &'a self,
        measure: usize,
        memberships: &'a [Vec<bool>],
        outer: Option<&'a [CellStatus]>,
    ) -> Option<disclosure::Within<'a>> {
        let mut within = self.within(measure, memberships)?;
        if let Some(outer) = outer {
            within.outer_status = outer;
        }
        Some(within)
    }

    fn outer_of(&self, measure: usize) -> Option<usize> {
        self.outer.get(measure).copied().flatten()
    }

    fn within<'a>(
        &'a self,
        measure: usize,
        memberships: &'a [Vec<bool>],
    ) -> Option<disclosure::Within<'a>> {
        let s = self.outer_of(measure)?;
        let siblings = (0..self.outer.len())
            .filter(|&m| m != measure && self.outer_of(m) == Some(s))
            .filter_map(|m| memberships.get(m))
            .map(|present| disclosure::Sibling {
                present,
                status: None,
            })
            .collect();
        Some(disclosure::Within {
            outer: memberships.get(s)?,
            outer_status: self.status.get(s)?,
            spare: self.spare.get(s)?,
            hints: self.hints.get(s)?,
            siblings,
            least: *self.least.get(s)? as u64,
        })
    }
}

/// Per sheet, its answers to scale `s`'s questions beyond the `least` a score needs (0
/// without a score): how many answers P1 may take away from it ([`disclosure::Within`]).
fn spare_answers(sheets: &[PlacedSheet], s: usize, least: usize) -> Vec<u64> {
    sheets
        .iter()
        .map(|sheet| {
            let answered = sheet.scores.scales.get(s).copied().flatten();
            answered.map_or(0, |a| u64::from(a.answered).saturating_sub(least as u64))
        })
        .collect()
}

/// P2 for every scale and item, on as many threads as the machine has (the measures are
/// independent). `statuses` holds the scales, then the profiles (if the instrument has them;
/// they have no mean), then the items, then everyone who answered (no mean). Returns the
/// groups left narrow, summed over measures; `None` with P2 off.
fn protect_means_of_all(
    p2: &MeanProtection<'_>,
    statuses: &mut [Vec<CellStatus>],
) -> Option<usize> {
    if p2.share <= 0.0 {
        return None;
    }
    let mut work: Vec<(usize, &mut Vec<CellStatus>, usize)> = statuses
        .iter_mut()
        .enumerate()
        .filter(|(m, _)| p2.protects(*m))
        .map(|(m, status)| (m, status, 0))
        .collect();
    on_every_core(&mut work, |(m, status, left)| {
        *left = p2.protect(*m, status, false).narrow.len();
    });
    Some(work.iter().map(|w| w.2).sum())
}

/// What P2 needs to protect one measure of a release: the respondents grouped by atom once
/// (on first use, on the protecting thread beside the roll-ups), each measure's answers read
/// from the sheets when it is protected.
struct MeanProtection<'a> {
    instrument: &'a Instrument,
    layout: &'a Layout,
    placements: &'a [Placement],
    sheets: &'a [PlacedSheet],
    respondents: std::sync::OnceLock<AtomIndex>,
    share: f64,
    k: usize,
    reach: MeanReach,
}

impl<'a> MeanProtection<'a> {
    fn new(
        instrument: &'a Instrument,
        layout: &'a Layout,
        placements: &'a [Placement],
        sheets: &'a [PlacedSheet],
        share: f64,
        k: usize,
    ) -> Self {
        MeanProtection {
            instrument,
            layout,
            placements,
            sheets,
            respondents: std::sync::OnceLock::new(),
            share,
            k,
            reach: mean_reach(layout),
        }
    }

    /// Where item measures start: after the scales and the profiles (which have no mean).
    fn items_from(&self) -> usize {
        self.instrument.scales.len() + usize::from(self.instrument.profiles.is_some())
    }

    /// Whether P2 protects measure `m` (a scale; an item where [`disclosure::protects_items`]).
    fn protects(&self, m: usize) -> bool {
        let items_from = self.items_from();
        m < self.instrument.scales.len()
            || ((items_from..items_from + self.instrument.items.len()).contains(&m)
                && disclosure::protects_items(self.layout, self.reach))
    }

    /// P2 for measure `m` on `status` ([`disclosure::protect_means`]; with `again`,
    /// [`disclosure::protect_means_again`]); nothing for a measure it does not protect.
    fn protect(&self, m: usize, status: &mut [CellStatus], again: bool) -> disclosure::MeanCheck {
        if !self.protects(m) {
            return disclosure::MeanCheck::default();
        }
        let response = &self.instrument.response_scale;
        let points = response.points().count();
        let (scores, of_points): (Vec<Option<f64>>, Vec<Option<usize>>);
        let (answers, bounds) = match m.checked_sub(self.items_from()) {
            None => {
                scores = self.sheets.iter().map(|x| x.scores.score(m)).collect();
                (
                    MeanAnswers::Scores(&scores),
                    MeanBounds::with_share(
                        f64::from(response.min),
                        f64::from(response.max),
                        self.share,
                    ),
                )
            }
            Some(item) => {
                let scale = self
                    .instrument
                    .items
                    .get(item)
                    .map_or(usize::MAX, |item| item.scale);
                of_points = item_points(self.sheets, item, scale, response.min);
                (
                    MeanAnswers::Points {
                        of: &of_points,
                        points,
                    },
                    MeanBounds::with_share(0.0, points.saturating_sub(1) as f64, self.share),
                )
            }
        };
        let respondents = self
            .respondents
            .get_or_init(|| AtomIndex::new(self.placements));
        let (layout, k) = (self.layout, self.k);
        if again {
            disclosure::protect_means_again(layout, respondents, answers, status, k, bounds)
        } else {
            disclosure::protect_means(layout, respondents, answers, status, k, bounds, self.reach)
        }
    }

    /// P2 once more for measure `m`, on its final statuses, where protection checked every
    /// group with report attributes ([`MeanReach::EveryGroup`]): P1 and D9 hid more after
    /// it, and the audit at close starts afresh from the final cells, where the swap search
    /// may not find again a move it found under fewer hidden cells; so the audit listed an
    /// item's group P2 had proved wide (`release::the_audit_of_means_lists_nothing_beyond_
    /// the_counted_exceptions_in_a_case_once_found`). Its proofs are nearly the audit's
    /// ([`disclosure::protect_means_again`]). Returns whether it hid more.
    fn protect_again(&self, m: usize, status: &mut [CellStatus]) -> bool {
        let again = self.share > 0.0
            && self.reach == MeanReach::EveryGroup
            && !self.layout.value_counts.is_empty();
        if !again {
            return false;
        }
        let hidden = |status: &[CellStatus]| status.iter().filter(|s| s.is_hidden()).count();
        let before = hidden(status);
        self.protect(m, status, true);
        hidden(status) != before
    }
}

/// Runs `f` on every element of `work` (a measure each, or a block of cells), on as many
/// threads as the machine has, each thread taking the next element when it is done. Measures
/// differ widely in cost (with report attributes, above 2,000 cells, P2 returns at once for
/// items), and halves handed out up front left one core idle for most of P2.
fn on_every_core<T: Send>(work: &mut [T], f: impl Fn(&mut T) + Sync) {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, work.len().max(1));
    let queue = std::sync::Mutex::new(work.iter_mut());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                // The lock is held only to take the next element.
                let next = queue.lock().ok().and_then(|mut q| q.next());
                match next {
                    Some(item) => f(item),
                    None => break,
                }
            });
        }
    });
}

/// The sheets' placements grouped once for P2's checks of every measure.
fn respondents_of(sheets: &[PlacedSheet]) -> AtomIndex {
    let placements: Vec<Placement> = sheets.iter().map(|s| s.placement.clone()).collect();
    AtomIndex::new(&placements)
}

/// Item `i`'s answers (on scale `scale`) as the release counts them ([`counted_answer`]),
/// as points of the answer scale (0 for its lowest answer), one per sheet.
fn item_points(
    sheets: &[PlacedSheet],
    i: usize,
    scale: usize,
    scale_min: i32,
) -> Vec<Option<usize>> {
    sheets
        .iter()
        .map(|x| counted_answer(x, i, scale).and_then(|v| usize::try_from(v - scale_min).ok()))
        .collect()
}

/// Item `i`'s answer on `sheet`, as the release counts it: only from a respondent with a
/// score on the item's scale `scale` (docs/privacy.md D8, "Who a question counts"). A question
/// then counts the scale's own respondents who answered it, and an answer of someone
/// without a score, which the scale does not count, cannot be read as the questions'
/// figures less the scale's.
fn counted_answer(sheet: &PlacedSheet, i: usize, scale: usize) -> Option<i32> {
    sheet.scores.score(scale)?;
    sheet.answers.get(i).copied().flatten()
}

/// Something additive per cell, rolled up the tree.
trait Tally: Default + Clone {
    fn merge(&mut self, other: &Self);
}

impl Tally for ScaleTally {
    fn merge(&mut self, other: &Self) {
        ScaleTally::merge(self, other);
    }
}

impl Tally for u64 {
    fn merge(&mut self, other: &Self) {
        *self += other;
    }
}

impl Tally for (u64, [u64; 6]) {
    fn merge(&mut self, other: &Self) {
        self.0 += other.0;
        for (a, b) in self.1.iter_mut().zip(other.1) {
            *a += b;
        }
    }
}

/// Per-cell tallies, `width` of them per cell (one per scale), in one flat vector: each sheet
/// is added to its own unit's cells, then children are merged into parents bottom-up, so each
/// sheet and each cell is visited once for all scales together.
/// Every cell's scale figures (`[cell * scales + scale]`), rolled up the tree; `ends` are
/// the answer scale's lowest and highest points, for the D9 bands.
/// The sheets grouped by unit, each unit's in their own order: the roll-ups add a sheet to
/// its cells' rows, and where the sheets come in the order they were answered, nearly every
/// sheet's rows are a miss of the cache (items: a row of 200 counts per cell). Grouped, a
/// unit's rows stay in the cache for all its sheets, and each row gets its sheets in the
/// same order as before, so every sum is the same to the bit.
fn by_unit(sheets: &[PlacedSheet], units: usize) -> Vec<&PlacedSheet> {
    // Per unit, where its sheets start: its count, then the counts before it.
    let mut start = vec![0usize; units];
    for sheet in sheets {
        if let Some(n) = start.get_mut(sheet.placement.unit) {
            *n += 1;
        }
    }
    let mut before = 0;
    for n in &mut start {
        (*n, before) = (before, before + *n);
    }
    let mut slots: Vec<Option<&PlacedSheet>> = vec![None; sheets.len()];
    for sheet in sheets {
        if let Some(at) = start.get_mut(sheet.placement.unit) {
            if let Some(slot) = slots.get_mut(*at) {
                *slot = Some(sheet);
            }
            *at += 1;
        }
    }
    slots.into_iter().flatten().collect()
}

/// Every scale's tallies per cell (`scales` per cell, in the order of the instrument).
fn scale_tallies(
    layout: &Layout,
    sheets: &[PlacedSheet],
    scales: usize,
    bounds: (f64, f64),
) -> Vec<ScaleTally> {
    let mut rows = Rows::new(layout, scales);
    for sheet in by_unit(sheets, layout.tree.len()) {
        for cell in own_cells(layout, &sheet.placement) {
            if let Some(row) = rows.row(cell) {
                add_scores(sheet, row, bounds);
            }
        }
    }
    rows.summed_up(layout)
}

/// A sheet's scores added to one cell's row of every scale's tallies.
fn add_scores(sheet: &PlacedSheet, row: &mut [ScaleTally], (lowest, highest): (f64, f64)) {
    for (t, score) in row.iter_mut().zip(&sheet.scores.scales) {
        if let Some(score) = score {
            t.add_at(score, lowest, highest);
        }
    }
}

/// The cells of a sheet's own unit it is in: the whole and the cut of each value it has
/// (the cells above get it when the rows are summed up the tree).
fn own_cells<'a>(layout: &'a Layout, placement: &'a Placement) -> impl Iterator<Item = usize> + 'a {
    let unit = placement.unit;
    let whole = layout.try_cell_index(CellKey { unit, cut: None });
    let cuts = placement.values.iter().enumerate().map(move |(a, v)| {
        layout.try_cell_index(CellKey {
            unit,
            cut: Some((a, (*v)?)),
        })
    });
    std::iter::once(whole).chain(cuts).flatten()
}

/// `width` tallies per cell: each sheet's added to the rows of its own unit's cells
/// ([`own_cells`]), then each unit's block to its parent's, bottom-up.
struct Rows<T> {
    width: usize,
    cells: Vec<T>,
}

impl<T: Tally> Rows<T> {
    fn new(layout: &Layout, width: usize) -> Self {
        Rows {
            width,
            cells: vec![T::default(); layout.cell_count() * width],
        }
    }

    fn row(&mut self, cell: usize) -> Option<&mut [T]> {
        self.cells
            .get_mut(cell * self.width..(cell + 1) * self.width)
    }

    /// Every cell's tallies over its subtree.
    fn summed_up(mut self, layout: &Layout) -> Vec<T> {
        let stride = layout.cells_per_unit() * self.width;
        layout
            .tree
            .sum_up(&mut self.cells, stride, |p: &mut T, c: &T| p.merge(c));
        self.cells
    }
}

/// One scale's tallies inside the flat all-scales vector, read in place (no copy per scale).
#[derive(Clone, Copy)]
struct Strided<'a> {
    all: &'a [ScaleTally],
    width: usize,
    offset: usize,
}

impl Strided<'_> {
    fn get(&self, cell: usize) -> Option<&ScaleTally> {
        self.all.get(cell * self.width + self.offset)
    }
}

/// The band of a shown cell's sd (P2, [`disclosure::spread::sd_band`]), if it needs one;
/// `part` is the most respondents a group under k inside the cell can have.
fn sd_band_of(tally: &ScaleTally, part: u64, bounds: MeanBounds) -> Option<f64> {
    let m = &tally.moments;
    disclosure::spread::sd_band(m.n(), m.mean()?, m.sd()?, part, bounds)
}

/// The heat cells of one scale.
fn heat_cells(
    layout: &Layout,
    statuses: &[CellStatus],
    tallies: Strided<'_>,
    one_answer: impl Fn(usize) -> bool,
    parts: &disclosure::spread::Parts,
    spread: MeanBounds,
) -> Vec<HeatCell> {
    let mean_band = |cell: usize, tally: &ScaleTally| {
        bands::mean_band(tally)
            .or_else(|| one_answer(cell).then_some(MeanBand::AllOrNearlyAllOneAnswer))
    };
    let largest = parts.largest(layout, statuses);
    let part = |cell: usize| largest.get(cell).copied().unwrap_or(0);
    let per_unit = layout.cells_per_unit();
    // The root's cells (one per cut) are compared with every cell of the same cut, unless
    // the root's mean is banded: a difference from it would give it back. Welch's test
    // against the rest of the organisation also needs the root's sd, so a root whose sd is
    // banded is compared by its mean only.
    let roots: Vec<Option<(&ScaleTally, bool)>> = (0..per_unit)
        .map(|root| {
            let shown = statuses.get(root) == Some(&CellStatus::Shown);
            tallies
                .get(root)
                .filter(|t| shown && mean_band(root, t).is_none())
                .map(|t| (t, sd_band_of(t, part(root), spread).is_none()))
        })
        .collect();
    let hidden = |status| HeatCell {
        status,
        stats: None,
        delta_org: None,
        significant: None,
        favorable_band: None,
        mean_band: None,
        sd_below: None,
        moments: None,
    };
    let mut cells = Vec::with_capacity(statuses.len());
    for (i, &status) in statuses.iter().enumerate() {
        let Some(tally) = tallies.get(i).filter(|_| status == CellStatus::Shown) else {
            cells.push(hidden(status));
            continue;
        };
        // The root's cell of the same cut sits at the same offset in unit 0.
        let root = i % per_unit;
        let root_tally = roots.get(root).copied().flatten();
        let mut stats = tally.stats();
        let favorable_band = bands::scale_favorable_band(tally);
        if favorable_band.is_some() {
            stats.favorable_pct = None;
        }
        if let Some(band) = mean_band(i, tally) {
            stats.mean = None;
            stats.sd = None;
            stats.ci_low = None;
            stats.ci_high = None;
            cells.push(HeatCell {
                status,
                stats: Some(stats),
                favorable_band,
                mean_band: Some(band),
                ..hidden(status)
            });
            continue;
        }
        let sd_below = sd_band_of(tally, part(i), spread);
        if sd_below.is_some() {
            stats.sd = None;
            stats.ci_low = None;
            stats.ci_high = None;
        }
        let delta_org = root_tally.and_then(|(r, _)| tally.moments.mean_minus(&r.moments));
        let significant = match root_tally {
            Some((r, true)) if i != root && sd_below.is_none() => r
                .moments
                .without(&tally.moments)
                .and_then(|rest| welch_significant(&tally.moments, &rest)),
            _ => None,
        };
        cells.push(HeatCell {
            status,
            stats: Some(stats),
            delta_org,
            significant,
            favorable_band,
            mean_band: None,
            sd_below,
            moments: Some(tally.moments),
        });
    }
    widen_sd_bands(layout, statuses, parts, spread, &mut cells);
    cells
}

/// One measure's last steps in [`Release::build_for_roster`]: D9's hiding with P1's checks
/// of its excused groups, and for a scale its cells.
struct Finishing {
    measure: usize,
    status: Vec<CellStatus>,
    /// P1's excused groups (complete response) still open for this measure.
    open: Vec<usize>,
    /// A scale's cells, once finished.
    cells: Vec<HeatCell>,
}

/// The measures finished together: a scale with its items, or the profiles.
///
/// D4 across measures (D8): a scale's favourable answers are its items' favourable answers
/// added up (of those with a score on it), and so is its sum, for those who answered all its
/// items. So a reader can read a scale and its items together: where a scale hides a team and
/// its sibling, but one item hides the team and another sibling (one person skipped that item
/// there, so its suppression chose otherwise), the scale's figure of the two hidden teams,
/// less the other items' figures of them and the item's shown sibling, leaves the item's
/// figure of the team alone. So every item of a scale is hidden wherever the scale or any
/// other of its items is. With the items' shown cells the same, and among the scale's,
/// whatever a reader adds up of one of them can be changed in a way no shown figure sees
/// (move it in one item and back in another, or in the scale and one of its items alike), so
/// nothing follows that the measure's own cells do not give. A scale of one item shows
/// exactly its item's cells.
enum Family {
    Scale {
        scale: Finishing,
        items: Vec<Finishing>,
    },
    Profiles(Finishing),
}

impl Family {
    /// Every measure of `finishing` (scales, then the profiles if any, then the items, by
    /// measure) in its family: the scales first, since they take longest.
    /// An item whose scale is not among the scales is refused (a parsed instrument has
    /// none): dropped, it would shift every later item's statuses.
    fn split(
        finishing: Vec<Finishing>,
        items: &[crate::instrument::Item],
        scale_count: usize,
        first_item: usize,
    ) -> Result<Vec<Family>, EngineError> {
        let mut scales = Vec::with_capacity(scale_count);
        let mut out = Vec::new();
        for work in finishing {
            let m = work.measure;
            if m < scale_count {
                scales.push((work, Vec::new()));
            } else if m < first_item {
                out.push(Family::Profiles(work));
            } else {
                let item = items.get(m - first_item);
                let Some((_, of_scale)) = item.and_then(|item| scales.get_mut(item.scale)) else {
                    return Err(EngineError::InvalidInput(format!(
                        "item {} belongs to no scale of the instrument",
                        item.map_or("?", |i| i.id.as_str())
                    )));
                };
                of_scale.push(work);
            }
        }
        let mut families: Vec<Family> = scales
            .into_iter()
            .map(|(scale, items)| Family::Scale { scale, items })
            .collect();
        families.append(&mut out);
        Ok(families)
    }

    /// Every measure back in measure order.
    fn join(work: Vec<Family>) -> Vec<Finishing> {
        let mut all: Vec<Finishing> = work
            .into_iter()
            .flat_map(|family| match family {
                Family::Scale { scale, items } => std::iter::once(scale).chain(items).collect(),
                Family::Profiles(profiles) => vec![profiles],
            })
            .collect();
        all.sort_by_key(|w| w.measure);
        all
    }

    /// Gives a scale's items one pattern: every cell hidden in the scale (as finished, unless
    /// `single`) or in any item hidden in all of them; then `joint` (D9 over every item's
    /// answers at once, and for a scale of one item, `single`, its figures too) hides on that
    /// pattern, and P1 checks again the groups it excused in each measure that hid, until
    /// neither hides.
    fn finish_items(
        scale: &mut Finishing,
        items: &mut [Finishing],
        single: bool,
        joint: impl Fn(&[Finishing], &mut [CellStatus]),
        recheck: impl Fn(
            usize,
            Vec<usize>,
            &mut [CellStatus],
            Option<&[CellStatus]>,
        ) -> Option<Vec<usize>>,
    ) {
        // Hides in `status` every cell `pattern` hides; returns whether it hid any.
        let follow = |status: &mut [CellStatus], pattern: &[CellStatus]| {
            let mut hid = false;
            for (st, p) in status.iter_mut().zip(pattern) {
                if p.is_hidden() && !st.is_hidden() {
                    *st = CellStatus::Complementary;
                    hid = true;
                }
            }
            hid
        };
        let hidden = |status: &[CellStatus]| status.iter().filter(|s| s.is_hidden()).count();
        // P1 again for one measure's excused groups (a question's beside its scale's
        // statuses, `outer`); returns whether it hid more.
        let recheck = |work: &mut Finishing, outer: Option<&[CellStatus]>| {
            let before = hidden(&work.status);
            let open = std::mem::take(&mut work.open);
            work.open = recheck(work.measure, open, &mut work.status, outer).unwrap_or_default();
            hidden(&work.status) != before
        };
        // Until nothing changes; the first time the questions' excused groups are read
        // again whatever changed, so that they are those of the final statuses, their
        // scale's included (as the audit at close reads them).
        let mut first = true;
        loop {
            let mut shared = scale.status.clone();
            for item in items.iter() {
                follow(&mut shared, &item.status);
            }
            joint(items, &mut shared);
            let mut changed = single && follow(&mut scale.status, &shared);
            for item in items.iter_mut() {
                changed |= follow(&mut item.status, &shared);
            }
            if !changed && !first {
                return;
            }
            first = false;
            let mut more = single && recheck(scale, None);
            for item in items.iter_mut() {
                more |= recheck(item, Some(&scale.status));
            }
            if !more {
                return;
            }
        }
    }
}

/// D9's hiding for one measure (`hide`: whether it hid), then P1's check again of the groups
/// it had excused (`open`, [`disclosure::CountModel::protect_open`]), until neither hides: a
/// cell P1 hides can leave a new rest alike.
fn hide_alike_then_recheck(
    status: &mut [CellStatus],
    open: &mut Vec<usize>,
    mut hide: impl FnMut(&mut [CellStatus]) -> bool,
    recheck: impl Fn(Vec<usize>, &mut [CellStatus]) -> Option<Vec<usize>>,
) {
    let hidden = |status: &[CellStatus]| status.iter().filter(|s| s.is_hidden()).count();
    while hide(status) {
        let before = hidden(status);
        *open = recheck(std::mem::take(open), status).unwrap_or_default();
        if hidden(status) == before {
            break;
        }
    }
}

/// D9 for what a reader works out of a scale's shown means and favourable %s
/// ([`disclosure::derived`] with [`bands::worked_out_mean_band`] and
/// [`bands::worked_out_favorable_band`]): hides cells until no shown cell less shown cells
/// inside it leaves a rest whose respondents all but at most one scored at an end of the
/// scale, or gave answers on one side only. A mean banded because one answer holds the cell
/// (`one_answer`, a scale of one question) is not read. Returns whether it hid any.
fn hide_alike_scale_rests(
    layout: &Layout,
    tallies: &Strided<'_>,
    one_answer: impl Fn(usize) -> bool,
    status: &mut [CellStatus],
) -> bool {
    let mut readings = scale_readings(status.len(), tallies, |cell, tally| {
        let shown = status.get(cell) == Some(&CellStatus::Shown);
        (
            shown && bands::mean_band(tally).is_none() && !one_answer(cell),
            shown && bands::scale_favorable_band(tally).is_none(),
        )
    });
    !disclosure::derived::protect(layout, &mut readings, status).is_empty()
}

/// The two readings D9 makes of one scale's `cells` cells: its means
/// ([`bands::worked_out_mean_band`]) and its favourable %s
/// ([`bands::worked_out_favorable_band`]), each exact where `exact(cell, tally)` says the
/// cell shows it (mean, favourable %). One pass over the cells: the tallies are strided
/// among every scale's, and reading each cell once is what this costs most.
fn scale_readings(
    cells: usize,
    tallies: &Strided<'_>,
    exact: impl Fn(usize, &ScaleTally) -> (bool, bool),
) -> [disclosure::derived::Figures; 2] {
    let (mut means, mut favorable) = (Vec::with_capacity(cells * 3), Vec::with_capacity(cells * 3));
    let (mut mean_exact, mut favorable_exact) =
        (Vec::with_capacity(cells), Vec::with_capacity(cells));
    for cell in 0..cells {
        let tally = tallies.get(cell);
        means.extend(tally.map_or([0; 3], bands::mean_figures));
        favorable.extend(tally.map_or([0; 3], bands::favorable_figures));
        let (mean, favourable) = tally.map_or((false, false), |t| exact(cell, t));
        mean_exact.push(mean);
        favorable_exact.push(favourable);
    }
    [
        disclosure::derived::Figures::new(3, means, mean_exact, bands::worked_out_mean_band),
        disclosure::derived::Figures::new(
            3,
            favorable,
            favorable_exact,
            bands::worked_out_favorable_band,
        ),
    ]
}

/// D9 for what a reader works out ([`disclosure::derived`]): hides cells of one
/// distribution (an item's answers, the profiles, as `status` shows them) until no shown
/// cell less shown cells inside it leaves a rest whose answers one category holds all or
/// all but one of. Returns whether it hid any; the caller drops what hidden cells held (D6).
fn hide_alike_rests(
    layout: &Layout,
    mut shown: Distributions<'_>,
    status: &mut [CellStatus],
) -> bool {
    !disclosure::derived::protect(layout, std::slice::from_mut(&mut shown), status).is_empty()
}

/// Each cell's n, mean and sd (or band) as a reader has them: exact, as the JSON API gives
/// them.
fn shown_figures(
    cells: &[HeatCell],
) -> impl Iterator<Item = Option<disclosure::spread::ShownFigures>> + '_ {
    cells.iter().map(|c| {
        let st = c.stats?;
        Some(disclosure::spread::ShownFigures {
            n: st.n,
            mean: st.mean?,
            sd: st.sd,
            sd_below: c.sd_below,
        })
    })
}

/// The bands each cell's own sd needs are not always enough: a reader intersects what every
/// shown cell holding a group says of it ([`disclosure::spread::Parts::widen`]). The cells
/// whose band is widened withhold their interval and tests too, and a widened root cell
/// takes the test against the rest of the organisation from every cell of its cut.
fn widen_sd_bands(
    layout: &Layout,
    statuses: &[CellStatus],
    parts: &disclosure::spread::Parts,
    spread: MeanBounds,
    cells: &mut [HeatCell],
) {
    let mut shown = disclosure::spread::shown_spreads(statuses, shown_figures(cells));
    let per_unit = layout.cells_per_unit();
    for (cell, edge) in parts.widen(layout, statuses, &mut shown, spread) {
        if let Some(c) = cells.get_mut(cell) {
            c.sd_below = Some(edge);
            c.significant = None;
            if let Some(st) = c.stats.as_mut() {
                st.sd = None;
                st.ci_low = None;
                st.ci_high = None;
            }
        }
        if cell < per_unit {
            for c in cells.iter_mut().skip(cell).step_by(per_unit.max(1)) {
                c.significant = None;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Org > A (six people), B (two): B is under k = 3 (D3), and A is hidden beside it (D4,
    /// or the organisation less A would give B). Nothing of a hidden cell outlives the build
    /// (D6): the release keeps every item's answers in one matrix, and it holds zeros for
    /// every hidden cell and the true answers for every shown one.
    #[test]
    fn the_answers_of_hidden_item_cells_are_not_kept() {
        let instrument =
            Instrument::parse(include_str!("../../server/tests/fixtures/mini.toml")).unwrap();
        let mut tree = OrgTree::new("Org").unwrap();
        let a = tree.insert("Org/A").unwrap();
        let b = tree.insert("Org/B").unwrap();
        let items = instrument.items.len();
        let sheets: Vec<PlacedSheet> = [a, a, a, a, a, a, b, b]
            .iter()
            .enumerate()
            .map(|(i, &unit)| {
                // Answers vary from sheet to sheet and from item to item.
                let answers: Vec<Option<i32>> =
                    (0..items).map(|j| Some(1 + ((i + j) % 5) as i32)).collect();
                let scores = instrument.score(&answers).unwrap();
                let placement = Placement {
                    unit,
                    values: vec![],
                };
                PlacedSheet {
                    placement,
                    scores,
                    answers,
                }
            })
            .collect();
        let release = Release::build(&instrument, tree, vec![], &sheets, 3, "W").unwrap();
        let points = release.points;
        let mut hidden = 0;
        for (i, item) in release.items.iter().enumerate() {
            for (cell, key) in release.layout.cells().iter().enumerate() {
                let from = (cell * items + i) * points;
                let kept = &release.item_counts[from..from + points];
                if item.status[cell].is_hidden() {
                    hidden += 1;
                    assert!(kept.iter().all(|&c| c == 0), "{key:?}: {kept:?}");
                    assert_eq!(release.item_cell(i, *key).unwrap().counts, None);
                } else {
                    let mut truth = vec![0u64; points];
                    for sheet in sheets.iter().filter(|s| {
                        release
                            .layout
                            .tree
                            .is_ancestor_or_self(key.unit, s.placement.unit)
                    }) {
                        if let Some(v) = sheet.answers[i] {
                            truth[(v - release.scale_min) as usize] += 1;
                        }
                    }
                    assert_eq!(kept, &truth[..], "{key:?}");
                }
            }
        }
        // A and B hidden for every item; the organisation shown.
        assert_eq!(hidden, 2 * items);
    }
}
