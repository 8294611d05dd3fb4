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
use crate::survey::responses::{Receipt, Submitted};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/responses", web::post().to(submit));
}

/// One answer sheet.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Submission {
    /// The token of the respondent's single-use answer link (the part after `/s/`).
    token: String,
    /// Answers by item id, each a point of the response scale or null for no answer. An
    /// item may appear once.
    #[schema(value_type = BTreeMap<String, Option<i32>>)]
    answers: Answers,
    /// Comments by open question id (the instrument's `kind = "text"` items), at most 2,000
    /// characters each; redacted before they are stored.
    #[serde(default)]
    comments: BTreeMap<String, String>,
}

/// The answers object in the order sent, duplicates kept: JSON allows a key twice, and a
/// map would silently keep the last, where the form refuses an item sent twice.
struct Answers(Vec<(String, Option<i32>)>);

impl<'de> Deserialize<'de> for Answers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Answers, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = Answers;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of answers by item id")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Answers, M::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Answers(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

impl Answers {
    /// The answers by item id, or the first item sent twice.
    fn by_item(self) -> Result<BTreeMap<String, Option<i32>>, String> {
        let mut out = BTreeMap::new();
        for (item, answer) in self.0 {
            if out.contains_key(&item) {
                return Err(item);
            }
            out.insert(item, answer);
        }
        Ok(out)
    }
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
    let answers = match submission.answers.by_item() {
        Ok(a) => a,
        Err(item) => {
            // An item id, never an answer: nothing the respondent chose is echoed.
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "answers: item \"{}\" is answered twice; send each item once",
                    item.escape_default()
                ),
            );
        }
    };
    let now = crate::clock::now();
    let stored = state
        .submissions
        .submit(
            submission.token,
            Submitted {
                answers,
                comments: submission.comments,
            },
            now,
        )
        .await;
    match stored {
        Ok(Receipt { sheet, scores, .. }) => {
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
