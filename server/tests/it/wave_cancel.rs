//! A wave closed before it ever opened is cancelled: nobody is invited, it has no report,
//! and the reports and action plans of the waves after it still compare with the last wave
//! that really ran (it used to be taken for the previous wave and break them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::reports_common::*;
use worklife_tests::{backends, Workspace};

#[test]
fn a_wave_that_never_opened_is_cancelled_and_later_reports_still_work() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster())]);
        run_wave_from(&ws, "W1", "2020-01-01", 0, &[]);
        ws.ok(&[
            "wave",
            "create",
            "Skipped",
            "--instrument",
            "worklife-core",
            "--opens",
            "2020-03-01",
            "--closes",
            "2099-01-01",
            "--min-group-size",
            "3",
        ]);
        let out = ws.ok(&["wave", "close", "Skipped"]);
        assert!(
            out.contains("never opened and is now cancelled"),
            "{backend:?}: {out}"
        );
        let refused = ws.worklife(&["wave", "open", "Skipped"]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("cancelled already"));
        run_wave_from(&ws, "W2", "2020-06-01", 2, &[]);

        let list = ws.ok(&["wave", "list"]);
        assert!(
            list.lines()
                .any(|l| l.starts_with("Skipped") && l.contains("cancelled")),
            "{list}"
        );
        // W2 compares with W1: the root row's delta to the previous wave is filled.
        let csv = ws.ok(&["report", "heatmap", "--wave", "W2", "--format", "csv"]);
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let prev = header.iter().position(|h| *h == "delta_prev").unwrap();
        let root = csv
            .lines()
            .skip(1)
            .find(|l| l.split(',').nth(1) == Some("Acme"))
            .unwrap();
        assert!(
            !root.split(',').nth(prev).unwrap().is_empty(),
            "{backend:?}: {root}"
        );
        let plan = ws.ok(&[
            "report",
            "action-plan",
            "--wave",
            "W2",
            "--unit",
            "Acme/Sales",
            "--format",
            "md",
        ]);
        assert!(plan.contains("Acme/Sales"), "{plan}");
        // The cancelled wave itself has no report.
        let none = ws.worklife(&["report", "heatmap", "--wave", "Skipped", "--format", "csv"]);
        assert!(!none.status.success());
    }
}
