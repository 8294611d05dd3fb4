//! The engine's errors. Every message names the place of the problem.

use std::fmt;

/// One problem found while validating, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub place: String,
    pub message: String,
}

impl Problem {
    pub fn new(place: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            place: place.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid instrument ({} problem(s)):\n{}", .0.len(), list(.0))]
    InvalidInstrument(Vec<Problem>),
    #[error("answer sheet {sheet}: {message}")]
    InvalidAnswer { sheet: usize, message: String },
    #[error("{0}")]
    InvalidInput(String),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
