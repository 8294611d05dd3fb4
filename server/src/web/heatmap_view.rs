//! The heat map page's view model: from a reader's cut of the release to the rows, cells,
//! switches and legend the template shows.

use std::cmp::Ordering;

use askama::Template;
use serde::Deserialize;
use survey_engine::instrument::Direction;

use super::access::Reader;
use super::enc;
use super::reports_api::Read;
use super::{HEATMAP_JS_PATH, REPORT_CSS_PATH};
use crate::reports::Scope;
use survey_engine::bands::{Band, MeanBand};
use survey_engine::disclosure::{CellKey, CellStatus};
use survey_engine::org::OrgTree;
use survey_engine::release::Release;
use survey_engine::report::{HeatRow, ProfileRow};

#[derive(Deserialize, Default)]
pub struct HeatQuery {
    pub measure: Option<String>,
    pub compare: Option<String>,
    pub attribute: Option<String>,
    pub unit: Option<String>,
    /// "all": every level of the subtree; else [`LEVELS_SHOWN`] levels below its top.
    pub levels: Option<String>,
}

/// Levels shown below the unit in view unless the reader asks for all: an organisation's
/// divisions and their departments; deeper units are a click (drill-down) away, which keeps
/// the page of a large organisation short.
pub const LEVELS_SHOWN: usize = 2;

/// The filters a heat-map page was asked with, for links that keep them.
#[derive(Clone, Copy, Default)]
pub struct Filters<'a> {
    pub measure: Option<&'a str>,
    pub compare: Option<&'a str>,
    pub attribute: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub levels: Option<&'a str>,
}

impl<'a> Filters<'a> {
    pub fn of(q: &'a HeatQuery) -> Filters<'a> {
        Filters {
            measure: q.measure.as_deref(),
            compare: q.compare.as_deref(),
            attribute: q.attribute.as_deref(),
            unit: q.unit.as_deref(),
            levels: q.levels.as_deref(),
        }
    }

    /// The filters as query pairs, the empty ones left out.
    pub fn pairs(&self) -> Vec<(&'static str, &'a str)> {
        [
            ("measure", self.measure),
            ("compare", self.compare),
            ("attribute", self.attribute),
            ("unit", self.unit),
            ("levels", self.levels),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect()
    }

    /// `base` with the filters as its query.
    pub fn href(&self, base: &str) -> String {
        with_query(base, &self.pairs())
    }
}

/// `base?k=v&...`, values percent-encoded; `base` alone without pairs.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", query.join("&"))
    }
}

/// One step of the breadcrumb: a unit above the one in view (a link), or the unit in view.
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

pub struct Switch {
    pub label: String,
    pub href: String,
    pub current: bool,
}

/// The small figure under a cell: a difference, and what it means on the cell's scale.
pub struct DeltaView {
    pub text: String,
    /// "better" or "worse" (the class, and the word shown beside the figure), empty for a
    /// difference that rounds to zero.
    pub meaning: &'static str,
}

pub struct CellView {
    pub class: &'static str,
    pub status: &'static str,
    pub text: String,
    pub delta: Option<DeltaView>,
    pub title: String,
    /// What the sorting script orders by: the figure as shown, "+" or "-" for a band at the
    /// top or the bottom, empty for a hidden cell (always last).
    pub sort: String,
    /// The questions of the cell's scale for its unit and cut (shown cells only).
    pub items: Option<String>,
    /// "n=11": the cell's own count, where it differs from its row's "Answered (n)".
    pub own_n: Option<String>,
}

/// A scale's column heading.
pub struct ColumnView {
    pub label: String,
    /// The first sort of the column puts the least healthy first: "asc" or "desc".
    pub worst_first: &'static str,
}

pub struct RowView {
    pub label: String,
    pub path: String,
    /// The unit's own heat map, for the units below the one in view.
    pub drill: Option<String>,
    /// "12 units below", where the unit's subtree is collapsed (levels not shown).
    pub collapsed: Option<String>,
    /// The row's place in tree order, for the sorting script to go back to.
    pub index: usize,
    pub depth: usize,
    pub is_cut: bool,
    /// Respondents as the release shows them (the largest count of the row's shown cells),
    /// or "hidden".
    pub n: String,
    /// The response rate in whole percent, for sorting; empty where none is shown.
    pub rate_sort: String,
    pub rate: String,
    pub cells: Vec<CellView>,
    pub profiles: Vec<String>,
    /// A banded profile row in one phrase, e.g. "all or nearly all: engaged" (D9).
    pub profile_band: Option<String>,
    pub profile_status: &'static str,
    /// Why a hidden profile row is hidden, in words.
    pub profile_hidden: String,
}

/// The rows of one top-level unit, its own row first; or, for a reader narrowed to a
/// subtree, the organisation's rows with a title saying they are there for comparison.
pub struct GroupView {
    pub title: Option<String>,
    pub rows: Vec<RowView>,
}

