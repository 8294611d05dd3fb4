//! The roster: who is invited, in which unit, with which report attributes. Imported from
//! CSV (`email,unit[,attribute...]`) all or nothing: the whole file is checked first and a
//! single bad row means nothing is written.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;
use survey_engine::csv_out::CsvWriter;
use survey_engine::org::OrgTree;

use crate::db::schema::{audit_log, people, units};
use crate::db::{new_id, Attributes, DbConn, PersonId, UnitId};
use crate::error::{AppError, AppResult};
use crate::{db_run, db_write};

/// A unit of the roster's tree, as stored: the organisation as the roster last described it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = units)]
// Plain values, never DEFAULT: SQLite inserts a batch of them in one statement inside the
// caller's transaction, instead of row by row in a transaction of diesel's own.
#[diesel(treat_none_as_default_value = false)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct UnitRow {
    pub id: UnitId,
    pub parent_id: Option<UnitId>,
    pub name: String,
    /// `Acme/Eng/Platform`: unique, and sorting parents before their children.
    pub path: String,
}

/// A person of the roster, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = people)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PersonRow {
    pub id: PersonId,
    pub email: String,
    pub unit_id: UnitId,
    pub attributes: Attributes,
    pub name: Option<String>,
}

/// One line of the roster export: a person with their unit's path.
#[derive(Queryable, Selectable)]
#[diesel(table_name = people)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct ExportRow {
    email: String,
    #[diesel(select_expression = units::path)]
    unit_path: String,
    attributes: Attributes,
    name: Option<String>,
}

/// One checked roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    pub email: String,
    pub unit: String,
    pub attributes: BTreeMap<String, String>,
    /// The optional `name` column: used only to remove colleagues' names from comments.
    pub name: Option<String>,
}

/// A checked roster file.
#[derive(Debug, Clone)]
pub struct Roster {
    pub attribute_names: Vec<String>,
    pub rows: Vec<RosterRow>,
}

/// The text with every line ending (CRLF from Windows and Excel, a bare CR from old Macs) as
/// LF: the CSV reader numbers lines by LF, and a problem must name the line as an editor
/// shows it.
fn lf_line_ends(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' {
            if bytes.peek() == Some(&&b'\n') {
                bytes.next();
            }
            out.push(b'\n');
        } else {
            out.push(b);
        }
    }
    out
}

/// How to save a spreadsheet as the CSV the import reads.
const SAVE_AS_UTF8: &str = "save it as UTF-8: in Excel, \"Save As\" and choose \"CSV UTF-8 (Comma delimited)\"; in LibreOffice, \"Save As\", \"Text CSV\", then \"Character set: Unicode (UTF-8)\"; in Numbers or Google Sheets, export as CSV (always UTF-8)";

/// The file's text without a UTF-8 byte order mark (Excel's "CSV UTF-8" writes one), or why
/// it is not UTF-8: a UTF-16 file (Excel's "Unicode Text", PowerShell's default) or a legacy
/// 8-bit one (Excel's plain "CSV" is Windows-1252 / Latin-1), named with the line of the
/// first byte that is not UTF-8.
pub fn utf8_text(bytes: &[u8]) -> AppResult<&[u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf16 = bytes.starts_with(b"\xFF\xFE")
        || bytes.starts_with(b"\xFE\xFF")
        // Without a byte order mark: ASCII text in UTF-16 has a zero byte in every pair.
        || (bytes.len() >= 4 && bytes.iter().take(512).filter(|&&b| b == 0).count() * 4 >= bytes.len().min(512));
    if utf16 {
        return Err(AppError::validation(format!(
            "line 1: the file is UTF-16 text, not UTF-8; {SAVE_AS_UTF8}"
        )));
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(bytes),
        Err(e) => {
            let at = e.valid_up_to();
            // Lines as an editor counts them: CRLF, CR or LF each end one.
            let line = 1 + lf_line_ends(&bytes[..at])
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            let byte = bytes.get(at).copied().unwrap_or_default();
            Err(AppError::validation(format!(
                "line {line}: the file is not UTF-8 (byte 0x{byte:02X} is not UTF-8; the file was probably saved as Latin-1 or Windows-1252, Excel's plain \"CSV\"); {SAVE_AS_UTF8}"
            )))
        }
    }
}

