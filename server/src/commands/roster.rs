//! `worklife roster import|export`.

use anyhow::Context;

use crate::cli::RosterCommand;
use crate::survey::roster;

pub fn run(cmd: RosterCommand) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    match cmd {
        RosterCommand::Import {
            file,
            dry_run,
            prune,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let parsed = roster::parse(&bytes)?;
            let report = roster::import(&mut conn, &parsed, dry_run, prune)?;
            let verb = if dry_run { "would be" } else { "were" };
            say!(
                "{} people in the file: {} {verb} added, {} {verb} updated, {} unchanged; {} unit(s) {verb} created",
                parsed.rows.len(),
                report.added,
                report.updated,
                report.unchanged,
                report.units_created
            );
            if !report.absent.is_empty() {
                let what = match (prune, dry_run) {
                    (true, true) => "would be removed",
                    (true, false) => "removed",
                    (false, _) => "kept (use --prune to remove them)",
                };
                say!("{} people not in the file, {what}:", report.absent.len());
                for email in &report.absent {
                    say!("  {email}");
                }
            }
            Ok(())
        }
        RosterCommand::Export => super::emit(&roster::export(&mut conn)?),
    }
}
