//! The answer form: `GET /s/{token}` shows the wave's instrument, `POST /s/{token}` stores
//! the answers (one transaction with the token, A2) and shows the respondent their own
//! results, which are never stored.

use std::collections::BTreeMap;

use actix_web::dev::UrlEncoded;
use actix_web::error::UrlencodedError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::pages::{
    self, accept_language, query_lang, ErrorLink, FormPage, Frame, Problem, ProgressView,
    PromptView,
};
use super::{i18n, view, AppState, BODY_LIMIT};
use crate::db::blocking;
use crate::db::DbConn;
use crate::error::{AppError, AppResult, Gone};
use crate::survey::responses::{self, Receipt, Sheet, Submitted};
use crate::survey::waves;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/s/{token}")
            .route(web::get().to(show))
            .route(web::post().to(submit)),
    );
}

/// The token from the path, read without the `Path` extractor (see `spans`).
fn token(req: &HttpRequest) -> String {
    req.match_info()
        .get("token")
        .unwrap_or_default()
        .to_string()
}

/// The wave's report attributes, named in the privacy statement.
fn report_groups(conn: &mut DbConn, sheet: &Sheet) -> AppResult<Vec<String>> {
    Ok(waves::find(conn, &sheet.wave_name)?.attribute_names())
}

/// What a request that cannot go on shows, by the error behind it.
pub fn problem_of(error: &AppError) -> Problem {
    match error {
        AppError::NotFound(_) => Problem::UnknownToken,
        AppError::Gone(Gone::UsedLink) => Problem::UsedToken,
        AppError::Gone(Gone::WaveClosed) => Problem::Closed,
        AppError::Validation(_) => Problem::BadRequest,
        other => {
            // The cause chain goes to the log, never to the respondent; it holds no token.
            tracing::error!(error = %format!("{other:#}"), "respondent request failed");
            Problem::ServerError
        }
    }
}

struct FormInput<'a> {
    sheet: &'a Sheet,
    report_groups: &'a [String],
    lang: &'a str,
    answers: &'a BTreeMap<String, Option<i32>>,
    /// Comments written before a refused send, by open question id.
    comments: &'a BTreeMap<String, String>,
    /// Why the last send was refused; `None` when the form is first shown.
    refusal: Option<Refusal>,
}

/// Why a send was refused, for the error summary and the marks next to questions.
struct Refusal {
    nothing_answered: bool,
    /// Ids of the items whose answer could not be read or is off the scale.
    invalid: Vec<String>,
}

fn form_page(state: &AppState, input: FormInput<'_>) -> FormPage {
    let instrument = &input.sheet.instrument;
    let settings = &state.settings;
    let ui = i18n::ui(input.lang);
    let text = view::Localised::new(instrument, input.lang);
    let mut groups = view::groups(instrument, input.lang, input.answers);
    let total: usize = groups.iter().map(|g| g.items.len()).sum();
    // Report attributes by their label in this language (`attribute_labels`).
    let report_groups: Vec<String> = input
        .report_groups
        .iter()
        .map(|name| settings.attribute_label(name, input.lang).to_string())
        .collect();
    let errors = match &input.refusal {
        None => Vec::new(),
        Some(refusal) => {
            let first_question = groups
                .first()
                .and_then(|g| g.items.first())
                .map(|i| format!("#{}", i.anchor));
            let mut errors = vec![if refusal.nothing_answered {
                ErrorLink {
                    text: ui.error_nothing.to_string(),
                    href: first_question,
                }
            } else {
                ErrorLink {
                    text: ui.error_invalid.to_string(),
                    href: None,
                }
            }];
            // Each question whose answer could not be read, in the order the form shows
            // them, by its text (never the value sent), linked to the question, which is
            // marked too.
            for item in groups.iter_mut().flat_map(|g| g.items.iter_mut()) {
                if refusal.invalid.contains(&item.id) {
                    errors.push(ErrorLink {
                        text: i18n::fill(ui.error_unreadable, &[("question", &item.text)]),
                        href: Some(format!("#{}", item.anchor)),
                    });
                    item.error = Some(ui.error_item.to_string());
                }
            }
            errors
        }
    };
    let answered = groups
        .iter()
        .flat_map(|g| &g.items)
        .filter(|i| i.skipped || i.options.iter().any(|o| o.checked))
        .count();
    let minutes = pages::minutes_for(total);
    let prompts = instrument
        .prompts
        .iter()
        .map(|q| PromptView {
            field: format!("{COMMENT_FIELD}{}", q.id),
            anchor: format!("c-{}", q.id),
            text: text.prompt(&q.id, &q.text).to_string(),
            value: input.comments.get(&q.id).cloned().unwrap_or_default(),
        })
        .collect();
    FormPage {
        prompts,
        comments_hint: i18n::fill(
            ui.comments_hint,
            &[("n", &input.sheet.comment_min.to_string())],
        ),
        page: Frame::new(
            input.lang,
            text.title().to_string(),
            settings,
            &instrument.languages(),
        ),
        heading: text.title().to_string(),
        description: text.description().to_string(),
        open_until: i18n::fill(
            ui.open_until,
            &[(
                "date",
                &i18n::datetime(settings.local_time(input.sheet.closes_at), input.lang),
            )],
        ),
        estimate: i18n::fill(
            if minutes > 1 {
                ui.estimate
            } else {
                ui.estimate_short
            },
            &[
                ("total", &total.to_string()),
                ("minutes", &minutes.to_string()),
            ],
        ),
        how_to: ui.how_to.to_string(),
        privacy: view::privacy(ui, input.sheet.min_group_size, &report_groups),
        errors,
        progress: ProgressView {
            total,
            answered,
            seconds_per_question: pages::SECONDS_PER_QUESTION,
            label: ui.progress_label,
            count: ui.progress_count,
            left: ui.progress_left,
            left_one: ui.progress_left_one,
            done: ui.progress_done,
        },
        script: format!(
            "{}{}",
            pages::base_path(&settings.base_url),
            pages::SCRIPT_PATH
        ),
        groups,
    }
}

