//! `/api/v1` report routes (bearer token or session): waves, heat map (JSON and CSV),
//! profiles, item statistics, and the OpenAPI document. Every figure comes from the wave's
//! release, narrowed to the reader's scope; every read is written to the audit log.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::access::{authenticate, Credentials};
use super::AppState;
use crate::auth::{audit, User};
use crate::db::blocking;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::reports::{csv_out, Context, Scope};
use crate::survey::waves;

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/openapi.json", web::get().to(openapi))
        .route("/api/v1/waves", web::get().to(list_waves))
        .route("/api/v1/waves/{wave}/heatmap", web::get().to(heatmap))
        .route(
            "/api/v1/waves/{wave}/heatmap.csv",
            web::get().to(heatmap_csv),
        )
        .route("/api/v1/waves/{wave}/profiles", web::get().to(profiles))
        .route("/api/v1/waves/{wave}/items", web::get().to(items));
}

#[derive(Deserialize, Default, Clone)]
pub struct ReportQuery {
    pub attribute: Option<String>,
    pub unit: Option<String>,
}

async fn openapi() -> HttpResponse {
    let mut r = HttpResponse::Ok();
    r.content_type("application/json").body(OPENAPI)
}

/// Runs `work` for a signed-in user on the blocking pool.
async fn as_user<T, F>(req: &HttpRequest, state: &web::Data<AppState>, work: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn, &User, &AppState) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let creds = Credentials::of(req);
    let st = state.clone();
    blocking(move || {
        let mut conn = st.pool.get()?;
        let (user, _) = authenticate(&mut conn, &st.access.session_key, &creds)?
            .ok_or_else(|| AppError::Unauthorized("sign in or send a bearer token".into()))?;
        work(&mut conn, &user, &st)
    })
    .await
}

/// The rows a user may read, narrowed to `?unit=` when given: a unit outside the user's
/// scope is refused, a unit the wave does not have is not found.
pub fn scope_of(ctx: &Context, user: &User, unit: Option<&str>) -> AppResult<Scope> {
    let own = user.scope();
    let Some(unit) = unit.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(own);
    };
    let tree = &ctx.release().tree;
    let u = tree.find(unit).ok_or_else(|| {
        AppError::NotFound(format!(
            "unit: wave \"{}\" has no unit \"{unit}\"",
            ctx.wave.name
        ))
    })?;
    let path = tree.path(u);
    if !own.contains(&path) {
        return Err(AppError::Forbidden(format!(
            "unit: \"{path}\" is outside what you may read"
        )));
    }
    Ok(Scope::Subtree(path))
}

fn scope_label(scope: &Scope) -> Option<&str> {
    match scope {
        Scope::Everything => None,
        Scope::Subtree(p) => Some(p.as_str()),
    }
}

pub struct Read {
    pub ctx: Context,
    pub scope: Scope,
    pub attribute: Option<usize>,
}

/// Loads a wave's context for a user, checks the query and writes the audit entry.
pub fn read(
    conn: &mut DbConn,
    user: &User,
    state: &AppState,
    wave: &str,
    q: &ReportQuery,
    action: &str,
) -> AppResult<Read> {
    let ctx = Context::load(conn, &state.access.releases, &state.instruments, wave)?;
    let scope = scope_of(&ctx, user, q.unit.as_deref())?;
    let attribute = ctx.attribute(q.attribute.as_deref())?;
    audit::record(
        conn,
        &user.email,
        action,
        &crate::reports::audit_detail(wave, scope_label(&scope), q.attribute.as_deref()),
    )?;
    Ok(Read {
        ctx,
        scope,
        attribute,
    })
}

async fn list_waves(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let waves = as_user(&req, &state, |conn, _, _| {
        Ok(waves::list(conn)?
            .into_iter()
            .map(|w| {
                json!({
                    "name": w.name,
                    "status": w.status,
                    "instrument": w.instrument,
                    "opens_at": w.opens_at,
                    "closes_at": w.closes_at,
                    "min_group_size": w.min_group_size,
                    "attributes": w.attribute_names(),
                    "reports": w.status() == waves::WaveStatus::Closed,
                })
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "waves": waves })))
}

fn params(path: web::Path<String>, q: web::Query<ReportQuery>) -> (String, ReportQuery) {
    (path.into_inner(), q.into_inner())
}

async fn heatmap(
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let (wave, q) = params(path, q);
    let bytes = as_user(&req, &state, move |conn, user, st| {
        let r = read(conn, user, st, &wave, &q, "api heatmap")?;
        let rel = r.ctx.release();
        // Serialised straight from the records: a `serde_json::Value` tree of 100,000 rows
        // costs more than the rows themselves.
        serde_json::to_vec(&HeatmapBody {
            wave: &rel.wave,
            min_group_size: rel.k,
            previous_wave: r.ctx.previous.as_ref().map(|(w, _)| w.name.as_str()),
            scope: scope_label(&r.scope),
            scales: &rel.scales,
            rows: &r.ctx.heat_records(&r.scope, r.attribute),
        })
        .map_err(|e| AppError::Unexpected(e.into()))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(bytes))
}

#[derive(serde::Serialize)]
struct HeatmapBody<'a> {
    wave: &'a str,
    min_group_size: usize,
    previous_wave: Option<&'a str>,
    scope: Option<&'a str>,
    scales: &'a [String],
    rows: &'a [survey_engine::report::HeatRow],
}

async fn heatmap_csv(
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let (wave, q) = params(path, q);
    let name = wave.clone();
    let bytes = as_user(&req, &state, move |conn, user, st| {
        let r = read(conn, user, st, &wave, &q, "export heatmap.csv")?;
        csv_out::heatmap(&r.ctx.heat_records(&r.scope, r.attribute))
    })
    .await?;
    let file: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"heatmap-{file}.csv\""),
        ))
        .content_type("text/csv; charset=utf-8")
        .body(bytes))
}

async fn profiles(
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let (wave, q) = params(path, q);
    let body = as_user(&req, &state, move |conn, user, st| {
        let r = read(conn, user, st, &wave, &q, "api profiles")?;
        Ok(json!({
            "wave": r.ctx.release().wave,
            "scope": scope_label(&r.scope),
            "rows": r.ctx.profile_records(&r.scope, r.attribute),
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn items(
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let (wave, q) = params(path, q);
    let body = as_user(&req, &state, move |conn, user, st| {
        let r = read(conn, user, st, &wave, &q, "api items")?;
        Ok(json!({
            "wave": r.ctx.release().wave,
            "scope": scope_label(&r.scope),
            "rows": r.ctx.item_records(&r.scope, r.attribute),
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
