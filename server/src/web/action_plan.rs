//! A manager's action plan pages: the plan (focus areas, items, suggestions) with forms to
//! add an item and change an item's status, and the CSV and Markdown exports.
//!
//! Not registered by [`super::run`]: access control decides who may open which unit's plan.
//! It puts an authorised [`PlanContext`] into the request's extensions and mounts [`routes`]
//! in a scope of its choosing, e.g.
//! `web::scope("/manager/plan").wrap(manager_auth).configure(action_plan::routes)`.
//! A request without a context is refused (403). Every link and form is relative, so the
//! pages work under any prefix.

use actix_web::http::{header, StatusCode};
use actix_web::ResponseError;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use survey_engine::actions::Area;
use survey_engine::format::opt;

use super::error::PageError;
use super::{pages, AppState};
use crate::db::blocking;
use crate::error::AppError;
use crate::plans::export::{self, reasons, suggested_areas, unit_figures, UnitFigures};
use crate::plans::items::{self, ItemStatus, NewItem};
use crate::plans::{plan_data, PlanData};
use crate::survey::waves;

/// What access control hands the plan handlers, after checking that the viewer may see
/// this unit's plan for this wave.
#[derive(Clone, Debug)]
pub struct PlanContext {
    /// The unit whose plan this is.
    pub unit_path: String,
    /// The wave's name.
    pub wave: String,
    /// The session's CSRF token: put into every form and required back on every POST.
    pub csrf_token: String,
}

impl FromRequest for PlanContext {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<PlanContext>()
                .cloned()
                .ok_or_else(|| actix_web::error::ErrorForbidden("not allowed")),
        )
    }
}

/// The plan's routes, relative to the scope they are mounted in.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/action-plan", web::get().to(page))
        .route("/action-plan/items", web::post().to(add_item))
        .route("/action-plan/status", web::post().to(set_status))
        .route("/action-plan.csv", web::get().to(csv))
        .route("/action-plan.md", web::get().to(markdown));
}

struct FocusRow {
    area: &'static str,
    label: &'static str,
    mean: String,
    favorable: String,
    delta_org: String,
    delta_prev: String,
    why: String,
}

struct ItemRow {
    id: String,
    title: String,
    area: &'static str,
    owner: String,
    due: String,
    status: &'static str,
    notes: String,
}

struct SuggestionGroup {
    label: &'static str,
    actions: Vec<(String, String)>,
}

/// What the add form holds, kept when it comes back with problems.
#[derive(Default, Deserialize)]
pub struct Draft {
    #[serde(default)]
    title: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    notes: String,
}

#[derive(Template)]
#[template(path = "plan/action_plan.html", whitespace = "minimize")]
struct PlanPage {
    unit: String,
    wave: String,
    k: usize,
    stylesheet: String,
    respondents: Option<u64>,
    hidden_why: Option<String>,
    focus: Vec<FocusRow>,
    items: Vec<ItemRow>,
    suggestions: Vec<SuggestionGroup>,
    areas: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    csrf_token: String,
    problems: Vec<String>,
    draft: Draft,
}

fn plan_page(
    state: &AppState,
    ctx: &PlanContext,
    plan: &PlanData,
    problems: Vec<String>,
    draft: Draft,
) -> PlanPage {
    let (respondents, hidden_why) = match unit_figures(plan.release(), &plan.unit_path) {
        UnitFigures::Shown { respondents } => (Some(respondents), None),
        UnitFigures::Hidden { why } => (None, Some(why)),
    };
    let focus = if hidden_why.is_some() {
        Vec::new()
    } else {
        plan.focus
            .iter()
            .map(|f| FocusRow {
                area: f.area.id(),
                label: f.area.label(),
                mean: opt(f.stats.mean, 2),
                favorable: export::favorable(f),
                delta_org: opt(f.delta_org, 2),
                delta_prev: opt(f.delta_prev, 2),
                why: reasons(f),
            })
            .collect()
    };
    let suggestions = suggested_areas(if hidden_why.is_some() {
        &[]
    } else {
        &plan.focus
    })
    .into_iter()
    .map(|area| SuggestionGroup {
        label: area.label(),
        actions: plan
            .library
            .for_area(area)
            .map(|a| (a.title.clone(), a.why.clone()))
            .collect(),
    })
    .collect();
    PlanPage {
        unit: plan.unit_path.clone(),
        wave: plan.wave.name.clone(),
        k: plan.release().k,
        stylesheet: format!(
            "{}{}",
            pages::base_path(&state.settings.base_url),
            pages::STYLESHEET_PATH
        ),
        respondents,
        hidden_why,
        focus,
        items: plan
            .items
            .iter()
            .map(|i| ItemRow {
                id: i.id.clone(),
                title: i.title.clone(),
                area: i.area.label(),
                owner: i.owner.clone(),
                due: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
                status: i.status.as_str(),
                notes: i.notes.clone(),
            })
            .collect(),
        suggestions,
        areas: Area::ALL.iter().map(|a| (a.id(), a.label())).collect(),
        statuses: ItemStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        csrf_token: ctx.csrf_token.clone(),
        problems,
        draft,
    }
}