/// `GET /s/{token}`.
#[tracing::instrument(name = "survey_form", skip_all)]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let token = token(&req);
    let now = crate::clock::now();
    let st = state.clone();
    let opened = blocking(move || {
        let mut conn = st.respondent_pool.get()?;
        let sheet = responses::open_sheet(&mut conn, &st.instruments, &token, now)?;
        let groups = report_groups(&mut conn, &sheet)?;
        Ok((sheet, groups))
    })
    .await;
    match opened {
        Ok((sheet, groups)) => {
            let offered = sheet.instrument.languages();
            let lang =
                i18n::negotiate(query_lang(&req).as_deref(), accept_language(&req), &offered)
                    .to_string();
            let page = form_page(
                &state,
                FormInput {
                    sheet: &sheet,
                    report_groups: &groups,
                    lang: &lang,
                    answers: &BTreeMap::new(),
                    comments: &BTreeMap::new(),
                    refusal: None,
                },
            );
            pages::respond(StatusCode::OK, &lang, page.render())
        }
        Err(e) => pages::problem_page(&req, &state.settings, problem_of(&e), None),
    }
}

/// The form field of an open question: this and its id.
pub const COMMENT_FIELD: &str = "comment.";

/// A posted form: the chosen language, the answers by item id, the comments by open question.
#[derive(Debug, Default)]
pub struct Posted {
    pub lang: Option<String>,
    pub answers: BTreeMap<String, Option<i32>>,
    pub comments: BTreeMap<String, String>,
    /// A value that is not a whole number, or an item sent twice.
    pub malformed: bool,
    /// The fields of those, in the order sent, each once.
    pub unreadable: Vec<String>,
}

impl Posted {
    pub fn parse(fields: Vec<(String, String)>) -> Posted {
        let mut posted = Posted::default();
        for (name, value) in fields {
            if name == "lang" {
                posted.lang = Some(value);
                continue;
            }
            if let Some(prompt) = name.strip_prefix(COMMENT_FIELD) {
                if posted.comments.insert(prompt.to_string(), value).is_some() {
                    posted.malformed = true;
                }
                continue;
            }
            let value = value.trim();
            let answer = if value.is_empty() {
                None
            } else if let Ok(v) = value.parse::<i32>() {
                Some(v)
            } else {
                posted.malformed = true;
                if !posted.unreadable.contains(&name) {
                    posted.unreadable.push(name);
                }
                continue;
            };
            if posted.answers.insert(name.clone(), answer).is_some() {
                posted.malformed = true;
                if !posted.unreadable.contains(&name) {
                    posted.unreadable.push(name);
                }
            }
        }
        posted
    }
}

enum Outcome {
    Stored(Receipt),
    /// Nothing stored; the form is shown again.
    Refused {
        sheet: Sheet,
        report_groups: Vec<String>,
        nothing_answered: bool,
    },
}

