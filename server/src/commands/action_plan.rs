//! `worklife report action-plan --wave W --unit PATH --format csv|md`.

use crate::auth::audit;
use crate::cli::PlanFormat;
use crate::plans::plan_data;
use crate::reports::{audit_detail, ReleaseCache};
use crate::survey::responses::InstrumentCache;

pub fn run(wave: &str, unit: &str, format: PlanFormat) -> anyhow::Result<()> {
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    let plan = plan_data(
        &mut conn,
        &ReleaseCache::default(),
        &InstrumentCache::default(),
        wave,
        unit,
    )?;
    let bytes = match format {
        PlanFormat::Csv => plan.csv()?,
        PlanFormat::Md => plan.md().into_bytes(),
    };
    audit::record(
        &mut conn,
        "cli",
        &format!(
            "export action-plan.{}",
            match format {
                PlanFormat::Csv => "csv",
                PlanFormat::Md => "md",
            }
        ),
        &audit_detail(wave, Some(&plan.unit_path), None),
    )?;
    super::emit(&bytes)
}
