//! Report CSVs: RFC 4180 with CRLF line ends, UTF-8, written by the engine's report writers
//! over the project's one CSV writer ([`survey_engine::csv_out`]), which guards every cell
//! against spreadsheet formulas.

use survey_engine::csv_out::CsvWriter;
use survey_engine::report::{self, HeatRows, ItemRow, ProfileRow};

use crate::error::{AppError, AppResult};

fn err(e: survey_engine::EngineError) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("{e}"))
}

/// The heat-map CSV contract plus `delta_prev` at the end.
pub fn heatmap(rows: &HeatRows<'_>) -> AppResult<Vec<u8>> {
    report::heatmap_csv(CsvWriter::crlf(), rows.iter(), true).map_err(err)
}

pub fn profiles(rows: &[ProfileRow]) -> AppResult<Vec<u8>> {
    report::profiles_csv(CsvWriter::crlf(), rows).map_err(err)
}

pub fn items(rows: &[ItemRow]) -> AppResult<Vec<u8>> {
    report::items_csv(CsvWriter::crlf(), rows).map_err(err)
}
