//! Golden tests of `worklife score` and `worklife instrument`, through the real binary.
//! The golden files come from `fixtures/reference_score.py`, an independent implementation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn worklife(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_worklife"))
        .args(args)
        .output()
        .expect("run worklife")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("golden/{name}.csv"))).expect("golden file")
}

#[test]
fn mini_instrument_matches_the_reference_for_every_output() {
    for output in ["respondents", "items", "scales"] {
        let o = worklife(&[
            "score",
            "--instrument",
            &fixture("fixtures/mini.toml"),
            "--responses",
            &fixture("fixtures/responses.csv"),
            "--output",
            output,
        ]);
        assert!(o.status.success(), "{output}: {}", stderr(&o));
        assert_eq!(stdout(&o), golden(&format!("mini_{output}")), "{output}");
        assert_eq!(stderr(&o), "", "no warnings: every item has a column");
    }
}

#[test]
fn builtin_core_instrument_matches_the_reference_on_400_sheets() {
    for output in ["respondents", "items", "scales"] {
        let o = worklife(&[
            "score",
            "--instrument",
            "worklife-core",
            "--responses",
            &fixture("fixtures/core_responses.csv"),
            "--output",
            output,
        ]);
        assert!(o.status.success(), "{output}: {}", stderr(&o));
        assert_eq!(stdout(&o), golden(&format!("core_{output}")), "{output}");
    }
}

#[test]
fn hand_computed_figures_of_the_mini_file() {
    let o = worklife(&[
        "score",
        "--instrument",
        &fixture("fixtures/mini.toml"),
        "--responses",
        &fixture("fixtures/responses.csv"),
        "--output",
        "respondents",
    ]);
    let out = stdout(&o);
    // r1: workload (4 + (6-2) + 5) / 3; exhaustion (2 + (6-4)) / 2.
    assert!(
        out.contains("r1,Acme/Sales,4.3333,2.0000,1.5000,4.5000,engaged\n"),
        "{out}"
    );
    // r5 answered one of three workload items: below the half rule, so no score.
    assert!(
        out.contains("r5,Acme/Ops,,3.0000,3.0000,1.5000,ineffective\n"),
        "{out}"
    );
    let o = worklife(&[
        "score",
        "--instrument",
        &fixture("fixtures/mini.toml"),
        "--responses",
        &fixture("fixtures/responses.csv"),
        "--output",
        "scales",
    ]);
    // Workload favorable: 9 of 14 keyed answers of scored respondents are 4 or 5.
    assert!(stdout(&o).contains("workload,5,3.6000,1.2996,1.9864,5.2136,64.29,"));
}

