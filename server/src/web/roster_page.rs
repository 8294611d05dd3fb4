//! The roster for admins: how many people in how many units, the attributes reports can cut
//! by, and the roster as CSV in the import format (`roster export`'s file, formula-guarded by
//! the one CSV writer). Every download is audited. Changing the roster is still
//! `worklife roster import` (with `--dry-run` to preview).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::access::Reader;
use super::console::admins_only;
use super::error::PageError;
use super::reports_pages::{page, render};
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
}

async fn roster_page(
    who: PageReader,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    page(who, &state, move |conn, user, reader, _| {
        admins_only(user)?;
        let (people, units) = roster::size(conn)?;
        render(&RosterPage {
            css: REPORT_CSS_PATH,
            reader,
            people,
            units,
            attributes: roster::attribute_names(conn)?,
        })
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