impl HeatPage {
    /// The heat map's columns: unit, n, response rate and the scales.
    pub fn width(&self) -> usize {
        self.scales.len() + 3
    }
}

#[derive(Template)]
#[template(path = "reports/heatmap.html")]
pub struct HeatPage {
    css: &'static str,
    /// The sorting script, served by the binary like the stylesheet.
    script: &'static str,
    reader: Reader,
    wave: String,
    k: usize,
    previous: Option<String>,
    measures: Vec<Switch>,
    compares: Vec<Switch>,
    attributes: Vec<Switch>,
    /// How many levels below the unit in view: empty where the subtree is shallow enough
    /// to show whole.
    levels: Vec<Switch>,
    /// From the top of the reader's scope down to the unit in view.
    crumbs: Vec<Crumb>,
    /// The unit picker: every unit the reader may read, the form's action and the filters
    /// it keeps as hidden fields.
    units: Vec<String>,
    picker: String,
    kept: Vec<(&'static str, String)>,
    /// The unit in view, as a path, and its trend page.
    unit_path: String,
    trend: String,
    /// The five colours, each with its name and the thresholds that give it.
    legend: Vec<LegendEntry>,
    /// Why a cell is hidden, as the hatched swatch's label.
    hidden_legend: String,
    scales: Vec<ColumnView>,
    /// What the table holds, said to assistive technology.
    caption: String,
    profile_names: Vec<&'static str>,
    groups: Vec<GroupView>,
    print: String,
    /// What the small figure under each cell is.
    delta_note: String,
    /// How the small figures' colours and words read.
    delta_meaning: String,
    /// Said where the differences from the previous wave were asked for and there is none.
    no_previous: Option<String>,
    /// The question-by-question page of the unit in view.
    items: String,
    /// The comments page of the unit in view.
    comments: String,
    csv: String,
}

/// The five colour classes (orange = least healthy ... purple = healthiest, after PuOr,
/// colour-blind safe) with their names in the legend.
const CLASSES: [(&str, &str); 5] = [
    ("c1", "least healthy"),
    ("c2", "less healthy"),
    ("c3", "middle"),
    ("c4", "healthier"),
    ("c5", "healthiest"),
];

/// Where the colour changes, in percent of the way from the unhealthy end of the range to
/// the healthy one: under 35% the first class, from 65% on the last.
const STEPS: [i64; 4] = [35, 45, 55, 65];

/// [`STEPS`] on the mean's scale, in hundredths of a point from the bottom of the answer
/// scale up (2.40, 2.80, 3.20, 3.60 on a 1-5 scale).
fn mean_steps(min: i32, max: i32) -> [i64; 4] {
    let span = i64::from(max) - i64::from(min);
    STEPS.map(|p| i64::from(min) * 100 + span * p)
}

fn class_at(steps_passed: usize) -> &'static str {
    CLASSES.get(steps_passed).map_or("c3", |c| c.0)
}

/// The colour of a mean as the page shows it (in hundredths): where higher is better, each
/// step reached is one class healthier; where higher is worse, each step not reached is.
fn mean_class(hundredths: i64, steps: &[i64; 4], dir: Direction) -> &'static str {
    class_at(match dir {
        Direction::HigherIsBetter => steps.iter().filter(|&&t| hundredths >= t).count(),
        Direction::HigherIsWorse => steps.iter().filter(|&&t| hundredths < t).count(),
    })
}

/// The colour of a favourable share as the page shows it (whole percent).
fn favorable_class(percent: i64) -> &'static str {
    class_at(STEPS.iter().filter(|&&t| percent >= t).count())
}

/// In place of a confidence interval (or Cronbach's alpha) when the cell's sd is shown only
/// as a band (D7): each would give the sd back, and the sd would narrow down the average of a
/// smaller group inside the cell.
pub const SPREAD_WITHHELD: &str = "not shown: it would narrow down a smaller group's average";

/// Why a cell is hidden, in one wording for every reason: telling "fewer than k" from
/// "hidden to protect another group" would tell a reader which side of k the group is on.
const HIDDEN_WHY: &str = "hidden: fewer than k people answered, or the figure would let \
                          someone work out a smaller group";

/// [`HIDDEN_WHY`] with k's value.
pub fn hidden_why(k: usize) -> String {
    format!(
        "fewer than {k} people answered, or the figure would let someone work out a smaller group"
    )
}

/// How a cell is read: which figure, against what, on which kind of scale.
#[derive(Clone, Copy)]
struct Reading {
    favorable: bool,
    vs_prev: bool,
    /// The organisation's own rows: no difference from the organisation to show.
    is_root: bool,
    dir: Direction,
    /// [`mean_steps`] of the answer scale.
    steps: [i64; 4],
}

