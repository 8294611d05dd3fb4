//! `POST /api/v1/responses`: the same submission as the form, as JSON, for clients that
//! bring their own interface. `{"token": "...", "answers": {"wl1": 4, "wl2": null}}`.

use std::collections::BTreeMap;

use actix_web::dev::JsonBody;
use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::ResponseError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::Problem;
use super::{AppState, BODY_LIMIT};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/responses", web::post().to(submit));
}

/// One answer sheet.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Submission {
    /// The token of the respondent's single-use answer link (the part after `/s/`).
    token: String,
    /// Answers by item id, each a point of the response scale or null for no answer.
    answers: BTreeMap<String, Option<i32>>,
}

/// The answer to a stored sheet: the respondent's own scores, shown to them once.
#[derive(Serialize, ToSchema)]
pub(super) struct Received {
    /// Always `received`.
    status: &'static str,
    /// The respondent's own score per scale id; null where too few items were answered.
    scores: BTreeMap<String, Option<f64>>,
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.json(Problem {
        error: message.to_string(),
    })
}

/// Submits an answer sheet with the token of a single-use answer link, as the form does.
/// The link is used up; who answered is not stored with the answers.
#[utoipa::path(
    post,
    path = "/api/v1/responses",
    tag = "answers",
    security(()),
    request_body = Submission,
    responses(
        (status = 201, description = "The sheet is stored", body = Received),
        (status = 400, description = "The body is not a valid submission, or an answer is not on the scale", body = Problem),
        (status = 404, description = "No answer link has this token", body = Problem),
        (status = 410, description = "The link was used already, or the wave has closed", body = Problem),
        (status = 413, description = "The body is too large", body = Problem),
    )
)]
#[tracing::instrument(name = "api_submit", skip_all)]
pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut payload = payload.into_inner();
    // Not the `Json` extractor: on a failure it logs the request path (see `spans`).
    let submission = match JsonBody::<Submission>::new(&req, &mut payload, None, false)
        .limit(BODY_LIMIT)
        .await
    {
        Ok(s) => s,
        Err(JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. }) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is larger than {BODY_LIMIT} bytes"),
            )
        }
        Err(JsonPayloadError::Deserialize(e)) => {
            // Position only: serde's own message quotes the input, which may be an answer.
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "the body is not a valid submission (line {}, column {}); expected \
                     {{\"token\": \"...\", \"answers\": {{\"item\": 1, \"other\": null}}}}",
                    e.line(),
                    e.column()
                ),
            );
        }
        Err(_) => return error(StatusCode::BAD_REQUEST, "the body could not be read"),
    };
    let now = crate::clock::now();
    let stored = state
        .submissions
        .submit(submission.token, submission.answers, now)
        .await;
    match stored {
        Ok((sheet, scores)) => {
            let scores = sheet
                .instrument
                .scales
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.clone(), scores.score(i)))
                .collect();
            let mut response = HttpResponse::Created();
            response.json(Received {
                status: "received",
                scores,
            })
        }
        Err(e) => e.error_response(),
    }
}
