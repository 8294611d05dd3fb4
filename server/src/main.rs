//! `worklife`: the Worklife command line and service.

use std::process::ExitCode;

use clap::Parser;
use worklife_server::{app, cli, error::AppError, input::InputError};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
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
