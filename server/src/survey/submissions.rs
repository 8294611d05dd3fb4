//! Taking submissions under load. SQLite has one writer at a time, and a transaction per
//! submission makes every request queue on the write lock and pay a commit of its own. So on
//! SQLite one writer thread takes the submissions waiting at that moment (up to
//! [`BATCH`]) and stores them in one transaction, each inside a savepoint of its own: a
//! submission that fails (used token, closed wave, bad answers) is rolled back alone and the
//! others go on. Nobody gets an answer before the commit that stored their sheet, so a
//! success answer always means stored. Within the transaction the submissions run one after
//! the other on one connection, so the consuming update of A2 still lets exactly one
//! submission of a token through.
//!
//! PostgreSQL takes many writers at once: there each submission is its own transaction on
//! the blocking pool ([`responses::submit`]).

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

use chrono::NaiveDateTime;
use tokio::sync::oneshot;

use crate::db::blocking;
use crate::db::{self, DbConn, DbPool};
use crate::error::{AppError, AppResult};
use crate::survey::comments::CommentRules;
use crate::survey::responses::{self, InstrumentCache, Receipt, Submitted};

/// At most this many submissions share one transaction.
const BATCH: usize = 128;
/// Submissions waiting for the writer; beyond this, requests wait for room (backpressure).
const QUEUE: usize = 4096;

type Outcome = AppResult<Receipt>;

struct Job {
    token: String,
    submitted: Submitted,
    now: NaiveDateTime,
    reply: oneshot::Sender<Outcome>,
}

/// Where submissions go: the SQLite writer thread, or straight to the pool on PostgreSQL.
#[derive(Clone)]
pub struct Submissions {
    pool: DbPool,
    instruments: InstrumentCache,
    rules: CommentRules,
    writer: Option<SyncSender<Job>>,
}

impl Submissions {
    /// On SQLite, starts the writer thread; it ends when the last `Submissions` is dropped.
    pub fn new(
        pool: DbPool,
        instruments: InstrumentCache,
        rules: CommentRules,
    ) -> anyhow::Result<Submissions> {
        let writer = match pool {
            DbPool::Sqlite(..) => {
                let (tx, rx) = sync_channel(QUEUE);
                let (p, cache, r) = (pool.clone(), instruments.clone(), rules.clone());
                std::thread::Builder::new()
                    .name("sqlite-writer".into())
                    .spawn(move || write_loop(&p, &cache, &r, &rx))?;
                Some(tx)
            }
            DbPool::Postgres(_) => None,
        };
        Ok(Submissions {
            pool,
            instruments,
            rules,
            writer,
        })
    }

    /// Stores one answer sheet (see [`responses::submit`] for the checks and errors).
    pub async fn submit(&self, token: String, submitted: Submitted, now: NaiveDateTime) -> Outcome {
        let Some(writer) = &self.writer else {
            let (pool, cache, rules) = (
                self.pool.clone(),
                self.instruments.clone(),
                self.rules.clone(),
            );
            return blocking(move || {
                let mut conn = pool.get()?;
                responses::submit(&mut conn, &cache, &rules, &token, &submitted, now)
            })
            .await;
        };
        let (reply, answer) = oneshot::channel();
        let job = Job {
            token,
            submitted,
            now,
            reply,
        };
        match writer.try_send(job) {
            Ok(()) => {}
            // A full queue is waited out on the blocking pool, never on the async workers.
            Err(TrySendError::Full(job)) => {
                let w = writer.clone();
                blocking(move || w.send(job).map_err(|_| stopped())).await?;
            }
            Err(TrySendError::Disconnected(_)) => return Err(stopped()),
        }
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> AppError {
    AppError::Unexpected(anyhow::anyhow!("the submission writer stopped"))
}

fn write_loop(pool: &DbPool, cache: &InstrumentCache, rules: &CommentRules, jobs: &Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcomes = match pool.get() {
            Ok(mut conn) => store_batch(&mut conn, cache, rules, &batch),
            Err(e) => Err(AppError::Unexpected(e)),
        };
        match outcomes {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    if outcome.is_ok() {
                        crate::metrics::submission_stored();
                    }
                    let _ = job.reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "storing a batch of submissions failed");
                for job in batch {
                    let _ = job.reply.send(Err(AppError::Unexpected(anyhow::anyhow!(
                        "storing the answers failed"
                    ))));
                }
            }
        }
    }
}

/// One transaction for the whole batch, a savepoint per submission.
fn store_batch(
    conn: &mut DbConn,
    cache: &InstrumentCache,
    rules: &CommentRules,
    batch: &[Job],
) -> AppResult<Vec<Outcome>> {
    db::write_transaction(conn, |conn| {
        let mut outcomes = Vec::with_capacity(batch.len());
        for job in batch {
            db::execute(conn, "SAVEPOINT submission")?;
            let outcome = submit_unlocked(conn, cache, rules, job);
            db::execute(
                conn,
                if outcome.is_ok() {
                    "RELEASE submission"
                } else {
                    "ROLLBACK TO submission; RELEASE submission"
                },
            )?;
            outcomes.push(outcome);
        }
        Ok(outcomes)
    })
}

fn submit_unlocked(
    conn: &mut DbConn,
    cache: &InstrumentCache,
    rules: &CommentRules,
    job: &Job,
) -> Outcome {
    let (sheet, ticket) = responses::open_ticket(conn, cache, &job.token, job.now)?;
    let (aligned, comments) = responses::check_sheet(conn, rules, &sheet, &job.submitted)?;
    responses::write_sheet(conn, &sheet, &ticket, &aligned, &comments, job.now)?;
    Ok(responses::receipt(sheet, &aligned, &comments))
}
