//! `worklife action add|list|set-status`: action items without the web pages.

use crate::cli::ActionCommand;
use crate::plans::items::{self, NewItem};
use crate::survey::waves;

pub fn run(cmd: ActionCommand) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    match cmd {
        ActionCommand::Add {
            unit,
            area,
            title,
            owner,
            due,
            notes,
            status,
            wave,
        } => {
            let wave_id = match wave {
                Some(name) => Some(waves::find(&mut conn, &name)?.id),
                None => None,
            };
            let item = items::create(
                &mut conn,
                &NewItem {
                    unit_path: &unit,
                    area: &area,
                    title: &title,
                    owner: &owner,
                    due: &due,
                    notes: &notes,
                    status: &status,
                    created_wave_id: wave_id.as_ref(),
                },
                crate::clock::now(),
            )?;
            say!("{}", item.id);
        }
        ActionCommand::List { unit } => {
            let items = items::list(&mut conn, &unit)?;
            say!(
                "{:<36}  {:<11}  {:<9}  {:<10}  {:<20}  title",
                "id",
                "status",
                "area",
                "due",
                "owner"
            );
            for i in items {
                say!(
                    "{:<36}  {:<11}  {:<9}  {:<10}  {:<20}  {}",
                    i.id,
                    i.status.as_str(),
                    i.area.id(),
                    i.due_date.map(|d| d.to_string()).unwrap_or_default(),
                    i.owner,
                    i.title
                );
            }
        }
        ActionCommand::SetStatus { id, status, notes } => {
            let item = items::set_status(
                &mut conn,
                &id,
                None,
                &status,
                notes.as_deref(),
                crate::clock::now(),
            )?;
            say!("{} is {}", item.id, item.status.as_str());
        }
    }
    Ok(())
}
