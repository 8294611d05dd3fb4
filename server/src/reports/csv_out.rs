//! Report CSVs: RFC 4180, UTF-8, written by the project's one CSV writer
//! ([`survey_engine::csv_out`]), which guards every cell against spreadsheet formulas.

use survey_engine::csv_out::CsvWriter;
use survey_engine::release::HEATMAP_HEADER;

use super::{HeatRecord, ItemRecord, ProfileRecord};
use crate::error::{AppError, AppResult};

/// Figures as the engine's own CSV writes them (no `-0.00`, nothing for a non-finite value).
fn num(x: Option<f64>, decimals: usize) -> String {
    survey_engine::format::opt(x, decimals)
}

fn writer() -> CsvWriter {
    CsvWriter::crlf()
}

fn finish(w: CsvWriter) -> AppResult<Vec<u8>> {
    w.finish().map_err(err)
}

fn err(e: csv::Error) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("writing CSV: {e}"))
}

/// The heat-map CSV contract plus `delta_prev` at the end.
pub fn heatmap(records: &[HeatRecord]) -> AppResult<Vec<u8>> {
    let mut w = writer();
    let mut header: Vec<&str> = HEATMAP_HEADER.to_vec();
    header.push("delta_prev");
    w.record(&header).map_err(err)?;
    for r in records {
        w.record([
            r.wave.clone(),
            r.unit.clone(),
            r.cut.clone(),
            r.scale.clone(),
            r.status.to_string(),
            r.respondents.map(|n| n.to_string()).unwrap_or_default(),
            num(r.mean, 2),
            num(r.sd, 2),
            num(r.ci_low, 2),
            num(r.ci_high, 2),
            num(r.favorable_pct, 1),
            num(r.delta_org, 2),
            r.significant.map(|b| b.to_string()).unwrap_or_default(),
            num(r.delta_prev, 2),
        ])
        .map_err(err)?;
    }
    finish(w)
}

pub fn profiles(records: &[ProfileRecord]) -> AppResult<Vec<u8>> {
    let mut w = writer();
    w.record(survey_engine::release::PROFILES_HEADER)
        .map_err(err)?;
    for r in records {
        let mut row = vec![
            r.wave.clone(),
            r.unit.clone(),
            r.cut.clone(),
            r.status.to_string(),
            r.respondents.map(|n| n.to_string()).unwrap_or_default(),
        ];
        match &r.percent {
            Some(p) => row.extend(p.iter().map(|(_, v)| num(Some(*v), 1))),
            None => row.extend(std::iter::repeat_n(String::new(), 6)),
        }
        w.record(&row).map_err(err)?;
    }
    finish(w)
}

pub fn items(records: &[ItemRecord]) -> AppResult<Vec<u8>> {
    let mut w = writer();
    w.record([
        "wave",
        "unit",
        "scale",
        "item",
        "status",
        "respondents",
        "mean",
        "sd",
        "pct",
    ])
    .map_err(err)?;
    for r in records {
        let pct: Vec<String> = r.pct.iter().map(|p| num(*p, 1)).collect();
        w.record([
            r.wave.clone(),
            r.unit.clone(),
            r.scale.clone(),
            r.item.clone(),
            r.status.to_string(),
            r.respondents.map(|n| n.to_string()).unwrap_or_default(),
            num(r.mean, 2),
            num(r.sd, 2),
            pct.join(" "),
        ])
        .map_err(err)?;
    }
    finish(w)
}
