//! One module per command.

/// Prints a line of a command's output, like `println!`, but a reader that stops reading
/// (`worklife wave audit | head`) ends the command with an error `main` takes quietly,
/// instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::commands::say_line(format_args!($($arg)*))?
    };
}

mod access;
mod action;
mod action_plan;
mod backup;
pub mod demo;
mod instrument;
pub(crate) mod mail;
mod report;
mod roster;
mod score;
mod wave;

use crate::cli::Command;
use crate::configuration::Settings;
use crate::db::DbPool;

/// Runs every command but `serve`, which [`crate::app`] starts.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Score(args) => score::run(&args),
        Command::Instrument(cmd) => instrument::run(cmd),
        Command::Migrate => {
            let settings = Settings::load()?;
            let pool = DbPool::connect(settings.database_url.expose(), 1)?;
            let ran = pool.migrate()?;
            say!("{ran} migration(s) applied; the database is current");
            Ok(())
        }
        Command::Roster(cmd) => roster::run(cmd),
        Command::Wave(cmd) => wave::run(cmd),
        Command::Serve(_) => anyhow::bail!("`serve` is started by app::run, not a command"),
        Command::Demo(args) => demo::run(args),
        Command::Action(cmd) => action::run(cmd),
        Command::Backup { file, force } => backup::run(&file, force),
        Command::User(cmd) => access::user(cmd),
        Command::Token(cmd) => access::token(cmd),
        Command::Audit(cmd) => access::audit(cmd),
        Command::Report(cmd) => report::run(cmd),
        Command::Mail(cmd) => mail::run(cmd),
    }
}

/// Settings and a migrated database, for every command that needs storage.
pub(crate) fn storage() -> anyhow::Result<(Settings, DbPool)> {
    let settings = Settings::load()?;
    let pool = DbPool::connect(settings.database_url.expose(), settings.pool_size)?;
    pool.migrate()?;
    Ok((settings, pool))
}

/// The reader of the command's output closed it (`| head` has its lines): not a failure of
/// the command, and `main` exits quietly.
#[derive(Debug, thiserror::Error)]
#[error("the output was closed before the command finished writing")]
pub struct OutputClosed;

/// A failed write to stdout, as [`OutputClosed`] where the reader closed it.
fn output_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        OutputClosed.into()
    } else {
        e.into()
    }
}

/// One line of output, for [`say!`].
pub(crate) fn say_line(line: std::fmt::Arguments) -> anyhow::Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}").map_err(output_error)
}

/// Writes a finished output in one go, so that a failure leaves stdout empty.
fn emit(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).map_err(output_error)?;
    out.flush().map_err(output_error)?;
    Ok(())
}
