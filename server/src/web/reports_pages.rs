//! HR report pages (server-rendered; the heat map's sorting is the only script, served by the
//! binary): the wave list (a manager's landing page),
//! the heat map with its switches and the trend across waves (the printable report is
//! [`super::unit_report`]). Every figure comes from the release, narrowed to the reader's
//! scope.

use actix_web::http::header;

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use survey_engine::disclosure::{CellKey, CellStatus};

use super::access::Reader;
use super::enc;
use super::error::PageError;
use super::heatmap_view::{heat_page, HeatQuery};
use super::reports_api::{read, ReportQuery};
use super::signed_in::PageReader;
use super::AppState;
use super::REPORT_CSS_PATH;
use crate::auth::{Role, User};
use crate::db::blocking;
use crate::error::{AppError, AppResult};
use crate::reports::Scope;
use crate::survey::waves::{self, WaveStatus};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/reports", web::get().to(landing))
        .route("/reports/waves/{wave}", web::get().to(heatmap))
        .route("/reports/trend", web::get().to(trend));
}

async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/reports"))
        .finish()
}

/// Runs page work for the signed-in reader on the blocking pool; the page, or an error
/// page with a way back.
pub(super) async fn page<F>(
    who: PageReader,
    state: &web::Data<AppState>,
    work: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(&mut crate::db::DbConn, &User, Reader, &AppState) -> AppResult<String>
        + Send
        + 'static,
{
    let st = state.clone();
    let PageReader(who) = who;
    let body = blocking(move || {
        let mut conn = st.pool.get()?;
        work(&mut conn, &who.user, who.reader(), &st)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub(super) fn render(t: &impl Template) -> AppResult<String> {
    t.render().map_err(|e| AppError::Unexpected(e.into()))
}

pub struct WaveLink {
    pub name: String,
    pub status: &'static str,
    pub href: Option<String>,
    /// An open wave's participation so far.
    pub participation: Option<String>,
}

#[derive(Template)]
#[template(path = "reports/landing.html")]
struct Landing {
    css: &'static str,
    reader: Reader,
    waves: Vec<WaveLink>,
    /// Managers: their unit's action plan; everyone else: the overview of every unit's plan.
    action_plan: Option<String>,
}

async fn landing(who: PageReader, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    page(who, &state, |conn, user, reader, _| {
        let waves = waves::list(conn)?
            .into_iter()
            .rev()
            .map(|w| WaveLink {
                href: (w.status() == WaveStatus::Closed)
                    .then(|| format!("/reports/waves/{}", enc(&w.name))),
                participation: (w.status() == WaveStatus::Open)
                    .then(|| format!("/reports/waves/{}/participation", enc(&w.name))),
                name: w.name,
                status: w.status.as_str(),
            })
            .collect();
        let action_plan = match (user.role, &user.unit_path) {
            (Role::Manager, Some(p)) => Some(format!("/units/{}/action-plan", enc(p))),
            (Role::Manager, None) => None,
            _ => Some(super::PLANS_OVERVIEW_PATH.to_string()),
        };
        render(&Landing {
            css: REPORT_CSS_PATH,
            reader,
            waves,
            action_plan,
        })
    })
    .await
}

async fn heatmap(
    who: PageReader,
    path: web::Path<String>,
    q: web::Query<HeatQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let wave = path.into_inner();
    let wave_name = wave.clone();
    let q = q.into_inner();
    page(who, &state, move |conn, user, reader, st| {
        let rq = ReportQuery {
            attribute: q.attribute.clone(),
            unit: q.unit.clone(),
        };
        let r = read(conn, user, st, &wave_name, &rq, "view heatmap")?;
        render(&heat_page(&r, &q, &wave_name, reader, &user.scope()))
    })
    .await
    .map_err(|e| e.see_participation(&wave))
}

/// One wave's figure on a scale's small chart: where it sits and the value written there.
pub struct TrendPoint {
    pub x: f64,
    pub y: f64,
    pub value: String,
}

/// One scale over the waves: a small chart of its own, so that no line hides another and
/// every point can carry its value.
pub struct ScaleTrend {
    pub label: String,
    /// "higher is better" or "higher is worse", said under the scale's name.
    pub reading: &'static str,
    pub points: Vec<TrendPoint>,
    /// The line, broken where a wave shows no figure: one polyline per run of points.
    pub segments: Vec<String>,
    /// Each wave without a figure, and why, as sentences.
    pub gaps: Vec<String>,
    /// The chart in words, for assistive technology.
    pub summary: String,
}

/// The trend of one unit: a small chart per scale sharing the waves' axis and the answer
/// scale's range.
pub struct TrendChart {
    /// Each wave's x and name.
    pub waves: Vec<(f64, String)>,
    /// Gridlines: each whole point of the answer scale, its y and its label.
    pub ticks: Vec<(f64, String)>,
    pub scales: Vec<ScaleTrend>,
    pub width: f64,
    pub height: f64,
    /// Where the plot area starts on the left and ends at the bottom.
    pub left: f64,
    pub bottom: f64,
}

impl TrendChart {
    /// Whether no wave shows the unit: the page then says so instead of empty charts.
    pub fn is_empty(&self) -> bool {
        self.scales.iter().all(|s| s.points.is_empty())
    }

    /// What the report says instead of charts where no wave shows the unit.
    pub fn empty_note(&self) -> &'static str {
        "No closed wave shows this unit's figures yet: in each one it was hidden (fewer people \
         answered than the minimum group size, or its figures would let someone work out a \
         smaller group), or it had no answers."
    }

    /// Each wave's figure of one scale in the waves' order: the mean as written at its point,
    /// or `None` where the wave shows none (said in `gaps`).
    pub fn values<'a>(&self, line: &'a ScaleTrend) -> Vec<Option<&'a str>> {
        self.waves
            .iter()
            .map(|(x, _)| {
                line.points
                    .iter()
                    .find(|pt| pt.x == *x)
                    .map(|pt| pt.value.as_str())
            })
            .collect()
    }

    /// The right end of the plot area, for the gridlines.
    pub fn right(&self) -> f64 {
        self.width - 8.0
    }
}

/// The means of `unit` (a path) over the closed waves of `up_to`'s instrument, in the order
/// they opened, up to `up_to` itself: a report of an earlier wave never shows a later one.
pub(super) fn trend_chart(
    conn: &mut crate::db::DbConn,
    st: &AppState,
    up_to: &waves::Wave,
    unit: &str,
) -> AppResult<TrendChart> {
    // Listed as they opened (then by name), so everything up to `up_to` came before it.
    let all = waves::list(conn)?;
    let end = all
        .iter()
        .position(|w| w.id == up_to.id)
        .map_or(all.len(), |i| i + 1);
    let closed: Vec<_> = all
        .into_iter()
        .take(end)
        .filter(|w| w.status() == WaveStatus::Closed && w.instrument == up_to.instrument)
        .collect();
    let current = st.access.releases.get(conn, &st.instruments, up_to)?;
    let inst = &current.instrument;
    let (min, max) = (inst.response_scale.min, inst.response_scale.max);
    // Room on the left for the axis labels, at the top for a value over the highest point,
    // at the bottom for the waves' names, and on each side for half a wave's name.
    let (width, height, left, top, bottom) = (300.0, 170.0, 34.0, 18.0, 140.0);
    // The first and last points sit in from the plot's edges by half a wave's name, so that
    // neither the names nor the values over the points run into the axis or off the chart.
    let (first, last) = (left + 30.0, width - 38.0);
    let step = if closed.len() > 1 {
        (last - first) / (closed.len() - 1) as f64
    } else {
        0.0
    };
    let y_of = |m: f64| top + (f64::from(max) - m) / f64::from((max - min).max(1)) * (bottom - top);
    let mut scales: Vec<ScaleTrend> = inst
        .scales
        .iter()
        .map(|sc| ScaleTrend {
            label: sc.label.clone(),
            reading: match sc.direction {
                survey_engine::instrument::Direction::HigherIsBetter => "higher is better",
                survey_engine::instrument::Direction::HigherIsWorse => "higher is worse",
            },
            points: Vec::new(),
            segments: Vec::new(),
            gaps: Vec::new(),
            summary: String::new(),
        })
        .collect();
    let mut wave_labels = Vec::new();
    // Whether the previous wave had a point, per scale: a gap starts a new segment.
    let mut joined = vec![false; scales.len()];
    for (i, w) in closed.iter().enumerate() {
        let x = if closed.len() > 1 {
            first + step * i as f64
        } else {
            (first + last) / 2.0
        };
        wave_labels.push((x, w.name.clone()));
        let rel = st.access.releases.get(conn, &st.instruments, w)?;
        let u = rel.release.tree.find(unit);
        for (s, line) in scales.iter_mut().enumerate() {
            let id = inst
                .scales
                .get(s)
                .map(|x| x.id.as_str())
                .unwrap_or_default();
            let at = rel.release.scales.iter().position(|x| x == id);
            let mean = u.zip(at).and_then(|(u, at)| {
                rel.release
                    .heat_cell(at, CellKey { unit: u, cut: None })
                    .filter(|c| c.status == CellStatus::Shown)
                    .and_then(|c| c.stats)
                    .and_then(|s| s.mean)
            });
            match mean {
                Some(m) => {
                    let point = TrendPoint {
                        x,
                        y: y_of(m),
                        value: format!("{m:.2}"),
                    };
                    let xy = format!("{:.1},{:.1} ", point.x, point.y);
                    match line.segments.last_mut() {
                        Some(seg) if joined[s] => seg.push_str(&xy),
                        _ => line.segments.push(xy),
                    }
                    line.points.push(point);
                    joined[s] = true;
                }
                None => {
                    joined[s] = false;
                    line.gaps.push(if u.is_none() {
                        format!("{}: the unit was not in this wave", w.name)
                    } else if at.is_none() {
                        format!("{}: this wave did not measure the scale", w.name)
                    } else {
                        format!(
                            "{}: hidden (fewer than {} people answered, or the figure would \
                             let someone work out a smaller group)",
                            w.name, rel.release.k
                        )
                    });
                }
            }
        }
    }
    for line in &mut scales {
        let said: Vec<String> = wave_labels
            .iter()
            .map(|(x, name)| match line.points.iter().find(|pt| pt.x == *x) {
                Some(pt) => format!("{name} {}", pt.value),
                None => format!("{name} no figure"),
            })
            .collect();
        line.summary = format!(
            "{} ({}), mean per wave on a {min} to {max} scale: {}",
            line.label,
            line.reading,
            said.join(", ")
        );
    }
    let ticks = (min..=max)
        .map(|v| (y_of(f64::from(v)), v.to_string()))
        .collect();
    Ok(TrendChart {
        waves: wave_labels,
        ticks,
        scales,
        width,
        height,
        left,
        bottom,
    })
}

#[derive(Deserialize)]
struct TrendQuery {
    unit: Option<String>,
    wave: Option<String>,
}

#[derive(Template)]
#[template(path = "reports/trend.html")]
struct TrendPage {
    css: &'static str,
    reader: Reader,
    unit: String,
    chart: TrendChart,
    /// The unit's heat map in the trend's last wave: the way back.
    back: String,
    wave: String,
}

async fn trend(
    who: PageReader,
    q: web::Query<TrendQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    page(who, &state, move |conn, user, reader, st| {
        let all = waves::list(conn)?;
        let wave = match &q.wave {
            Some(name) => waves::find(conn, name)?,
            None => all
                .into_iter()
                .filter(|w| w.status() == WaveStatus::Closed)
                .max_by_key(|w| w.opens_at)
                .ok_or_else(|| AppError::NotFound("no closed wave yet".into()))?,
        };
        let rq = ReportQuery {
            attribute: None,
            unit: q.unit.clone(),
        };
        let r = read(conn, user, st, &wave.name, &rq, "view trend")?;
        let unit = match &r.scope {
            Scope::Subtree(p) => p.clone(),
            Scope::Everything => r.ctx.release().tree.path(0),
        };
        let chart = trend_chart(conn, st, &wave, &unit)?;
        render(&TrendPage {
            css: REPORT_CSS_PATH,
            reader,
            back: format!("/reports/waves/{}?unit={}", enc(&wave.name), enc(&unit)),
            wave: wave.name.clone(),
            unit,
            chart,
        })
    })
    .await
}
