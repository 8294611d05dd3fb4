//! Manager action plans through the real binary, on SQLite and PostgreSQL: the exported
//! figures are exactly the release's, a unit under k gets none, formulas are neutralised,
//! items outlive waves, and bad input is refused with the field named.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::action_plan_common::*;
use worklife_tests::backends;

#[test]
fn the_plan_of_a_shown_unit_holds_exactly_the_release_figures() {
    for backend in backends() {
        let ws = org(backend);
        let heat = run_wave(&ws, "Q1", 1);
        assert_eq!(heat.status("Acme/Big", "workload"), "shown");

        let csv = ws.ok(&plan_args("Q1", "Acme/Big", "csv"));
        let rows = parse_csv(&csv);
        assert_eq!(rows[0], PLAN_HEADER, "{backend:?}");
        let unit = rows.iter().find(|r| r[0] == "unit").unwrap();
        assert_eq!(unit[10], heat.max_respondents("Acme/Big"), "{backend:?}");
        let focus: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "focus").collect();
        // Big is low on workload (1.83 against 3.00) and on reward (2.00 against 2.86); Dept
        // is not. Reward's gap is significant; workload's sd is a band (Acme less Big would
        // bound Small, D7), so it has no test and comes second.
        let areas: Vec<&str> = focus.iter().map(|r| r[3].as_str()).collect();
        assert_eq!(areas, ["reward", "workload"], "{backend:?}");
        for r in &focus {
            let h = heat.row("Acme/Big", &r[3]);
            assert_eq!(r[10], h["respondents"], "{backend:?} {}", r[3]);
            assert_eq!(r[11], h["mean"]);
            assert_eq!(r[12], h["favorable_pct"]);
            assert_eq!(r[13], h["delta_org"]);
            let sig = match h["significant"].as_str() {
                "true" => "yes",
                "false" => "no",
                _ => "",
            };
            assert_eq!(r[14], sig);
            // No previous wave: nothing to compare with.
            assert_eq!(
                (r[15].as_str(), r[16].as_str(), r[17].as_str()),
                ("", "", "")
            );
        }
        assert_eq!(
            (focus[0][11].as_str(), focus[0][14].as_str()),
            ("2.00", "yes")
        );
        assert_eq!(
            (focus[1][11].as_str(), focus[1][13].as_str()),
            ("1.83", "-1.17")
        );
        assert_eq!(focus[1][14], "");
        // Suggestions follow the focus areas, four or more each.
        let suggested: Vec<&str> = rows
            .iter()
            .filter(|r| r[0] == "suggestion")
            .map(|r| r[3].as_str())
            .collect();
        assert!(suggested.iter().filter(|a| **a == "workload").count() >= 4);
        assert!(suggested.iter().filter(|a| **a == "reward").count() >= 4);
        assert!(suggested.iter().all(|a| *a == "workload" || *a == "reward"));

        let md = ws.ok(&plan_args("Q1", "Acme/Big", "md"));
        assert!(md.starts_with("# Action plan: Acme/Big\n"), "{md}");
        assert!(md.contains(&format!(
            "Respondents: {}",
            heat.max_respondents("Acme/Big")
        )));
        let wl = heat.row("Acme/Big", "workload");
        let line = md
            .lines()
            .find(|l| l.starts_with("| Workload |"))
            .unwrap_or_else(|| panic!("{md}"));
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(cells[2], wl["mean"]);
        // The heat-map CSV gives a band's id where the figure is banded (D9); the plan says
        // it in words.
        let favorable = match wl["favorable_pct"].as_str() {
            "all_or_nearly_all" => "all or nearly all".to_string(),
            "none_or_nearly_none" => "none or nearly none".to_string(),
            p => format!("{p}%"),
        };
        assert_eq!(cells[3], favorable);
        assert_eq!(cells[4], wl["delta_org"]);
        assert!(md.contains("### Workload\n"));
        assert!(
            !md.contains("### Values\n"),
            "only focus areas' suggestions"
        );
    }
}

