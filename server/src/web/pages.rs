//! The respondent's pages: askama templates, the frame every page shares, and the HTTP
//! response that carries a page (no caching, no referrer, no framing; one script of this
//! origin on the form, which works without it).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::i18n::{self, Ui};
use crate::configuration::{Settings, Support};

/// The stylesheet of the respondent pages, served at [`STYLESHEET_PATH`].
pub const STYLESHEET: &str = include_str!("../../templates/survey/survey.css");
pub const STYLESHEET_PATH: &str = "/static/survey.css";

/// The answer form's script, served at [`SCRIPT_PATH`]: a progress bar that counts answered
/// questions and focus on the error summary. Progressive enhancement: the form works the
/// same without it, and it neither stores nor sends anything (A5).
pub const SCRIPT: &str = include_str!("../../templates/survey/survey.js");
pub const SCRIPT_PATH: &str = "/static/survey.js";

/// Seconds one question takes to read and answer, for the time estimate: five-point
/// agreement items take most people 5-10 s; 42 questions make "about 6 minutes".
pub const SECONDS_PER_QUESTION: usize = 8;

/// Whole minutes, rounded up, that `questions` questions take.
pub fn minutes_for(questions: usize) -> usize {
    (questions * SECONDS_PER_QUESTION).div_ceil(60)
}

/// The path part of the public address (`/survey` in `https://x.org/survey/`), so that pages
/// behind a proxy that serves the app under a prefix still find their stylesheet.
pub fn base_path(base_url: &str) -> &str {
    let after_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("", |i| &after_scheme[i..])
        .trim_end_matches('/')
}

/// One entry of the language switcher.
pub struct LangLink {
    pub code: String,
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// What every page shows around its content.
pub struct Frame {
    pub lang: String,
    pub ui: &'static Ui,
    pub title: String,
    pub organisation: String,
    pub footer: String,
    pub stylesheet: String,
    /// Empty when there is nothing to switch to.
    pub languages: Vec<LangLink>,
}

impl Frame {
    /// A frame in `lang`, offering a switch to each of `offered` (by `?lang=`) when there are
    /// several.
    pub fn new(lang: &str, title: String, settings: &Settings, offered: &[&str]) -> Frame {
        let ui = i18n::ui(lang);
        let languages = if offered.len() > 1 {
            offered
                .iter()
                .map(|code| LangLink {
                    code: (*code).to_string(),
                    name: i18n::endonym(code),
                    href: format!("?lang={code}"),
                    current: *code == lang,
                })
                .collect()
        } else {
            Vec::new()
        };
        Frame {
            lang: lang.to_string(),
            ui,
            title,
            organisation: settings.organisation.clone(),
            footer: i18n::fill(ui.footer, &[("organisation", &settings.organisation)]),
            stylesheet: format!("{}{STYLESHEET_PATH}", base_path(&settings.base_url)),
            languages,
        }
    }
}

/// One answer option of an item.
pub struct OptionView {
    pub value: i32,
    pub label: String,
    pub checked: bool,
}

pub struct ItemView {
    pub id: String,
    /// The id of the question's fieldset, which the error summary links to.
    pub anchor: String,
    pub number: usize,
    pub text: String,
    pub options: Vec<OptionView>,
    /// "No answer" was chosen (when the form is shown again).
    pub skipped: bool,
    /// Shown next to the question when its answer was refused.
    pub error: Option<String>,
}

/// One line of the error summary; `href` leads to the question it is about.
pub struct ErrorLink {
    pub text: String,
    pub href: Option<String>,
}

/// The progress bar's texts, filled in by the form's script as the respondent answers
/// (placeholders `{answered}`, `{total}`, `{minutes}`).
pub struct ProgressView {
    pub total: usize,
    pub answered: usize,
    pub seconds_per_question: usize,
    pub label: &'static str,
    pub count: &'static str,
    pub left: &'static str,
    pub left_one: &'static str,
    pub done: &'static str,
}

/// The items of one scale, under the scale's heading.
pub struct GroupView {
    pub id: String,
    pub label: String,
    pub items: Vec<ItemView>,
}

#[derive(Template)]
#[template(path = "survey/form.html", whitespace = "minimize")]
pub struct FormPage {
    pub page: Frame,
    pub heading: String,
    pub description: String,
    pub open_until: String,
    /// "42 questions, about 6 minutes."
    pub estimate: String,
    pub how_to: String,
    pub privacy: Vec<String>,
    pub errors: Vec<ErrorLink>,
    pub progress: ProgressView,
    pub script: String,
    pub groups: Vec<GroupView>,
    /// The open questions, after the scored ones.
    pub prompts: Vec<PromptView>,
    /// What the open questions' hint says (with the wave's comment threshold).
    pub comments_hint: String,
}

/// An open question on the form.
pub struct PromptView {
    /// The form field: `comment.<id>`.
    pub field: String,
    pub anchor: String,
    pub text: String,
    /// What was written before a refused send (never stored).
    pub value: String,
}

/// One scale on the thank-you page.
pub struct ScoreView {
    pub id: String,
    pub label: String,
    /// "3.5 of 5", or `None` when too few items were answered.
    pub score: Option<String>,
    pub value: f64,
    pub direction: &'static str,
    pub meaning: Vec<String>,
    /// `<meter>` hints: the healthy end, and the thirds of the range.
    pub optimum: i32,
    pub low: String,
    pub high: String,
}

/// A set of suggestions under a heading.
pub struct IdeaBlock {
    pub heading: String,
    pub intro: Option<String>,
    pub tips: Vec<String>,
}

/// The organisation's support contacts, as shown.
pub struct SupportView {
    pub intro: String,
    pub eap_url: Option<String>,
    pub eap_phone: Option<(String, String)>,
    pub crisis: String,
}

impl SupportView {
    pub fn new(support: &Support, organisation: &str, ui: &Ui) -> SupportView {
        let eap_url = support
            .eap_url
            .as_deref()
            .map(str::trim)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(str::to_string);
        let eap_phone = support
            .eap_phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let dial: String = p
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                (p.to_string(), dial)
            });
        SupportView {
            intro: i18n::fill(ui.support_intro, &[("organisation", organisation)]),
            eap_url,
            eap_phone,
            crisis: support.crisis.trim().to_string(),
        }
    }

    pub fn has_eap(&self) -> bool {
        self.eap_url.is_some() || self.eap_phone.is_some()
    }
}

