//! Storage: one binary, two databases. The backend is picked at run time from the URL
//! (`postgres://` or `postgresql://` for PostgreSQL, anything else is a SQLite file).
//! Every query is written once and compiled for both backends by [`db_run!`].

pub mod ids;
pub mod json;
pub mod schema;

pub use ids::{InvitationId, PersonId, ResponseId, UnitId, UserId, WaveId, WaveUnitId};
pub use json::{Attributes, Json};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// SQLite allows one writer at a time; writers of this process queue on this lock instead of
/// spinning in SQLite's busy handler, which collapses throughput under load.
pub type WriteLock = Arc<Mutex<()>>;

/// A connection pool of either backend.
#[derive(Clone)]
pub enum DbPool {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>, WriteLock),
    Postgres(Pool<ConnectionManager<PgConnection>>),
}

/// A pooled connection of either backend.
pub enum DbConn {
    Sqlite(
        PooledConnection<ConnectionManager<SqliteConnection>>,
        WriteLock,
    ),
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
}

/// Runs the same diesel code against whichever backend `$conn` holds.
#[macro_export]
macro_rules! db_run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(ref mut pooled, _) => {
                let $c: &mut diesel::sqlite::SqliteConnection = &mut *pooled;
                $body
            }
            $crate::db::DbConn::Postgres(ref mut pooled) => {
                let $c: &mut diesel::pg::PgConnection = &mut *pooled;
                $body
            }
        }
    };
}

