//! `worklife mail send`, and the delivery and schedule threads of `serve`.

use crate::cli::MailCommand;
use crate::clock::Clock;
use crate::configuration::Settings;
use crate::db::DbPool;
use crate::mail::outbox::Worker;
use crate::mail::schedule;

pub fn run(cmd: MailCommand) -> anyhow::Result<()> {
    let (settings, pool) = super::storage()?;
    match cmd {
        MailCommand::Send => send_due(&pool, &settings),
    }
}

/// Delivers everything due now and says what happened.
pub fn send_due(pool: &DbPool, settings: &Settings) -> anyhow::Result<()> {
    let worker = Worker::new(pool.clone(), settings)?;
    let done = worker.drain()?;
    let mut line = format!(
        "{} email(s) sent to {}",
        done.sent,
        worker.mailer().destination()
    );
    if done.retried > 0 {
        line.push_str(&format!(
            ", {} will be retried later (`worklife serve` or `worklife mail send`)",
            done.retried
        ));
    }
    if done.failed > 0 {
        line.push_str(&format!(", {} failed permanently", done.failed));
    }
    say!("{line}");
    Ok(())
}

/// The delivery worker and the scheduler, each on its own thread for the life of `serve`.
pub fn spawn_background(
    pool: &DbPool,
    settings: &Settings,
    shutdown: &crate::shutdown::Shutdown,
) -> anyhow::Result<()> {
    let worker = Worker::new(pool.clone(), settings)?;
    let stop = shutdown.subscribe();
    std::thread::Builder::new()
        .name("mail-worker".into())
        .spawn(move || worker.run_forever(stop))?;
    let (pool, every) = (
        pool.clone(),
        (settings.mail.tick_ms, settings.mail.nudge_every_days),
    );
    let stop = shutdown.subscribe();
    std::thread::Builder::new()
        .name("scheduler".into())
        .spawn(move || schedule::run_forever(pool, Clock::system(), every, stop))?;
    Ok(())
}