#[derive(Template)]
#[template(path = "survey/thanks.html", whitespace = "minimize")]
pub struct ThanksPage {
    pub page: Frame,
    pub not_diagnosis: String,
    pub min: i32,
    pub max: i32,
    pub scores: Vec<ScoreView>,
    pub ideas_intro: Option<String>,
    pub ideas: Vec<IdeaBlock>,
    pub support: Option<SupportView>,
    /// A comment matched the self-harm list: the support contacts come first.
    pub support_first: bool,
}

#[derive(Template)]
#[template(path = "survey/error.html", whitespace = "minimize")]
pub struct ErrorPage {
    pub page: Frame,
    pub heading: String,
    pub body: String,
    pub next: Option<String>,
    pub support: Option<SupportView>,
}

/// A rendered page with the headers every respondent page carries.
pub fn respond(status: StatusCode, lang: &str, rendered: askama::Result<String>) -> HttpResponse {
    match rendered {
        Ok(body) => {
            let mut response = HttpResponse::build(status);
            response
                .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
                .insert_header((header::VARY, "Accept-Language"));
            if let Ok(lang) = HeaderValue::from_str(lang) {
                response.insert_header((header::CONTENT_LANGUAGE, lang));
            }
            response.body(body)
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            let mut response = HttpResponse::InternalServerError();
            response
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong. Please try again in a few minutes.")
        }
    }
}

/// The `?lang=` of a request, parsed by hand: actix-web's `Query` extractor logs the path of
/// a request it cannot parse, and the path carries the token.
pub fn query_lang(req: &HttpRequest) -> Option<String> {
    req.query_string()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() <= 35 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

pub fn accept_language(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// The kinds of error page a respondent can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    UnknownToken,
    UsedToken,
    Closed,
    BadRequest,
    TooLarge,
    PageNotFound,
    ServerError,
}

impl Problem {
    pub fn status(self) -> StatusCode {
        match self {
            Problem::UnknownToken | Problem::PageNotFound => StatusCode::NOT_FOUND,
            Problem::UsedToken | Problem::Closed => StatusCode::GONE,
            Problem::BadRequest => StatusCode::BAD_REQUEST,
            Problem::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Problem::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error page in the respondent's language (English or German, from `?lang=` or
/// `Accept-Language`, or `lang` when the caller knows it already).
pub fn problem_page(
    req: &HttpRequest,
    settings: &Settings,
    problem: Problem,
    lang: Option<&str>,
) -> HttpResponse {
    let chosen = lang.map(str::to_string).or_else(|| query_lang(req));
    let lang = i18n::negotiate(chosen.as_deref(), accept_language(req), &i18n::UI_LANGUAGES);
    let ui = i18n::ui(lang);
    let (heading, body, next) = match problem {
        Problem::UnknownToken => (
            ui.not_found_title,
            ui.not_found_body,
            Some(ui.not_found_next),
        ),
        Problem::UsedToken => (ui.used_title, ui.used_body, Some(ui.used_next)),
        Problem::Closed => (ui.closed_title, ui.closed_body, Some(ui.closed_next)),
        Problem::BadRequest => (
            ui.bad_request_title,
            ui.bad_request_body,
            Some(ui.bad_request_next),
        ),
        Problem::TooLarge => (
            ui.too_large_title,
            ui.too_large_body,
            Some(ui.bad_request_next),
        ),
        Problem::PageNotFound => (ui.page_not_found_title, ui.page_not_found_body, None),
        Problem::ServerError => (
            ui.server_error_title,
            ui.server_error_body,
            Some(ui.server_error_next),
        ),
    };
    // Someone who answered may come back to their link: the support contacts stay in reach.
    let support = matches!(problem, Problem::UsedToken | Problem::Closed)
        .then(|| SupportView::new(&settings.support, &settings.organisation, ui));
    let page = ErrorPage {
        page: Frame::new(lang, heading.to_string(), settings, &i18n::UI_LANGUAGES),
        heading: heading.to_string(),
        body: body.to_string(),
        next: next.map(str::to_string),
        support,
    };
    respond(problem.status(), lang, page.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_estimate_rounds_up_to_whole_minutes() {
        assert_eq!(minutes_for(42), 6, "worklife-core: 336 s");
        assert_eq!(minutes_for(11), 2, "worklife-pulse: 88 s");
        assert_eq!(minutes_for(7), 1);
        assert_eq!(minutes_for(0), 0);
    }
}
