//! The time the service acts on, in UTC without a zone (how both databases store it).
//!
//! The schedule (opening, reminding, closing waves) and the outbox worker (what may still be
//! sent, when a retry is due) read a [`Clock`] they are handed: the system clock in service,
//! a manual one in tests, which move it instead of waiting for the wall clock.

use std::sync::{Arc, Mutex};

use chrono::{NaiveDateTime, Utc};

/// The system clock, or a manual one shared by everything holding a clone of it.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<NaiveDateTime>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that stands at `at` until it is moved.
    pub fn manual(at: NaiveDateTime) -> Clock {
        Clock {
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    pub fn now(&self) -> NaiveDateTime {
        match &self.manual {
            None => now(),
            Some(at) => *at.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Moves a manual clock (and every clone of it) by `by`; the system clock cannot be
    /// moved, so there this does nothing.
    pub fn advance(&self, by: chrono::Duration) {
        if let Some(at) = &self.manual {
            let mut at = at.lock().unwrap_or_else(|e| e.into_inner());
            *at += by;
        }
    }
}

/// Now, by the system clock.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_move_with_it() {
        let start = now() - chrono::Duration::days(400);
        let clock = Clock::manual(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start);
        other.advance(chrono::Duration::minutes(90));
        assert_eq!(clock.now(), start + chrono::Duration::minutes(90));
        let system = Clock::system();
        system.advance(chrono::Duration::days(1));
        assert!((system.now() - now()).num_seconds().abs() < 5);
    }
}
