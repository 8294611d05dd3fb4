//! The roster for admins: how many people in how many units, the attributes reports can cut
//! by, and the roster as CSV in the import format (`roster export`'s file, formula-guarded by
//! the one CSV writer). Every download is audited. The upload form changes the roster
//! ([`super::roster_import`]: a preview first, then the import), as `worklife roster import`
//! does on the server.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::access::Reader;
use super::console::admins_only;
use super::error::PageError;
use super::reports_pages::{page, render};
use super::roster_import::{megabytes, Counts, UPLOAD_LIMIT, UPLOAD_PATH};
use super::signed_in::PageReader;
use super::{AppState, REPORT_CSS_PATH};
use crate::auth::audit;
use crate::db::blocking;
use crate::survey::roster;

pub const ROSTER_PATH: &str = "/reports/roster";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(ROSTER_PATH, web::get().to(roster_page))
        .route("/reports/roster.csv", web::get().to(roster_csv));
}

#[derive(Template)]
#[template(path = "reports/roster.html")]
struct RosterPage {
    css: &'static str,
    reader: Reader,
    people: i64,
    units: i64,
    attributes: Vec<String>,
    upload_path: &'static str,
    limit: String,
    /// Problems with the upload, shown next to the file field.
    file_problems: Vec<String>,
    prune: bool,
    /// After an import: what it changed.
    imported: Option<Counts>,
}

/// The roster page with its upload form (showing `problems` about the file, if any).
pub fn roster_form_page(
    conn: &mut crate::db::DbConn,
    reader: Reader,
    problems: Vec<String>,
    prune: bool,
    imported: Option<Counts>,
) -> crate::error::AppResult<String> {
    let (people, units) = roster::size(conn)?;
    render(&RosterPage {
        css: REPORT_CSS_PATH,
        reader,
        people,
        units,
        attributes: roster::attribute_names(conn)?,
        upload_path: UPLOAD_PATH,
        limit: megabytes(UPLOAD_LIMIT),
        file_problems: problems
            .iter()
            .map(|p| {
                let p = p.strip_prefix("file: ").unwrap_or(p);
                let mut c = p.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            })
            .collect(),
        prune,
        imported,
    })
}

#[derive(serde::Deserialize)]
struct RosterQuery {
    imported: Option<String>,
}

async fn roster_page(
    who: PageReader,
    q: Result<web::Query<RosterQuery>, actix_web::Error>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let imported = q
        .ok()
        .and_then(|q| q.into_inner().imported)
        .and_then(|i| Counts::of_query(&i));
    page(who, &state, move |conn, user, reader, _| {
        admins_only(user)?;
        roster_form_page(conn, reader, Vec::new(), false, imported)
    })
    .await
}

async fn roster_csv(
    PageReader(who): PageReader,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let st = state.clone();
    let body = blocking(move || {
        admins_only(&who.user)?;
        let mut conn = st.pool.get()?;
        audit::record(&mut conn, &who.user.email, "export roster", "")?;
        roster::export(&mut conn)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"worklife-roster.csv\"",
        ))
        .body(body))
}
