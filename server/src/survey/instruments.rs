//! Instruments kept in the database, by key `id@version`; the built-ins are imported on
//! first use so a fresh database can run a wave at once.

use diesel::prelude::*;
use survey_engine::instrument::builtin;
use survey_engine::Instrument;

use crate::db::schema::instruments;
use crate::db::DbConn;
use crate::db_run;
use crate::error::{AppError, AppResult};

/// An instrument as listed: its key and what the key stands for (the source is read only
/// when the instrument is used).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = instruments)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct StoredInstrument {
    /// `id@version`, the table's key.
    #[diesel(column_name = id)]
    pub key: String,
    #[diesel(column_name = instrument_id)]
    pub id: String,
    pub version: i32,
    pub title: String,
}

pub fn key(instrument: &Instrument) -> String {
    format!("{}@{}", instrument.id, instrument.version)
}

/// Validates and stores an instrument. Re-importing the same text is a no-op; a different
/// text under an existing id and version is refused (published versions never change).
pub fn import(conn: &mut DbConn, source: &str) -> AppResult<StoredInstrument> {
    let parsed = Instrument::parse(source).map_err(|e| match e {
        survey_engine::EngineError::InvalidInstrument(problems) => {
            AppError::Validation(problems.iter().map(ToString::to_string).collect())
        }
        other => AppError::validation(other.to_string()),
    })?;
    let k = key(&parsed);
    let version =
        i32::try_from(parsed.version).map_err(|_| AppError::validation("version: too large"))?;
    let existing: Option<String> = db_run!(conn, |c| instruments::table
        .find(&k)
        .select(instruments::source)
        .first(c)
        .optional())?;
    match existing {
        Some(s) if s == source => {}
        Some(_) => {
            return Err(AppError::Conflict(format!(
                "instrument {k} is already imported with different content; give the new text a new version"
            )))
        }
        None => {
            db_run!(conn, |c| diesel::insert_into(instruments::table)
                .values((
                    instruments::id.eq(&k),
                    instruments::instrument_id.eq(&parsed.id),
                    instruments::version.eq(version),
                    instruments::title.eq(&parsed.title),
                    instruments::source.eq(source),
                ))
                .execute(c))?;
        }
    }
    Ok(StoredInstrument {
        key: k,
        id: parsed.id,
        version,
        title: parsed.title,
    })
}

pub fn ensure_builtins(conn: &mut DbConn) -> AppResult<()> {
    for id in builtin::IDS {
        if let Some(src) = builtin::source(id) {
            import(conn, src)?;
        }
    }
    Ok(())
}

pub fn list(conn: &mut DbConn) -> AppResult<Vec<StoredInstrument>> {
    Ok(db_run!(conn, |c| instruments::table
        .select(StoredInstrument::as_select())
        .order((instruments::instrument_id, instruments::version))
        .load(c))?)
}

/// Resolves `id@version`, or a bare id to its newest version.
pub fn resolve(conn: &mut DbConn, spec: &str) -> AppResult<String> {
    ensure_builtins(conn)?;
    let all = list(conn)?;
    let found = if spec.contains('@') {
        all.into_iter().find(|i| i.key == spec)
    } else {
        all.into_iter()
            .filter(|i| i.id == spec)
            .max_by_key(|i| i.version)
    };
    found.map(|i| i.key).ok_or_else(|| {
        AppError::validation(format!(
            "unknown instrument \"{spec}\" (import it with `worklife instrument import FILE.toml`)"
        ))
    })
}

pub fn load(conn: &mut DbConn, key: &str) -> AppResult<Instrument> {
    let source: String = db_run!(conn, |c| instruments::table
        .find(key)
        .select(instruments::source)
        .first(c))?;
    Instrument::parse(&source)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored instrument {key}: {e}")))
}
