//! Report rows: what every view of a release shows (the API, the pages, the CLI and the
//! CSVs), one row per cell and scale, per cell for profiles, per cell and item for items.
//! The rows are cut from a [`Release`] only (docs/privacy.md D6): a hidden cell's row carries
//! its status and no figure. The server chooses which cells a reader may see; it computes
//! nothing of its own.

use std::collections::HashMap;

use serde::Serialize;

use crate::bands::{self, Band, MeanBand, Share};
use crate::csv_out::CsvWriter;
use crate::disclosure::{CellKey, CellStatus};
use crate::error::EngineError;
use crate::format::{opt, push_opt};
use crate::instrument::Instrument;
use crate::release::{ProfileCell, Release, HEATMAP_HEADER, PROFILES_HEADER};
use crate::scoring::Profile;
use crate::stats::{welch_significant, ItemStats, Moments};

/// One cell of one scale.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct HeatRow {
    /// The wave's name.
    pub wave: String,
    /// The unit's path, e.g. `Acme/Engineering`; its figures cover its whole subtree.
    pub unit: String,
    /// Empty for the whole unit, else `attribute=value`.
    pub cut: String,
    /// The scale's id.
    pub scale: String,
    pub status: CellStatus,
    /// Respondents with a score on this scale; only for shown cells.
    pub respondents: Option<u64>,
    /// Mean score on the answer scale; only for shown cells.
    pub mean: Option<f64>,
    /// Standard deviation; only for shown cells, and not when `sd_below` is given.
    pub sd: Option<f64>,
    /// Given instead of `sd` when the answers are so close together that the exact sd would
    /// narrow down the average of a small group inside the cell (docs/privacy.md D7, P2): the
    /// sd is below this figure. The confidence interval and both significance tests are then
    /// withheld too, since each would give the sd back.
    pub sd_below: Option<f64>,
    /// 95% confidence interval of the mean, lower end.
    pub ci_low: Option<f64>,
    /// 95% confidence interval of the mean, upper end.
    pub ci_high: Option<f64>,
    /// % of the answers to the scale's items on the healthy side of the scale; empty when
    /// `favorable_band` is given instead.
    pub favorable_pct: Option<f64>,
    /// Given instead of `favorable_pct` when that figure is within one respondent of all or
    /// none of the answers (docs/privacy.md D9).
    pub favorable_band: Option<Band>,
    /// Given instead of `mean`, `sd`, the interval and every comparison when all respondents
    /// but at most one scored at one end of the scale (docs/privacy.md D9).
    pub mean_band: Option<MeanBand>,
    /// Mean minus the organisation's (same cut); only when both are shown.
    pub delta_org: Option<f64>,
    /// Whether the difference from the rest of the organisation is significant (Welch's t-test).
    pub significant: Option<bool>,
    /// Mean minus the previous wave's (same unit path, cut and scale); only when both shown.
    pub delta_prev: Option<f64>,
    /// Whether the change from the previous wave is significant (Welch's t-test).
    pub significant_prev: Option<bool>,
    /// Favourable % minus the organisation's (same cut), in percentage points; only when both
    /// are shown and neither figure is banded (D9).
    pub delta_org_points: Option<f64>,
    /// Favourable % minus the previous wave's (same unit path, cut and scale), in percentage
    /// points; only when both are shown and neither figure is banded.
    pub delta_prev_points: Option<f64>,
}

/// A [`HeatRow`] whose text is borrowed from the release instead of copied: what
/// [`HeatRows`] hands out. It serialises exactly as the [`HeatRow`] it stands for.
#[derive(Serialize, Clone, Copy, Debug, PartialEq)]
pub struct HeatRowRef<'a> {
    pub wave: &'a str,
    pub unit: &'a str,
    pub cut: &'a str,
    pub scale: &'a str,
    pub status: CellStatus,
    pub respondents: Option<u64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub sd_below: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub favorable_pct: Option<f64>,
    pub favorable_band: Option<Band>,
    pub mean_band: Option<MeanBand>,
    pub delta_org: Option<f64>,
    pub significant: Option<bool>,
    pub delta_prev: Option<f64>,
    pub significant_prev: Option<bool>,
    pub delta_org_points: Option<f64>,
    pub delta_prev_points: Option<f64>,
}

