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
