//! Reading user files: every problem names the row, the column and the value.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use survey_engine::instrument::builtin;
use survey_engine::Instrument;

/// Input the user must fix; the process exits with code 2.
#[derive(Debug)]
pub struct InputError(pub Vec<String>);

impl InputError {
    pub fn one(message: impl Into<String>) -> Self {
        InputError(vec![message.into()])
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} problems:", many.len())?;
                for m in many {
                    write!(f, "\n  {m}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for InputError {}

/// Loads an instrument from a TOML file or a built-in id.
pub fn load_instrument(spec: &str) -> anyhow::Result<Instrument> {
    let path = Path::new(spec);
    let source = if path.is_file() {
        std::fs::read_to_string(path).with_context(|| format!("reading {spec}"))?
    } else if let Some(src) = builtin::source(spec) {
        src.to_string()
    } else {
        return Err(InputError::one(format!(
            "instrument \"{spec}\" is neither a file nor a built-in instrument ({})",
            builtin::IDS.join(", ")
        ))
        .into());
    };
    Instrument::parse(&source).map_err(|e| InputError::one(format!("{spec}: {e}")).into())
}

/// Errors past this many are summarised: the user fixes the first ones first anyway.
const MAX_LISTED: usize = 50;

/// A responses CSV read against an instrument.
pub struct ResponseTable {
    /// Headers of the columns that are not items, in file order.
    pub passthrough_headers: Vec<String>,
    pub rows: Vec<ResponseRow>,
    /// Instrument items with no column.
    pub missing_items: Vec<String>,
}

pub struct ResponseRow {
    pub passthrough: Vec<String>,
    /// One entry per instrument item; `None` for a skipped or absent item.
    pub answers: Vec<Option<i32>>,
}

/// Reads and validates a whole responses file; any bad cell fails the whole file.
pub fn read_responses(path: &Path, instrument: &Instrument) -> anyhow::Result<ResponseTable> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| InputError::one(format!("{}: cannot read the header: {e}", path.display())))?
        .clone();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for h in &headers {
        if !seen.insert(h) {
            problems.push(format!("header, column \"{h}\": the column appears twice"));
        }
    }
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        problems.push("header: the file has no header row".to_string());
    }
    if !problems.is_empty() {
        return Err(InputError(problems).into());
    }
    // For each column: Some(item index) or None for passthrough.
    let columns: Vec<Option<usize>> = headers.iter().map(|h| instrument.item_index(h)).collect();
    let passthrough_headers = headers
        .iter()
        .zip(&columns)
        .filter(|(_, c)| c.is_none())
        .map(|(h, _)| h.to_string())
        .collect();
    let missing_items = instrument
        .items
        .iter()
        .filter(|item| !headers.iter().any(|h| h == item.id))
        .map(|item| item.id.clone())
        .collect();

    let scale = &instrument.response_scale;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("row {row}: {e}"));
                continue;
            }
        };
        if record.len() != headers.len() {
            problems.push(format!(
                "row {row}: has {} fields, the header has {}",
                record.len(),
                headers.len()
            ));
            continue;
        }
        let mut out = ResponseRow {
            passthrough: Vec::new(),
            answers: vec![None; instrument.items.len()],
        };
        for ((cell, column), header) in record.iter().zip(&columns).zip(&headers) {
            let Some(item) = *column else {
                out.passthrough.push(cell.to_string());
                continue;
            };
            let value = cell.trim();
            if value.is_empty() {
                continue;
            }
            match value.parse::<i32>() {
                Ok(v) if scale.contains(v) => {
                    if let Some(slot) = out.answers.get_mut(item) {
                        *slot = Some(v);
                    }
                }
                Ok(_) => problems.push(format!(
                    "row {row}, column \"{header}\": value \"{cell}\" is not on the scale {}..{}",
                    scale.min, scale.max
                )),
                Err(_) => problems.push(format!(
                    "row {row}, column \"{header}\": value \"{cell}\" is not a whole number on the scale {}..{}",
                    scale.min, scale.max
                )),
            }
        }
        rows.push(out);
    }
    if !problems.is_empty() {
        let total = problems.len();
        if total > MAX_LISTED {
            problems.truncate(MAX_LISTED);
            problems.push(format!("... and {} more", total - MAX_LISTED));
        }
        return Err(InputError(problems).into());
    }
    Ok(ResponseTable {
        passthrough_headers,
        rows,
        missing_items,
    })
}
