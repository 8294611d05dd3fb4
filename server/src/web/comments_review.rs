//! The review queue (`/admin/comments`, admins only): comments the review list held back
//! (self-harm, threats, harassment). The admin releases one (it is then shown under the same
//! rules as every comment), removes a part of it, or withholds it (never shown, never
//! deleted). Only closed waves' comments are listed, and never with their unit or anything
//! else about who wrote them. Every decision is audited, without the text.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::access::Reader;
use super::console::{admin_form, admins_only, see_other};
use super::error::PageError;
use super::reports_pages::{page, render};
use super::signed_in::PageReader;
use super::{AppState, REPORT_CSS_PATH};
use crate::auth::audit;
use crate::db::{blocking, ResponseId};
use crate::survey::comments::{self, Decision};

pub const REVIEW_PATH: &str = "/admin/comments";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(REVIEW_PATH, web::get().to(queue))
        .route(REVIEW_PATH, web::post().to(decide));
}

pub struct HeldView {
    pub response_id: String,
    pub prompt_id: String,
    pub wave: String,
    pub question: String,
    pub body: String,
    pub concerns: String,
}

#[derive(Template)]
#[template(path = "reports/comments_review.html")]
struct QueuePage {
    css: &'static str,
    reader: Reader,
    held: Vec<HeldView>,
    released: i64,
    withheld: i64,
    notice: Option<String>,
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: String,
}

fn concern_words(stored: &str) -> String {
    stored
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| match c {
            "self-harm" => "self-harm",
            "threat" => "a threat",
            "harassment" => "harassment",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn body(
    conn: &mut crate::db::DbConn,
    st: &AppState,
    reader: Reader,
    notice: Option<String>,
    problem: Option<String>,
) -> crate::error::AppResult<String> {
    let held = comments::held(conn)?
        .into_iter()
        .map(|h| {
            let question = st
                .instruments
                .get(conn, &h.instrument)
                .ok()
                .and_then(|i| {
                    i.prompts
                        .iter()
                        .find(|p| p.id == h.prompt_id)
                        .map(|p| p.text.clone())
                })
                .unwrap_or_else(|| h.prompt_id.clone());
            HeldView {
                response_id: h.response_id.as_str().to_string(),
                prompt_id: h.prompt_id,
                wave: h.wave,
                question,
                body: h.body,
                concerns: concern_words(&h.concerns),
            }
        })
        .collect();
    let (_, released, withheld) = comments::review_counts(conn)?;
    render(&QueuePage {
        css: REPORT_CSS_PATH,
        reader,
        held,
        released,
        withheld,
        notice,
        problem,
    })
}

async fn queue(
    who: PageReader,
    q: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let done = q.into_inner().done;
    page(who, &state, move |conn, user, reader, st| {
        admins_only(user)?;
        let notice = match done.as_str() {
            "release" => Some(
                "The comment was released: it is shown where its group's comments are.".to_string(),
            ),
            "withhold" => {
                Some("The comment was withheld: it is kept, counted, and never shown.".to_string())
            }
            "redact" => {
                Some("The part was replaced by “[removed]”; the comment is still held.".to_string())
            }
            _ => None,
        };
        body(conn, st, reader, notice, None)
    })
    .await
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    response: String,
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    part: String,
}

async fn decide(
    PageReader(who): PageReader,
    form: web::Form<DecideForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    admin_form(&who, &form.csrf)?;
    let form = form.into_inner();
    let decision = match form.action.as_str() {
        "release" => Decision::Release,
        "withhold" => Decision::Withhold,
        "redact" => Decision::Redact(form.part.clone()),
        _ => {
            return Err(PageError::from(crate::error::AppError::Validation(vec![
                "action: release, withhold or remove a part".into(),
            ])))
        }
    };
    let st = state.clone();
    let me = who.user.email.clone();
    let reader = who.reader();
    let action = form.action.clone();
    let outcome = blocking(move || {
        let mut conn = st.pool.get()?;
        let response = ResponseId::from_string(form.response.clone());
        match comments::decide(&mut conn, &response, &form.prompt, &decision) {
            Ok(wave) => {
                let what = match decision {
                    Decision::Release => "release comment",
                    Decision::Withhold => "withhold comment",
                    Decision::Redact(_) => "redact comment",
                };
                audit::record(&mut conn, &me, what, &format!("wave={wave}"))?;
                Ok(None)
            }
            Err(crate::error::AppError::Validation(p)) => {
                Ok(Some(body(&mut conn, &st, reader, None, Some(p.join(" ")))?))
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    Ok(match outcome {
        None => see_other(&format!("{REVIEW_PATH}?done={action}")),
        Some(page) => HttpResponse::BadRequest()
            .content_type("text/html; charset=utf-8")
            .body(page),
    })
}