fn render(status: StatusCode, page: &PlanPage) -> HttpResponse {
    pages::respond(status, "en", page.render())
}

async fn load(state: &web::Data<AppState>, ctx: &PlanContext) -> Result<PlanData, AppError> {
    let (pool, wave, unit) = (state.pool.clone(), ctx.wave.clone(), ctx.unit_path.clone());
    let (releases, instruments) = (state.access.releases.clone(), state.instruments.clone());
    blocking(move || {
        let mut conn = pool.get()?;
        plan_data(&mut conn, &releases, &instruments, &wave, &unit)
    })
    .await
}

pub async fn page(state: web::Data<AppState>, ctx: PlanContext) -> HttpResponse {
    match load(&state, &ctx).await {
        Ok(plan) => render(
            StatusCode::OK,
            &plan_page(&state, &ctx, &plan, Vec::new(), Draft::default()),
        ),
        Err(e) => PageError::from(e).error_response(),
    }
}

/// The same bytes as `worklife report action-plan --format csv`.
pub async fn csv(state: web::Data<AppState>, ctx: PlanContext) -> HttpResponse {
    match load(&state, &ctx).await.and_then(|p| Ok(p.csv()?)) {
        Ok(body) => download(body, "text/csv; charset=utf-8", "csv", &ctx),
        Err(e) => PageError::from(e).error_response(),
    }
}

/// The same text as `worklife report action-plan --format md`.
pub async fn markdown(state: web::Data<AppState>, ctx: PlanContext) -> HttpResponse {
    match load(&state, &ctx).await {
        Ok(plan) => download(
            plan.md().into_bytes(),
            "text/markdown; charset=utf-8",
            "md",
            &ctx,
        ),
        Err(e) => PageError::from(e).error_response(),
    }
}

fn download(body: Vec<u8>, content_type: &str, ext: &str, ctx: &PlanContext) -> HttpResponse {
    let name: String = format!("action-plan-{}-{}", ctx.wave, ctx.unit_path)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.{ext}\""),
        ))
        .body(body)
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn csrf_ok(ctx: &PlanContext, sent: &str) -> bool {
    !ctx.csrf_token.is_empty() && same_token(&ctx.csrf_token, sent)
}

fn forbidden() -> HttpResponse {
    PageError::titled(
        AppError::Forbidden("Reload the page and try again.".into()),
        "The form has expired",
    )
    .error_response()
}

/// After a successful POST, back to the plan (POST-redirect-GET); `action-plan` is the
/// sibling of `action-plan/items` and `action-plan/status`.
fn back_to_plan() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "../action-plan"))
        .finish()
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    draft: Draft,
}

pub async fn add_item(
    state: web::Data<AppState>,
    ctx: PlanContext,
    form: web::Form<AddForm>,
) -> HttpResponse {
    let AddForm { csrf_token, draft } = form.into_inner();
    if !csrf_ok(&ctx, &csrf_token) {
        return forbidden();
    }
    let (pool, wave, unit) = (state.pool.clone(), ctx.wave.clone(), ctx.unit_path.clone());
    let (title, area, owner, due, notes) = (
        draft.title.clone(),
        draft.area.clone(),
        draft.owner.clone(),
        draft.due.clone(),
        draft.notes.clone(),
    );
    let created = blocking(move || {
        let mut conn = pool.get()?;
        let wave_id = waves::find(&mut conn, &wave)?.id;
        items::create(
            &mut conn,
            &NewItem {
                unit_path: &unit,
                area: &area,
                title: &title,
                owner: &owner,
                due: &due,
                notes: &notes,
                status: "",
                created_wave_id: Some(&wave_id),
            },
            crate::clock::now(),
        )
    })
    .await;
    match created {
        Ok(_) => back_to_plan(),
        Err(AppError::Validation(problems)) => match load(&state, &ctx).await {
            Ok(plan) => render(
                StatusCode::BAD_REQUEST,
                &plan_page(&state, &ctx, &plan, problems, draft),
            ),
            Err(e) => PageError::from(e).error_response(),
        },
        Err(e) => PageError::from(e).error_response(),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: String,
}

pub async fn set_status(
    state: web::Data<AppState>,
    ctx: PlanContext,
    form: web::Form<StatusForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&ctx, &form.csrf_token) {
        return forbidden();
    }
    let (pool, unit) = (state.pool.clone(), ctx.unit_path.clone());
    let updated = blocking(move || {
        let mut conn = pool.get()?;
        let unit = items::known_unit(&mut conn, &unit)?;
        items::set_status(
            &mut conn,
            &form.id,
            Some(&unit),
            &form.status,
            None,
            crate::clock::now(),
        )
    })
    .await;
    match updated {
        Ok(_) => back_to_plan(),
        Err(AppError::Validation(problems)) => match load(&state, &ctx).await {
            Ok(plan) => render(
                StatusCode::BAD_REQUEST,
                &plan_page(&state, &ctx, &plan, problems, Draft::default()),
            ),
            Err(e) => PageError::from(e).error_response(),
        },
        Err(e) => PageError::from(e).error_response(),
    }
}
