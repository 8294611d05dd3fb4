//! `/api/v1` report routes (bearer token or session): waves, heat map (JSON and CSV),
//! profiles and item statistics. Every figure comes from the wave's release, narrowed to
//! the reader's scope; every read is written to the audit log. The `#[utoipa::path]`
//! annotations are the OpenAPI document ([`super::openapi`]).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use survey_engine::disclosure::CellKey;
use survey_engine::report::{HeatRow, HeatRows, ItemRow, ProfileRow};
use utoipa::{IntoParams, ToSchema};

use super::error::Problem;
use super::json_body::JsonBody;
use super::signed_in::SignedIn;
use super::AppState;
use crate::auth::{audit, User};
use crate::db::blocking;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::reports::{csv_out, Context, Scope};
use crate::survey::waves;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/waves", web::get().to(list_waves))
        .route("/api/v1/waves/{wave}/heatmap", web::get().to(heatmap))
        .route(
            "/api/v1/waves/{wave}/heatmap.csv",
            web::get().to(heatmap_csv),
        )
        .route("/api/v1/waves/{wave}/profiles", web::get().to(profiles))
        .route("/api/v1/waves/{wave}/items", web::get().to(items));
}

#[derive(Deserialize, Default, Clone, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A report attribute of the wave (e.g. `tenure`): adds its cuts below each unit.
    pub attribute: Option<String>,
    /// Narrows the answer to this unit's subtree (a path such as `Acme/Engineering`); it must
    /// be within what the caller may read.
    pub unit: Option<String>,
}

