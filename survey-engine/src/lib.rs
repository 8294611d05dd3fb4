//! Worklife survey engine: instruments, scoring, statistics and disclosure control.
//!
//! Pure library: no I/O beyond parsing strings handed to it, no HTTP, no SQL.

pub mod actions;
pub mod aggregate;
pub mod bands;
pub mod comments;
pub mod csv_out;
pub mod disclosure;
pub mod error;
pub mod format;
pub mod instrument;
pub mod org;
pub mod release;
pub mod reliability;
pub mod report;
pub mod scoring;
pub mod stats;
pub mod testing;

pub use aggregate::Aggregate;
pub use error::{EngineError, Problem};
pub use instrument::Instrument;
pub use scoring::{Profile, SheetScores};
