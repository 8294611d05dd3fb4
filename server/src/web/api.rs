//! `POST /api/v1/responses`: the same submission as the form, as JSON, for clients that
//! bring their own interface. `{"token": "...", "answers": {"wl1": 4, "wl2": null}}`.

use std::collections::BTreeMap;

use actix_web::dev::JsonBody;
use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::ResponseError;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{AppState, BODY_LIMIT};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/responses", web::post().to(submit));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submission {
    token: String,
    answers: BTreeMap<String, Option<i32>>,
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.json(json!({ "error": message }))
}

/// `POST /api/v1/responses`.
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
            let own: Map<String, Value> = sheet
                .instrument
                .scales
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.clone(), json!(scores.score(i))))
                .collect();
            let mut response = HttpResponse::Created();
            response.json(json!({ "status": "received", "scores": own }))
        }
        Err(e) => e.error_response(),
    }
}
