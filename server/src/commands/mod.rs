//! One module per command.

mod instrument;
mod score;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Score(args) => score::run(&args),
        Command::Instrument(cmd) => instrument::run(cmd),
    }
}

/// Writes a finished output in one go, so that a failure leaves stdout empty.
fn emit(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}