#[test]
fn bad_cells_are_listed_with_row_column_and_value_and_nothing_is_written() {
    let o = worklife(&[
        "score",
        "--instrument",
        &fixture("fixtures/mini.toml"),
        "--responses",
        &fixture("fixtures/bad_responses.csv"),
        "--output",
        "respondents",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    for expected in [
        "row 2, column \"wl2\": value \"x\" is not a whole number on the scale 1..5",
        "row 3, column \"wl3\": value \"6\" is not on the scale 1..5",
        "row 4, column \"wl1\": value \"0\" is not on the scale 1..5",
        "row 4, column \"ex1\": value \"-1\" is not on the scale 1..5",
        "row 5: has 3 fields, the header has 5",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in {err}");
    }
}

#[test]
fn duplicate_headers_are_refused() {
    let o = worklife(&[
        "score",
        "--instrument",
        &fixture("fixtures/mini.toml"),
        "--responses",
        &fixture("fixtures/duplicate_header.csv"),
        "--output",
        "items",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("header, column \"wl1\": the column appears twice"));
}

#[test]
fn items_without_a_column_are_warned_about() {
    let dir = std::env::temp_dir().join(format!("wl-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("r.csv");
    std::fs::write(&file, "wl1,wl2,wl3\n4,2,5\n").unwrap();
    let o = worklife(&[
        "score",
        "--instrument",
        &fixture("fixtures/mini.toml"),
        "--responses",
        &file.to_string_lossy(),
        "--output",
        "respondents",
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("warning: instrument item \"ex1\" has no column"));
    assert_eq!(
        stdout(&o),
        "workload,exhaustion,cynicism,efficacy,profile\n4.3333,,,,unclassified\n"
    );
}

#[test]
fn unknown_instrument_and_missing_file_are_clear_errors() {
    let o = worklife(&[
        "score",
        "--instrument",
        "nope",
        "--responses",
        "x.csv",
        "--output",
        "items",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("instrument \"nope\" is neither a file nor a built-in"));
    let o = worklife(&[
        "score",
        "--instrument",
        "worklife-pulse",
        "--responses",
        "/nonexistent.csv",
        "--output",
        "items",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("/nonexistent.csv"));
}

#[test]
fn instrument_check_and_show() {
    let o = worklife(&["instrument", "check", &fixture("fixtures/mini.toml")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid instrument \"mini\" version 1: 4 scales, 9 items"));

    let dir = std::env::temp_dir().join(format!("wl-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    let text = std::fs::read_to_string(fixture("fixtures/mini.toml"))
        .unwrap()
        .replace(
            "scale = \"cynicism\"\ntext = \"I care",
            "scale = \"cynism\"\ntext = \"I care",
        )
        .replace(
            "labels = [\"1\", \"2\", \"3\", \"4\", \"5\"]",
            "labels = [\"1\"]",
        );
    std::fs::write(&bad, text).unwrap();
    let o = worklife(&["instrument", "check", &bad.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("items[6] (id \"cy2\").scale: unknown scale \"cynism\""),
        "{err}"
    );
    assert!(err.contains("response_scale.labels: has 1 labels"), "{err}");

    let o = worklife(&["instrument", "show", "worklife-pulse"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("id = \"worklife-pulse\""));
}

fn score(args: &[&str]) -> Output {
    let mut all = vec!["score"];
    all.extend_from_slice(args);
    worklife(&all)
}

#[test]
fn heatmap_of_small_teams_matches_the_reference_figures() {
    // Statuses are the engine's decision; every figure of a shown row was recomputed by
    // fixtures/reference_heatmap.py, and hidden rows carry no figure at all.
    let o = score(&[
        "--instrument",
        "worklife-pulse",
        "--responses",
        &fixture("fixtures/small_teams.csv"),
        "--output",
        "heatmap",
        "--min-group-size",
        "5",
        "--attribute",
        "tenure",
        "--attribute",
        "location",
        "--wave",
        "2026-Q4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out, golden("small_teams_heatmap"));
    assert!(out.starts_with(
        "wave,unit,cut,scale,status,respondents,mean,sd,ci_low,ci_high,favorable_pct,delta_org,significant\n"
    ));
    for line in out.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[4] == "shown" {
            assert!(f[5].parse::<u64>().unwrap() >= 5, "{line}");
        } else {
            assert!(
                f[5..].iter().all(|x| x.is_empty()),
                "hidden row with a figure: {line}"
            );
        }
    }
    // Apps has 2 people: below the minimum, not even a count.
    assert!(out.contains("2026-Q4,Acme/Eng/Apps,,workload,hidden,,,,,,,,\n"));
}

#[test]
fn heatmap_of_the_core_sample_matches_the_reference_figures() {
    let o = score(&[
        "--instrument",
        "worklife-core",
        "--responses",
        &fixture("fixtures/core_responses.csv"),
        "--output",
        "heatmap",
        "--min-group-size",
        "5",
        "--attribute",
        "tenure",
        "--wave",
        "2026-Q4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), golden("core_heatmap"));
}

#[test]
fn profiles_release_follows_the_same_rules() {
    let o = score(&[
        "--instrument",
        "worklife-pulse",
        "--responses",
        &fixture("fixtures/small_teams.csv"),
        "--output",
        "profiles",
        "--min-group-size",
        "5",
        "--attribute",
        "tenure",
        "--attribute",
        "location",
        "--wave",
        "2026-Q4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), golden("small_teams_profiles"));
}

#[test]
fn hand_checked_release_hides_the_complement_of_a_small_group() {
    // Ops has 3 people but only 2 workload scores: below k = 3. Sales (3) must then be hidden
    // too, or Ops = Acme - Sales would be derivable.
    let o = score(&[
        "--instrument",
        &fixture("fixtures/mini.toml"),
        "--responses",
        &fixture("fixtures/responses.csv"),
        "--output",
        "heatmap",
        "--min-group-size",
        "3",
        "--wave",
        "W1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for row in [
        "W1,Acme,,workload,shown,5,3.60,1.30,1.99,5.21,64.3,0.00,\n",
        "W1,Acme/Ops,,workload,hidden,,,,,,,,\n",
        "W1,Acme/Sales,,workload,hidden,,,,,,,,\n",
        // Exhaustion: Ops 1, 3, 4 -> mean 2.67, sd 1.53; Acme mean 3.17 -> delta -0.50.
        // Two of Ops' four answers are unfavorable, which one person could have given both
        // of: "all or nearly all" instead of 50% (D9).
        "W1,Acme/Ops,,exhaustion,shown,3,2.67,1.53,-1.13,6.46,all_or_nearly_all,-0.50,false\n",
    ] {
        assert!(out.contains(row), "missing {row:?} in\n{out}");
    }
    // Tree order: root, then children by name.
    let units: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(units.first(), Some(&"Acme"));
    assert!(
        units.iter().position(|u| *u == "Acme/Ops") < units.iter().position(|u| *u == "Acme/Sales")
    );
}

#[test]
fn release_input_errors_are_clear() {
    let mini = fixture("fixtures/mini.toml");
    let responses = fixture("fixtures/responses.csv");
    let o = score(&[
        "--instrument",
        &mini,
        "--responses",
        &responses,
        "--output",
        "heatmap",
        "--min-group-size",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--min-group-size 2 is refused"));
    let o = score(&[
        "--instrument",
        &mini,
        "--responses",
        &responses,
        "--output",
        "heatmap",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs --min-group-size"));
    let o = score(&[
        "--instrument",
        &mini,
        "--responses",
        &responses,
        "--output",
        "heatmap",
        "--min-group-size",
        "3",
        "--attribute",
        "tenure",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no column \"tenure\""));

    let dir = std::env::temp_dir().join(format!("wl-release-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad_units.csv");
    std::fs::write(&bad, "unit,wl1\nAcme/Sales,3\nAcme//Ops,4\nOther/X,2\n,1\n").unwrap();
    let o = score(&[
        "--instrument",
        &mini,
        "--responses",
        &bad.to_string_lossy(),
        "--output",
        "heatmap",
        "--min-group-size",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    for e in [
        "row 2, column \"unit\": value \"Acme//Ops\": the unit path \"Acme//Ops\" has an empty segment",
        "row 3, column \"unit\": value \"Other/X\": the unit path \"Other/X\" does not start at the organisation root \"Acme\"",
        "row 4, column \"unit\": value \"\": the unit path is empty",
    ] {
        assert!(err.contains(e), "missing {e:?} in {err}");
    }
    let no_unit = dir.join("no_unit.csv");
    std::fs::write(&no_unit, "id,wl1\na,3\n").unwrap();
    let o = score(&[
        "--instrument",
        &mini,
        "--responses",
        &no_unit.to_string_lossy(),
        "--output",
        "profiles",
        "--min-group-size",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no column \"unit\""));
}

/// Runs `score --output OUTPUT` on `csv` with the mini instrument and k = 3.
fn mini_release(csv: &str, output: &str, extra: &[&str]) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("wl-mini-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{:x}.csv", {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (csv, output, extra).hash(&mut h);
        h.finish()
    }));
    std::fs::write(&file, csv).unwrap();
    let mini = fixture("fixtures/mini.toml");
    let mut args = vec![
        "--instrument",
        &mini,
        "--responses",
        file.to_str().unwrap(),
        "--output",
        output,
        "--min-group-size",
        "3",
    ];
    args.extend_from_slice(extra);
    score(&args)
}

#[test]
fn the_release_does_not_depend_on_the_order_of_the_rows() {
    // Reordered rows once let two runs hide different cells, which together gave away a
    // group of two; and a running mean could round a tie differently.
    let text = std::fs::read_to_string(fixture("fixtures/small_teams.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let args = |file: &str, output: &'static str| {
        vec![
            "--instrument".to_string(),
            "worklife-pulse".into(),
            "--responses".into(),
            file.to_string(),
            "--output".into(),
            output.into(),
            "--min-group-size".into(),
            "5".into(),
            "--attribute".into(),
            "tenure".into(),
            "--attribute".into(),
            "location".into(),
            "--wave".into(),
            "2026-Q4".into(),
        ]
    };
    let dir = std::env::temp_dir().join(format!("wl-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = lines.len();
    for (name, order) in [
        ("reversed", (0..n).rev().collect::<Vec<_>>()),
        (
            "interleaved",
            (0..n).step_by(2).chain((1..n).step_by(2)).collect(),
        ),
        ("rotated", (0..n).map(|i| (i + n / 3) % n).collect()),
    ] {
        let body: String = std::iter::once(header)
            .chain(order.iter().map(|&i| lines[i]))
            .map(|l| format!("{l}\n"))
            .collect();
        let file = dir.join(format!("{name}.csv"));
        std::fs::write(&file, body).unwrap();
        for (output, golden_name) in [
            ("heatmap", "small_teams_heatmap"),
            ("profiles", "small_teams_profiles"),
        ] {
            let a = args(file.to_str().unwrap(), output);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            let o = score(&a);
            assert!(o.status.success(), "{}", stderr(&o));
            assert_eq!(stdout(&o), golden(golden_name), "{name} {output}");
        }
    }
}

/// P2 (docs/privacy.md D7) through `worklife score`: a team of two whose parent answered near
/// the top of the scale would have its mean pinned to [4.5, 5] by the parent's figure; the
/// release hides the parent, and then a sibling, so that every mean under k keeps a range of
/// at least half the scale. The same file with middling answers hides neither.
#[test]
fn a_small_team_inside_a_parent_that_answered_near_the_top_keeps_its_mean_open() {
    let release = |a: [i32; 2], b: [i32; 4]| {
        let mut csv = String::from("unit,wl1,wl3\n");
        for (unit, answers) in [("Acme/Eng/A", &a[..]), ("Acme/Eng/B", &b[..])] {
            for v in answers {
                csv.push_str(&format!("{unit},{v},{v}\n"));
            }
        }
        for v in [1, 2, 3, 4, 2] {
            csv.push_str(&format!("Acme/Sales,{v},{v}\n"));
        }
        let o = mini_release(&csv, "heatmap", &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        let status = |unit: &str| {
            out.lines()
                .find(|l| l.starts_with(&format!(",{unit},,workload,")))
                .and_then(|l| l.split(',').nth(4))
                .unwrap_or_else(|| panic!("no {unit} in\n{out}"))
                .to_string()
        };
        ["Acme", "Acme/Eng", "Acme/Sales", "Acme/Eng/A"].map(status)
    };
    // Eng: 5, 5 (A) and 5, 5, 5, 4 (B): sum 29 of 6. A's sum is then at least 29 - 4 x 5.
    assert_eq!(
        release([5, 5], [5, 5, 5, 4]),
        ["shown", "hidden", "hidden", "hidden"]
    );
    // Eng: 3, 3 and 1, 5, 2, 4: A's mean could be anything from 1 to 5.
    assert_eq!(
        release([3, 3], [1, 5, 2, 4]),
        ["shown", "shown", "shown", "hidden"]
    );
}

#[test]
fn means_are_the_exact_sum_over_n_rounded_once() {
    // 23 / 8 = 2.875 exactly: a running mean made it 2.8749999... and printed 2.87.
    // wl1 and wl3 (not reverse-keyed) answered alike: the workload score is that answer.
    let mut csv = String::from("unit,wl1,wl3\n");
    for v in [1, 2, 5, 2, 2, 2, 5, 4] {
        csv.push_str(&format!("Acme,{v},{v}\n"));
    }
    let o = mini_release(&csv, "heatmap", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let row = stdout(&o)
        .lines()
        .find(|l| l.starts_with(",Acme,,workload,"))
        .unwrap()
        .to_string();
    assert!(row.starts_with(",Acme,,workload,shown,8,2.88,"), "{row}");
}

#[test]
fn a_group_that_answered_alike_shows_a_band_instead_of_its_mean() {
    let mut csv = String::from("unit,wl1,wl3\n");
    for (unit, v) in [("Acme/X", 5), ("Acme/Y", 1)] {
        for _ in 0..3 {
            csv.push_str(&format!("{unit},{v},{v}\n"));
        }
    }
    let o = mini_release(&csv, "heatmap", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // Everyone in X answered 5 and everyone in Y 1: the figures would tell each member's
    // answers, so only n and bands are shown, and no comparison (D9).
    assert!(
        out.contains(
            ",Acme/X,,workload,shown,3,all_or_nearly_all_highest,,,,all_or_nearly_all,,\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            ",Acme/Y,,workload,shown,3,all_or_nearly_all_lowest,,,,none_or_nearly_none,,\n"
        ),
        "{out}"
    );
}

#[test]
fn an_empty_file_or_a_repeated_attribute_is_refused() {
    let o = mini_release("unit,wl1,wl2\n", "heatmap", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("no answer sheets"), "{}", stderr(&o));

    let csv = "unit,tenure,wl1,wl2\nAcme,long,3,3\nAcme,long,4,4\nAcme,short,2,2\n";
    let o = mini_release(
        csv,
        "heatmap",
        &["--attribute", "tenure", "--attribute", "tenure"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--attribute tenure is given twice"),
        "{}",
        stderr(&o)
    );
    let o = mini_release(csv, "heatmap", &["--attribute", "wl1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is an item of the instrument"),
        "{}",
        stderr(&o)
    );
}

/// Every cell of a CSV the project writes that a spreadsheet would run as a formula.
fn risky_cells(csv: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .filter(|cell| {
            cell.starts_with(['=', '+', '@', '\t', '\r'])
                || (cell.starts_with('-') && cell.parse::<f64>().is_err())
        })
        .collect()
}

#[test]
fn every_score_output_guards_cells_that_a_spreadsheet_would_run() {
    // Passthrough columns, unit paths, attribute values and the wave name that start like
    // formulas, in every output of `worklife score`.
    let dir = std::env::temp_dir().join(format!("wl-score-guard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("answers.csv");
    let mut csv = String::from("id,unit,tenure,wl1,wl2,wl3,ex1,ex2,cy1,cy2,ef1,ef2\n");
    for i in 0..12 {
        let unit = if i % 2 == 0 {
            "=HYPERLINK(1)/@SUM(1)"
        } else {
            "=HYPERLINK(1)/+cmd"
        };
        csv.push_str(&format!("-{i}+1,{unit},@risky,4,2,5,2,4,1,2,4,5\n"));
    }
    std::fs::write(&file, csv).unwrap();
    let file = file.to_string_lossy().into_owned();
    for output in ["respondents", "items", "scales", "heatmap", "profiles"] {
        let mut args = vec![
            "--instrument",
            &*fixture_path_mini(),
            "--responses",
            &file,
            "--output",
            output,
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
        if ["heatmap", "profiles"].contains(&output) {
            args.extend(
                [
                    "--min-group-size",
                    "3",
                    "--attribute",
                    "tenure",
                    "--wave",
                    "=cmd|' /C calc'!A0",
                ]
                .map(str::to_string),
            );
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = score(&args);
        assert!(o.status.success(), "{output}: {}", stderr(&o));
        let out = stdout(&o);
        // Items and scales hold only the instrument's ids and figures: nothing of the file.
        if !["items", "scales"].contains(&output) {
            assert!(
                out.contains("'="),
                "{output}: nothing to guard was written:\n{out}"
            );
        }
        assert_eq!(risky_cells(&out), Vec::<String>::new(), "{output}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn fixture_path_mini() -> String {
    fixture("fixtures/mini.toml")
}

/// Writes `name` into a fresh temporary directory kept alive by the returned guard.
fn temp_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Answer sheets of the mini instrument, `n` per unit.
fn mini_sheets(units: &[(&str, usize)]) -> String {
    let mut csv = String::from("id,unit,wl1,wl2,wl3,ex1,ex2,cy1,cy2,ef1,ef2\n");
    let mut id = 0;
    for (unit, n) in units {
        for _ in 0..*n {
            id += 1;
            let a = 1 + id % 5;
            csv.push_str(&format!(
                "r{id},{unit},{a},{a},{a},{a},{a},{a},{a},{a},{a}\n"
            ));
        }
    }
    csv
}

/// `--invited` (docs/privacy.md D7, P1): nobody in Data's Machine Learning team (2 invited)
/// nor Data's one direct member answered, Analytics 5 of 5, Platform 5 of 9. Without the
/// invited counts, Data = Analytics + Platform shows, and a reader who knows the team sizes
/// reads that nobody in ML answered. With them, one of the two teams is hidden as well, and
/// ML, which has no answer sheet, is a hidden row of its own.
#[test]
fn invited_counts_hide_what_team_sizes_would_pin() {
    let dir = tempfile::tempdir().unwrap();
    let responses = temp_file(
        &dir,
        "responses.csv",
        &mini_sheets(&[
            ("Acme/Data/Analytics", 5),
            ("Acme/Data/Platform", 5),
            ("Acme/Sales", 8),
        ]),
    );
    let invited = temp_file(
        &dir,
        "invited.csv",
        "unit,invited\nAcme/Data,1\nAcme/Data/Analytics,5\nAcme/Data/Platform,9\n\
         Acme/Data/ML,2\nAcme/Sales,10\n",
    );
    let instrument = fixture("fixtures/mini.toml");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--instrument",
            &instrument,
            "--responses",
            &responses,
            "--output",
            "heatmap",
            "--min-group-size",
            "5",
        ];
        args.extend_from_slice(extra);
        let o = score(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let status = |out: &str, unit: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!(",{unit},,workload,")))
            .map(|l| l.split(',').nth(4).unwrap().to_string())
    };
    let without = run(&[]);
    assert_eq!(status(&without, "Acme/Data").as_deref(), Some("shown"));
    assert_eq!(
        status(&without, "Acme/Data/Analytics").as_deref(),
        Some("shown")
    );
    assert_eq!(
        status(&without, "Acme/Data/Platform").as_deref(),
        Some("shown")
    );
    assert_eq!(status(&without, "Acme/Data/ML"), None, "no sheet, no unit");

    let with = run(&["--invited", &invited]);
    assert_eq!(status(&with, "Acme/Data").as_deref(), Some("shown"));
    assert_eq!(status(&with, "Acme/Data/ML").as_deref(), Some("hidden"));
    let hidden_teams = ["Acme/Data/Analytics", "Acme/Data/Platform"]
        .iter()
        .filter(|u| status(&with, u).as_deref() == Some("hidden"))
        .count();
    assert_eq!(hidden_teams, 1, "{with}");
}

#[test]
fn a_bad_invited_file_names_the_row_and_the_reason_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let responses = temp_file(
        &dir,
        "responses.csv",
        &mini_sheets(&[("Acme/A", 5), ("Acme/B", 6)]),
    );
    let cases = [
        (
            "unit,count\nAcme/A,5\n",
            "header: expected the columns unit,invited, found unit,count",
        ),
        (
            "unit,invited\nAcme/A,five\nAcme/B,6\n",
            "row 2, column \"invited\": value \"five\" is not a whole number",
        ),
        (
            "unit,invited\nAcme/A,5\nAcme/B,6\nAcme/A,1\n",
            "row 4: the same unit and values as row 2",
        ),
        (
            "unit,invited\nAcme/A,5\nAcme/B,4\n",
            "row 3: unit \"Acme/B\" has 6 answer sheet(s) but 4 invited",
        ),
        (
            "unit,invited\nAcme/A,18446744073709551615\nAcme/B,6\n",
            "row 2, column \"invited\": value \"18446744073709551615\" is more than 10000000 people",
        ),
        (
            "unit,invited\nAcme/A,5\nAcme//B,4\n",
            "row 3, column \"unit\": value \"Acme//B\"",
        ),
    ];
    for (text, expected) in cases {
        let invited = temp_file(&dir, "invited.csv", text);
        let o = score(&[
            "--instrument",
            &fixture("fixtures/mini.toml"),
            "--responses",
            &responses,
            "--output",
            "heatmap",
            "--min-group-size",
            "5",
            "--invited",
            &invited,
        ]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{text}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{text}: nothing written");
    }
}

/// With `--invited`, an attribute's values come from the invited counts too: a value listed
/// only when someone with it answered would tell who answered. Here nobody with tenure
/// "10y+" answered; the value is still a cut, hidden like any cell under k.
#[test]
fn invited_values_are_cuts_even_when_nobody_with_them_answered() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,unit,tenure,wl1,wl2,wl3,ex1,ex2,cy1,cy2,ef1,ef2\n");
    for i in 0..12 {
        let tenure = if i % 2 == 0 { "<1y" } else { "1-3y" };
        let unit = if i < 6 { "Acme/A" } else { "Acme/B" };
        let a = 1 + i % 5;
        csv.push_str(&format!(
            "r{i},{unit},{tenure},{a},{a},{a},{a},{a},{a},{a},{a},{a}\n"
        ));
    }
    let responses = temp_file(&dir, "responses.csv", &csv);
    let invited = temp_file(
        &dir,
        "invited.csv",
        "unit,tenure,invited\nAcme/A,<1y,3\nAcme/A,1-3y,4\nAcme/A,10y+,1\n\
         Acme/B,<1y,3\nAcme/B,1-3y,3\nAcme/B,10y+,2\n",
    );
    let instrument = fixture("fixtures/mini.toml");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--instrument",
            &instrument,
            "--responses",
            &responses,
            "--output",
            "heatmap",
            "--min-group-size",
            "3",
            "--attribute",
            "tenure",
        ];
        args.extend_from_slice(extra);
        let o = score(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    assert!(!run(&[]).contains("tenure=10y+"));
    let with = run(&["--invited", &invited]);
    for unit in ["Acme", "Acme/A", "Acme/B"] {
        assert!(
            with.contains(&format!(",{unit},tenure=10y+,workload,hidden,")),
            "{unit}: {with}"
        );
    }
}
