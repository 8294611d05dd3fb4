//! `worklife report heatmap|profiles --wave W [--attribute A] --format csv|json`: the same
//! figures as the API, for the whole organisation, written to the audit log as `cli`.

use crate::auth::audit;
use crate::cli::{ReportArgs, ReportCommand, ReportFormat};
use crate::reports::{audit_detail, csv_out, Context, ReleaseCache, Scope};
use crate::survey::responses::InstrumentCache;

pub fn run(cmd: ReportCommand) -> anyhow::Result<()> {
    let (what, args) = match &cmd {
        ReportCommand::Heatmap(a) => ("heatmap", a),
        ReportCommand::Profiles(a) => ("profiles", a),
        ReportCommand::ActionPlan { wave, unit, format } => {
            return super::action_plan::run(wave, unit, *format)
        }
    };
    let (_, pool) = super::storage()?;
    let mut conn = pool.get()?;
    let ctx = Context::load(
        &mut conn,
        &ReleaseCache::default(),
        &InstrumentCache::default(),
        &args.wave,
    )?;
    let attribute = ctx.attribute(args.attribute.as_deref())?;
    let bytes = render(&ctx, what, args, attribute)?;
    audit::record(
        &mut conn,
        "cli",
        &format!("export {what}.{}", ext(args.format)),
        &audit_detail(&args.wave, None, args.attribute.as_deref()),
    )?;
    super::emit(&bytes)
}

fn ext(f: ReportFormat) -> &'static str {
    match f {
        ReportFormat::Csv => "csv",
        ReportFormat::Json => "json",
    }
}

fn render(
    ctx: &Context,
    what: &str,
    args: &ReportArgs,
    attribute: Option<usize>,
) -> anyhow::Result<Vec<u8>> {
    let scope = Scope::Everything;
    Ok(match (what, args.format) {
        ("heatmap", ReportFormat::Csv) => {
            csv_out::heatmap(&ctx.heat_rows(&ctx.rows(&scope, attribute)))?
        }
        ("heatmap", ReportFormat::Json) => {
            let mut v = serde_json::to_vec_pretty(&ctx.heat_records(&scope, attribute))?;
            v.push(b'\n');
            v
        }
        (_, ReportFormat::Csv) => csv_out::profiles(&ctx.profile_records(&scope, attribute))?,
        (_, ReportFormat::Json) => {
            let mut v = serde_json::to_vec_pretty(&ctx.profile_records(&scope, attribute))?;
            v.push(b'\n');
            v
        }
    })
}
