//! `wave status` shows response counts per unit through the heat map's suppressor: a count
//! under k reads `<k`, and a count that would give it away by subtraction reads `hidden`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use worklife_tests::reports_common::run_wave_from;
use worklife_tests::{backends, Workspace};

/// Unit path -> the `responded` column.
fn responded(status: &str) -> BTreeMap<String, String> {
    status
        .lines()
        .skip_while(|l| !l.starts_with("unit "))
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() >= 3).then(|| (cols[0].to_string(), cols[2].to_string()))
        })
        .collect()
}

#[test]
fn no_count_under_k_can_be_worked_out_from_the_shown_ones() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let mut roster = String::from("email,unit\n");
        for (unit, n) in [("Acme/Eng/A", 7), ("Acme/Eng/B", 2), ("Acme/Sales", 5)] {
            for i in 0..n {
                roster.push_str(&format!(
                    "{}{i}@example.org,{unit}\n",
                    unit.replace('/', ".")
                ));
            }
        }
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster)]);
        run_wave_from(&ws, "W", "2020-01-01", 0, &[]);
        let status = ws.ok(&["wave", "status", "W"]);
        let lines = responded(&status);
        assert_eq!(lines.len(), 5, "{backend:?}: {lines:?}");
        assert_eq!(lines["Acme/Eng/B"], "<3", "{backend:?}");
        assert_eq!(
            lines["Acme"], "14",
            "{backend:?}: the organisation is always shown"
        );
        // Nobody belongs directly to Acme or Acme/Eng, so a shown parent with exactly one
        // child hidden would give that child away.
        for (parent, children) in [
            ("Acme", vec!["Acme/Eng", "Acme/Sales"]),
            ("Acme/Eng", vec!["Acme/Eng/A", "Acme/Eng/B"]),
        ] {
            let shown = |u: &str| lines[u].parse::<i64>().is_ok();
            if shown(parent) {
                let hidden = children.iter().filter(|c| !shown(c)).count();
                assert_ne!(
                    hidden, 1,
                    "{backend:?}: {parent} minus its shown children: {lines:?}"
                );
            }
        }
        assert!(
            lines.values().any(|v| v == "hidden"),
            "{backend:?}: {lines:?}"
        );
    }
}
