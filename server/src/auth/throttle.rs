//! How fast sign-in attempts are taken, in this process: per client (IP address) and for
//! everyone together, so that a flood of attempts from one address, or from many, is refused
//! with 429 before it reaches a password check or the database. The per-account limit, which
//! must hold across replicas, is in the database ([`super::ratelimit`]).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::configuration::LoginSettings;

pub struct LoginThrottle {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    global: DefaultDirectRateLimiter,
    /// Attempts since the per-client map was last swept.
    since_sweep: AtomicU64,
}

/// Every this many attempts, clients whose allowance is full again are forgotten, so the
/// map stays as small as the last minute's clients (a sweep walks the whole map: doing it on
/// every attempt under a flood from many addresses would cost more than the attempts).
const SWEEP_EVERY: u64 = 4096;

/// Why an attempt was refused, and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This address made too many attempts.
    Client(Duration),
    /// Everyone together made too many.
    Everyone(Duration),
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl LoginThrottle {
    pub fn new(settings: &LoginSettings) -> LoginThrottle {
        LoginThrottle {
            per_client: RateLimiter::keyed(Quota::per_minute(at_least_one(
                settings.per_client_per_minute,
            ))),
            global: RateLimiter::direct(Quota::per_second(at_least_one(
                settings.global_per_second,
            ))),
            since_sweep: AtomicU64::new(0),
        }
    }

    /// Takes one attempt from `client`, or says why not. A refused client's attempt does not
    /// use up the global allowance.
    pub fn attempt(&self, client: IpAddr) -> Result<(), Refused> {
        if self.since_sweep.fetch_add(1, Ordering::Relaxed) >= SWEEP_EVERY {
            self.since_sweep.store(0, Ordering::Relaxed);
            self.per_client.retain_recent();
            self.per_client.shrink_to_fit();
        }
        let now = DefaultClock::default().now();
        self.per_client
            .check_key(&client)
            .map_err(|n| Refused::Client(n.wait_time_from(now)))?;
        self.global
            .check()
            .map_err(|n| Refused::Everyone(n.wait_time_from(now)))?;
        Ok(())
    }
}
