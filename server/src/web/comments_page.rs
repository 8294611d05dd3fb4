//! Comments of a closed wave: a page per unit and cut in the reader's scope
//! (`/reports/waves/{wave}/comments`), the same as JSON (`/api/v1/waves/{wave}/comments`) and
//! CSV (`/reports/waves/{wave}/comments.csv`). Only cells the comment release shows have
//! comments; every other cell reads "hidden" with the reason in plain words.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};
use survey_engine::comments::themes::themes;
use survey_engine::csv_out::CsvWriter;
use survey_engine::disclosure::{CellKey, CellStatus};
use utoipa::{IntoParams, ToSchema};

use super::access::Reader;
use super::enc;
use super::error::PageError;
use super::heatmap_view::attribute_label;
use super::reports_api::{read, Read, ReportQuery};
use super::reports_pages::page;
use super::signed_in::{PageReader, SignedIn};
use super::AppState;
use super::REPORT_CSS_PATH;
use crate::auth::Role;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/reports/waves/{wave}/comments",
        web::get().to(comments_page),
    )
    .route("/api/v1/waves/{wave}/comments", web::get().to(comments_api))
    .route(
        "/api/v1/waves/{wave}/comments.csv",
        web::get().to(comments_csv),
    );
}

/// Which comments: a unit in the reader's scope (their top unit when absent), optionally a cut
/// (`attribute` and `value`), and on the page an area, a theme and words to look for.
#[derive(Deserialize, IntoParams, Default)]
pub struct CommentsQuery {
    /// A unit path in the reader's scope.
    pub unit: Option<String>,
    /// A report attribute of the wave, with `value`: one cut of the unit.
    pub attribute: Option<String>,
    pub value: Option<String>,
    /// Page only: an area (scale id) the open question asked about.
    #[param(ignore)]
    pub area: Option<String>,
    /// Page only: a theme id.
    #[param(ignore)]
    pub theme: Option<String>,
    /// Page only: words a comment must contain.
    #[param(ignore)]
    pub q: Option<String>,
}

/// One comment.
#[derive(Serialize, ToSchema, Clone)]
pub struct CommentView {
    /// The open question's id.
    pub question_id: String,
    /// The open question as asked.
    pub question: String,
    /// The area it asks about (a scale id), if any.
    pub area: Option<String>,
    /// The comment, redacted when it was stored.
    pub text: String,
    /// Theme ids it touches.
    pub themes: Vec<String>,
}

/// A theme of a shown cell, shown only where at least the threshold of writers touched it.
#[derive(Serialize, ToSchema, Clone)]
pub struct ThemeView {
    pub id: String,
    pub label: String,
    /// How many of the cell's writers touched it (at least the threshold).
    pub writers: usize,
}

/// The comments of one cell.
#[derive(Serialize, ToSchema)]
pub struct CommentsReply {
    pub wave: String,
    pub unit: String,
    /// `attribute=value` of a cut, or null for the whole unit.
    pub cut: Option<String>,
    /// `shown` or `hidden`.
    pub status: CellStatus,
    /// Comments appear only where at least this many people wrote one.
    pub threshold: usize,
    pub comments: Vec<CommentView>,
    pub themes: Vec<ThemeView>,
}

/// The cell a query asks for, checked against the reader's scope, and its title.
fn cell_of(r: &Read, q: &CommentsQuery) -> AppResult<(CellKey, String, Option<String>)> {
    let rel = r.ctx.release();
    let (unit, path) = r.unit()?;
    let cut = r.cut(q.value.as_deref())?;
    let (title, cut_words) = match cut {
        Some((a, v)) => {
            let (name, value) = (&rel.attributes[a].name, &rel.attributes[a].values[v]);
            (
                format!("{path}, {}: {value}", attribute_label(name)),
                Some(format!("{name}={value}")),
            )
        }
        None => (path, None),
    };
    Ok((CellKey { unit, cut }, title, cut_words))
}