#[test]
fn a_unit_under_k_gets_no_figure_only_its_items_and_the_library() {
    for backend in backends() {
        let ws = org(backend);
        let heat = run_wave(&ws, "Q1", 1);
        assert_eq!(heat.status("Acme/Dept/Small", "workload"), "hidden");
        ws.ok(&[
            "action",
            "add",
            "--unit",
            "Acme/Dept/Small",
            "--area",
            "community",
            "--title",
            "Weekly coffee",
            "--owner",
            "Sam",
            "--due",
            "2027-01-15",
        ]);
        let figures = heat.figures();
        assert!(figures.len() > 20, "{backend:?}: {figures:?}");

        let csv = ws.ok(&plan_args("Q1", "Acme/Dept/Small", "csv"));
        let rows = parse_csv(&csv);
        for r in &rows[1..] {
            assert!(r[10..].iter().all(String::is_empty), "{backend:?}: {r:?}");
        }
        assert!(rows.iter().all(|r| r[0] != "focus"));
        let unit = rows.iter().find(|r| r[0] == "unit").unwrap();
        assert_eq!(
            unit[6],
            "Scores for Acme/Dept/Small are hidden: fewer than 5 people answered, or showing \
             them would let someone work out the answers of a smaller group. So this plan \
             shows no scores."
        );
        let item = rows.iter().find(|r| r[0] == "item").unwrap();
        assert_eq!(
            (item[5].as_str(), item[7].as_str()),
            ("Weekly coffee", "Sam")
        );
        // The whole library: every area.
        for area in [
            "workload",
            "control",
            "reward",
            "community",
            "fairness",
            "values",
        ] {
            assert!(rows.iter().any(|r| r[0] == "suggestion" && r[3] == area));
        }

        let md = ws.ok(&plan_args("Q1", "Acme/Dept/Small", "md"));
        assert!(md.contains("Scores for Acme/Dept/Small are hidden: fewer than 5 people answered"));
        assert!(!md.contains("Respondents"));
        assert!(!md.contains("## Focus areas"));
        assert!(md.contains("| Weekly coffee | Community | Sam | 2027-01-15 | not started |"));
        for (text, what) in [(&csv, "csv"), (&md, "md")] {
            let numbers = numbers_in(text);
            // Only the due date and k may appear: no count, mean or other figure.
            assert!(
                numbers
                    .iter()
                    .all(|n| ["2027", "01", "15", "5"].contains(&n.as_str())),
                "{backend:?} {what}: {numbers:?}"
            );
            for f in &figures {
                assert!(!numbers.contains(f) || f == "5", "{backend:?} {what}: {f}");
            }
        }
    }
}

#[test]
fn the_markdown_plan_keeps_only_web_and_mail_links() {
    for backend in backends() {
        let ws = org(backend);
        run_wave(&ws, "Q1", 1);
        ws.ok(&[
            "action",
            "add",
            "--unit",
            "Acme/Big",
            "--area",
            "workload",
            "--title",
            "[click](javascript:alert(1)) and [also](  JavaScript:x) and [data](data:text/html,x)",
            "--owner",
            "[me](mailto:lead@example.org)",
            "--notes",
            "[guide](https://example.org/guide) [<x>](<javascript:y>)",
        ]);
        let md = ws.ok(&plan_args("Q1", "Acme/Big", "md"));
        // A link that is not http(s) or mailto shows as its text: `](` is broken.
        for bad in [
            "](javascript:",
            "](  JavaScript:",
            "](data:",
            "](&lt;javascript:",
        ] {
            assert!(!md.contains(bad), "{backend:?}: {bad} in\n{md}");
        }
        assert!(md.contains("[click]\\(javascript:alert(1))"), "{md}");
        assert!(md.contains("[me](mailto:lead@example.org)"), "{md}");
        assert!(md.contains("[guide](https://example.org/guide)"), "{md}");
        assert!(!md.contains("<x>") && !md.contains("<javascript"), "{md}");
    }
}

#[test]
fn formulas_in_items_are_neutralised_in_the_csv() {
    for backend in backends() {
        let ws = org(backend);
        run_wave(&ws, "Q1", 1);
        ws.ok(&[
            "action",
            "add",
            "--unit",
            "Acme/Big",
            "--area",
            "workload",
            "--title",
            "=HYPERLINK(\"http://x\")",
            "--owner",
            "@owner",
            "--notes",
            "+1+cmd|' /C calc'!A0",
        ]);
        ws.ok(&[
            "action",
            "add",
            "--unit",
            "Acme/Big",
            "--area",
            "reward",
            "--title=-2+3",
            "--owner",
            "\tTab",
            "--notes",
            "\rReturn",
        ]);
        let rows = parse_csv(&ws.ok(&plan_args("Q1", "Acme/Big", "csv")));
        let items: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "item").collect();
        assert_eq!(items.len(), 2, "{backend:?}");
        assert_eq!(items[0][5], "'=HYPERLINK(\"http://x\")");
        assert_eq!(items[0][7], "'@owner");
        assert_eq!(items[0][6], "'+1+cmd|' /C calc'!A0");
        assert_eq!(items[1][5], "'-2+3");
        // Leading whitespace of free text is trimmed on input, so tab and CR never lead.
        assert_eq!(items[1][7], "Tab");
        assert_eq!(items[1][6], "Return");
        for r in &rows {
            for cell in r {
                let risky = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(!risky, "{backend:?}: {cell:?}");
            }
        }
    }
}

