//! One error type for the domain, the service and the commands: what the user sees is clear,
//! the log keeps the cause chain.
//!
//! The rule: domain functions return [`AppResult`], naming what went wrong in a variant the
//! caller can match on (never a compared message). `anyhow` is for failures nobody can act
//! on ([`AppError::Unexpected`]) and for the command line's top level, which prints the chain.
//! The web layer renders an `AppError` in one place (`web::error`): a JSON problem on the API,
//! an HTML page on pages.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found: {0}")]
    NotFound(String),
    /// Input the user must fix; each entry names the place and the reason.
    #[error("{}", .0.join("\n"))]
    Validation(Vec<String>),
    #[error("{0}")]
    Conflict(String),
    /// Something that existed and is no longer usable (a used token, a closed wave).
    #[error("{}", .0.message())]
    Gone(Gone),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why a survey link can no longer be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// The link's answers were received.
    UsedLink,
    /// The wave closed (or was cancelled) before the link was used.
    WaveClosed,
}

impl Gone {
    /// As the respondent should read it.
    pub fn message(self) -> &'static str {
        match self {
            Gone::UsedLink => "This survey link has been used already: the answers were received.",
            Gone::WaveClosed => "This survey is closed.",
        }
    }
}

impl AppError {
    pub fn validation(message: impl Into<String>) -> Self {
        AppError::Validation(vec![message.into()])
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound("no such record".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                AppError::Conflict(format!("already exists: {}", info.message()))
            }
            // PostgreSQL refuses NUL in text ("invalid byte sequence ... 0x00"); SQLite
            // stores it. Either way it is the client's input, not a server fault.
            Error::DatabaseError(_, info) if info.message().contains("0x00") => {
                AppError::validation("text must not contain NUL characters")
            }
            other => AppError::Unexpected(anyhow::Error::new(other).context("database")),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