/// SQLite per connection: foreign keys enforced, WAL so readers never block the writer,
/// a busy timeout instead of immediate "database is locked", and secure_delete so that
/// destroyed token hashes are overwritten on disk, not left in free pages (A3).
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
             PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl DbPool {
    /// Opens a pool. SQLite gets a small pool (writes are serialised by SQLite anyway).
    ///
    /// The pool opens one connection at once (so that a wrong URL fails here) and the others
    /// when they are first needed, up to `max_size`; not all of them up front, as r2d2 does by
    /// default: a CLI command that uses one connection no longer opens eight, each a process
    /// of its own on PostgreSQL. `min_idle` is 0, not 1: with 1, handing out the one idle
    /// connection makes r2d2 open another in the background, which a CLI command exiting at
    /// that moment cut short (a crash at exit, no message).
    pub fn connect(url: &str, max_size: u32) -> anyhow::Result<DbPool> {
        match Backend::of(url) {
            Backend::Postgres => {
                let pool = Pool::builder()
                    .max_size(max_size)
                    .min_idle(Some(0))
                    .connection_timeout(Duration::from_secs(10))
                    .build(ConnectionManager::<PgConnection>::new(url))
                    .context("connecting to PostgreSQL")?;
                drop(pool.get().context("connecting to PostgreSQL")?);
                Ok(DbPool::Postgres(pool))
            }
            Backend::Sqlite => {
                let path = url.strip_prefix("sqlite://").unwrap_or(url);
                let open = || format!("opening the SQLite database {path}");
                let pool = Pool::builder()
                    .max_size(max_size.min(8))
                    .min_idle(Some(0))
                    .connection_timeout(Duration::from_secs(10))
                    .connection_customizer(Box::new(SqlitePragmas))
                    .build(ConnectionManager::<SqliteConnection>::new(path))
                    .with_context(open)?;
                drop(pool.get().with_context(open)?);
                Ok(DbPool::Sqlite(pool, WriteLock::default()))
            }
        }
    }

    /// A second pool of `max_size` connections to the same database, for routes that must
    /// never wait behind the others (the answer form: [`crate::web::AppState`]). On SQLite it
    /// shares this pool's writer lock, so writes stay one at a time across both.
    pub fn sibling(&self, url: &str, max_size: u32) -> anyhow::Result<DbPool> {
        Ok(match (DbPool::connect(url, max_size)?, self) {
            (DbPool::Sqlite(pool, _), DbPool::Sqlite(_, lock)) => {
                DbPool::Sqlite(pool, lock.clone())
            }
            (other, _) => other,
        })
    }

    pub fn backend(&self) -> Backend {
        match self {
            DbPool::Sqlite(..) => Backend::Sqlite,
            DbPool::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn get(&self) -> anyhow::Result<DbConn> {
        Ok(match self {
            DbPool::Sqlite(p, lock) => {
                DbConn::Sqlite(p.get().context("database connection")?, lock.clone())
            }
            DbPool::Postgres(p) => DbConn::Postgres(p.get().context("database connection")?),
        })
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> anyhow::Result<usize> {
        let mut conn = self.get()?;
        let ran = match &mut conn {
            DbConn::Sqlite(c, _) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConn::Postgres(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len()),
        };
        ran.map_err(|e| anyhow::anyhow!("applying migrations: {e}"))
    }

    /// Whether every migration has been applied.
    pub fn migrations_current(&self) -> anyhow::Result<bool> {
        let mut conn = self.get()?;
        let pending = match &mut conn {
            DbConn::Sqlite(c, _) => c.pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
            DbConn::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
        };
        Ok(pending.map_err(|e| anyhow::anyhow!("reading migrations: {e}"))? == 0)
    }

    /// Reverts every migration (used by CI to check that down.sql files work).
    pub fn revert_all(&self) -> anyhow::Result<()> {
        let mut conn = self.get()?;
        match &mut conn {
            DbConn::Sqlite(c, _) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
            DbConn::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        }
        .map_err(|e| anyhow::anyhow!("reverting migrations: {e}"))
    }
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (so a reader never has to
/// upgrade its lock mid-transaction and fail with SQLITE_BUSY), a plain one on PostgreSQL.
#[macro_export]
macro_rules! db_write {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(ref mut pooled, ref lock) => {
                let _writer = lock.lock().unwrap_or_else(|e| e.into_inner());
                let conn: &mut diesel::sqlite::SqliteConnection = &mut *pooled;
                conn.immediate_transaction(|$c| $body)
            }
            $crate::db::DbConn::Postgres(ref mut pooled) => {
                let conn: &mut diesel::pg::PgConnection = &mut *pooled;
                diesel::Connection::transaction(conn, |$c| $body)
            }
        }
    };
}

/// Runs `f` in a write transaction over the [`DbConn`] itself, for code that runs queries
/// through [`db_run!`] and may open savepoints: `BEGIN IMMEDIATE` behind the process writer
/// lock on SQLite, `BEGIN` on PostgreSQL; committed when `f` succeeds, else rolled back.
/// `f` must not start diesel transactions of its own.
pub fn write_transaction<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> crate::error::AppResult<T>,
) -> crate::error::AppResult<T> {
    let lock = match conn {
        DbConn::Sqlite(_, lock) => Some(lock.clone()),
        DbConn::Postgres(_) => None,
    };
    let _writer = lock
        .as_ref()
        .map(|l| l.lock().unwrap_or_else(|e| e.into_inner()));
    execute(
        conn,
        if lock.is_some() {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        },
    )?;
    let done = f(conn).and_then(|value| execute(conn, "COMMIT").map(|()| value));
    if done.is_err() {
        // Nothing to roll back if COMMIT went through or BEGIN failed; the error is `done`'s.
        let _ = execute(conn, "ROLLBACK");
    }
    done
}

/// Runs plain SQL (transaction control) on either backend.
pub fn execute(conn: &mut DbConn, sql: &str) -> crate::error::AppResult<()> {
    match conn {
        DbConn::Sqlite(c, _) => c.batch_execute(sql)?,
        DbConn::Postgres(c) => c.batch_execute(sql)?,
    }
    Ok(())
}

/// A fresh random id (UUIDv4, 36 characters).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Runs one unit of blocking database work on the blocking pool, inside the request's span.
pub async fn blocking<T, F>(work: F) -> crate::error::AppResult<T>
where
    F: FnOnce() -> crate::error::AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(|e| crate::error::AppError::Unexpected(anyhow::anyhow!("blocking task: {e}")))?
}
