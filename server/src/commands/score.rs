//! `worklife score`: scores a responses CSV and writes CSV to stdout.

use survey_engine::csv_out::CsvWriter;
use survey_engine::disclosure::Placement;
use survey_engine::format::opt;
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Release, MIN_K};
use survey_engine::{Aggregate, Instrument, SheetScores};

use crate::cli::{ScoreArgs, ScoreOutput};
use crate::input::{load_instrument, read_responses, InputError, ResponseTable};

pub fn run(args: &ScoreArgs) -> anyhow::Result<()> {
    let instrument = load_instrument(&args.instrument)?;
    let release_k = match (args.output, args.min_group_size) {
        (ScoreOutput::Heatmap | ScoreOutput::Profiles, None) => {
            return Err(
                InputError::one("--output heatmap|profiles needs --min-group-size K").into(),
            )
        }
        (ScoreOutput::Heatmap | ScoreOutput::Profiles, Some(k)) if k < MIN_K => {
            return Err(InputError::one(format!(
                "--min-group-size {k} is refused: the minimum group size is at least {MIN_K}"
            ))
            .into())
        }
        (_, k) => k,
    };
    if args.output == ScoreOutput::Profiles && instrument.profiles.is_none() {
        return Err(InputError::one(format!(
            "instrument \"{}\" has no profile settings, so it has no profiles",
            instrument.id
        ))
        .into());
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
    let mut out = CsvWriter::lf();
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
        ScoreOutput::Heatmap | ScoreOutput::Profiles => {
            let k = release_k.unwrap_or(MIN_K);
            let release = release(&instrument, &table, scores, k, args)?;
            let csv = match args.output {
                ScoreOutput::Heatmap => release.heatmap_csv()?,
                _ => release.profiles_csv()?,
            };
            return super::emit(&csv);
        }
    }
    super::emit(&out.finish()?)
}

type Out = CsvWriter;

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
    out.record(&header)?;
    for (row, s) in table.rows.iter().zip(scores) {
        let mut record = row.passthrough.clone();
        record.extend((0..instrument.scales.len()).map(|i| opt(s.score(i), 4)));
        if let Some(p) = s.profile {
            record.push(p.as_str().to_string());
        }
        out.record(&record)?;
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
    out.record(&header)?;
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
        out.record(&record)?;
    }
    Ok(())
}

fn scales(out: &mut Out, instrument: &Instrument, agg: &Aggregate) -> anyhow::Result<()> {
    out.record([
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
        out.record([
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

/// Builds the suppressed release from a responses file with a `unit` column of paths.
fn release(
    instrument: &Instrument,
    table: &ResponseTable,
    scores: Vec<SheetScores>,
    k: usize,
    args: &ScoreArgs,
) -> anyhow::Result<Release> {
    let column = |name: &str| {
        table
            .passthrough_headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| {
                let what = if instrument.items.iter().any(|i| i.id == name) {
                    format!("\"{name}\" is an item of the instrument, not an attribute column")
                } else {
                    format!("the responses file has no column \"{name}\"")
                };
                InputError::one(what)
            })
    };
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = args.attributes.iter().find(|a| !seen.insert(a.as_str())) {
        return Err(InputError::one(format!("--attribute {twice} is given twice")).into());
    }
    let unit_col = column("unit")?;
    let attr_cols = args
        .attributes
        .iter()
        .map(|a| column(a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut problems = Vec::new();
    let cell = |row: &crate::input::ResponseRow, c: usize| {
        row.passthrough
            .get(c)
            .map_or("", |s| s.as_str())
            .trim()
            .to_string()
    };
    let paths: Vec<String> = table.rows.iter().map(|r| cell(r, unit_col)).collect();
    if paths.is_empty() {
        return Err(InputError::one(
            "the responses file has no answer sheets: there is nothing to release",
        )
        .into());
    }
    // The root is the first segment of the first usable path; every row is checked against
    // it, and every bad row is listed. Without a usable path every row fails on its own
    // segments first, so the stand-in root is never named.
    let root = paths
        .iter()
        .find_map(|p| OrgTree::segments(p).ok()?.first().map(|s| s.to_string()))
        .unwrap_or_else(|| "-".to_string());
    let mut tree = OrgTree::new(&root)?;
    for (i, path) in paths.iter().enumerate() {
        if let Err(reason) = tree.insert(path) {
            problems.push(format!(
                "row {}, column \"unit\": value \"{path}\": {reason}",
                i + 1
            ));
        }
    }
    if !problems.is_empty() {
        return Err(InputError(problems).into());
    }
    // Numbered in tree order, so the release does not depend on the order of the rows.
    let tree = tree.canonical();
    let units: Vec<usize> = paths
        .iter()
        .map(|p| tree.find(p).unwrap_or_default())
        .collect();
    let attributes: Vec<Attribute> = args
        .attributes
        .iter()
        .zip(&attr_cols)
        .map(|(name, &c)| {
            let mut values: Vec<String> = table
                .rows
                .iter()
                .map(|r| cell(r, c))
                .filter(|v| !v.is_empty())
                .collect();
            values.sort();
            values.dedup();
            Attribute {
                name: name.clone(),
                values,
            }
        })
        .collect();
    let sheets: Vec<PlacedSheet> = table
        .rows
        .iter()
        .zip(units)
        .zip(scores)
        .map(|((row, unit), scores)| PlacedSheet {
            placement: Placement {
                unit,
                values: attributes
                    .iter()
                    .zip(&attr_cols)
                    .map(|(a, &c)| a.values.binary_search(&cell(row, c)).ok())
                    .collect(),
            },
            scores,
            answers: row.answers.clone(),
        })
        .collect();
    let wave = args.wave.clone().unwrap_or_default();
    Ok(Release::build(
        instrument, tree, attributes, &sheets, k, &wave,
    )?)
}
