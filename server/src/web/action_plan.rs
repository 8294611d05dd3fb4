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

use super::access::Reader;
use super::error::PageError;
use super::plan_page::{plan_page, Draft, PageQuery, PlanPage};
use super::{enc, pages, AppState};
use crate::db::blocking;
use crate::error::AppError;
use crate::plans::items::{self, NewItem};
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
    /// Who is reading, for the reports header (and whether they may change the plan).
    pub reader: Reader,
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
        .route("/action-plan/edit", web::post().to(edit_item))
        .route("/action-plan/status", web::post().to(set_status))
        .route("/action-plan.csv", web::get().to(csv))
        .route("/action-plan.md", web::get().to(markdown));
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

/// The plan; `?saved=ID` after a save adds the confirmation, `?edit=ID` fills the form with
/// that item. A query that does not parse is read as neither.
pub async fn page(
    state: web::Data<AppState>,
    ctx: PlanContext,
    query: Result<web::Query<PageQuery>, actix_web::Error>,
) -> HttpResponse {
    let query = query.map(web::Query::into_inner).unwrap_or_default();
    match load(&state, &ctx).await {
        Ok(plan) => render(
            StatusCode::OK,
            &plan_page(
                &state,
                (&ctx.reader, &ctx.csrf_token),
                &plan,
                &query,
                Vec::new(),
                Draft::default(),
            ),
        ),
        Err(e) => PageError::from(e).error_response(),
    }
}

/// The plan again with what was sent and its problems (400): nothing was written.
async fn with_problems(
    state: &web::Data<AppState>,
    ctx: &PlanContext,
    problems: Vec<String>,
    draft: Draft,
) -> HttpResponse {
    match load(state, ctx).await {
        Ok(plan) => render(
            StatusCode::BAD_REQUEST,
            &plan_page(
                state,
                (&ctx.reader, &ctx.csrf_token),
                &plan,
                &PageQuery::default(),
                problems,
                draft,
            ),
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

/// After a successful POST, back to the plan of the same wave (POST-redirect-GET), which
/// confirms the save of `item`; `action-plan` is the sibling of `action-plan/items`,
/// `action-plan/edit` and `action-plan/status`. The item's id is no secret: the page
/// holds it already.
fn back_to_plan(ctx: &PlanContext, item: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("../action-plan?wave={}&saved={}", enc(&ctx.wave), enc(item)),
        ))
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
    let now = state.clock.now();
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
            now,
        )
    })
    .await;
    match created {
        Ok(item) => back_to_plan(&ctx, &item.id),
        Err(AppError::Validation(problems)) => with_problems(&state, &ctx, problems, draft).await,
        Err(e) => PageError::from(e).error_response(),
    }
}

/// Changes an item's title, area, owner, due date and notes (a suggestion added with one
/// click is edited here); its status has its own form.
pub async fn edit_item(
    state: web::Data<AppState>,
    ctx: PlanContext,
    form: web::Form<AddForm>,
) -> HttpResponse {
    let AddForm { csrf_token, draft } = form.into_inner();
    if !csrf_ok(&ctx, &csrf_token) {
        return forbidden();
    }
    let (pool, unit, edit) = (state.pool.clone(), ctx.unit_path.clone(), draft.clone());
    let now = state.clock.now();
    let updated = blocking(move || {
        let mut conn = pool.get()?;
        let unit = items::known_unit(&mut conn, &unit)?;
        items::update(
            &mut conn,
            &edit.id,
            &unit,
            &NewItem {
                unit_path: &unit,
                area: &edit.area,
                title: &edit.title,
                owner: &edit.owner,
                due: &edit.due,
                notes: &edit.notes,
                ..NewItem::default()
            },
            now,
        )
    })
    .await;
    match updated {
        Ok(item) => back_to_plan(&ctx, &item.id),
        Err(AppError::Validation(problems)) => with_problems(&state, &ctx, problems, draft).await,
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
    let now = state.clock.now();
    let updated = blocking(move || {
        let mut conn = pool.get()?;
        let unit = items::known_unit(&mut conn, &unit)?;
        items::set_status(&mut conn, &form.id, Some(&unit), &form.status, None, now)
    })
    .await;
    match updated {
        Ok(item) => back_to_plan(&ctx, &item.id),
        Err(AppError::Validation(problems)) => {
            with_problems(&state, &ctx, problems, Draft::default()).await
        }
        Err(e) => PageError::from(e).error_response(),
    }
}