fn cell_view(r: &HeatRow, how: Reading) -> CellView {
    if r.status != CellStatus::Shown {
        return CellView {
            class: "hidden",
            status: r.status.as_str(),
            text: "hidden".into(),
            delta: None,
            title: HIDDEN_WHY.into(),
            sort: String::new(),
            items: None,
            own_n: None,
        };
    }
    let higher_is_better = how.dir == Direction::HigherIsBetter;
    // A banded figure (D9) is shown in words, coloured as the end of the scale it is near.
    let end = |healthy: bool| if healthy { "c5" } else { "c1" };
    // A figure is coloured as it is shown (rounded), so that the legend's thresholds hold.
    let (text, class, sort) = if how.favorable {
        match r.favorable_band {
            Some(b @ Band::AllOrNearlyAll) => (b.label().to_string(), "c5", "+".into()),
            Some(b @ Band::NoneOrNearlyNone) => (b.label().to_string(), "c1", "-".into()),
            None => {
                let shown = format!("{:.0}", r.favorable_pct.unwrap_or(0.0));
                let class = favorable_class(shown.parse().unwrap_or(0));
                (format!("{shown}%"), class, shown)
            }
        }
    } else {
        match r.mean_band {
            Some(MeanBand::AllOrNearlyAllHighest) => (
                "all or nearly all at the top".to_string(),
                end(higher_is_better),
                "+".into(),
            ),
            Some(MeanBand::AllOrNearlyAllLowest) => (
                "all or nearly all at the bottom".to_string(),
                end(!higher_is_better),
                "-".into(),
            ),
            // A question's answer in the middle of the scale: coloured as the middle.
            Some(MeanBand::AllOrNearlyAllOneAnswer) => (
                "all or nearly all gave the same answer".to_string(),
                "c3",
                "=".into(),
            ),
            None => {
                let shown = format!("{:.2}", r.mean.unwrap_or(0.0));
                // Two decimals read back exactly.
                let hundredths = shown
                    .parse::<f64>()
                    .map_or(0, |m| (m * 100.0).round() as i64);
                (
                    shown.clone(),
                    mean_class(hundredths, &how.steps, how.dir),
                    shown,
                )
            }
        }
    };
    let delta = if how.is_root && !how.vs_prev {
        // The organisation against itself: always zero, so nothing to read.
        None
    } else if how.favorable {
        // The favourable view compares shares: percentage points, no mean test. A larger
        // favourable share is the healthier one on every scale.
        let points = if how.vs_prev {
            r.delta_prev_points
        } else {
            r.delta_org_points
        };
        points.map(points_delta)
    } else {
        let (d, sig) = if how.vs_prev {
            (r.delta_prev, r.significant_prev)
        } else {
            (r.delta_org, r.significant)
        };
        d.map(|d| mean_delta(d, sig == Some(true), higher_is_better))
    };
    CellView {
        class,
        status: "shown",
        title: cell_title(r),
        text,
        delta,
        sort,
        items: None,
        own_n: None,
    }
}

/// Hundredths as a figure with two decimals: 240 reads "2.40", -5 reads "-0.05".
fn hundredths_text(h: i64) -> String {
    let abs = h.unsigned_abs();
    format!(
        "{}{}.{:02}",
        if h < 0 { "-" } else { "" },
        abs / 100,
        abs % 100
    )
}

/// "better" or "worse" for a difference of this sign (after rounding), "" for none.
fn meaning(sign: Ordering, higher_is_better: bool) -> &'static str {
    match (sign, higher_is_better) {
        (Ordering::Equal, _) => "",
        (Ordering::Greater, true) | (Ordering::Less, false) => "better",
        _ => "worse",
    }
}

/// A difference in percentage points, whole points: "+5 pts", "-3 pts", and "0 pts" for one
/// that rounds to zero (never "-0"). More favourable answers are better.
fn points_delta(d: f64) -> DeltaView {
    let points = d.round() as i64;
    DeltaView {
        text: format!("{}{points} pts", if points > 0 { "+" } else { "" }),
        meaning: meaning(points.cmp(&0), true),
    }
}

/// A mean difference with two decimals and `*` when significant: "+0.39*", "-0.12", and
/// "0.00" for one that rounds to zero (never "-0.00" or "+0.00"), better or worse by the
/// scale's direction.
fn mean_delta(d: f64, significant: bool, higher_is_better: bool) -> DeltaView {
    let hundredths = (d * 100.0).round() as i64;
    let sign = match hundredths.cmp(&0) {
        Ordering::Greater => "+",
        Ordering::Less => "-",
        Ordering::Equal => "",
    };
    DeltaView {
        text: format!(
            "{sign}{}{}",
            hundredths_text(hundredths.abs()),
            if significant { "*" } else { "" }
        ),
        meaning: meaning(hundredths.cmp(&0), higher_is_better),
    }
}

