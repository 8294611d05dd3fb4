//! The question-by-question page of one unit in one closed wave: every item of the
//! instrument with how its answerers answered, cut from the release (each item is a measure
//! of its own, docs/privacy.md D8), with bands where a group answered alike (D9) and plain
//! words for hidden items.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use survey_engine::bands::Band;
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
use crate::error::AppError;
use crate::reports::Scope;

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
    /// Whole percent, unfavourable first; they add up to the shares shown (100 give or take
    /// rounding).
    pub unfavourable: u32,
    pub neutral: u32,
    pub favourable: u32,
    /// The three widths in the bar, in %, left to right.
    pub widths: [u32; 3],
}

/// The answers on the healthy side of the middle are favourable: agreeing, on a positively
/// worded item of a scale where higher is better; disagreeing where either the item is
/// worded the other way round or the scale measures something where higher is worse.
/// `None` where the shares are not shown (hidden or banded).
fn sides(pct: &[Option<f64>], high_is_favourable: bool) -> Option<SidesView> {
    let shares: Vec<f64> = pct
        .iter()
        .map(|p| p.ok_or(()))
        .collect::<Result<_, _>>()
        .ok()?;
    if shares.is_empty() {
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
    let round = |x: f64| x.round().max(0.0) as u32;
    let (u, m, f) = (round(unfav), round(middle), round(fav));
    Some(SidesView {
        unfavourable: u,
        neutral: m,
        favourable: f,
        widths: [u, m, f],
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
        let unit_path = match &r.scope {
            Scope::Subtree(p) => p.clone(),
            Scope::Everything => rel.tree.path(0),
        };
        let unit = rel.tree.find(&unit_path).ok_or_else(|| {
            AppError::NotFound(format!("wave \"{wave}\" has no unit \"{unit_path}\""))
        })?;
        // A cut needs both its attribute (checked by `read`) and one of its values.
        let cut = match (r.attribute, q.value.as_deref()) {
            (Some(a), Some(value)) => {
                let attr = &rel.attributes[a];
                let v = attr.values.iter().position(|x| x == value).ok_or_else(|| {
                    AppError::NotFound(format!(
                        "value: \"{}\" has no value \"{value}\" in wave \"{wave}\"",
                        attr.name
                    ))
                })?;
                Some((a, v))
            }
            (None, Some(_)) => {
                return Err(AppError::Validation(vec![
                    "value: a value needs the attribute it belongs to (attribute=...)".into(),
                ]))
            }
            (_, None) => None,
        };
        let title = match cut {
            Some((a, v)) => format!(
                "{unit_path}, {}: {}",
                attribute_label(&rel.attributes[a].name),
                rel.attributes[a].values[v]
            ),
            None => unit_path.clone(),
        };
        let inst = &ctx.current.instrument;
        let rows = ctx.item_rows_of(&[CellKey { unit, cut }]);
        let labels = &inst.response_scale.labels;
        let scales = inst
            .scales
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
                                .then(|| sides(&row.pct, higher_is_better != reverse))
                                .flatten(),
                            text,
                            reverse,
                            answered: row.respondents,
                            hidden: if row.status == CellStatus::Shown {
                                String::new()
                            } else {
                                format!(
                                    "Hidden: fewer than {} people answered this question, or \
                                     its figures would let someone work out a smaller group.",
                                    rel.k
                                )
                            },
                            mean: row.mean.map(|m| format!("{m:.2}")).unwrap_or_default(),
                            shares,
                            banded,
                        }
                    })
                    .collect(),
            })
            .collect();
        let back = Filters::of(&q.view).href(&format!("/reports/waves/{}", enc(&wave)));
        super::reports_pages::render(&ItemsPage {
            css: REPORT_CSS_PATH,
            reader,
            wave: rel.wave.clone(),
            unit: title,
            k: rel.k,
            back,
            scales,
        })
    })
    .await
    .map_err(|e| e.see_participation(&for_errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(pct: &[f64]) -> Vec<Option<f64>> {
        pct.iter().map(|p| Some(*p)).collect()
    }

    #[test]
    fn agreeing_is_favourable_unless_the_item_or_its_scale_runs_the_other_way() {
        let pct = shares(&[10.0, 15.0, 20.0, 40.0, 15.0]);
        let agree = sides(&pct, true).unwrap();
        assert_eq!(
            (agree.unfavourable, agree.neutral, agree.favourable),
            (25, 20, 55)
        );
        let disagree = sides(&pct, false).unwrap();
        assert_eq!(
            (disagree.unfavourable, disagree.neutral, disagree.favourable),
            (55, 20, 25)
        );
        assert_eq!(disagree.widths, [55, 20, 25]);
    }

    #[test]
    fn an_even_scale_has_no_middle_and_withheld_shares_give_nothing() {
        let even = sides(&shares(&[10.0, 20.0, 30.0, 40.0]), true).unwrap();
        assert_eq!(
            (even.unfavourable, even.neutral, even.favourable),
            (30, 0, 70)
        );
        assert!(sides(&[Some(50.0), None, Some(50.0)], true).is_none());
        assert!(sides(&[], true).is_none());
    }
}
