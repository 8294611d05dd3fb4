//! The states of an outbox row, shared by the waves that queue emails and the worker that
//! sends them.

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// A reminder whose invitee answered between queueing and sending.
pub const SKIPPED: &str = "skipped";

/// A state and how many of a wave's outbox rows are in it (a group-by count).
pub type StateCount = (String, i64);