impl HeatRowRef<'_> {
    /// The row with its own copies of the text.
    pub fn to_row(&self) -> HeatRow {
        HeatRow {
            wave: self.wave.to_string(),
            unit: self.unit.to_string(),
            cut: self.cut.to_string(),
            scale: self.scale.to_string(),
            status: self.status,
            respondents: self.respondents,
            mean: self.mean,
            sd: self.sd,
            sd_below: self.sd_below,
            ci_low: self.ci_low,
            ci_high: self.ci_high,
            favorable_pct: self.favorable_pct,
            favorable_band: self.favorable_band,
            mean_band: self.mean_band,
            delta_org: self.delta_org,
            significant: self.significant,
            delta_prev: self.delta_prev,
            significant_prev: self.significant_prev,
            delta_org_points: self.delta_org_points,
            delta_prev_points: self.delta_prev_points,
        }
    }
}

impl<'a> From<&'a HeatRow> for HeatRowRef<'a> {
    fn from(r: &'a HeatRow) -> HeatRowRef<'a> {
        HeatRowRef {
            wave: &r.wave,
            unit: &r.unit,
            cut: &r.cut,
            scale: &r.scale,
            status: r.status,
            respondents: r.respondents,
            mean: r.mean,
            sd: r.sd,
            sd_below: r.sd_below,
            ci_low: r.ci_low,
            ci_high: r.ci_high,
            favorable_pct: r.favorable_pct,
            favorable_band: r.favorable_band,
            mean_band: r.mean_band,
            delta_org: r.delta_org,
            significant: r.significant,
            delta_prev: r.delta_prev,
            significant_prev: r.significant_prev,
            delta_org_points: r.delta_org_points,
            delta_prev_points: r.delta_prev_points,
        }
    }
}

/// The burnout-profile distribution of one cell.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct ProfileRow {
    /// The wave's name.
    pub wave: String,
    /// The unit's path.
    pub unit: String,
    /// Empty for the whole unit, else `attribute=value`.
    pub cut: String,
    pub status: CellStatus,
    /// Respondents with a profile; only for shown cells.
    pub respondents: Option<u64>,
    /// % of respondents per profile (burnout, overextended, disengaged, ineffective, engaged,
    /// unclassified, in that order), as `[profile, %]` pairs; only for shown cells whose
    /// distribution is not banded.
    pub percent: Option<Vec<(String, f64)>>,
    /// Given instead of `percent` when one profile holds all or all but one of the
    /// respondents (docs/privacy.md D9): `[profile, band]` pairs in the same order.
    pub bands: Option<Vec<(String, Band)>>,
}

/// One item in one cell.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct ItemRow {
    /// The wave's name.
    pub wave: String,
    /// The unit's path.
    pub unit: String,
    /// Empty for the whole unit, else `attribute=value`.
    pub cut: String,
    /// The id of the item's scale.
    pub scale: String,
    /// The item's id in the instrument.
    pub item: String,
    /// The item is a measure of its own (its answerers), suppressed like a scale.
    pub status: CellStatus,
    /// Respondents who answered the item; only when shown.
    pub respondents: Option<u64>,
    /// Mean answer; only when shown and not banded.
    pub mean: Option<f64>,
    /// Standard deviation of the answers; only when shown and not banded.
    pub sd: Option<f64>,
    /// % of answers at each scale point from min to max; empty when hidden, `null` entries
    /// when banded.
    pub pct: Vec<Option<f64>>,
    /// One band per scale point, given instead of `pct`, `mean` and `sd` when one answer holds
    /// all or all but one of the respondents (docs/privacy.md D9); empty otherwise.
    pub pct_band: Vec<Band>,
}

impl ProfileCell {
    /// Respondents and the share of them in each profile ([`Profile::ALL`] order): a % or,
    /// when one profile holds all or all but one of them, bands (D9). For a shown cell only;
    /// a shown cell has at least k >= 3 respondents, so there is no n = 0 case.
    pub fn percentages(&self) -> Option<(u64, Vec<(Profile, Share)>)> {
        let (n, counts) = self.counts.filter(|_| self.status == CellStatus::Shown)?;
        if n == 0 {
            return None;
        }
        let ordered: Vec<u64> = Profile::ALL
            .iter()
            .map(|p| counts.get(p.index()).copied().unwrap_or(0))
            .collect();
        Some((
            n,
            Profile::ALL
                .into_iter()
                .zip(bands::shares(&ordered))
                .collect(),
        ))
    }
}