/// The tooltip of a shown cell: n and every figure.
fn cell_title(r: &HeatRow) -> String {
    match r.mean_band {
        Some(b) => format!(
            "n={}: {} (figures withheld so that no one's answers can be told)",
            r.respondents.unwrap_or(0),
            b.label()
        ),
        None => format!(
            "n={}, mean {}, 95% CI {}, favorable {}",
            r.respondents.unwrap_or(0),
            r.mean.map(|m| format!("{m:.2}")).unwrap_or_default(),
            match (r.ci_low, r.ci_high) {
                (Some(low), Some(high)) => format!("{low:.2}–{high:.2}"),
                _ => SPREAD_WITHHELD.to_string(),
            },
            match r.favorable_band {
                Some(b) => b.label().to_string(),
                None => r
                    .favorable_pct
                    .map(|m| format!("{m:.0}%"))
                    .unwrap_or_default(),
            }
        ),
    }
}

fn switch(href: String, label: &str, current: bool) -> Switch {
    Switch {
        label: label.to_string(),
        href,
        current,
    }
}

/// An attribute's name as a label: "tenure" reads "Tenure".
pub fn attribute_label(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A cut row's label: "Tenure: 1-3y", with the value as the roster gives it.
fn cut_label(rel: &Release, key: CellKey) -> String {
    let named = key.cut.and_then(|(a, v)| {
        let attr = rel.attributes.get(a)?;
        Some((attr, attr.values.get(v)?))
    });
    match named {
        Some((attr, value)) => format!("{}: {value}", attribute_label(&attr.name)),
        None => rel.cut_label(key),
    }
}

/// Where a value sits among amounts: the first number it names, and whether it means below
/// it ("<1y", "under 1 year"), the number itself ("1-3y"), or above it ("10y+", "over 10");
/// `None` for a value without a number.
fn amount(value: &str) -> Option<(f64, i8)> {
    let lower = value.to_lowercase();
    let start = lower.find(|c: char| c.is_ascii_digit())?;
    let digits: String = lower[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let digits = digits.trim_end_matches('.');
    let number = digits.parse::<f64>().ok()?;
    let (before, after) = (&lower[..start], &lower[start + digits.len()..]);
    let below = ["<", "under", "less than", "below", "fewer than", "up to"];
    let above = [">", "over", "more than", "above", "at least"];
    let side = if below.iter().any(|w| before.contains(w)) || after.contains("or less") {
        -1
    } else if above.iter().any(|w| before.contains(w))
        || after.contains('+')
        || after.contains("or more")
    {
        1
    } else {
        0
    };
    Some((number, side))
}

/// The order a reader expects an attribute's values in: values that name amounts by the
/// amount ("<1y", "1-3y", "3-10y", "10y+"), then the others by their text, ignoring case.
/// The roster declares no order of its own, and the release keeps values sorted as text.
pub fn natural_order(values: &[String]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&values[a], &values[b]);
        let by_amount = match (amount(x), amount(y)) {
            (Some((nx, sx)), Some((ny, sy))) => nx.total_cmp(&ny).then(sx.cmp(&sy)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_amount
            .then_with(|| x.to_lowercase().cmp(&y.to_lowercase()))
            .then_with(|| x.cmp(y))
    });
    order
}

/// `keys` (a unit's row, then its cut rows) with each unit's cut rows in their values'
/// natural order.
fn ordered_keys(rel: &Release, keys: Vec<CellKey>) -> Vec<CellKey> {
    let places: Vec<Vec<usize>> = rel
        .attributes
        .iter()
        .map(|a| {
            let mut place = vec![0; a.values.len()];
            for (at, v) in natural_order(&a.values).into_iter().enumerate() {
                if let Some(p) = place.get_mut(v) {
                    *p = at;
                }
            }
            place
        })
        .collect();
    let place = |key: &CellKey| {
        key.cut.map(|(a, v)| {
            (
                a,
                places.get(a).and_then(|p| p.get(v)).copied().unwrap_or(v),
            )
        })
    };
    let mut out = Vec::with_capacity(keys.len());
    let mut cuts = Vec::new();
    for key in keys {
        if key.cut.is_none() {
            cuts.sort_by_key(place);
            out.append(&mut cuts);
            out.push(key);
        } else {
            cuts.push(key);
        }
    }
    cuts.sort_by_key(place);
    out.append(&mut cuts);
    out
}

/// One colour of the legend.
pub struct LegendEntry {
    pub class: &'static str,
    pub name: &'static str,
    /// The figures that get this colour.
    pub detail: String,
}

/// The legend of the five colours, with the thresholds that decide them: favourable shares
/// in whole percent, means in hundredths on the answer scale, read the other way round on
/// the scales where higher is worse.
fn legend(favorable: bool, inst: &survey_engine::instrument::Instrument) -> Vec<LegendEntry> {
    let entry = |i: usize, detail: String| LegendEntry {
        class: CLASSES[i].0,
        name: CLASSES[i].1,
        detail,
    };
    if favorable {
        let percent = |p: i64| format!("{p}%");
        return (0..CLASSES.len())
            .map(|i| {
                let detail = match i {
                    0 => format!("under {} favourable", percent(STEPS[0])),
                    4 => format!("{} favourable or more", percent(STEPS[3])),
                    _ => format!(
                        "{}–{} favourable",
                        percent(STEPS[i - 1]),
                        percent(STEPS[i] - 1)
                    ),
                };
                entry(i, detail)
            })
            .collect();
    }
    let steps = mean_steps(inst.response_scale.min, inst.response_scale.max);
    let f = |h: i64| hundredths_text(h);
    // The means of each class where higher is better, from the least healthy up.
    let up: Vec<String> = (0..CLASSES.len())
        .map(|i| match i {
            0 => format!("below {}", f(steps[0])),
            4 => format!("{} or more", f(steps[3])),
            _ => format!("{}–{}", f(steps[i - 1]), f(steps[i] - 1)),
        })
        .collect();
    let worse: Vec<&str> = inst
        .scales
        .iter()
        .filter(|s| s.direction == Direction::HigherIsWorse)
        .map(|s| s.label.as_str())
        .collect();
    let any_better = inst
        .scales
        .iter()
        .any(|s| s.direction == Direction::HigherIsBetter);
    (0..CLASSES.len())
        .map(|i| {
            let (on_better, on_worse) = (&up[i], &up[CLASSES.len() - 1 - i]);
            let detail = if worse.is_empty() || on_better == on_worse {
                format!("mean {on_better}")
            } else if !any_better {
                format!("mean {on_worse}")
            } else {
                format!("mean {on_better}; on {} {on_worse}", list(&worse))
            };
            entry(i, detail)
        })
        .collect()
}

/// The heat map of one read (wave, scope, cut) as the page shows it.
pub fn heat_page(r: &Read, q: &HeatQuery, wave: &str, reader: Reader, own: &Scope) -> HeatPage {
    let ctx = &r.ctx;
    let rel = ctx.release();
    let tree = &rel.tree;
    let favorable = q.measure.as_deref() == Some("favorable");
    let vs_prev = q.compare.as_deref() == Some("previous");
    let all_levels = q.levels.as_deref() == Some("all");
    let base = format!("/reports/waves/{}", enc(wave));
    let f = Filters::of(q);
    let measures = vec![
        switch(
            Filters { measure: None, ..f }.href(&base),
            "Mean",
            !favorable,
        ),
        switch(
            Filters {
                measure: Some("favorable"),
                ..f
            }
            .href(&base),
            "Favorable %",
            favorable,
        ),
    ];
    let compares = vec![
        switch(
            Filters { compare: None, ..f }.href(&base),
            "Δ to the organisation",
            !vs_prev,
        ),
        switch(
            Filters {
                compare: Some("previous"),
                ..f
            }
            .href(&base),
            "Δ to the previous wave",
            vs_prev,
        ),
    ];
    let mut attributes = vec![switch(
        Filters {
            attribute: None,
            ..f
        }
        .href(&base),
        "No cut",
        f.attribute.is_none(),
    )];
    attributes.extend(rel.attributes.iter().map(|at| {
        switch(
            Filters {
                attribute: Some(&at.name),
                ..f
            }
            .href(&base),
            &attribute_label(&at.name),
            f.attribute == Some(at.name.as_str()),
        )
    }));
    // The unit in view: `?unit=`, else the top of the reader's scope.
    let top_path = match &r.scope {
        Scope::Subtree(p) => p.clone(),
        Scope::Everything => tree.path(0),
    };
    let top = tree.find(&top_path).unwrap_or(0);
    let top_depth = tree.depth(top);
    let deepest = subtree(tree, top)
        .map(|u| tree.depth(u) - top_depth)
        .max()
        .unwrap_or(0);
    let levels = if deepest > LEVELS_SHOWN {
        vec![
            switch(
                Filters { levels: None, ..f }.href(&base),
                &format!("{LEVELS_SHOWN} levels below {}", tree.name(top)),
                !all_levels,
            ),
            switch(
                Filters {
                    levels: Some("all"),
                    ..f
                }
                .href(&base),
                &format!("all {deepest} levels"),
                all_levels,
            ),
        ]
    } else {
        Vec::new()
    };
    let inst = &ctx.current.instrument;
    let steps = mean_steps(inst.response_scale.min, inst.response_scale.max);
    // A reader narrowed to a subtree sees the organisation's rows first, for comparison.
    let comparison = ctx.comparison(&r.scope, r.attribute);
    let shown_depth = |u: usize| all_levels || tree.depth(u) - top_depth <= LEVELS_SHOWN;
    let keys: Vec<CellKey> = ordered_keys(rel, ctx.export_rows(&r.scope, r.attribute))
        .into_iter()
        .enumerate()
        .filter(|(i, k)| *i < comparison.len() || shown_depth(k.unit))
        .map(|(_, k)| k)
        .collect();
    let records = ctx.heat_rows_of(&keys);
    let profiles = ctx.profile_rows_of(&keys);
    let n_scales = rel.scales.len().max(1);
    let mut groups: Vec<GroupView> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let compared = i < comparison.len();
        let d = if compared {
            top_depth
        } else {
            tree.depth(key.unit)
        };
        let unit_path = tree.path(key.unit);
        if i == 0 && compared {
            groups.push(GroupView {
                title: Some(format!(
                    "{unit_path}: the whole organisation, for comparison"
                )),
                rows: Vec::new(),
            });
        }
        if i == comparison.len() || (!compared && key.cut.is_none() && d == top_depth + 1) {
            groups.push(GroupView {
                title: None,
                rows: Vec::new(),
            });
        }
        let row_records: Vec<&HeatRow> = records.iter().skip(i * n_scales).take(n_scales).collect();
        // The row's respondents: the largest count its shown cells publish.
        let n = row_records
            .iter()
            .filter(|rec| rec.status == CellStatus::Shown)
            .filter_map(|rec| rec.respondents)
            .max();
        // Each shown cell opens the questions of its scale for its unit and cut, keeping the
        // page's filters for the way back.
        let mut cell_pairs = vec![("unit", unit_path.as_str())];
        cell_pairs.extend(Filters { unit: None, ..f }.pairs());
        if let Some(value) = key
            .cut
            .and_then(|(a, v)| rel.attributes.get(a)?.values.get(v))
        {
            cell_pairs.push(("value", value.as_str()));
        }
        let cell_items = with_query(&format!("{base}/items"), &cell_pairs);
        let cells = row_records
            .iter()
            .enumerate()
            .map(|(s, rec)| {
                let dir = inst
                    .scales
                    .get(s)
                    .map_or(Direction::HigherIsBetter, |x| x.direction);
                let how = Reading {
                    favorable,
                    vs_prev,
                    is_root: key.unit == 0,
                    dir,
                    steps,
                };
                let mut cell = cell_view(rec, how);
                if rec.status == CellStatus::Shown {
                    cell.items = Some(format!("{cell_items}#scale-{}", enc(&rec.scale)));
                    // Where fewer answered this scale than the row's n (skipped questions),
                    // the cell says its own count.
                    cell.own_n = rec
                        .respondents
                        .filter(|&own| Some(own) != n)
                        .map(|own| format!("n={own}"));
                }
                cell
            })
            .collect();
        let rate = key
            .cut
            .is_none()
            .then(|| ctx.response_rate(key.unit))
            .flatten();
        let prof = profiles.get(i);
        // A unit row below the one in view opens that unit's own heat map (drill-down).
        let drill = (!compared && key.cut.is_none() && key.unit != top).then(|| {
            Filters {
                unit: Some(&unit_path),
                ..f
            }
            .href(&base)
        });
        let below = tree.children(key.unit).len();
        let row = RowView {
            label: if key.cut.is_none() {
                tree.name(key.unit).to_string()
            } else {
                cut_label(rel, *key)
            },
            collapsed: (!compared
                && key.cut.is_none()
                && below > 0
                && !shown_depth(tree.children(key.unit)[0]))
            .then(|| {
                let units = subtree(tree, key.unit).count() - 1;
                format!("{units} unit{} below", if units == 1 { "" } else { "s" })
            }),
            drill,
            path: unit_path,
            index: i,
            // A unit's cut rows are indented under it.
            depth: d.saturating_sub(top_depth) + usize::from(key.cut.is_some()),
            is_cut: key.cut.is_some(),
            n: n.map_or_else(|| "hidden".into(), |n| n.to_string()),
            rate: match rate {
                Some(p) => format!("{p:.0}%"),
                None if key.cut.is_none() => "–".into(),
                None => String::new(),
            },
            rate_sort: rate.map(|p| format!("{p:.0}")).unwrap_or_default(),
            cells,
            profiles: match prof {
                Some(ProfileRow {
                    percent: Some(v), ..
                }) => v.iter().map(|(_, x)| format!("{x:.0}%")).collect(),
                _ => Vec::new(),
            },
            profile_band: prof.and_then(|p| p.bands.as_ref()).and_then(|b| {
                b.iter()
                    .find(|(_, b)| *b == Band::AllOrNearlyAll)
                    .map(|(profile, b)| format!("{}: {profile}", b.label()))
            }),
            profile_status: prof.map_or("shown", |p| p.status.as_str()),
            profile_hidden: format!("hidden: {}", hidden_why(rel.k)),
        };
        if let Some(g) = groups.last_mut() {
            g.rows.push(row);
        }
    }
    // The breadcrumb: from the top of the reader's scope down to the unit in view.
    let own_top = match own {
        Scope::Subtree(p) => tree.find(p).unwrap_or(top),
        Scope::Everything => 0,
    };
    let mut crumbs = Vec::new();
    let mut u = Some(top);
    while let Some(at) = u {
        crumbs.push(Crumb {
            label: tree.name(at).to_string(),
            href: (at != top).then(|| {
                let path = tree.path(at);
                Filters {
                    unit: (at != own_top).then_some(path.as_str()),
                    ..f
                }
                .href(&base)
            }),
        });
        if at == own_top {
            break;
        }
        u = tree.parent(at);
    }
    crumbs.reverse();
    // Every unit the reader may read, for the unit picker.
    let units: Vec<String> = subtree(tree, own_top).map(|u| tree.path(u)).collect();
    let kept = Filters { unit: None, ..f }.pairs();
    let unit_only: Vec<(&str, &str)> = f.unit.map(|u| ("unit", u)).into_iter().collect();
    let csv_pairs: Vec<(&str, &str)> = [("attribute", f.attribute), ("unit", f.unit)]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    HeatPage {
        css: REPORT_CSS_PATH,
        script: HEATMAP_JS_PATH,
        reader,
        wave: rel.wave.clone(),
        k: rel.k,
        previous: ctx.previous.as_ref().map(|(w, _)| w.name.clone()),
        measures,
        compares,
        attributes,
        levels,
        crumbs,
        units,
        picker: base.clone(),
        kept: kept.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
        unit_path: top_path.clone(),
        trend: with_query("/reports/trend", &[("unit", top_path.as_str())]),
        legend: legend(favorable, inst),
        hidden_legend: format!("hidden: {}", hidden_why(rel.k)),
        // Labels, as the printable report has them, not ids.
        scales: rel
            .scales
            .iter()
            .enumerate()
            .map(|(s, id)| {
                let scale = inst.scales.get(s);
                let higher_is_worse =
                    scale.is_some_and(|x| x.direction == Direction::HigherIsWorse);
                ColumnView {
                    label: scale.map_or_else(|| id.clone(), |x| x.label.clone()),
                    worst_first: if higher_is_worse && !favorable {
                        "desc"
                    } else {
                        "asc"
                    },
                }
            })
            .collect(),
        caption: format!(
            "{} per unit and scale, wave {}",
            if favorable {
                "Favourable share"
            } else {
                "Mean score"
            },
            rel.wave
        ),
        profile_names: if rel.profiles.is_empty() {
            Vec::new()
        } else {
            survey_engine::Profile::ALL
                .iter()
                .map(|p| p.as_str())
                .collect()
        },
        groups,
        print: with_query(&format!("{base}/print"), &unit_only),
        delta_note: {
            let from = if vs_prev {
                "the previous wave"
            } else {
                "the whole organisation"
            };
            if favorable {
                format!(
                    "small figures: the difference in favourable share from {from}, in \
                     percentage points; none where the figure compared with is hidden or does \
                     not exist"
                )
            } else {
                format!(
                    "small figures: the difference in mean score from {from}; * significant \
                     difference (Welch's t-test, p < 0.05); none where the figure compared \
                     with is hidden or does not exist"
                )
            }
        },
        no_previous: (vs_prev && ctx.previous.is_none()).then(|| {
            format!(
                "No earlier closed wave of this survey to compare wave {} with, so the \
                 figures show no differences. Compare with the organisation instead.",
                rel.wave
            )
        }),
        delta_meaning: {
            let worse: Vec<&str> = inst
                .scales
                .iter()
                .filter(|s| s.direction == Direction::HigherIsWorse)
                .map(|s| s.label.as_str())
                .collect();
            let which = if favorable || worse.is_empty() {
                "a larger favourable share is better on every scale".to_string()
            } else {
                format!(
                    "a higher mean is better, except on {} where higher is worse",
                    list(&worse)
                )
            };
            format!(
                "“better” and “worse” say what a difference means: {which}; “{}”: no \
                 difference once rounded",
                if favorable { "0 pts" } else { "0.00" }
            )
        },
        items: f.href(&format!("{base}/items")),
        comments: f.href(&format!("{base}/comments")),
        csv: with_query(
            &format!("/api/v1/waves/{}/heatmap.csv", enc(wave)),
            &csv_pairs,
        ),
    }
}

