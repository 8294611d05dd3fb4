//! Running a survey: the roster, waves and their invitations, single-use tokens, the
//! instruments stored with each wave, and anonymous responses (docs/privacy.md A1-A6).

pub mod comments;
pub mod instruments;
pub mod responses;
pub mod roster;
pub mod submissions;
pub mod tokens;
pub mod waves;