#[test]
fn items_are_kept_across_waves_and_drops_compare_with_the_previous_wave() {
    for backend in backends() {
        let ws = org(backend);
        let q1 = run_wave(&ws, "Q1", 1);
        let id = ws
            .ok(&[
                "action",
                "add",
                "--unit",
                "Acme/Big",
                "--area",
                "workload",
                "--title",
                "Workload review",
                "--owner",
                "Kim",
                "--due",
                "2026-12-01",
                "--wave",
                "Q1",
            ])
            .trim()
            .to_string();
        assert_eq!(id.len(), 36);
        let q2 = run_wave(&ws, "Q2", 2);
        assert!(ws
            .ok(&["action", "set-status", &id, "in-progress"])
            .contains("is in_progress"));

        let rows = parse_csv(&ws.ok(&plan_args("Q2", "Acme/Big", "csv")));
        let item = rows.iter().find(|r| r[0] == "item").unwrap();
        assert_eq!(
            (item[4].as_str(), item[5].as_str(), item[9].as_str()),
            (id.as_str(), "Workload review", "in_progress"),
            "{backend:?}"
        );
        // Control fell in Q2 (4.00 -> 2.50); the previous mean is Q1's figure.
        let control = rows
            .iter()
            .find(|r| r[0] == "focus" && r[3] == "control")
            .unwrap_or_else(|| panic!("{backend:?}: {rows:?}"));
        assert_eq!(control[11], q2.row("Acme/Big", "control")["mean"]);
        assert_eq!(control[15], q1.row("Acme/Big", "control")["mean"]);
        assert_eq!(
            (control[11].as_str(), control[15].as_str()),
            ("2.50", "4.00")
        );
        assert_eq!(control[16], "-1.50");
        assert_eq!(control[17], "yes");
        assert!(control[6].contains("lower than in the previous wave (significant)"));
        // Still listed for the unit, and in the Q1 plan too: items belong to the unit.
        assert!(ws
            .ok(&["action", "list", "--unit", "Acme/Big"])
            .contains("Workload review"));
        let q1_plan = ws.ok(&plan_args("Q1", "Acme/Big", "md"));
        assert!(q1_plan.contains("| Workload review | Workload | Kim | 2026-12-01 | in progress |"));
        // A unit's list is that unit's only.
        assert!(!ws
            .ok(&["action", "list", "--unit", "Acme/Dept"])
            .contains("Workload review"));
    }
}

#[test]
fn bad_input_is_refused_with_the_field_named() {
    for backend in backends() {
        let ws = org(backend);
        run_wave(&ws, "Q1", 1);
        let long = "x".repeat(201);
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                vec![
                    "action", "add", "--unit", "Acme/Big", "--area", "workload", "--title", " ",
                ],
                "title: is required",
            ),
            (
                vec![
                    "action",
                    "add",
                    "--unit",
                    "Acme/Big",
                    "--area",
                    "workload",
                    "--title",
                    long.as_str(),
                ],
                "title: is 201 characters long, at most 200 are allowed",
            ),
            (
                vec![
                    "action",
                    "add",
                    "--unit",
                    "Acme/Big",
                    "--area",
                    "exhaustion",
                    "--title",
                    "t",
                ],
                "area: unknown area \"exhaustion\"",
            ),
            (
                vec![
                    "action",
                    "add",
                    "--unit",
                    "Acme/Big",
                    "--area",
                    "values",
                    "--title",
                    "t",
                    "--due",
                    "31.12.2026",
                ],
                "due: \"31.12.2026\" is not a date (use YYYY-MM-DD)",
            ),
            (
                vec![
                    "action", "add", "--unit", "Acme/Big", "--area", "values", "--title", "t",
                    "--status", "finished",
                ],
                "status: unknown status \"finished\"",
            ),
            (
                vec![
                    "action",
                    "add",
                    "--unit",
                    "Acme/Nope",
                    "--area",
                    "values",
                    "--title",
                    "t",
                ],
                "unit: no unit \"Acme/Nope\"",
            ),
            (
                vec!["action", "set-status", "no-such-id", "done"],
                "no action item \"no-such-id\"",
            ),
            (
                vec!["action", "list", "--unit", "Acme//Big"],
                "unit: the unit path \"Acme//Big\" has an empty segment",
            ),
            (plan_args("Q9", "Acme/Big", "md"), "no wave named \"Q9\""),
            (
                plan_args("Q1", "Acme/Gone", "md"),
                "unit: no unit \"Acme/Gone\"",
            ),
        ];
        for (args, expected) in cases {
            let out = ws.worklife(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{backend:?} {args:?}: {stderr}");
            assert!(stderr.contains(expected), "{backend:?} {args:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{args:?}");
        }
        // Several problems at once are all listed.
        let out = ws.worklife(&[
            "action", "add", "--unit", "Acme/Big", "--area", "x", "--title", "", "--due", "soon",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("3 problems"), "{stderr}");
        // A status change to an unknown status names the field and changes nothing.
        let id = ws
            .ok(&[
                "action", "add", "--unit", "Acme/Big", "--area", "values", "--title", "ok",
            ])
            .trim()
            .to_string();
        let out = ws.worklife(&["action", "set-status", &id, "half-done"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("status: unknown status \"half-done\"")
        );
        assert!(ws
            .ok(&["action", "list", "--unit", "Acme/Big"])
            .contains("not_started"));
        // An open wave has no release yet.
        let tokens = open(&ws, "Q2");
        assert!(!tokens.is_empty());
        let out = ws.worklife(&plan_args("Q2", "Acme/Big", "csv"));
        assert_eq!(out.status.code(), Some(2), "{backend:?}");
        assert!(String::from_utf8_lossy(&out.stderr)
            .contains("wave \"Q2\" is open: reports exist only for closed waves"));
        assert!(out.stdout.is_empty());
    }
}