/// The reply for one cell.
fn reply(
    conn: &mut DbConn,
    st: &AppState,
    r: &Read,
    q: &CommentsQuery,
) -> AppResult<(CommentsReply, usize)> {
    let (key, title, cut) = cell_of(r, q)?;
    let built = st.access.comments.get(conn, &r.ctx.current, &r.ctx.wave)?;
    let inst = &r.ctx.current.instrument;
    let comments = built
        .in_cell(key)
        .into_iter()
        .map(|c| {
            let prompt = inst.prompts.iter().find(|p| p.id == c.prompt);
            CommentView {
                question_id: c.prompt.clone(),
                question: prompt.map_or_else(|| c.prompt.clone(), |p| p.text.clone()),
                area: prompt
                    .and_then(|p| p.area)
                    .and_then(|a| inst.scales.get(a))
                    .map(|s| s.id.clone()),
                text: c.body.clone(),
                themes: c.themes.iter().map(|t| t.to_string()).collect(),
            }
        })
        .collect();
    let theme_views = built
        .themes_in_cell(key)
        .into_iter()
        .map(|(id, writers)| ThemeView {
            id: id.to_string(),
            label: themes()
                .iter()
                .find(|t| t.id == id)
                .map_or(id, |t| t.label_en)
                .to_string(),
            writers,
        })
        .collect();
    Ok((
        CommentsReply {
            wave: r.ctx.wave.name.clone(),
            unit: title,
            cut,
            status: built.status(key),
            threshold: built.threshold,
            comments,
            themes: theme_views,
        },
        built.held,
    ))
}

#[derive(Template)]
#[template(path = "reports/comments.html")]
struct CommentsPage {
    css: &'static str,
    reader: Reader,
    wave: String,
    title: String,
    back: String,
    shown: bool,
    threshold: usize,
    comments: Vec<CommentView>,
    total: usize,
    themes: Vec<ThemeView>,
    areas: Vec<(String, String)>,
    area: String,
    theme: String,
    q: String,
    /// The unit and cut fields to keep in the filter form.
    keep: Vec<(String, String)>,
    /// Other units in scope, with links.
    others: Vec<(String, String)>,
    /// For admins: comments held for review in this wave.
    held: usize,
}

async fn comments_page(
    who: PageReader,
    path: web::Path<String>,
    q: web::Query<CommentsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let wave = path.into_inner();
    let for_errors = wave.clone();
    let q = q.into_inner();
    page(who, &state, move |conn, user, reader, st| {
        let rq = ReportQuery {
            attribute: q.attribute.clone(),
            unit: q.unit.clone(),
        };
        let r = read(conn, user, st, &wave, &rq, "view comments")?;
        let (reply, held) = reply(conn, st, &r, &q)?;
        let inst = &r.ctx.current.instrument;
        let total = reply.comments.len();
        let words = q.q.as_deref().unwrap_or_default().trim().to_lowercase();
        let area = q.area.clone().unwrap_or_default();
        let theme = q.theme.clone().unwrap_or_default();
        let comments: Vec<CommentView> = reply
            .comments
            .iter()
            .filter(|c| area.is_empty() || c.area.as_deref() == Some(area.as_str()))
            .filter(|c| theme.is_empty() || c.themes.contains(&theme))
            .filter(|c| words.is_empty() || c.text.to_lowercase().contains(&words))
            .cloned()
            .collect();
        let mut areas: Vec<(String, String)> = inst
            .prompts
            .iter()
            .filter_map(|p| p.area.and_then(|a| inst.scales.get(a)))
            .map(|s| (s.id.clone(), s.label.clone()))
            .collect();
        areas.dedup();
        let rel = r.ctx.release();
        let base = format!("/reports/waves/{}/comments", enc(&wave));
        // Every unit the reader may read, not only below the one in view.
        let all = super::reports_api::scope_of(&r.ctx, user, None)?;
        let others = r
            .ctx
            .rows(&all, None)
            .into_iter()
            .map(|k| {
                let p = rel.tree.path(k.unit);
                (format!("{base}?unit={}", enc(&p)), p)
            })
            .collect();
        let mut keep = Vec::new();
        if let Some(u) = &q.unit {
            keep.push(("unit".to_string(), u.clone()));
        }
        if let (Some(a), Some(v)) = (&q.attribute, &q.value) {
            keep.push(("attribute".to_string(), a.clone()));
            keep.push(("value".to_string(), v.clone()));
        }
        let mut back = format!("/reports/waves/{}", enc(&wave));
        if let Some(u) = &q.unit {
            back.push_str(&format!("?unit={}", enc(u)));
        }
        super::reports_pages::render(&CommentsPage {
            css: REPORT_CSS_PATH,
            reader,
            wave: reply.wave.clone(),
            title: reply.unit.clone(),
            back,
            shown: reply.status == CellStatus::Shown,
            threshold: reply.threshold,
            comments,
            total,
            themes: reply.themes,
            areas,
            area,
            theme,
            q: q.q.clone().unwrap_or_default(),
            keep,
            others,
            held: if user.role == Role::Admin { held } else { 0 },
        })
    })
    .await
    .map_err(|e| e.see_participation(&for_errors))
}

