//! CSV exports: RFC 4180, UTF-8. Text cells (wave, unit, cut, scale, item names) starting with
//! `=`, `+`, `-`, `@`, tab or carriage return get a leading `'` so that a spreadsheet shows
//! them as text instead of running them as formulas. Figures are written by this program as
//! plain decimal numbers and are never guarded, so a negative delta stays a number.

use survey_engine::release::HEATMAP_HEADER;

use super::{HeatRecord, ItemRecord, ProfileRecord};
use crate::error::{AppError, AppResult};

/// A text cell made safe for spreadsheets.
pub fn guard(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// Figures as the engine's own CSV writes them (no `-0.00`, nothing for a non-finite value).
fn num(x: Option<f64>, decimals: usize) -> String {
    survey_engine::format::opt(x, decimals)
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> AppResult<Vec<u8>> {
    w.into_inner()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("writing CSV: {e}")))
}

fn err(e: csv::Error) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("writing CSV: {e}"))
}

/// The heat-map CSV contract plus `delta_prev` at the end.
pub fn heatmap(records: &[HeatRecord]) -> AppResult<Vec<u8>> {
    let mut w = writer();
    let mut header: Vec<&str> = HEATMAP_HEADER.to_vec();
    header.push("delta_prev");
    w.write_record(&header).map_err(err)?;
    for r in records {
        w.write_record([
            guard(&r.wave),
            guard(&r.unit),
            guard(&r.cut),
            guard(&r.scale),
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
    w.write_record(survey_engine::release::PROFILES_HEADER)
        .map_err(err)?;
    for r in records {
        let mut row = vec![
            guard(&r.wave),
            guard(&r.unit),
            guard(&r.cut),
            r.status.to_string(),
            r.respondents.map(|n| n.to_string()).unwrap_or_default(),
        ];
        match &r.percent {
            Some(p) => row.extend(p.iter().map(|(_, v)| num(Some(*v), 1))),
            None => row.extend(std::iter::repeat_n(String::new(), 6)),
        }
        w.write_record(&row).map_err(err)?;
    }
    finish(w)
}

pub fn items(records: &[ItemRecord]) -> AppResult<Vec<u8>> {
    let mut w = writer();
    w.write_record([
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
        w.write_record([
            guard(&r.wave),
            guard(&r.unit),
            guard(&r.scale),
            guard(&r.item),
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

#[cfg(test)]
mod tests {
    use super::guard;

    #[test]
    fn formula_starts_are_quoted_and_plain_text_is_not() {
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for s in ["+1", "-1", "@a", "\tx", "\rx"] {
            assert_eq!(guard(s), format!("'{s}"));
        }
        assert_eq!(guard("Acme/Sales"), "Acme/Sales");
    }
}
