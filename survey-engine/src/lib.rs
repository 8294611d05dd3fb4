//! Worklife survey engine: instruments, scoring, statistics and disclosure control.
//!
//! Pure library: no I/O beyond parsing strings handed to it, no HTTP, no SQL.

pub mod disclosure;
