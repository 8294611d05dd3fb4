//! HR's overview of every unit's action plan at [`OVERVIEW_PATH`] (and as CSV): items by
//! status, overdue items (by the service's clock), the units whose scores the latest closed
//! wave shows but that have no plan yet, and a link to each unit's plan. Admins and viewers
//! see every unit; a manager only their own subtree, as in every report. Every read is
//! audited.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::access::Reader;
use super::enc;
use super::error::PageError;
use super::plan_page::{readable_date, unit_label};
use super::reports_pages::{page, render};
use super::signed_in::PageReader;
use super::{AppState, REPORT_CSS_PATH};
use crate::auth::{audit, User};
use crate::db::{blocking, DbConn};
use crate::error::{AppError, AppResult};
use crate::plans::items::ItemStatus;
use crate::plans::overview::{self, overview_csv, Overview, Scores};

use super::PLANS_OVERVIEW_PATH as OVERVIEW_PATH;

pub const OVERVIEW_CSV_PATH: &str = "/reports/action-plans.csv";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(OVERVIEW_PATH, web::get().to(overview_page))
        .route(OVERVIEW_CSV_PATH, web::get().to(overview_download));
}

struct UnitLine {
    label: String,
    path: String,
    href: String,
    scores: &'static str,
    counts: Vec<usize>,
    total: usize,
    overdue: usize,
}

struct LateItem {
    unit: String,
    href: String,
    title: String,
    owner: String,
    due: String,
    due_iso: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "plan/overview.html", whitespace = "minimize")]
struct OverviewPage {
    css: &'static str,
    reader: Reader,
    wave: Option<String>,
    today: String,
    /// Status labels as column headings (`Not started`) and in the summary (`not started`).
    headings: Vec<String>,
    statuses: Vec<&'static str>,
    units: Vec<UnitLine>,
    /// Items in the units shown, per status, and in all.
    totals: Vec<usize>,
    total: usize,
    overdue: Vec<LateItem>,
    without_plan: Vec<UnitLine>,
    csv: &'static str,
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn plan_href(path: &str) -> String {
    format!("/units/{}/action-plan", enc(path))
}

/// The overview in the reader's scope, with the read audited.
fn load(conn: &mut DbConn, user: &User, st: &AppState, what: &str) -> AppResult<Overview> {
    let today = st.clock.now().date();
    let o = overview::load(
        conn,
        &st.access.releases,
        &st.instruments,
        &user.scope(),
        today,
    )?;
    audit::record(
        conn,
        &user.email,
        what,
        &crate::reports::audit_detail(
            o.wave.as_deref().unwrap_or("-"),
            user.unit_path.as_deref(),
            None,
        ),
    )?;
    Ok(o)
}

fn line(u: &overview::UnitPlan) -> UnitLine {
    UnitLine {
        label: unit_label(&u.unit_path),
        path: u.unit_path.clone(),
        href: plan_href(&u.unit_path),
        scores: match u.scores {
            Scores::Shown => "shown",
            Scores::Hidden => "hidden",
            Scores::NotInWave => "not in the wave",
        },
        counts: u.by_status.to_vec(),
        total: u.total(),
        overdue: u.overdue,
    }
}

fn overview_view(o: &Overview, reader: Reader) -> OverviewPage {
    let mut totals = vec![0; ItemStatus::ALL.len()];
    for u in &o.units {
        for (t, n) in totals.iter_mut().zip(u.by_status) {
            *t += n;
        }
    }
    OverviewPage {
        css: REPORT_CSS_PATH,
        reader,
        wave: o.wave.clone(),
        today: readable_date(o.today),
        headings: ItemStatus::ALL
            .iter()
            .map(|s| capitalised(s.label()))
            .collect(),
        statuses: ItemStatus::ALL.iter().map(|s| s.label()).collect(),
        total: totals.iter().sum(),
        totals,
        units: o.units.iter().map(line).collect(),
        overdue: o
            .overdue
            .iter()
            .map(|i| LateItem {
                unit: unit_label(&i.unit_path),
                href: plan_href(&i.unit_path),
                title: i.title.clone(),
                owner: i.owner.clone(),
                due: i.due_date.map(readable_date).unwrap_or_default(),
                due_iso: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
                status: i.status.label(),
            })
            .collect(),
        without_plan: o.without_plan().map(line).collect(),
        csv: OVERVIEW_CSV_PATH,
    }
}

async fn overview_page(
    who: PageReader,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    page(who, &state, |conn, user, reader, st| {
        let o = load(conn, user, st, "view action-plans")?;
        render(&overview_view(&o, reader))
    })
    .await
}

async fn overview_download(
    PageReader(who): PageReader,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    let (body, today) = blocking(move || {
        let mut conn = st.pool.get()?;
        let o = load(&mut conn, &who.user, &st, "view action-plans.csv")?;
        let body = overview_csv(&o).map_err(AppError::Unexpected)?;
        Ok::<_, AppError>((body, o.today))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"action-plans-{today}.csv\""),
        ))
        .body(body))
}
