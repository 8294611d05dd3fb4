//! Command-line definitions.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "worklife",
    version,
    about = "Anonymous team-level burnout surveys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Score a CSV file of answer sheets and write CSV to stdout.
    Score(ScoreArgs),
    /// Check or show instruments.
    #[command(subcommand)]
    Instrument(InstrumentCommand),
}

#[derive(clap::Args, Debug)]
pub struct ScoreArgs {
    /// An instrument TOML file, or the id of a built-in instrument.
    #[arg(long)]
    pub instrument: String,
    /// CSV of answer sheets: item-id columns hold answers, other columns pass through.
    #[arg(long)]
    pub responses: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    pub output: ScoreOutput,
    /// Minimum group size k for heatmap and profiles (3 or more).
    #[arg(long = "min-group-size", value_name = "K")]
    pub min_group_size: Option<usize>,
    /// A column whose values cut the heatmap and profiles (repeatable).
    #[arg(long = "attribute", value_name = "COLUMN")]
    pub attributes: Vec<String>,
    /// The wave name written into heatmap and profiles rows.
    #[arg(long)]
    pub wave: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreOutput {
    /// One row per answer sheet: passthrough columns, scale scores, profile.
    Respondents,
    /// Item statistics.
    Items,
    /// Scale statistics.
    Scales,
    /// The suppressed heat map of units x scales.
    Heatmap,
    /// The suppressed burnout-profile distribution per unit.
    Profiles,
}

#[derive(Subcommand, Debug)]
pub enum InstrumentCommand {
    /// Validate an instrument file and list every problem.
    Check { file: PathBuf },
    /// Print a built-in instrument (or a file) as TOML.
    Show { instrument: String },
}