/// Reads and checks a whole roster file. Every bad row is listed with its line number.
pub fn parse(csv_text: &[u8]) -> AppResult<Roster> {
    let text = lf_line_ends(utf8_text(csv_text)?);
    // The reader skips empty lines before the header.
    let header_line = 1 + text
        .split(|&b| b == b'\n')
        .take_while(|l| l.is_empty())
        .count();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&text[..]);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| {
            AppError::validation(format!("line {header_line}: cannot read the header: {e}"))
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for h in &headers {
        if h.is_empty() {
            problems.push(format!("line {header_line}: a column has an empty header"));
        } else if !seen.insert(h.to_ascii_lowercase()) {
            problems.push(format!("line {header_line}: column \"{h}\" appears twice"));
        }
    }
    let email_col = headers.iter().position(|h| h.eq_ignore_ascii_case("email"));
    let unit_col = headers.iter().position(|h| h.eq_ignore_ascii_case("unit"));
    if email_col.is_none() {
        problems.push(format!(
            "line {header_line}: the header has no \"email\" column"
        ));
    }
    if unit_col.is_none() {
        problems.push(format!(
            "line {header_line}: the header has no \"unit\" column"
        ));
    }
    let (Some(email_col), Some(unit_col)) = (email_col, unit_col) else {
        return Err(AppError::Validation(problems));
    };
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    // `name` is no report attribute: it only serves the redaction of comments.
    let name_col = headers.iter().position(|h| h.eq_ignore_ascii_case("name"));
    let attribute_cols: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != email_col && *i != unit_col && Some(*i) != name_col)
        .map(|(i, h)| (i, h.clone()))
        .collect();

    let mut rows = Vec::new();
    let mut emails: HashMap<String, u64> = HashMap::new();
    let mut root: Option<String> = None;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != headers.len() {
            problems.push(format!(
                "line {line}: wrong number of columns: {} instead of {}",
                record.len(),
                headers.len()
            ));
            continue;
        }
        let email = record
            .get(email_col)
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        let unit = record.get(unit_col).unwrap_or_default().trim().to_string();
        if email.is_empty() {
            problems.push(format!("line {line}: email is empty"));
        } else if !email_address::EmailAddress::is_valid(&email) {
            problems.push(format!(
                "line {line}: \"{email}\" is not a valid email address"
            ));
        } else if let Some(first) = emails.insert(email.clone(), line) {
            problems.push(format!(
                "line {line}: duplicate email \"{email}\" (first on line {first})"
            ));
        }
        match OrgTree::segments(&unit) {
            Ok(segments) => {
                let canonical = segments.join("/");
                let this_root = segments.first().map(|s| s.to_string()).unwrap_or_default();
                match &root {
                    None => root = Some(this_root),
                    Some(r) if *r != this_root => problems.push(format!(
                        "line {line}: unit \"{unit}\" is not under the organisation root \"{r}\""
                    )),
                    Some(_) => {}
                }
                let attributes = attribute_cols
                    .iter()
                    .filter_map(|(i, name)| {
                        let v = record.get(*i).unwrap_or_default().trim();
                        (!v.is_empty()).then(|| (name.clone(), v.to_string()))
                    })
                    .collect();
                let name = name_col
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string);
                rows.push(RosterRow {
                    email,
                    unit: canonical,
                    attributes,
                    name,
                });
            }
            Err(reason) => problems.push(format!("line {line}: unit: {reason}")),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok(Roster {
        attribute_names: attribute_cols.into_iter().map(|(_, h)| h).collect(),
        rows,
    })
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    /// People whose unit or attributes change: `moved + changed`.
    pub updated: usize,
    /// People whose unit changes (their attributes may change too).
    pub moved: usize,
    /// People who stay in their unit but whose attributes change.
    pub changed: usize,
    pub unchanged: usize,
    pub units_created: usize,
    /// People in the database but not in the file.
    pub absent: Vec<String>,
    pub pruned: bool,
}

/// Rows per INSERT statement (SQLite allows 32,766 bound values).
const BATCH: usize = 2_000;

/// Applies a checked roster in one transaction.
pub fn import(
    conn: &mut DbConn,
    roster: &Roster,
    dry_run: bool,
    prune: bool,
) -> AppResult<ImportReport> {
    apply(conn, roster, dry_run, prune, None)
}

/// Imports a checked roster for `actor` and records an "import roster" audit entry with its
/// counts (no emails) in the same transaction: there is no import without its entry.
pub fn import_audited(
    conn: &mut DbConn,
    roster: &Roster,
    prune: bool,
    actor: &str,
) -> AppResult<ImportReport> {
    apply(conn, roster, false, prune, Some(actor))
}

impl ImportReport {
    /// The counts in words, for the audit log.
    pub fn audit_detail(&self) -> String {
        let absent = if self.pruned {
            "removed"
        } else {
            "kept_not_in_file"
        };
        format!(
            "added={} moved={} changed={} unchanged={} {absent}={} units_created={}",
            self.added,
            self.moved,
            self.changed,
            self.unchanged,
            self.absent.len(),
            self.units_created
        )
    }
}

