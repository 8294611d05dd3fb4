//! `worklife score`: scores a responses CSV and writes CSV to stdout.

use survey_engine::format::opt;
use survey_engine::{Aggregate, Instrument, SheetScores};

use crate::cli::{ScoreArgs, ScoreOutput};
use crate::input::{load_instrument, read_responses, InputError, ResponseTable};

pub fn run(args: &ScoreArgs) -> anyhow::Result<()> {
    let instrument = load_instrument(&args.instrument)?;
    if matches!(args.output, ScoreOutput::Heatmap | ScoreOutput::Profiles) {
        return Err(InputError::one("heatmap and profiles output are not available yet").into());
    }
    let table = read_responses(&args.responses, &instrument)?;
    for item in &table.missing_items {
        eprintln!("warning: instrument item \"{item}\" has no column in the responses file");
    }
    let scores: Vec<SheetScores> = table
        .rows
        .iter()
        .map(|r| instrument.score_unchecked(&r.answers))
        .collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    match args.output {
        ScoreOutput::Respondents => respondents(&mut out, &instrument, &table, &scores)?,
        ScoreOutput::Items => items(
            &mut out,
            &instrument,
            &aggregate(&instrument, &table, &scores),
        )?,
        ScoreOutput::Scales => scales(
            &mut out,
            &instrument,
            &aggregate(&instrument, &table, &scores),
        )?,
        ScoreOutput::Heatmap | ScoreOutput::Profiles => {}
    }
    super::emit(&out.into_inner()?)
}

type Out = csv::Writer<Vec<u8>>;

fn aggregate(instrument: &Instrument, table: &ResponseTable, scores: &[SheetScores]) -> Aggregate {
    let mut agg = Aggregate::new(instrument);
    for (row, s) in table.rows.iter().zip(scores) {
        agg.add(instrument, &row.answers, s);
    }
    agg
}

fn respondents(
    out: &mut Out,
    instrument: &Instrument,
    table: &ResponseTable,
    scores: &[SheetScores],
) -> anyhow::Result<()> {
    let mut header: Vec<&str> = table
        .passthrough_headers
        .iter()
        .map(String::as_str)
        .collect();
    header.extend(instrument.scales.iter().map(|s| s.id.as_str()));
    if instrument.profiles.is_some() {
        header.push("profile");
    }
    out.write_record(&header)?;
    for (row, s) in table.rows.iter().zip(scores) {
        let mut record = row.passthrough.clone();
        record.extend((0..instrument.scales.len()).map(|i| opt(s.score(i), 4)));
        if let Some(p) = s.profile {
            record.push(p.as_str().to_string());
        }
        out.write_record(&record)?;
    }
    Ok(())
}

fn items(out: &mut Out, instrument: &Instrument, agg: &Aggregate) -> anyhow::Result<()> {
    let mut header: Vec<String> = ["item", "scale", "n", "mean", "sd"]
        .map(String::from)
        .into();
    header.extend(
        instrument
            .response_scale
            .points()
            .map(|v| format!("pct_{v}")),
    );
    out.write_record(&header)?;
    for (item, st) in instrument.items.iter().zip(agg.item_stats(instrument)) {
        let scale = instrument
            .scales
            .get(item.scale)
            .map_or("", |s| s.id.as_str());
        let mut record = vec![
            item.id.clone(),
            scale.to_string(),
            st.n.to_string(),
            opt(st.mean, 4),
            opt(st.sd, 4),
        ];
        record.extend(st.pct.iter().map(|p| opt(*p, 2)));
        out.write_record(&record)?;
    }
    Ok(())
}

fn scales(out: &mut Out, instrument: &Instrument, agg: &Aggregate) -> anyhow::Result<()> {
    out.write_record([
        "scale",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
        "favorable_pct",
        "alpha",
    ])?;
    for ((scale, st), alpha) in instrument
        .scales
        .iter()
        .zip(agg.scale_stats())
        .zip(agg.alpha())
    {
        out.write_record([
            scale.id.clone(),
            st.n.to_string(),
            opt(st.mean, 4),
            opt(st.sd, 4),
            opt(st.ci_low, 4),
            opt(st.ci_high, 4),
            opt(st.favorable_pct, 2),
            opt(alpha, 4),
        ])?;
    }
    Ok(())
}
