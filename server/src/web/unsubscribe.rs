//! The link in a manager's nudge (`/unsubscribe/{token}`): a page that says what stops, and a
//! button that stops it (or turns it back on). No sign-in: the link's token is the proof, as
//! for an answer link, and a bare GET changes nothing (mail scanners follow links). Only the
//! token's SHA-256 is stored; the route template, not the path, is what the log records.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::error::PageError;
use super::{pages, AppState, REPORT_CSS_PATH};
use crate::auth::audit;
use crate::db::blocking;
use crate::mail::notices;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/unsubscribe/{token}", web::get().to(show))
        .route("/unsubscribe/{token}", web::post().to(change));
}

#[derive(Template)]
#[template(path = "reports/unsubscribe.html")]
struct UnsubscribePage {
    css: &'static str,
    email: String,
    /// Whether the nudges are on now.
    on: bool,
    /// What was just done, if anything.
    done: Option<&'static str>,
}

fn page(p: &UnsubscribePage) -> HttpResponse {
    pages::respond(StatusCode::OK, "en", p.render())
}

async fn show(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let token = path.into_inner();
    let st = state.clone();
    let found = blocking(move || {
        let mut conn = st.pool.get()?;
        notices::nudges_by_link(&mut conn, &token)
    })
    .await?;
    let Some((email, on)) = found else {
        return Err(PageError::from(crate::error::AppError::NotFound(
            "this link is not known: it may be mistyped, or belong to a user who was removed."
                .into(),
        )));
    };
    Ok(page(&UnsubscribePage {
        css: REPORT_CSS_PATH,
        email,
        on,
        done: None,
    }))
}

#[derive(Deserialize)]
struct Change {
    /// `off` stops the nudges, `on` turns them back on.
    nudges: String,
}

async fn change(
    path: web::Path<String>,
    form: web::Form<Change>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let token = path.into_inner();
    let on = form.nudges == "on";
    let st = state.clone();
    let email = blocking(move || {
        let mut conn = st.pool.get()?;
        let email = notices::set_nudges_by_link(&mut conn, &token, on)?;
        let action = if on { "resume nudges" } else { "stop nudges" };
        audit::record(&mut conn, &email, action, "")?;
        Ok(email)
    })
    .await?;
    Ok(page(&UnsubscribePage {
        css: REPORT_CSS_PATH,
        email,
        on,
        done: Some(if on {
            "Done: the reminders are back on."
        } else {
            "Done: you will get no more reminders about your action plan."
        }),
    }))
}
