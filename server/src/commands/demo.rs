//! `worklife demo` (and `serve --demo`): builds the demo and says what it made, with the
//! logins, or why it left the database alone.

use crate::cli::DemoArgs;
use crate::configuration::Settings;
use crate::db::DbPool;
use crate::demo::{self, Built, Outcome, ADMIN_EMAIL, MANAGER_EMAIL, MANAGER_UNIT, ROOT};

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let (settings, pool) = super::storage()?;
    ensure(&pool, &settings, args.seed)
}

/// Builds the demo if the database is empty, and prints the outcome.
pub fn ensure(pool: &DbPool, settings: &Settings, seed: u64) -> anyhow::Result<()> {
    let sign_in = format!(
        "sign in at {}/login",
        settings.base_url.trim_end_matches('/')
    );
    match demo::ensure(pool, settings, seed)? {
        Outcome::Built(built) => print_built(&built, settings, &sign_in)?,
        Outcome::NewPasswords(logins) => {
            say!("the demo is already in this database; its logins get new passwords:");
            for login in logins {
                match login.password {
                    Some(password) => say!("{}: {} / {password}", login.who, login.email),
                    None => say!(
                        "{}: {} was removed; it stays removed",
                        login.who,
                        login.email
                    ),
                }
            }
            say!("{sign_in}");
            let db = settings.database_url.expose();
            say!(
                "the answer links were shown only when the demo was built (the database keeps \
                 only their hashes); to start over with new links, stop the server, delete {db}, \
                 {db}-wal and {db}-shm, then run this command again"
            );
        }
        Outcome::LeftAlone {
            units,
            people,
            waves,
            is_demo,
        } => {
            say!(
                "the database already holds data ({units} units, {people} people, {waves} \
                 waves): the demo was not created, nothing was changed"
            );
            if is_demo {
                say!(
                    "it is the demo: its logins were printed by the run that built it; to start \
                     over, drop and create the database, then run this command again"
                );
            }
        }
    }
    Ok(())
}

fn print_built(built: &Built, settings: &Settings, sign_in: &str) -> anyhow::Result<()> {
    say!(
        "demo organisation \"{ROOT}\" (seed {}): {} people in {} units",
        built.seed,
        built.people,
        built.units
    );
    let invited = built.people;
    for (wave, open, answered) in &built.waves {
        let pct = 100.0 * *answered as f64 / invited.max(1) as f64;
        if *open {
            say!(
                "wave {} open until {} UTC: {answered} of {invited} answered so far ({pct:.0}%); \
                 the invitations are in {}",
                wave.name,
                wave.closes_at.format("%Y-%m-%d %H:%M"),
                settings.outbox_dir.display()
            );
        } else {
            say!(
                "wave {} ({} to {}), closed: {answered} of {invited} answered ({pct:.0}%)",
                wave.name,
                wave.opens_at.format("%Y-%m-%d"),
                wave.closes_at.format("%Y-%m-%d"),
            );
        }
    }
    say!("what to look for:");
    for (story, path) in &built.plot {
        say!("  {:<11} {path}", story.as_str());
    }
    match &built.admin_password {
        Some(password) => say!("admin login: {ADMIN_EMAIL} / {password}"),
        None => say!("admin login: {ADMIN_EMAIL} exists already; its password is unchanged"),
    }
    if let Some(password) = &built.manager_password {
        say!("manager login ({MANAGER_UNIT}): {MANAGER_EMAIL} / {password}");
    }
    say!("{sign_in}");
    say!(
        "answer links of the open wave (each works once; shown only now, the database keeps \
         only their hashes):"
    );
    for link in &built.links {
        say!("  {link}");
    }
    say!("demo built in {:.1} s", built.seconds);
    Ok(())
}
