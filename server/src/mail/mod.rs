//! Email: the mailer (SMTP or files), the outbox it sends from, and the schedule that opens,
//! reminds and closes waves.

pub mod mailer;
pub mod notices;
pub mod outbox;
pub mod outbox_state;
pub mod schedule;

pub use mailer::{Invitation, Kind, Mailer};