/// Runs `work` on the blocking pool with a database connection.
pub(super) async fn on_pool<T, F>(state: &web::Data<AppState>, work: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn, &AppState) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let st = state.clone();
    blocking(move || {
        let mut conn = st.pool.get()?;
        work(&mut conn, &st)
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
    // A path, or a unit's own name where exactly one unit the reader may read has it (what
    // a person types into the unit picker).
    let named = |pred: &dyn Fn(&str) -> bool| -> Vec<usize> {
        (0..tree.len())
            .filter(|&u| pred(tree.name(u)) && own.contains(&tree.path(u)))
            .collect()
    };
    let wanted = unit.to_lowercase();
    let u = match tree.find(unit) {
        Some(u) => u,
        None => match named(&|name| name.to_lowercase() == wanted)[..] {
            [only] => only,
            _ => {
                let like: Vec<String> = named(&|name| name.to_lowercase().contains(&wanted))
                    .into_iter()
                    .take(5)
                    .map(|u| tree.path(u))
                    .collect();
                return Err(AppError::NotFound(format!(
                    "unit: wave \"{}\" has no unit \"{unit}\"{}",
                    ctx.wave.name,
                    if like.is_empty() {
                        String::new()
                    } else {
                        format!("; did you mean {}?", like.join(" or "))
                    }
                )));
            }
        },
    };
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

impl Read {
    /// The unit the read is about, as its place in the release's tree and its path:
    /// `?unit=` (checked against the reader's scope by [`read`]), else the reader's top unit
    /// (the organisation, or a manager's unit).
    /// The cut `?attribute=` and `?value=` ask for: `None` for the whole unit; a value needs
    /// its attribute, and must be one of its values in this wave.
    pub fn cut(&self, value: Option<&str>) -> AppResult<Option<(usize, usize)>> {
        let rel = self.ctx.release();
        match (self.attribute, value) {
            (Some(a), Some(value)) => {
                let attr = &rel.attributes[a];
                let v = attr.values.iter().position(|x| x == value).ok_or_else(|| {
                    AppError::NotFound(format!(
                        "value: \"{}\" has no value \"{value}\" in wave \"{}\"",
                        attr.name, rel.wave
                    ))
                })?;
                Ok(Some((a, v)))
            }
            (None, Some(_)) => Err(AppError::Validation(vec![
                "value: a value needs the attribute it belongs to (attribute=...)".into(),
            ])),
            (_, None) => Ok(None),
        }
    }

    pub fn unit(&self) -> AppResult<(usize, String)> {
        let rel = self.ctx.release();
        let path = match &self.scope {
            Scope::Subtree(p) => p.clone(),
            Scope::Everything => rel.tree.path(0),
        };
        let unit = rel.tree.find(&path).ok_or_else(|| {
            AppError::NotFound(format!(
                "wave \"{}\" has no unit \"{path}\"",
                self.ctx.wave.name
            ))
        })?;
        Ok((unit, path))
    }
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

/// A wave as the list shows it.
#[derive(Serialize, ToSchema)]
pub struct WaveSummary {
    name: String,
    /// `scheduled`, `open`, `closed` or `cancelled`.
    status: String,
    /// The instrument's id.
    instrument: String,
    /// When answering opens (RFC 3339, UTC).
    opens_at: chrono::DateTime<chrono::Utc>,
    /// When answering closes (RFC 3339, UTC).
    closes_at: chrono::DateTime<chrono::Utc>,
    /// k: no group under this many respondents is shown.
    min_group_size: i32,
    /// Report attributes: the cuts `?attribute=` accepts.
    attributes: Vec<String>,
    /// Whether reports exist: only for closed waves.
    reports: bool,
}

#[derive(Serialize, ToSchema)]
pub struct WaveList {
    waves: Vec<WaveSummary>,
}

/// The waves, oldest first; reports exist for closed ones.
#[utoipa::path(
    get,
    path = "/api/v1/waves",
    tag = "reports",
    responses(
        (status = 200, description = "The waves", body = WaveList),
        (status = 401, description = "No valid token or session", body = Problem),
    )
)]
pub(super) async fn list_waves(_: SignedIn, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let waves = on_pool(&state, |conn, _| {
        Ok(waves::list(conn)?
            .into_iter()
            .map(|w| WaveSummary {
                status: w.status.to_string(),
                reports: w.status() == waves::WaveStatus::Closed,
                attributes: w.attribute_names(),
                name: w.name,
                instrument: w.instrument,
                opens_at: w.opens_at.and_utc(),
                closes_at: w.closes_at.and_utc(),
                min_group_size: w.min_group_size,
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(WaveList { waves }))
}

fn params(path: web::Path<String>, q: web::Query<ReportQuery>) -> (String, ReportQuery) {
    (path.into_inner(), q.into_inner())
}

/// Heat-map rows: every unit in scope (and its cuts) by scale, from the suppressed
/// release, with the change against the organisation and the previous wave.
#[utoipa::path(
    get,
    path = "/api/v1/waves/{wave}/heatmap",
    tag = "reports",
    params(
        ("wave" = String, Path, description = "The wave's name, e.g. `2026-Q3`"),
        ReportQuery
    ),
    responses(
        (status = 200, description = "Rows in tree order; a hidden cell carries its status and no figure", body = HeatmapBody),
        (status = 400, description = "The wave has no such report attribute", body = Problem),
        (status = 401, description = "No valid token or session", body = Problem),
        (status = 403, description = "The unit is outside what the caller may read", body = Problem),
        (status = 404, description = "No such wave, or the wave has no such unit", body = Problem),
        (status = 409, description = "The wave is not closed: reports exist only for closed waves", body = Problem),
    )
)]
pub(super) async fn heatmap(
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let (wave, q) = params(path, q);
    let body = on_pool(&state, move |conn, st| {
        let r = read(conn, &who.user, st, &wave, &q, "api heatmap")?;
        let rel = r.ctx.release();
        // Serialised straight from the release into 64 KiB pieces: no `serde_json::Value`
        // tree, no `HeatRow` (four strings) per row, no single 26 MB buffer ([`JsonBody`]).
        let keys = r.ctx.rows(&r.scope, r.attribute);
        JsonBody::of(&HeatmapBody {
            wave: &rel.wave,
            min_group_size: rel.k,
            previous_wave: r.ctx.previous.as_ref().map(|(w, _)| w.name.as_str()),
            scope: scope_label(&r.scope),
            scales: &rel.scales,
            rows: &r.ctx.heat_rows(&keys),
            comparison: &r.ctx.heat_rows(&r.ctx.comparison(&r.scope, r.attribute)),
        })
        .map_err(|e| AppError::Unexpected(e.into()))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

#[derive(Serialize, ToSchema)]
pub struct HeatmapBody<'a> {
    /// The wave's name.
    wave: &'a str,
    /// k: no group under this many respondents is shown.
    min_group_size: usize,
    /// The closed wave `delta_prev` compares with, if any.
    previous_wave: Option<&'a str>,
    /// The subtree the rows are narrowed to; null for everything the caller may read.
    scope: Option<&'a str>,
    /// Scale ids in instrument order.
    scales: &'a [String],
    #[schema(value_type = Vec<HeatRow>)]
    rows: &'a HeatRows<'a>,
    /// When the rows are narrowed to a subtree: the whole organisation's rows (and its cuts
    /// by `attribute`), for comparison, under the same rules as every other row.
    #[schema(value_type = Vec<HeatRow>)]
    comparison: &'a HeatRows<'a>,
}

/// Profile or item rows of a wave.
#[derive(Serialize, ToSchema)]
pub struct RowsBody<T: ToSchema> {
    /// The wave's name.
    wave: String,
    /// The subtree the rows are narrowed to; null for everything the caller may read.
    scope: Option<String>,
    rows: Vec<T>,
    /// When the rows are narrowed to a subtree: the whole organisation's rows (and its cuts
    /// by `attribute`), for comparison, under the same rules as every other row.
    comparison: Vec<T>,
}

/// The heat-map CSV: the same rows as the JSON, with `delta_prev` as the last column.
#[utoipa::path(
    get,
    path = "/api/v1/waves/{wave}/heatmap.csv",
    tag = "reports",
    params(
        ("wave" = String, Path, description = "The wave's name, e.g. `2026-Q3`"),
        ReportQuery
    ),
    responses(
        (status = 200, description = "RFC 4180 CSV, UTF-8, CRLF line ends; a cell that starts like a spreadsheet formula gets a leading apostrophe", content_type = "text/csv", body = String),
        (status = 400, description = "The wave has no such report attribute", body = Problem),
        (status = 401, description = "No valid token or session", body = Problem),
        (status = 403, description = "The unit is outside what the caller may read", body = Problem),
        (status = 404, description = "No such wave, or the wave has no such unit", body = Problem),
        (status = 409, description = "The wave is not closed: reports exist only for closed waves", body = Problem),
    )
)]
pub(super) async fn heatmap_csv(
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let (wave, q) = params(path, q);
    let name = wave.clone();
    let bytes = on_pool(&state, move |conn, st| {
        let r = read(conn, &who.user, st, &wave, &q, "export heatmap.csv")?;
        // A narrowed export starts with the organisation's rows, for comparison.
        csv_out::heatmap(&r.ctx.heat_rows(&r.ctx.export_rows(&r.scope, r.attribute)))
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

/// Rows of a wave for the reader, audited as `action`, as a [`RowsBody`].
async fn rows_reply<T, F>(
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
    action: &'static str,
    rows: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + ToSchema + Send + 'static,
    F: Fn(&Read, &[CellKey]) -> Vec<T> + Send + 'static,
{
    let (wave, q) = params(path, q);
    let body = on_pool(&state, move |conn, st| {
        let r = read(conn, &who.user, st, &wave, &q, action)?;
        Ok(RowsBody {
            wave: r.ctx.release().wave.clone(),
            scope: scope_label(&r.scope).map(str::to_string),
            rows: rows(&r, &r.ctx.rows(&r.scope, r.attribute)),
            comparison: rows(&r, &r.ctx.comparison(&r.scope, r.attribute)),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// The burnout-profile distribution per unit in scope (and its cuts).
#[utoipa::path(
    get,
    path = "/api/v1/waves/{wave}/profiles",
    tag = "reports",
    params(
        ("wave" = String, Path, description = "The wave's name, e.g. `2026-Q3`"),
        ReportQuery
    ),
    responses(
        (status = 200, description = "Rows in tree order; a hidden cell carries its status and no figure", body = RowsBody<ProfileRow>),
        (status = 400, description = "The wave has no such report attribute", body = Problem),
        (status = 401, description = "No valid token or session", body = Problem),
        (status = 403, description = "The unit is outside what the caller may read", body = Problem),
        (status = 404, description = "No such wave, or the wave has no such unit", body = Problem),
        (status = 409, description = "The wave is not closed: reports exist only for closed waves", body = Problem),
    )
)]
pub(super) async fn profiles(
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    rows_reply(who, path, q, state, "api profiles", |r, keys| {
        r.ctx.profile_rows_of(keys)
    })
    .await
}

/// Item statistics per cell in scope: every item is a measure of its own (its answerers), with
/// its own status; a unanimous item shows bands instead of figures.
#[utoipa::path(
    get,
    path = "/api/v1/waves/{wave}/items",
    tag = "reports",
    params(
        ("wave" = String, Path, description = "The wave's name, e.g. `2026-Q3`"),
        ReportQuery
    ),
    responses(
        (status = 200, description = "Rows in tree order, per cell and item", body = RowsBody<ItemRow>),
        (status = 400, description = "The wave has no such report attribute", body = Problem),
        (status = 401, description = "No valid token or session", body = Problem),
        (status = 403, description = "The unit is outside what the caller may read", body = Problem),
        (status = 404, description = "No such wave, or the wave has no such unit", body = Problem),
        (status = 409, description = "The wave is not closed: reports exist only for closed waves", body = Problem),
    )
)]
pub(super) async fn items(
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    rows_reply(who, path, q, state, "api items", |r, keys| {
        r.ctx.item_rows_of(keys)
    })
    .await
}
