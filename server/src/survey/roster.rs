//! The roster: who is invited, in which unit, with which report attributes. Imported from
//! CSV (`email,unit[,attribute...]`) all or nothing: the whole file is checked first and a
//! single bad row means nothing is written.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;
use survey_engine::csv_out::CsvWriter;
use survey_engine::org::OrgTree;

use crate::db::schema::{people, units};
use crate::db::{new_id, Attributes, DbConn};
use crate::error::{AppError, AppResult};
use crate::{db_run, db_write};

/// One checked roster row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    pub email: String,
    pub unit: String,
    pub attributes: BTreeMap<String, String>,
}

/// A checked roster file.
#[derive(Debug, Clone)]
pub struct Roster {
    pub attribute_names: Vec<String>,
    pub rows: Vec<RosterRow>,
}

/// Reads and checks a whole roster file. Every bad row is listed with its line number.
pub fn parse(csv_text: &[u8]) -> AppResult<Roster> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::validation(format!("line 1: cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for h in &headers {
        if h.is_empty() {
            problems.push("line 1: a column has an empty header".to_string());
        } else if !seen.insert(h.to_ascii_lowercase()) {
            problems.push(format!("line 1: column \"{h}\" appears twice"));
        }
    }
    let email_col = headers.iter().position(|h| h.eq_ignore_ascii_case("email"));
    let unit_col = headers.iter().position(|h| h.eq_ignore_ascii_case("unit"));
    if email_col.is_none() {
        problems.push("line 1: the header has no \"email\" column".to_string());
    }
    if unit_col.is_none() {
        problems.push("line 1: the header has no \"unit\" column".to_string());
    }
    let (Some(email_col), Some(unit_col)) = (email_col, unit_col) else {
        return Err(AppError::Validation(problems));
    };
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let attribute_cols: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != email_col && *i != unit_col)
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
                rows.push(RosterRow {
                    email,
                    unit: canonical,
                    attributes,
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
    pub updated: usize,
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
    db_write!(conn, |c| {
        let existing_units: Vec<(String, String)> =
            units::table.select((units::path, units::id)).load(c)?;
        let mut unit_ids: HashMap<String, String> = existing_units.into_iter().collect();
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
        let mut new_units: Vec<(String, Option<String>, String, String)> = Vec::new();
        for row in &roster.rows {
            let mut parent: Option<String> = None;
            let mut path = String::new();
            for name in row.unit.split('/') {
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(name);
                let id = match unit_ids.get(&path) {
                    Some(id) => id.clone(),
                    None => {
                        let id = new_id();
                        unit_ids.insert(path.clone(), id.clone());
                        new_units.push((
                            id.clone(),
                            parent.clone(),
                            name.to_string(),
                            path.clone(),
                        ));
                        id
                    }
                };
                parent = Some(id);
            }
        }

        let existing_people: Vec<(String, String, String, String)> = people::table
            .select((
                people::id,
                people::email,
                people::unit_id,
                people::attributes,
            ))
            .load(c)?;
        let by_email: HashMap<&str, (&str, &str, &str)> = existing_people
            .iter()
            .map(|(id, e, u, a)| (e.as_str(), (id.as_str(), u.as_str(), a.as_str())))
            .collect();
        let mut report = ImportReport {
            units_created: new_units.len(),
            pruned: prune,
            ..ImportReport::default()
        };
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for row in &roster.rows {
            let unit_id = unit_ids.get(&row.unit).cloned().unwrap_or_default();
            let attributes = serde_json::to_string(&row.attributes)
                .map_err(|e| AppError::Unexpected(e.into()))?;
            match by_email.get(row.email.as_str()) {
                None => inserts.push((new_id(), row.email.clone(), unit_id, attributes)),
                Some((id, u, a)) if *u != unit_id || *a != attributes => {
                    updates.push((id.to_string(), unit_id, attributes))
                }
                Some(_) => report.unchanged += 1,
            }
        }
        let in_file: HashSet<&str> = roster.rows.iter().map(|r| r.email.as_str()).collect();
        let mut absent: Vec<(String, String)> = existing_people
            .iter()
            .filter(|(_, e, _, _)| !in_file.contains(e.as_str()))
            .map(|(id, e, _, _)| (id.clone(), e.clone()))
            .collect();
        absent.sort_by(|a, b| a.1.cmp(&b.1));
        report.added = inserts.len();
        report.updated = updates.len();
        report.absent = absent.iter().map(|(_, e)| e.clone()).collect();
        if dry_run {
            return Ok(report);
        }

        for chunk in new_units.chunks(BATCH) {
            let values: Vec<_> = chunk
                .iter()
                .map(|(id, parent, name, path)| {
                    (
                        units::id.eq(id),
                        units::parent_id.eq(parent.as_ref()),
                        units::name.eq(name),
                        units::path.eq(path),
                    )
                })
                .collect();
            diesel::insert_into(units::table)
                .values(values)
                .execute(c)?;
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
        if prune {
            for chunk in absent.chunks(BATCH) {
                let ids: Vec<&String> = chunk.iter().map(|(id, _)| id).collect();
                diesel::delete(people::table.filter(people::id.eq_any(ids))).execute(c)?;
            }
        }
        Ok(report)
    })
}

/// The roster as CSV, in the import format: `email,unit,<attributes...>`.
pub fn export(conn: &mut DbConn) -> AppResult<Vec<u8>> {
    let rows: Vec<(String, String, Attributes)> = db_run!(conn, |c| people::table
        .inner_join(units::table)
        .select((people::email, units::path, people::attributes))
        .order(people::email)
        .load(c))?;
    let parsed: Vec<(String, String, BTreeMap<String, String>)> =
        rows.into_iter().map(|(e, u, a)| (e, u, a.0)).collect();
    let mut names: Vec<String> = parsed
        .iter()
        .flat_map(|(_, _, a)| a.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    names.retain(|n| n != "email" && n != "unit");
    // Guarded like every CSV the project writes: a value a spreadsheet would run as a formula
    // comes back with a leading `'`.
    let mut w = CsvWriter::lf();
    let mut header = vec!["email".to_string(), "unit".to_string()];
    header.extend(names.iter().cloned());
    w.record(&header)
        .map_err(|e| AppError::Unexpected(e.into()))?;
    for (email, unit, attrs) in parsed {
        let mut record = vec![email, unit];
        record.extend(
            names
                .iter()
                .map(|n| attrs.get(n).cloned().unwrap_or_default()),
        );
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
