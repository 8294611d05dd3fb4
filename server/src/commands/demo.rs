//! `worklife demo`.

use crate::cli::DemoArgs;
use crate::demo;

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let (settings, pool) = super::storage()?;
    demo::ensure(&pool, &settings, args.seed)
}