/// A shown cell's favourable % when the release gives it as a figure: not banded, and no
/// mean band either (a banded cell shows no comparison at all, D9).
fn exact_favorable(c: &crate::release::HeatCell) -> Option<f64> {
    if c.favorable_band.is_some() || c.mean_band.is_some() {
        return None;
    }
    c.stats.and_then(|s| s.favorable_pct)
}

/// What the next wave compares a shown cell with.
#[derive(Clone, Copy)]
struct Compared {
    moments: Moments,
    /// The favourable % when shown as a figure.
    favorable: Option<f64>,
    /// Whether the sd was shown (not banded): only then may a test use it.
    sd_shown: bool,
}

/// Shown moments of a release by unit path, cut label and scale id: what the next wave's
/// `delta_prev` compares with. Units are matched by path, since ids change between waves.
/// Nested, so that a row looks its cell up by borrowed text.
type ShownMoments = HashMap<String, HashMap<String, HashMap<String, Compared>>>;

fn shown_moments(r: &Release) -> ShownMoments {
    let mut out = ShownMoments::new();
    for key in r.row_order() {
        for (s, scale) in r.scales.iter().enumerate() {
            let shown = r
                .heat_cell(s, key)
                .filter(|c| c.status == CellStatus::Shown);
            if let Some((m, c)) = shown.and_then(|c| c.moments.map(|m| (m, c))) {
                out.entry(r.tree.path(key.unit))
                    .or_default()
                    .entry(r.cut_label(key))
                    .or_default()
                    .insert(
                        scale.clone(),
                        Compared {
                            moments: m,
                            favorable: exact_favorable(c),
                            sd_shown: c.sd_below.is_none(),
                        },
                    );
            }
        }
    }
    out
}

/// The heat-map rows of `keys` in a release, each key once per scale, with changes against
/// the previous closed wave of the same instrument where both waves show the cell. Nothing is
/// copied until asked: [`HeatRows::iter`] lends each row ([`HeatRowRef`]), the JSON array of
/// the rows is written straight from the release (`Serialize`), and [`HeatRows::to_vec`]
/// makes owned [`HeatRow`]s.
pub struct HeatRows<'a> {
    release: &'a Release,
    /// Each key with its unit's path and its cut label, made once for all its scales.
    keys: Vec<(CellKey, String, String)>,
    previous: ShownMoments,
}

impl<'a> HeatRows<'a> {
    pub fn new(r: &'a Release, keys: &[CellKey], previous: Option<&Release>) -> HeatRows<'a> {
        HeatRows {
            release: r,
            keys: keys
                .iter()
                .map(|&key| (key, r.tree.path(key.unit), r.cut_label(key)))
                .collect(),
            previous: previous.map(shown_moments).unwrap_or_default(),
        }
    }

    /// The rows in order, borrowed.
    pub fn iter(&self) -> impl Iterator<Item = HeatRowRef<'_>> {
        let r = self.release;
        self.keys.iter().flat_map(move |(key, unit, cut)| {
            r.scales.iter().enumerate().filter_map(move |(s, scale)| {
                let cell = r.heat_cell(s, *key)?;
                let shown = cell.status == CellStatus::Shown;
                let st = cell.stats.filter(|_| shown);
                let then = self
                    .previous
                    .get(unit)
                    .and_then(|u| u.get(cut))
                    .and_then(|c| c.get(scale));
                let before = cell
                    .moments
                    .filter(|_| shown)
                    .and_then(|m| Some((m, then?.moments)));
                // Welch's test uses both sds: not when either is shown only as a band.
                let tested =
                    before.filter(|_| cell.sd_below.is_none() && then.is_some_and(|t| t.sd_shown));
                let favorable = if shown { exact_favorable(cell) } else { None };
                let org = r
                    .heat_cell(
                        s,
                        CellKey {
                            unit: 0,
                            cut: key.cut,
                        },
                    )
                    .filter(|c| c.status == CellStatus::Shown)
                    .and_then(exact_favorable);
                Some(HeatRowRef {
                    wave: &r.wave,
                    unit,
                    cut,
                    scale,
                    status: cell.status,
                    respondents: st.map(|s| s.n),
                    mean: st.and_then(|s| s.mean),
                    sd: st.and_then(|s| s.sd),
                    sd_below: st.and(cell.sd_below),
                    ci_low: st.and_then(|s| s.ci_low),
                    ci_high: st.and_then(|s| s.ci_high),
                    favorable_pct: st.and_then(|s| s.favorable_pct),
                    favorable_band: st.and(cell.favorable_band),
                    mean_band: st.and(cell.mean_band),
                    delta_org: st.and(cell.delta_org),
                    significant: st.and(cell.significant),
                    delta_prev: before.and_then(|(now, then)| now.mean_minus(&then)),
                    significant_prev: tested.and_then(|(now, then)| welch_significant(&now, &then)),
                    delta_org_points: favorable.zip(org).map(|(a, b)| a - b),
                    delta_prev_points: favorable
                        .zip(then.and_then(|t| t.favorable))
                        .map(|(a, b)| a - b),
                })
            })
        })
    }

