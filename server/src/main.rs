//! `worklife`: the Worklife command line and service.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod input;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            match err.downcast_ref::<input::InputError>() {
                // Bad input is the user's to fix: exit 2, like a usage error.
                Some(_) => ExitCode::from(2),
                None => ExitCode::FAILURE,
            }
        }
    }
}
