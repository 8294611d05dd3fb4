//! `worklife instrument check|show`.

use survey_engine::instrument::builtin;

use crate::cli::InstrumentCommand;
use crate::input::{load_instrument, InputError};

pub fn run(cmd: InstrumentCommand) -> anyhow::Result<()> {
    match cmd {
        InstrumentCommand::Check { file } => {
            let spec = file.to_string_lossy();
            if !file.is_file() {
                return Err(InputError::one(format!("{spec}: no such file")).into());
            }
            let i = load_instrument(&spec)?;
            say!(
                "{spec}: valid instrument \"{}\" version {}: {} scales, {} items, languages {}{}",
                i.id,
                i.version,
                i.scales.len(),
                i.items.len(),
                i.languages().join(", "),
                if i.profiles.is_some() {
                    ", burnout profiles"
                } else {
                    ""
                }
            );
            Ok(())
        }
        InstrumentCommand::Show { instrument } => {
            let source = match builtin::source(&instrument) {
                Some(src) => src.to_string(),
                None => {
                    // A file works too; load it first so that an invalid one is reported.
                    load_instrument(&instrument)?;
                    std::fs::read_to_string(&instrument)?
                }
            };
            super::emit(source.as_bytes())
        }
        InstrumentCommand::Import { file } => {
            let source = std::fs::read_to_string(&file)
                .map_err(|e| InputError::one(format!("{}: {e}", file.display())))?;
            let (_, pool) = super::storage()?;
            let stored = crate::survey::instruments::import(&mut pool.get()?, &source)?;
            say!("instrument {} (\"{}\") is stored", stored.key, stored.title);
            Ok(())
        }
        InstrumentCommand::List => {
            let (_, pool) = super::storage()?;
            let mut conn = pool.get()?;
            crate::survey::instruments::ensure_builtins(&mut conn)?;
            for i in crate::survey::instruments::list(&mut conn)? {
                say!("{:<24} {}", i.key, i.title);
            }
            Ok(())
        }
    }
}