    /// The rows, each with its own copies of the text.
    pub fn to_vec(&self) -> Vec<HeatRow> {
        let mut out = Vec::with_capacity(self.keys.len() * self.release.scales.len());
        out.extend(self.iter().map(|row| row.to_row()));
        out
    }
}

/// The JSON array of the rows, as a `[HeatRow]` serialises.
impl Serialize for HeatRows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Heat-map rows of `keys`, each key once per scale, with changes against `previous` (the
/// previous closed wave of the same instrument) where both waves show the cell.
pub fn heat_rows(r: &Release, keys: &[CellKey], previous: Option<&Release>) -> Vec<HeatRow> {
    HeatRows::new(r, keys, previous).to_vec()
}

/// Profile rows of `keys`; none when the instrument has no profile settings.
pub fn profile_rows(r: &Release, keys: &[CellKey]) -> Vec<ProfileRow> {
    keys.iter()
        .filter_map(|&key| {
            let cell = r.profile_cell(key)?;
            let pct = cell.percentages();
            Some(ProfileRow {
                wave: r.wave.clone(),
                unit: r.tree.path(key.unit),
                cut: r.cut_label(key),
                status: cell.status,
                respondents: pct.as_ref().map(|(n, _)| *n),
                percent: pct.as_ref().and_then(|(_, s)| named(s, Share::pct)),
                bands: pct.as_ref().and_then(|(_, s)| named(s, Share::band)),
            })
        })
        .collect()
}

/// `[profile, value]` pairs when every share has the value `pick` looks for.
fn named<T>(shares: &[(Profile, Share)], pick: fn(Share) -> Option<T>) -> Option<Vec<(String, T)>> {
    shares
        .iter()
        .map(|(p, s)| Some((p.as_str().to_string(), pick(*s)?)))
        .collect()
}

/// Item rows of `keys`: every item of every cell, grouped by scale in instrument order.
/// Each item is a measure of its own (D8) with its own status; a shown item whose answers
/// are all or all but one on one point shows bands instead of figures (D9).
pub fn item_rows(r: &Release, inst: &Instrument, keys: &[CellKey]) -> Vec<ItemRow> {
    let mut out = Vec::new();
    for &key in keys {
        let (unit, cut) = (r.tree.path(key.unit), r.cut_label(key));
        for (s, scale) in r.scales.iter().enumerate() {
            for &item in inst.scale_items(s) {
                let (Some(cell), Some(measure)) = (r.item_cell(item, key), r.items.get(item))
                else {
                    continue;
                };
                let mut row = ItemRow {
                    wave: r.wave.clone(),
                    unit: unit.clone(),
                    cut: cut.clone(),
                    scale: scale.clone(),
                    item: measure.id.clone(),
                    status: cell.status,
                    respondents: None,
                    mean: None,
                    sd: None,
                    pct: Vec::new(),
                    pct_band: Vec::new(),
                };
                if let Some(counts) = cell.counts {
                    let st = ItemStats::from_counts(r.scale_min, counts);
                    row.respondents = Some(st.n);
                    match bands::distribution_bands(counts) {
                        Some(b) => {
                            row.pct = vec![None; b.len()];
                            row.pct_band = b;
                        }
                        None => {
                            row.mean = st.mean;
                            row.sd = st.sd;
                            row.pct = st.pct;
                        }
                    }
                }
                out.push(row);
            }
        }
    }
    out
}

fn csv_error(e: csv::Error) -> EngineError {
    EngineError::InvalidInput(format!("writing CSV: {e}"))
}

fn count(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// The heat-map CSV: the contract other tools read ([`HEATMAP_HEADER`]), plus a
/// `delta_prev` column when `with_previous`. `rows` are [`HeatRow`]s or a [`HeatRows`]'s
/// borrowed rows; each figure is written into a buffer reused from row to row.
pub fn heatmap_csv<'r, I>(
    mut w: CsvWriter,
    rows: I,
    with_previous: bool,
) -> Result<Vec<u8>, EngineError>
where
    I: IntoIterator,
    I::Item: Into<HeatRowRef<'r>>,
{
    let mut header = HEATMAP_HEADER.to_vec();
    if with_previous {
        header.push("delta_prev");
    }
    w.record(&header).map_err(csv_error)?;
    let mut figures: [String; 9] = Default::default();
    for row in rows {
        let r: HeatRowRef<'r> = row.into();
        let [n, mean, sd, ci_low, ci_high, favorable, delta_org, significant, delta_prev] =
            &mut figures;
        n.clear();
        if let Some(v) = r.respondents {
            push_display(n, v);
        }
        match r.mean_band {
            Some(b) => set_text(mean, b.as_str()),
            None => set_opt(mean, r.mean, 2),
        }
        match r.sd_below {
            Some(edge) => {
                sd.clear();
                sd.push('<');
                push_opt(sd, Some(edge), 2);
            }
            None => set_opt(sd, r.sd, 2),
        }
        set_opt(ci_low, r.ci_low, 2);
        set_opt(ci_high, r.ci_high, 2);
        match r.favorable_band {
            Some(b) => set_text(favorable, b.as_str()),
            None => set_opt(favorable, r.favorable_pct, 1),
        }
        set_opt(delta_org, r.delta_org, 2);
        significant.clear();
        if let Some(b) = r.significant {
            push_display(significant, b);
        }
        set_opt(delta_prev, r.delta_prev, 2);
        let record: [&str; 14] = [
            r.wave,
            r.unit,
            r.cut,
            r.scale,
            r.status.as_str(),
            n,
            mean,
            sd,
            ci_low,
            ci_high,
            favorable,
            delta_org,
            significant,
            delta_prev,
        ];
        w.record(record.iter().take(header.len()))
            .map_err(csv_error)?;
    }
    w.finish().map_err(csv_error)
}

/// `buf` holding [`opt`]`(value, decimals)`.
fn set_opt(buf: &mut String, value: Option<f64>, decimals: usize) {
    buf.clear();
    push_opt(buf, value, decimals);
}

fn set_text(buf: &mut String, text: &str) {
    buf.clear();
    buf.push_str(text);
}

fn push_display(buf: &mut String, value: impl std::fmt::Display) {
    use std::fmt::Write;
    // Writing into a `String` cannot fail.
    let _ = write!(buf, "{value}");
}

/// The profiles CSV ([`PROFILES_HEADER`]).
pub fn profiles_csv(mut w: CsvWriter, rows: &[ProfileRow]) -> Result<Vec<u8>, EngineError> {
    w.record(PROFILES_HEADER).map_err(csv_error)?;
    for r in rows {
        let mut record = vec![
            r.wave.clone(),
            r.unit.clone(),
            r.cut.clone(),
            r.status.as_str().to_string(),
            count(r.respondents),
        ];
        match (&r.percent, &r.bands) {
            (Some(p), _) => record.extend(p.iter().map(|(_, v)| opt(Some(*v), 1))),
            (None, Some(b)) => record.extend(b.iter().map(|(_, b)| b.as_str().to_string())),
            (None, None) => record.extend(std::iter::repeat_n(String::new(), Profile::ALL.len())),
        }
        w.record(&record).map_err(csv_error)?;
    }
    w.finish().map_err(csv_error)
}

pub const ITEMS_HEADER: &[&str] = &[
    "wave",
    "unit",
    "cut",
    "scale",
    "item",
    "status",
    "respondents",
    "mean",
    "sd",
    "pct",
];

/// The items CSV ([`ITEMS_HEADER`]); `pct` holds the % per scale point, space-separated.
pub fn items_csv(mut w: CsvWriter, rows: &[ItemRow]) -> Result<Vec<u8>, EngineError> {
    w.record(ITEMS_HEADER).map_err(csv_error)?;
    for r in rows {
        let pct: Vec<String> = if r.pct_band.is_empty() {
            r.pct.iter().map(|p| opt(*p, 1)).collect()
        } else {
            r.pct_band.iter().map(|b| b.as_str().to_string()).collect()
        };
        w.record([
            r.wave.clone(),
            r.unit.clone(),
            r.cut.clone(),
            r.scale.clone(),
            r.item.clone(),
            r.status.as_str().to_string(),
            count(r.respondents),
            opt(r.mean, 2),
            opt(r.sd, 2),
            pct.join(" "),
        ])
        .map_err(csv_error)?;
    }
    w.finish().map_err(csv_error)
}
