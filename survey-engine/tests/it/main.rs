//! The engine's integration tests, one binary (a binary per file would link the engine once
//! per file).

mod actions;
mod counts_p1;
mod cross_measure;
mod disclosure_audit;
mod disclosure_many;
mod disclosure_props;
mod disclosure_suppress;
mod family_bounds;
mod fuzz_inputs;
mod instruments;
mod means_p2;
mod per_answer;
mod random_org;
mod release;
mod report_rows;
mod scoring;
mod spread_p2;
mod unanimity;
