//! `worklife score`: scores a responses CSV and writes CSV to stdout.

use survey_engine::csv_out::CsvWriter;
use survey_engine::disclosure::{Invited, Placement};
use survey_engine::format::opt;
use survey_engine::org::OrgTree;
use survey_engine::release::{Attribute, PlacedSheet, Protection, Release, MIN_K};
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
    // Units nobody answered from are units too: they come from the invited counts.
    let invited_rows = match &args.invited {
        Some(file) => Some(read_invited(file, &args.attributes)?),
        None => None,
    };
    for row in invited_rows.iter().flatten() {
        if let Err(reason) = tree.insert(&row.unit) {
            problems.push(format!(
                "{}, row {}, column \"unit\": value \"{}\": {reason}",
                row.file, row.line, row.unit
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
        .enumerate()
        .map(|(i, (name, &c))| {
            // With invited counts, the values come from them too: a value listed only when
            // someone with it answered would tell who answered (P1).
            let invited_values = invited_rows
                .iter()
                .flatten()
                .filter_map(move |row| row.values.get(i).cloned());
            let mut values: Vec<String> = table
                .rows
                .iter()
                .map(|r| cell(r, c))
                .chain(invited_values)
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
    let invited = match invited_rows {
        Some(rows) => Some(invited_atoms(&rows, &tree, &attributes, &sheets)?),
        None => None,
    };
    let wave = args.wave.clone().unwrap_or_default();
    Ok(Release::build_for_roster(
        instrument,
        tree,
        attributes,
        &sheets,
        Protection {
            invited: invited.as_ref(),
            ..Protection::default()
        },
        k,
        &wave,
    )?)
}

/// The most people one row of `--invited` may count: more than any organisation, and far
/// from where sums could overflow.
const MAX_INVITED: u64 = 10_000_000;

/// One row of the `--invited` file.
struct InvitedRow {
    file: String,
    /// Line number in the file (the header is line 1).
    line: usize,
    unit: String,
    values: Vec<String>,
    invited: u64,
}

/// Reads `unit,<attributes...>,invited`; every bad row is listed, nothing is half-read.
fn read_invited(path: &std::path::Path, attributes: &[String]) -> anyhow::Result<Vec<InvitedRow>> {
    let file = path.display().to_string();
    let reader = std::fs::File::open(path)
        .map_err(|e| InputError::one(format!("{file}: cannot open: {e}")))?;
    let mut reader = csv::ReaderBuilder::new().from_reader(reader);
    let headers = reader
        .headers()
        .map_err(|e| InputError::one(format!("{file}: cannot read the header: {e}")))?
        .clone();
    let mut expected: Vec<&str> = vec!["unit"];
    expected.extend(attributes.iter().map(String::as_str));
    expected.push("invited");
    let got: Vec<&str> = headers.iter().collect();
    if got != expected {
        return Err(InputError::one(format!(
            "{file}, header: expected the columns {}, found {}",
            expected.join(","),
            got.join(",")
        ))
        .into());
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut first_line: std::collections::HashMap<(String, Vec<String>), usize> =
        std::collections::HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{file}, row {line}: {e}"));
                continue;
            }
        };
        let field = |c: usize| record.get(c).unwrap_or("").trim().to_string();
        let unit = field(0);
        let values: Vec<String> = (1..=attributes.len()).map(field).collect();
        let raw = field(attributes.len() + 1);
        let invited = match raw.parse::<u64>() {
            Ok(n) if n <= MAX_INVITED => n,
            Ok(_) => {
                problems.push(format!(
                    "{file}, row {line}, column \"invited\": value \"{raw}\" is more than \
                     {MAX_INVITED} people"
                ));
                continue;
            }
            Err(_) => {
                problems.push(format!(
                    "{file}, row {line}, column \"invited\": value \"{raw}\" is not a whole \
                     number of people (0 or more)"
                ));
                continue;
            }
        };
        if let Some(before) = first_line.insert((unit.clone(), values.clone()), line) {
            problems.push(format!(
                "{file}, row {line}: the same unit and values as row {before}"
            ));
            continue;
        }
        rows.push(InvitedRow {
            file: file.clone(),
            line,
            unit,
            values,
            invited,
        });
    }
    if !problems.is_empty() {
        return Err(InputError(problems).into());
    }
    Ok(rows)
}

/// The invited counts as roster atoms of the release's tree (every invited value is one of
/// the attribute's values). Refuses an atom with more answer sheets than invited people,
/// naming the row.
fn invited_atoms(
    rows: &[InvitedRow],
    tree: &OrgTree,
    attributes: &[Attribute],
    sheets: &[PlacedSheet],
) -> anyhow::Result<Invited> {
    let mut atoms: Vec<(Placement, u64)> = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    let mut by_placement: std::collections::HashMap<Placement, (u64, usize)> =
        std::collections::HashMap::new();
    for row in rows {
        let Some(unit) = tree.find(&row.unit) else {
            continue;
        };
        let placement = Placement {
            unit,
            values: attributes
                .iter()
                .zip(&row.values)
                .map(|(a, v)| a.values.binary_search(v).ok())
                .collect(),
        };
        let e = by_placement
            .entry(placement.clone())
            .or_insert((0, row.line));
        e.0 = e.0.saturating_add(row.invited);
        atoms.push((placement, row.invited));
    }
    let mut answered: std::collections::HashMap<&Placement, u64> = std::collections::HashMap::new();
    for sheet in sheets {
        *answered.entry(&sheet.placement).or_default() += 1;
    }
    for (placement, n) in answered {
        let (invited, line) = by_placement.get(placement).copied().unwrap_or((0, 0));
        if n > invited {
            let unit = tree.path(placement.unit);
            let values: Vec<String> = attributes
                .iter()
                .zip(&placement.values)
                .map(|(a, v)| {
                    let value = v.and_then(|v| a.values.get(v)).map_or("", String::as_str);
                    format!("{}={value}", a.name)
                })
                .collect();
            let what = if values.is_empty() {
                format!("unit \"{unit}\"")
            } else {
                format!("unit \"{unit}\" with {}", values.join(", "))
            };
            let row = if line > 0 {
                format!("row {line}: ")
            } else {
                "no row: ".to_string()
            };
            problems.push(format!(
                "{}, {row}{what} has {n} answer sheet(s) but {invited} invited",
                rows.first().map_or("--invited", |r| r.file.as_str())
            ));
        }
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(InputError(problems).into());
    }
    Ok(Invited { atoms })
}