fn apply(
    conn: &mut DbConn,
    roster: &Roster,
    dry_run: bool,
    prune: bool,
    audit_actor: Option<&str>,
) -> AppResult<ImportReport> {
    db_write!(conn, |c| {
        let existing_units: Vec<UnitRow> = units::table.select(UnitRow::as_select()).load(c)?;
        let mut unit_ids: HashMap<String, UnitId> =
            existing_units.into_iter().map(|u| (u.path, u.id)).collect();
        if let Some(row) = roster.rows.first() {
            let root = row.unit.split('/').next().unwrap_or_default();
            if let Some(existing_root) = unit_ids.keys().find(|p| !p.contains('/')) {
                if existing_root != root {
                    return Err(AppError::validation(format!(
                        "the roster's root \"{root}\" is not the organisation root \"{existing_root}\""
                    )));
                }
            }
        }
        let mut new_units: Vec<UnitRow> = Vec::new();
        for row in &roster.rows {
            let mut parent: Option<UnitId> = None;
            let mut path = String::new();
            for name in row.unit.split('/') {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(name);
                let id = match unit_ids.get(&path) {
                    Some(id) => id.clone(),
                    None => {
                        let id = UnitId::new();
                        unit_ids.insert(path.clone(), id.clone());
                        new_units.push(UnitRow {
                            id: id.clone(),
                            parent_id: parent.clone(),
                            name: name.to_string(),
                            path: path.clone(),
                        });
                        id
                    }
                };
                parent = Some(id);
            }
        }

        let existing_people: Vec<PersonRow> =
            people::table.select(PersonRow::as_select()).load(c)?;
        let by_email: HashMap<&str, &PersonRow> = existing_people
            .iter()
            .map(|p| (p.email.as_str(), p))
            .collect();
        let mut report = ImportReport {
            units_created: new_units.len(),
            pruned: prune,
            ..ImportReport::default()
        };
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for row in &roster.rows {
            // Every unit of the file is in `unit_ids` by now: known, or created above.
            let unit_id = unit_ids.get(&row.unit).cloned().ok_or_else(|| {
                AppError::Unexpected(anyhow::anyhow!("unit \"{}\" was not created", row.unit))
            })?;
            let attributes = serde_json::to_string(&row.attributes)
                .map_err(|e| AppError::Unexpected(e.into()))?;
            match by_email.get(row.email.as_str()) {
                None => inserts.push((PersonId::new(), row.email.clone(), unit_id, attributes)),
                Some(p) if p.unit_id != unit_id => {
                    report.moved += 1;
                    updates.push((p.id.clone(), unit_id, attributes))
                }
                // A new name counts as a change (a file without the column keeps the names).
                Some(p)
                    if p.attributes.0 != row.attributes
                        || (row.name.is_some() && p.name != row.name) =>
                {
                    report.changed += 1;
                    updates.push((p.id.clone(), unit_id, attributes))
                }
                Some(_) => report.unchanged += 1,
            }
        }
        let in_file: HashSet<&str> = roster.rows.iter().map(|r| r.email.as_str()).collect();
        let mut absent: Vec<&PersonRow> = existing_people
            .iter()
            .filter(|p| !in_file.contains(p.email.as_str()))
            .collect();
        absent.sort_by(|a, b| a.email.cmp(&b.email));
        report.added = inserts.len();
        report.updated = updates.len();
        report.absent = absent.iter().map(|p| p.email.clone()).collect();
        if dry_run {
            return Ok(report);
        }

        for chunk in new_units.chunks(BATCH) {
            diesel::insert_into(units::table).values(chunk).execute(c)?;
        }
        for chunk in inserts.chunks(BATCH) {
            let values: Vec<_> = chunk
                .iter()
                .map(|(id, email, unit, attrs)| {
                    (
                        people::id.eq(id),
                        people::email.eq(email),
                        people::unit_id.eq(unit),
                        people::attributes.eq(attrs),
                    )
                })
                .collect();
            diesel::insert_into(people::table)
                .values(values)
                .execute(c)?;
        }
        for (id, unit, attrs) in &updates {
            diesel::update(people::table.find(id))
                .set((people::unit_id.eq(unit), people::attributes.eq(attrs)))
                .execute(c)?;
        }
        // Names (the optional column) for the redaction of comments; a file without the
        // column leaves the stored names alone.
        for row in roster.rows.iter().filter(|r| r.name.is_some()) {
            diesel::update(people::table.filter(people::email.eq(&row.email)))
                .set(people::name.eq(&row.name))
                .execute(c)?;
        }
        if prune {
            for chunk in absent.chunks(BATCH) {
                let ids: Vec<&PersonId> = chunk.iter().map(|p| &p.id).collect();
                diesel::delete(people::table.filter(people::id.eq_any(ids))).execute(c)?;
            }
        }
        if let Some(actor) = audit_actor {
            diesel::insert_into(audit_log::table)
                .values((
                    audit_log::id.eq(new_id()),
                    audit_log::at.eq(crate::clock::now()),
                    audit_log::actor.eq(actor),
                    audit_log::action.eq("import roster"),
                    audit_log::detail.eq(report.audit_detail()),
                ))
                .execute(c)?;
        }
        Ok(report)
    })
}

