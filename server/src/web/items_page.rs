//! The question-by-question page of one unit in one closed wave: every item of the
//! instrument with how its answerers answered, cut from the release (each item is a measure
//! of its own, docs/privacy.md D8), with bands where a group answered alike (D9) and plain
//! words for hidden items.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use survey_engine::bands::{favorable_band, Band};
use survey_engine::disclosure::{CellKey, CellStatus};

use super::access::Reader;
use super::enc;
use super::error::PageError;
use super::heatmap_view::{attribute_label, Filters, HeatQuery};
use super::reports_api::{read, ReportQuery};
use super::reports_pages::page;
use super::signed_in::PageReader;
use super::AppState;
use super::REPORT_CSS_PATH;
use crate::reports::Context;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports/waves/{wave}/items", web::get().to(items));
}

/// The unit (`unit`, a path inside the reader's scope; the reader's top unit when absent),
/// a cut of it (`attribute` and `value`), and the heat map's other filters, which the way
/// back keeps.
#[derive(Deserialize)]
pub struct ItemsQuery {
    #[serde(flatten)]
    pub view: HeatQuery,
    pub value: Option<String>,
}

/// One answer's share of an item, as the page shows it.
pub struct ShareView {
    pub label: String,
    /// The bar's width in % (0 for a band).
    pub width: u32,
    pub text: String,
}

/// An item's answers in three: unfavourable, neutral and favourable, each a share of the
/// shown answers, so that a reader sees at a glance where the question stands.
pub struct SidesView {
    /// The favourable and unfavourable shares in words: whole percent, or a band where one
    /// side holds all or all but one of the answerers, or at most one of them (D9, the rule
    /// of the heat map's favourable %).
    pub favourable: String,
    pub unfavourable: String,
    /// Whole percent; only where neither side is banded (else it would give a band's figure
    /// away by subtraction).
    pub neutral: Option<u32>,
    /// The three widths in the bar, in %, left to right; only where no side is banded.
    pub widths: Option<[u32; 3]>,
}

/// The answers on the healthy side of the middle are favourable: agreeing, on a positively
/// worded item of a scale where higher is better; disagreeing where either the item is
/// worded the other way round or the scale measures something where higher is worse.
/// `None` where the shares are not shown (hidden or banded) or `answered` is zero.
fn sides(pct: &[Option<f64>], answered: u64, high_is_favourable: bool) -> Option<SidesView> {
    let shares: Vec<f64> = pct
        .iter()
        .map(|p| p.ok_or(()))
        .collect::<Result<_, _>>()
        .ok()?;
    if shares.is_empty() || answered == 0 {
        return None;
    }
    let n = shares.len();
    let low: f64 = shares[..n / 2].iter().sum();
    let high: f64 = shares[n.div_ceil(2)..].iter().sum();
    let middle: f64 = if n % 2 == 1 { shares[n / 2] } else { 0.0 };
    let (unfav, fav) = if high_is_favourable {
        (low, high)
    } else {
        (high, low)
    };
    // Each answerer gave one answer: the shares are counts over `answered`, exactly.
    let count = |share: f64| (share * answered as f64 / 100.0).round() as u64;
    let band = |share: f64| favorable_band(count(share), answered, answered);
    let (fav_band, unfav_band) = (band(fav), band(unfav));
    let round = |x: f64| x.round().max(0.0) as u32;
    let words = |share: f64, b: Option<Band>| match b {
        Some(b) => b.label().to_string(),
        None => format!("{}%", round(share)),
    };
    let open = fav_band.is_none() && unfav_band.is_none();
    Some(SidesView {
        favourable: words(fav, fav_band),
        unfavourable: words(unfav, unfav_band),
        neutral: open.then(|| round(middle)),
        widths: open.then(|| [round(unfav), round(middle), round(fav)]),
    })
}