/// `u` and every unit below it, parents before their children.
fn subtree(tree: &OrgTree, u: usize) -> impl Iterator<Item = usize> + '_ {
    let mut stack = vec![u];
    std::iter::from_fn(move || {
        let at = stack.pop()?;
        stack.extend(tree.children(at).iter().rev());
        Some(at)
    })
}

/// "a", "a and b", "a, b and c".
fn list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered<'a>(values: &[&'a str]) -> Vec<&'a str> {
        let owned: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        natural_order(&owned)
            .into_iter()
            .map(|i| values[i])
            .collect()
    }

    #[test]
    fn values_that_name_amounts_are_ordered_by_the_amount() {
        // As the release holds them: sorted as text.
        assert_eq!(
            ordered(&["1-3y", "10y+", "3-10y", "<1y"]),
            ["<1y", "1-3y", "3-10y", "10y+"]
        );
        assert_eq!(
            ordered(&[
                "10 or more years",
                "2-5 years",
                "Under 2 years",
                "5-10 years"
            ]),
            [
                "Under 2 years",
                "2-5 years",
                "5-10 years",
                "10 or more years"
            ]
        );
        assert_eq!(
            ordered(&["18-29", "30-44", "45+", "5"]),
            ["5", "18-29", "30-44", "45+"]
        );
        // Without numbers: by text, ignoring case; numbered values first.
        assert_eq!(
            ordered(&["paris", "Berlin", "unknown", "2nd floor"]),
            ["2nd floor", "Berlin", "paris", "unknown"]
        );
        assert!(ordered(&[]).is_empty());
    }

    #[test]
    fn an_attribute_reads_as_a_label() {
        assert_eq!(attribute_label("tenure"), "Tenure");
        assert_eq!(attribute_label("ägypten"), "Ägypten");
        assert_eq!(attribute_label(""), "");
    }

    #[test]
    fn colours_change_at_the_legends_thresholds() {
        let steps = mean_steps(1, 5);
        assert_eq!(steps, [240, 280, 320, 360]);
        let better = |h| mean_class(h, &steps, Direction::HigherIsBetter);
        let worse = |h| mean_class(h, &steps, Direction::HigherIsWorse);
        let cases = [
            (100, "c1", "c5"),
            (239, "c1", "c5"),
            (240, "c2", "c4"),
            (279, "c2", "c4"),
            (280, "c3", "c3"),
            (319, "c3", "c3"),
            (320, "c4", "c2"),
            (359, "c4", "c2"),
            (360, "c5", "c1"),
            (500, "c5", "c1"),
        ];
        for (h, up, down) in cases {
            assert_eq!((better(h), worse(h)), (up, down), "{h}");
        }
        assert_eq!(mean_steps(0, 10), [350, 450, 550, 650]);
        let shares = [
            (0, "c1"),
            (34, "c1"),
            (35, "c2"),
            (54, "c3"),
            (64, "c4"),
            (65, "c5"),
        ];
        for (p, class) in shares {
            assert_eq!(favorable_class(p), class, "{p}");
        }
    }

    #[test]
    fn a_difference_reads_better_or_worse_by_the_scales_direction() {
        let d = mean_delta(0.394, true, false);
        assert_eq!((d.text.as_str(), d.meaning), ("+0.39*", "worse"));
        let d = mean_delta(0.394, false, true);
        assert_eq!((d.text.as_str(), d.meaning), ("+0.39", "better"));
        let d = mean_delta(-0.126, false, false);
        assert_eq!((d.text.as_str(), d.meaning), ("-0.13", "better"));
        let d = mean_delta(-1.5, false, true);
        assert_eq!((d.text.as_str(), d.meaning), ("-1.50", "worse"));
        let d = points_delta(-4.6);
        assert_eq!((d.text.as_str(), d.meaning), ("-5 pts", "worse"));
        let d = points_delta(12.2);
        assert_eq!((d.text.as_str(), d.meaning), ("+12 pts", "better"));
    }

    #[test]
    fn a_difference_that_rounds_to_zero_is_zero_and_uncoloured() {
        for d in [-0.004, -0.0, 0.0, 0.004, 1e-12, -1e-12] {
            let mean = mean_delta(d, false, true);
            assert_eq!((mean.text.as_str(), mean.meaning), ("0.00", ""), "{d}");
            let mean = mean_delta(d, false, false);
            assert_eq!((mean.text.as_str(), mean.meaning), ("0.00", ""), "{d}");
        }
        for d in [-0.49, -0.0, 0.0, 0.49] {
            let points = points_delta(d);
            assert_eq!((points.text.as_str(), points.meaning), ("0 pts", ""), "{d}");
        }
        // Just past the rounding edge there is a difference again.
        assert_eq!(mean_delta(-0.006, false, true).text, "-0.01");
        assert_eq!(mean_delta(0.005, false, true).meaning, "better");
    }
}
