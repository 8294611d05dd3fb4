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

pub struct ItemView {
    pub text: String,
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
}