/// One cell's reply for a reader of the API (a bearer token or a session), audited as
/// `action`.
async fn api_reply(
    who: SignedIn,
    state: &web::Data<AppState>,
    wave: String,
    q: CommentsQuery,
    action: &'static str,
) -> AppResult<CommentsReply> {
    super::reports_api::on_pool(state, move |conn, st| {
        let rq = ReportQuery {
            attribute: q.attribute.clone(),
            unit: q.unit.clone(),
        };
        let r = read(conn, &who.user, st, &wave, &rq, action)?;
        Ok(reply(conn, st, &r, &q)?.0)
    })
    .await
}

/// `GET /api/v1/waves/{wave}/comments`: one cell's comments and themes, under the same rules
/// as the page.
#[utoipa::path(
    get,
    path = "/api/v1/waves/{wave}/comments",
    tag = "reports",
    params(("wave" = String, Path, description = "The wave's name"), CommentsQuery),
    responses(
        (status = 200, description = "The cell's comments; none where the cell is hidden", body = CommentsReply),
        (status = 400, description = "A bad query", body = super::error::Problem),
        (status = 401, description = "No valid token or session", body = super::error::Problem),
        (status = 403, description = "A unit outside the reader's scope", body = super::error::Problem),
        (status = 404, description = "No such wave, unit, attribute or value", body = super::error::Problem),
        (status = 409, description = "The wave is not closed", body = super::error::Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn comments_api(
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<CommentsQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let body = api_reply(
        who,
        &state,
        path.into_inner(),
        q.into_inner(),
        "api comments",
    )
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/waves/{wave}/comments.csv`: the cell's comments through the one guarded CSV
/// writer (a comment that starts like a formula is quoted as text).
#[utoipa::path(
    get,
    path = "/api/v1/waves/{wave}/comments.csv",
    tag = "reports",
    params(("wave" = String, Path, description = "The wave's name"), CommentsQuery),
    responses(
        (status = 200, description = "wave, unit, cut, question, area, themes, comment; no rows where the cell is hidden", content_type = "text/csv"),
        (status = 400, description = "A bad query", body = super::error::Problem),
        (status = 401, description = "No valid token or session", body = super::error::Problem),
        (status = 403, description = "A unit outside the reader's scope", body = super::error::Problem),
        (status = 404, description = "No such wave, unit, attribute or value", body = super::error::Problem),
        (status = 409, description = "The wave is not closed", body = super::error::Problem),
    ),
    security(("bearer" = []))
)]
pub(super) async fn comments_csv(
    who: SignedIn,
    path: web::Path<String>,
    q: web::Query<CommentsQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let name = path.into_inner();
    let reply = api_reply(who, &state, name.clone(), q.into_inner(), "export comments").await?;
    let bytes = {
        let csv_err = |e: csv::Error| AppError::Unexpected(e.into());
        let mut w = CsvWriter::crlf();
        w.record([
            "wave", "unit", "cut", "question", "area", "themes", "comment",
        ])
        .map_err(csv_err)?;
        for c in &reply.comments {
            let themes = c.themes.join(" ");
            w.record([
                reply.wave.as_str(),
                reply.unit.as_str(),
                reply.cut.as_deref().unwrap_or_default(),
                c.question.as_str(),
                c.area.as_deref().unwrap_or_default(),
                themes.as_str(),
                c.text.as_str(),
            ])
            .map_err(csv_err)?;
        }
        w.finish().map_err(csv_err)?
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"comments-{}.csv\"",
                name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
            ),
        ))
        .body(bytes))
}
