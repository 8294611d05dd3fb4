//! The demo organisation (being written).

use crate::configuration::Settings;
use crate::db::DbPool;

pub const DEFAULT_SEED: u64 = 2026;

pub fn ensure(_pool: &DbPool, _settings: &Settings, _seed: u64) -> anyhow::Result<()> {
    anyhow::bail!("the demo is not built yet")
}
