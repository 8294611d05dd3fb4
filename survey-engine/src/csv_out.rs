//! The project's one CSV writer. Every CSV Worklife writes (the `score` command's outputs,
//! report and action-plan downloads, the API's CSV, the roster export) goes through
//! [`CsvWriter`], which guards every cell the same way: a cell a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, and
//! a plain number such as `-0.42` is left alone, since a spreadsheet reads it as a number.

use std::borrow::Cow;

/// A CSV document built in memory and handed out whole, so a failure leaves no half file.
pub struct CsvWriter {
    inner: csv::Writer<Vec<u8>>,
}

impl CsvWriter {
    /// RFC 4180 line ends (CRLF): downloads and exports.
    pub fn crlf() -> CsvWriter {
        CsvWriter::with(csv::Terminator::CRLF)
    }

    /// `\n` line ends: what the `score` command and the roster export have always written.
    pub fn lf() -> CsvWriter {
        CsvWriter::with(csv::Terminator::Any(b'\n'))
    }

    fn with(terminator: csv::Terminator) -> CsvWriter {
        CsvWriter {
            inner: csv::WriterBuilder::new()
                .terminator(terminator)
                .from_writer(Vec::new()),
        }
    }

    /// Writes one record, each cell through [`guard`].
    pub fn record<I, S>(&mut self, cells: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        // Field by field, so that a safe cell (nearly all of them) is written without a copy;
        // an empty record after fields ends the record (the csv crate's documented way).
        for cell in cells {
            self.inner.write_field(guard(cell.as_ref()).as_bytes())?;
        }
        self.inner.write_record(None::<&[u8]>)
    }

    /// The document's bytes.
    pub fn finish(self) -> Result<Vec<u8>, csv::Error> {
        self.inner
            .into_inner()
            .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
    }
}

/// A cell made safe for spreadsheets (see the module's comment).
pub fn guard(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let frac = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formula_starts_are_quoted_and_numbers_kept() {
        let risky_cells = [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-2+3+cmd|' /C calc'!A0",
            "-1.",
            "-",
            "--1",
            "-1e5",
            "-.5",
        ];
        for risky in risky_cells {
            assert_eq!(guard(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["-0.42", "-1", "12.5", "0", "plain", "Acme/Sales", "", "a=b"] {
            assert_eq!(guard(safe), safe, "{safe:?}");
        }
    }

    #[test]
    fn every_cell_is_guarded_and_line_ends_are_chosen() {
        let mut w = CsvWriter::crlf();
        w.record(["unit", "mean"]).unwrap();
        w.record(["=HYPERLINK(\"x\")", "-0.50"]).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(text, "unit,mean\r\n\"'=HYPERLINK(\"\"x\"\")\",-0.50\r\n");
        let mut w = CsvWriter::lf();
        w.record(["+1 555", "@x"]).unwrap();
        assert_eq!(w.finish().unwrap(), b"'+1 555,'@x\n");
    }
}
