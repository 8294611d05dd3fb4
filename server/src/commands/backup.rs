//! `worklife backup FILE`: an online, consistent copy of a SQLite database.
//!
//! `VACUUM INTO` copies the database as one read transaction sees it, so writers carry on
//! (WAL) and the copy holds exactly the transactions committed before it began. The copy is
//! written next to FILE under a temporary name, checked with `PRAGMA integrity_check`, and
//! only then renamed to FILE: a failed or interrupted backup never leaves a half file there.
//! It holds only live rows (no free pages), so data destroyed by closing a wave (A3) is not
//! carried into it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::configuration::Settings;
use crate::db::{Backend, DbConn, DbPool};
use crate::error::AppError;

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

pub fn run(file: &Path, force: bool) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    let url = settings.database_url.expose();
    if Backend::of(url) == Backend::Postgres {
        return Err(AppError::Validation(vec![
            "worklife backup copies SQLite databases; for PostgreSQL use its own tools, e.g. \
             `pg_dump --format=custom --file=worklife.dump \"$WORKLIFE_DATABASE_URL\"` and \
             `pg_restore` (see README, Operations)"
                .into(),
        ])
        .into());
    }
    if file.exists() && !force {
        return Err(AppError::Conflict(format!(
            "{} exists; pass --force to replace it",
            file.display()
        ))
        .into());
    }
    let source = url.strip_prefix("sqlite://").unwrap_or(url);
    if !Path::new(source).is_file() {
        return Err(AppError::NotFound(format!(
            "no SQLite database at {source} (database_url / WORKLIFE_DATABASE_URL)"
        ))
        .into());
    }
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(Path::new(source), file) {
        return Err(AppError::validation(format!(
            "{} is the database itself; back it up to another file",
            file.display()
        ))
        .into());
    }
    let temporary = temporary_beside(file)?;
    let copied = copy(&settings, &temporary).and_then(|()| verify(&temporary));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    // The copy holds answers and the roster: readable by its owner only, whatever the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", temporary.display()))?;
    }
    std::fs::rename(&temporary, file)
        .with_context(|| format!("moving the backup into place at {}", file.display()))?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    say!(
        "backed up the database to {} ({bytes} bytes, integrity ok)",
        file.display()
    );
    Ok(())
}

fn temporary_beside(file: &Path) -> anyhow::Result<PathBuf> {
    let name = file
        .file_name()
        .ok_or_else(|| AppError::Validation(vec!["FILE: a file name is needed".into()]))?;
    let mut temporary = name.to_os_string();
    temporary.push(format!(".{}.partial", uuid::Uuid::new_v4().simple()));
    Ok(file.with_file_name(temporary))
}

fn copy(settings: &Settings, target: &Path) -> anyhow::Result<()> {
    let target = target
        .to_str()
        .ok_or_else(|| AppError::Validation(vec!["FILE: the path is not valid UTF-8".into()]))?;
    let pool = DbPool::connect(settings.database_url.expose(), 1)?;
    let mut conn = pool.get()?;
    let DbConn::Sqlite(c, _) = &mut conn else {
        anyhow::bail!("not a SQLite database");
    };
    // A string literal: SQLite quotes by doubling single quotes.
    let quoted = target.replace('\'', "''");
    c.batch_execute(&format!("VACUUM INTO '{quoted}'"))
        .context("copying the database (VACUUM INTO)")?;
    Ok(())
}

fn verify(copy: &Path) -> anyhow::Result<()> {
    let path = copy.to_string_lossy();
    let mut c = SqliteConnection::establish(&path).context("opening the copy")?;
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut c)
        .context("checking the copy")?;
    match rows.first() {
        Some(row) if rows.len() == 1 && row.integrity_check == "ok" => Ok(()),
        _ => anyhow::bail!(
            "the copy failed its integrity check: {}",
            rows.iter()
                .map(|r| r.integrity_check.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}
