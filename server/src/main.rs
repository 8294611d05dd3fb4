//! `worklife`: the Worklife command line and service.

use std::process::ExitCode;

use clap::Parser;
use worklife_server::{app, cli, commands, error::AppError, input::InputError};

fn main() -> ExitCode {
    owner_only_files();
    let cli = cli::Cli::parse();
    match app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<commands::OutputClosed>().is_some() => ExitCode::SUCCESS,
        Err(err) => {
            // Input the user must fix exits with 2, like a usage error; anything else with 1.
            let user_error = err.downcast_ref::<InputError>().is_some()
                || matches!(
                    err.downcast_ref::<AppError>(),
                    Some(
                        AppError::Validation(_)
                            | AppError::NotFound(_)
                            | AppError::Conflict(_)
                            | AppError::Gone(_)
                    )
                );
            match err.downcast_ref::<AppError>() {
                Some(AppError::Validation(problems)) if problems.len() > 1 => {
                    eprintln!("error: {} problems:", problems.len());
                    for p in problems {
                        eprintln!("  {p}");
                    }
                }
                _ => eprintln!("error: {err:#}"),
            }
            if user_error {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Every file and folder this process creates is its owner's alone (0600, 0700), whatever
/// the umask it was started with: the SQLite database and its WAL and shm files hold
/// answers, the outbox's `.eml` files live answer links, backups both (docs/privacy.md A3).
fn owner_only_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}