pub struct ItemView {
    pub text: String,
    /// Unfavourable, neutral and favourable shares; `None` where hidden or banded.
    pub sides: Option<SidesView>,
    /// Worded the other way round: the scale's score counts its answers reversed.
    pub reverse: bool,
    /// `None`: hidden, with `hidden` saying why.
    pub answered: Option<u64>,
    pub hidden: String,
    pub mean: String,
    pub shares: Vec<ShareView>,
    /// The answers are banded: all or nearly all gave one answer.
    pub banded: bool,
}

pub struct ScaleView {
    pub label: String,
    /// The heading's id, which a heat-map cell links to.
    pub anchor: String,
    pub items: Vec<ItemView>,
}

#[derive(Template)]
#[template(path = "reports/items.html")]
struct ItemsPage {
    css: &'static str,
    reader: Reader,
    wave: String,
    unit: String,
    k: usize,
    back: String,
    /// The unit's path when the page is one of its cuts (the whole unit may show more).
    whole: Option<String>,
    /// How many of the cell's questions are shown, of how many: said once, before the
    /// tables (and in other words when none is).
    shown: usize,
    total: usize,
    scales: Vec<ScaleView>,
}

async fn items(
    who: PageReader,
    path: web::Path<String>,
    q: web::Query<ItemsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let wave = path.into_inner();
    let for_errors = wave.clone();
    let q = q.into_inner();
    page(who, &state, move |conn, user, reader, st| {
        let rq = ReportQuery {
            attribute: q.view.attribute.clone(),
            unit: q.view.unit.clone(),
        };
        let r = read(conn, user, st, &wave, &rq, "view items")?;
        let ctx = &r.ctx;
        let rel = ctx.release();
        let (unit, unit_path) = r.unit()?;
        // A cut needs both its attribute (checked by `read`) and one of its values.
        let cut = r.cut(q.value.as_deref())?;
        let title = match cut {
            Some((a, v)) => format!(
                "{unit_path}, {}: {}",
                attribute_label(&rel.attributes[a].name),
                rel.attributes[a].values[v]
            ),
            None => unit_path.clone(),
        };
        let scales = item_views(ctx, CellKey { unit, cut });
        let total = scales.iter().map(|s| s.items.len()).sum();
        let shown = scales
            .iter()
            .flat_map(|s| &s.items)
            .filter(|i| i.hidden.is_empty())
            .count();
        let back = Filters::of(&q.view).href(&format!("/reports/waves/{}", enc(&wave)));
        super::reports_pages::render(&ItemsPage {
            css: REPORT_CSS_PATH,
            reader,
            wave: rel.wave.clone(),
            unit: title,
            k: rel.k,
            back,
            whole: cut.map(|_| unit_path.clone()),
            shown,
            total,
            scales,
        })
    })
    .await
    .map_err(|e| e.see_participation(&for_errors))
}