/// The roster as CSV, in the import format: `email,unit,<attributes...>`, and `name` last when
/// any person has one (so an export imported again keeps the names).
pub fn export(conn: &mut DbConn) -> AppResult<Vec<u8>> {
    let rows: Vec<ExportRow> = db_run!(conn, |c| people::table
        .inner_join(units::table)
        .select(ExportRow::as_select())
        .order(people::email)
        .load(c))?;
    let mut names: Vec<String> = rows
        .iter()
        .flat_map(|r| r.attributes.0.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    names.retain(|n| n != "email" && n != "unit" && n != "name");
    let with_names = rows.iter().any(|r| r.name.is_some());
    // Guarded like every CSV the project writes: a value a spreadsheet would run as a formula
    // comes back with a leading `'`.
    let mut w = CsvWriter::lf();
    let mut header = vec!["email".to_string(), "unit".to_string()];
    header.extend(names.iter().cloned());
    if with_names {
        header.push("name".to_string());
    }
    w.record(&header)
        .map_err(|e| AppError::Unexpected(e.into()))?;
    for row in rows {
        let attributes = row.attributes.0;
        let mut record = vec![row.email, row.unit_path];
        record.extend(
            names
                .iter()
                .map(|n| attributes.get(n).cloned().unwrap_or_default()),
        );
        if with_names {
            record.push(row.name.unwrap_or_default());
        }
        w.record(&record)
            .map_err(|e| AppError::Unexpected(e.into()))?;
    }
    w.finish().map_err(|e| AppError::Unexpected(e.into()))
}

/// Report attribute names known from the roster.
pub fn attribute_names(conn: &mut DbConn) -> AppResult<Vec<String>> {
    let rows: Vec<Attributes> =
        db_run!(conn, |c| people::table.select(people::attributes).load(c))?;
    let mut names = std::collections::BTreeSet::new();
    for a in rows {
        names.extend(a.0.into_keys());
    }
    Ok(names.into_iter().collect())
}

/// How many people the roster holds, in how many units that have people of their own.
pub fn size(conn: &mut DbConn) -> AppResult<(i64, i64)> {
    let people: i64 = db_run!(conn, |c| people::table.count().get_result(c))?;
    let units: i64 = db_run!(conn, |c| people::table
        .select(diesel::dsl::count(people::unit_id).aggregate_distinct())
        .first(c))?;
    Ok((people, units))
}

/// Every name of the roster (its optional `name` column), for the redaction of comments.
pub fn names(conn: &mut DbConn) -> AppResult<Vec<String>> {
    let names: Vec<Option<String>> = db_run!(conn, |c| people::table
        .filter(people::name.is_not_null())
        .select(people::name)
        .load(c))?;
    Ok(names.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(bytes: &[u8]) -> String {
        match utf8_text(bytes) {
            Err(AppError::Validation(p)) => p.join("; "),
            other => panic!("expected a problem, got {other:?}"),
        }
    }

    #[test]
    fn utf8_with_or_without_a_byte_order_mark_is_read() {
        assert_eq!(utf8_text(b"email,unit\n").unwrap(), b"email,unit\n");
        assert_eq!(
            utf8_text("\u{feff}email,unit\nä@x.org,A\n".as_bytes()).unwrap(),
            "email,unit\nä@x.org,A\n".as_bytes()
        );
        let parsed = parse("\u{feff}email,unit\nann@x.org,Acme\n".as_bytes()).unwrap();
        assert_eq!(parsed.rows[0].email, "ann@x.org");
    }

    #[test]
    fn latin1_and_utf16_are_named_with_how_to_save_as_utf8() {
        let latin1 = problem(b"email,unit\nann@x.org,M\xfcnchen\n");
        assert!(
            latin1.starts_with("line 2: the file is not UTF-8"),
            "{latin1}"
        );
        assert!(latin1.contains("Latin-1") && latin1.contains("CSV UTF-8"));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("email,unit\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert!(problem(&utf16).contains("UTF-16"));
        let no_bom: Vec<u8> = "email,unit\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(problem(&no_bom).contains("UTF-16"));
    }
}
