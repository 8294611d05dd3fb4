//! The time the service acts on, in UTC without a zone (how both databases store it).

use chrono::{NaiveDateTime, Utc};

/// Now, in UTC.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}