/// Every question of one cell (a unit, or a cut of it) by scale, as the items page and the
/// unit report show it: from the release's item rows (each item a measure of its own, D8),
/// bands in words where a group answered alike (D9), and why a hidden item is hidden.
pub fn item_views(ctx: &Context, key: CellKey) -> Vec<ScaleView> {
    let inst = &ctx.current.instrument;
    let rows = ctx.item_rows_of(&[key]);
    let labels = &inst.response_scale.labels;
    inst.scales
        .iter()
        .enumerate()
        .map(|(s, scale)| ScaleView {
            label: scale.label.clone(),
            anchor: format!("scale-{}", enc(&scale.id)),
            items: rows
                .iter()
                .filter(|row| row.scale == scale.id)
                .map(|row| {
                    let item = inst.items.iter().find(|i| i.id == row.item && i.scale == s);
                    let text = item.map_or_else(|| row.item.clone(), |i| i.text.clone());
                    let reverse = item.is_some_and(|i| i.reverse);
                    let higher_is_better =
                        scale.direction == survey_engine::instrument::Direction::HigherIsBetter;
                    let banded = !row.pct_band.is_empty();
                    let shares = if banded {
                        row.pct_band
                            .iter()
                            .zip(labels)
                            .map(|(b, label)| ShareView {
                                label: label.clone(),
                                width: 0,
                                text: b.label().to_string(),
                            })
                            .filter(|v| v.text == Band::AllOrNearlyAll.label())
                            .collect()
                    } else {
                        row.pct
                            .iter()
                            .zip(labels)
                            .filter_map(|(p, label)| {
                                let p = (*p)?;
                                Some(ShareView {
                                    label: label.clone(),
                                    width: p.round() as u32,
                                    text: format!("{p:.0}%"),
                                })
                            })
                            .collect()
                    };
                    ItemView {
                        sides: (row.status == CellStatus::Shown && !banded)
                            .then(|| {
                                sides(
                                    &row.pct,
                                    row.respondents.unwrap_or(0),
                                    higher_is_better != reverse,
                                )
                            })
                            .flatten(),
                        text,
                        reverse,
                        answered: row.respondents,
                        hidden: if row.status == CellStatus::Shown {
                            String::new()
                        } else {
                            // Short, since most rows below the organisation's can read
                            // so: the page's note says once what it means.
                            format!(
                                "Hidden: fewer than {} people answered this question, or \
                                 its figures would let someone work out or narrow down how \
                                 a smaller group answered.",
                                ctx.release().k
                            )
                        },
                        mean: row.mean.map(|m| format!("{m:.2}")).unwrap_or_default(),
                        shares,
                        banded,
                    }
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(pct: &[f64]) -> Vec<Option<f64>> {
        pct.iter().map(|p| Some(*p)).collect()
    }

    #[test]
    fn agreeing_is_favourable_unless_the_item_or_its_scale_runs_the_other_way() {
        // 20 answerers: 2, 3, 4, 8, 3.
        let pct = shares(&[10.0, 15.0, 20.0, 40.0, 15.0]);
        let agree = sides(&pct, 20, true).unwrap();
        assert_eq!(
            (
                agree.unfavourable.as_str(),
                agree.neutral,
                agree.favourable.as_str()
            ),
            ("25%", Some(20), "55%")
        );
        let disagree = sides(&pct, 20, false).unwrap();
        assert_eq!(
            (disagree.unfavourable.as_str(), disagree.favourable.as_str()),
            ("55%", "25%")
        );
        assert_eq!(disagree.widths, Some([55, 20, 25]));
    }

    #[test]
    fn a_side_that_holds_all_or_all_but_one_or_at_most_one_is_a_band() {
        // 5 answerers, all on the agreeing side but in two answers: no answer is banded,
        // the side is.
        let all = sides(&shares(&[0.0, 0.0, 0.0, 60.0, 40.0]), 5, true).unwrap();
        assert_eq!(all.favourable, Band::AllOrNearlyAll.label());
        assert_eq!(all.unfavourable, Band::NoneOrNearlyNone.label());
        assert_eq!((all.neutral, all.widths), (None, None));
        // One of ten unfavourable: at most one respondent's worth.
        let one = sides(&shares(&[10.0, 0.0, 30.0, 30.0, 30.0]), 10, true).unwrap();
        assert_eq!(one.unfavourable, Band::NoneOrNearlyNone.label());
        assert_eq!(one.favourable, "60%");
        assert_eq!(
            one.neutral, None,
            "the neutral share would give the band away"
        );
    }

    #[test]
    fn an_even_scale_has_no_middle_and_withheld_shares_give_nothing() {
        let even = sides(&shares(&[10.0, 20.0, 30.0, 40.0]), 10, true).unwrap();
        assert_eq!(
            (
                even.unfavourable.as_str(),
                even.neutral,
                even.favourable.as_str()
            ),
            ("30%", Some(0), "70%")
        );
        assert!(sides(&[Some(50.0), None, Some(50.0)], 10, true).is_none());
        assert!(sides(&[], 10, true).is_none());
    }
}
