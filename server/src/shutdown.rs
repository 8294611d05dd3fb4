//! Graceful shutdown: SIGTERM or SIGINT stops `worklife serve` without cutting anyone off.
//!
//! On the signal the listener closes (new connections are refused, so a load balancer moves
//! on), requests in flight run to the end for up to `shutdown_timeout_secs`, and every
//! background worker is told through its [`Shutdown`] receiver; the process then waits (same
//! timeout) for those workers to finish and exits 0.
//!
//! A background worker (e.g. the mail worker) takes `let mut stop = shutdown.subscribe();`
//! when it starts and keeps the receiver while it runs. Between batches it checks
//! `*stop.borrow()` (or awaits `stop.changed()` while idle); once true it finishes the batch
//! in hand, releases its claims, and drops the receiver: `serve` waits for every receiver to
//! be dropped before the process exits.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use tokio::sync::watch;

/// The shutdown flag of one process, cheap to clone.
#[derive(Clone, Debug)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        // The first receiver is dropped at once: only workers hold receivers, so that
        // "every receiver dropped" means "every worker done".
        let (sender, _) = watch::channel(false);
        Shutdown {
            sender: Arc::new(sender),
        }
    }
}

impl Shutdown {
    /// A receiver for one worker; hold it while working, drop it when done.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.sender.subscribe()
    }

    /// Tells every worker to stop.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// Waits until every worker dropped its receiver, or `timeout` passed; returns whether
    /// all finished.
    pub async fn workers_done(&self, timeout: Duration) -> bool {
        actix_web::rt::time::timeout(timeout, self.sender.closed())
            .await
            .is_ok()
    }

    /// On SIGTERM or SIGINT: tell the workers and stop the HTTP server gracefully.
    pub fn stop_on_signals(&self, server: ServerHandle) {
        #[cfg(unix)]
        {
            use actix_web::rt::signal::unix::{signal, SignalKind};
            for (kind, name) in [
                (SignalKind::terminate(), "SIGTERM"),
                (SignalKind::interrupt(), "SIGINT"),
            ] {
                let shutdown = self.clone();
                let server = server.clone();
                match signal(kind) {
                    Ok(mut stream) => {
                        actix_web::rt::spawn(async move {
                            if stream.recv().await.is_some() {
                                shutdown.begin(name, &server).await;
                            }
                        });
                    }
                    Err(e) => {
                        tracing::error!(error = %e, signal = name, "cannot listen for signal")
                    }
                }
            }
        }
        #[cfg(not(unix))]
        {
            let shutdown = self.clone();
            actix_web::rt::spawn(async move {
                if actix_web::rt::signal::ctrl_c().await.is_ok() {
                    shutdown.begin("Ctrl-C", &server).await;
                }
            });
        }
    }

    async fn begin(&self, signal: &str, server: &ServerHandle) {
        if self.is_triggered() {
            return;
        }
        tracing::info!(
            signal,
            "shutting down: no new connections, finishing requests in flight"
        );
        self.trigger();
        server.stop(true).await;
    }
}

/// Sleeps `duration` on a worker thread, waking early once `stop` says so; returns whether
/// the worker should stop. Sliced, because std threads cannot wait on the watch itself.
pub fn pause(stop: &watch::Receiver<bool>, duration: Duration) -> bool {
    let deadline = std::time::Instant::now() + duration;
    loop {
        if *stop.borrow() {
            return true;
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn workers_see_the_trigger_and_are_waited_for_until_they_drop_their_receiver() {
        actix_web::rt::System::new().block_on(async {
            let shutdown = Shutdown::default();
            // No worker: nothing to wait for.
            assert!(shutdown.workers_done(Duration::from_millis(1)).await);

            let mut stop = shutdown.subscribe();
            let worker = actix_web::rt::spawn(async move {
                stop.changed().await.unwrap();
                assert!(*stop.borrow());
                // The batch in hand takes a while; then the receiver is dropped.
                actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            });
            assert!(!shutdown.is_triggered());
            assert!(!shutdown.workers_done(Duration::from_millis(20)).await);
            shutdown.trigger();
            assert!(shutdown.is_triggered());
            assert!(shutdown.workers_done(Duration::from_secs(5)).await);
            worker.await.unwrap();
        });
    }

    #[test]
    fn a_pause_ends_early_when_told_to_stop() {
        let shutdown = Shutdown::default();
        let stop = shutdown.subscribe();
        assert!(!pause(&stop, Duration::from_millis(1)));
        shutdown.trigger();
        assert!(pause(&stop, Duration::from_secs(3600)));
    }
}