/// `POST /s/{token}`.
#[tracing::instrument(name = "survey_submit", skip_all)]
pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let mut payload = payload.into_inner();
    let fields = match UrlEncoded::<Vec<(String, String)>>::new(&req, &mut payload)
        .limit(BODY_LIMIT)
        .await
    {
        Ok(fields) => fields,
        Err(UrlencodedError::Overflow { .. }) => {
            return pages::problem_page(&req, &state.settings, Problem::TooLarge, None)
        }
        Err(_) => return pages::problem_page(&req, &state.settings, Problem::BadRequest, None),
    };
    let posted = Posted::parse(fields);
    let token = token(&req);
    let now = crate::clock::now();
    // Well-formed sheets go to the writer; a refused one is read again to show the form.
    let stored = if posted.malformed {
        Err(AppError::Validation(Vec::new()))
    } else {
        state
            .submissions
            .submit(
                token.clone(),
                Submitted {
                    answers: posted.answers.clone(),
                    comments: posted.comments.clone(),
                },
                now,
            )
            .await
    };
    let outcome = match stored {
        Ok(receipt) => Ok(Outcome::Stored(receipt)),
        Err(AppError::Validation(_)) => {
            let st = state.clone();
            let answers = posted.answers.clone();
            let malformed = posted.malformed;
            blocking(move || {
                let mut conn = st.respondent_pool.get()?;
                let sheet = responses::open_sheet(&mut conn, &st.instruments, &token, now)?;
                let nothing_answered = !malformed
                    && answers.iter().all(|(item, v)| {
                        v.is_none() && sheet.instrument.item_index(item).is_some()
                    });
                let report_groups = report_groups(&mut conn, &sheet)?;
                Ok(Outcome::Refused {
                    sheet,
                    report_groups,
                    nothing_answered,
                })
            })
            .await
        }
        Err(e) => Err(e),
    };

    let chosen = posted.lang.as_deref();
    let language = |sheet: &Sheet| {
        i18n::negotiate(chosen, accept_language(&req), &sheet.instrument.languages()).to_string()
    };
    match outcome {
        Ok(Outcome::Stored(receipt)) => {
            let lang = language(&receipt.sheet);
            let page = view::thanks(&receipt, &lang, &state.settings);
            pages::respond(StatusCode::OK, &lang, page.render())
        }
        Ok(Outcome::Refused {
            sheet,
            report_groups,
            nothing_answered,
        }) => {
            let lang = language(&sheet);
            let instrument = &sheet.instrument;
            // Questions whose answer could not be read or is off the scale.
            let invalid: Vec<String> = posted
                .unreadable
                .iter()
                .chain(posted.answers.iter().filter_map(|(id, v)| {
                    v.is_some_and(|v| !instrument.response_scale.contains(v))
                        .then_some(id)
                }))
                .filter(|id| instrument.item_index(id).is_some())
                .cloned()
                .collect();
            // Keep what can be kept, so the respondent need not start again: values on the
            // scale, and "no answer", for known items; none of it is stored (A5).
            let kept: BTreeMap<String, Option<i32>> = posted
                .answers
                .iter()
                .filter(|(item, v)| {
                    sheet.instrument.item_index(item).is_some()
                        && v.is_none_or(|v| sheet.instrument.response_scale.contains(v))
                })
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            let page = form_page(
                &state,
                FormInput {
                    sheet: &sheet,
                    report_groups: &report_groups,
                    lang: &lang,
                    answers: &kept,
                    comments: &posted.comments,
                    refusal: Some(Refusal {
                        nothing_answered,
                        invalid,
                    }),
                },
            );
            pages::respond(StatusCode::BAD_REQUEST, &lang, page.render())
        }
        Err(e) => pages::problem_page(&req, &state.settings, problem_of(&e), chosen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn a_posted_form_reads_skips_and_flags_what_it_cannot_read() {
        let p = Posted::parse(fields(&[
            ("lang", "de"),
            ("a", "4"),
            ("b", ""),
            ("c", " 2 "),
        ]));
        assert_eq!(p.lang.as_deref(), Some("de"));
        assert_eq!(
            p.answers,
            BTreeMap::from([
                ("a".to_string(), Some(4)),
                ("b".to_string(), None),
                ("c".to_string(), Some(2)),
            ])
        );
        assert!(!p.malformed);
        assert!(Posted::parse(fields(&[("a", "four")])).malformed);
        assert!(Posted::parse(fields(&[("a", "4.5")])).malformed);
        assert!(Posted::parse(fields(&[("a", "4"), ("a", "5")])).malformed);
        let p = Posted::parse(fields(&[("a", "four"), ("b", "4"), ("b", "5"), ("a", "x")]));
        assert_eq!(p.unreadable, ["a", "b"]);
        assert!(Posted::parse(fields(&[("a", "99999999999")])).malformed);
    }
}
