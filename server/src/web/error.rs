//! The one place where an [`AppError`] becomes an answer: a JSON problem on the API (the
//! `ResponseError` of `AppError` itself) and an HTML page with a way back on report and plan
//! pages ([`PageError`]). Respondent pages show the same errors in the respondent's language
//! (`survey::problem_of`). An unexpected error's cause goes to the log, never to the reader.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::REPORT_CSS_PATH;
use crate::error::AppError;

/// The status of an error.
pub fn status(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Validation(_) => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Gone(_) => StatusCode::GONE,
        AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What the reader may be told. Logs an unexpected error's cause chain (which holds no token:
/// tokens never reach an error message).
pub fn message(e: &AppError) -> String {
    match e {
        AppError::NotFound(m)
        | AppError::Conflict(m)
        | AppError::Unauthorized(m)
        | AppError::Forbidden(m) => m.clone(),
        AppError::Gone(reason) => reason.message().into(),
        AppError::Validation(problems) => problems.join("; "),
        AppError::Unexpected(cause) => {
            tracing::error!(error = %format!("{cause:#}"), "request failed");
            "something went wrong on the server; try again later".into()
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        status(self)
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(status(self));
        if matches!(self, AppError::Unauthorized(_)) {
            r.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        r.json(Problem {
            error: message(self),
        })
    }
}

/// The body of every API error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// What went wrong, in words a person can act on.
    pub error: String,
}

/// An error on a page a person reads: a title saying what happened, the message, a way back.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct PageError {
    error: AppError,
    title: Option<&'static str>,
    /// A page that helps instead, as (address, words).
    see: Option<(String, String)>,
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> PageError {
        PageError {
            error,
            title: None,
            see: None,
        }
    }
}

impl PageError {
    /// The page with a title of its own instead of the one its kind of error gets.
    pub fn titled(error: AppError, title: &'static str) -> PageError {
        PageError {
            error,
            title: Some(title),
            see: None,
        }
    }

    /// The page links to `href` as the way back, in `words` (besides the reports).
    pub fn see(mut self, href: &str, words: &str) -> PageError {
        self.see = Some((href.to_string(), words.to_string()));
        self
    }

    /// What went wrong.
    pub fn error(&self) -> &AppError {
        &self.error
    }

    /// A report of a wave that is not closed yet (a conflict) links to its participation
    /// page: what there is to see while it is open.
    pub fn see_participation(mut self, wave: &str) -> PageError {
        if matches!(self.error, AppError::Conflict(_)) {
            self.see = Some((
                format!("/reports/waves/{}/participation", super::enc(wave)),
                "See how many have answered so far".into(),
            ));
        }
        self
    }
}

/// A message as a sentence on a page: capital first letter.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[derive(Template)]
#[template(path = "reports/error.html")]
struct ErrorPage {
    css: &'static str,
    title: &'static str,
    message: String,
    sign_in: bool,
    see: Option<(String, String)>,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        status(&self.error)
    }

    fn error_response(&self) -> HttpResponse {
        let title = self.title.unwrap_or(match &self.error {
            AppError::NotFound(_) => "Not found",
            AppError::Validation(_) => "Please check what you entered",
            AppError::Conflict(_) => "This cannot be done now",
            AppError::Gone(_) => "No longer available",
            AppError::Unauthorized(_) => "Please sign in",
            AppError::Forbidden(_) => "You do not have access to this",
            AppError::Unexpected(_) => "Something went wrong",
        });
        let page = ErrorPage {
            css: REPORT_CSS_PATH,
            title,
            message: sentence(&message(&self.error)),
            sign_in: matches!(self.error, AppError::Unauthorized(_)),
            see: self.see.clone(),
        };
        match page.render() {
            Ok(body) => HttpResponse::build(status(&self.error))
                .content_type("text/html; charset=utf-8")
                .body(body),
            Err(e) => {
                tracing::error!(error = %e, "rendering an error page failed");
                HttpResponse::InternalServerError()
                    .content_type("text/plain; charset=utf-8")
                    .body("Something went wrong. Please try again in a few minutes.")
            }
        }
    }
}
