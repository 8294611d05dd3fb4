//! `wave status` shows response counts per unit through the heat map's suppressor: a count
//! under k, a count that would give it away by subtraction, and a count a reader could pin
//! with the invited counts all read `hidden`, with one word so the reason tells nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use worklife_server::survey::responses::{self, InstrumentCache};
use worklife_server::survey::waves;
use worklife_tests::reports_common::run_wave_from;
use worklife_tests::{backends, Workspace};

/// Unit path -> the `responded` column.
fn responded(status: &str) -> BTreeMap<String, String> {
    lines_of(status)
        .into_iter()
        .map(|(unit, (_, responded))| (unit, responded))
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
        assert_eq!(lines["Acme/Eng/B"], "hidden", "{backend:?}");
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

/// Unit path -> (invited, the `responded` column).
fn lines_of(status: &str) -> BTreeMap<String, (u64, String)> {
    status
        .lines()
        .skip_while(|l| !l.starts_with("unit "))
        .skip(1)
        // A closed wave's status ends with its kept disclosure audit.
        .take_while(|l| !l.starts_with("disclosure audit: "))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() >= 3).then(|| {
                (
                    cols[0].to_string(),
                    (cols[1].parse().unwrap(), cols[2].to_string()),
                )
            })
        })
        .collect()
}

/// P1 through `wave status`. A reader who knows every team's size enumerates every way the
/// responses could be spread over the teams consistent with the shown counts: each hidden
/// team under k, and the one person directly in Data, must have at least two possible counts.
///
/// First the worked case of docs/privacy.md, from the demo's Engineering/Data: Data's one
/// direct member answered, Analytics 5 of 6, Platform 5 of 7, Machine Learning 4 of 5,
/// k = 5; two labels pinned ML at 4, one label frees it. Then a case only more hiding frees:
/// nobody in ML (2 invited) nor Data's direct member answered, so Data = Analytics +
/// Platform would pin both at 0 unless a sibling is hidden too.
#[test]
fn a_reader_who_knows_team_sizes_cannot_pin_a_hidden_count() {
    let worked: [(&str, u64, u64); 5] = [
        ("Acme/Data", 1, 1),
        ("Acme/Data/Analytics", 6, 5),
        ("Acme/Data/Platform", 7, 5),
        ("Acme/Data/ML", 5, 4),
        ("Acme/Sales", 10, 8),
    ];
    let nobody: [(&str, u64, u64); 5] = [
        ("Acme/Data", 1, 0),
        ("Acme/Data/Analytics", 5, 5),
        ("Acme/Data/Platform", 9, 5),
        ("Acme/Data/ML", 2, 0),
        ("Acme/Sales", 10, 8),
    ];
    for teams in [worked, nobody] {
        team_sizes_pin_nothing(&teams);
    }
}

fn team_sizes_pin_nothing(teams: &[(&str, u64, u64)]) {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let mut roster = String::from("email,unit\n");
        for &(unit, invited, _) in teams {
            for i in 0..invited {
                roster.push_str(&format!(
                    "{}{i}@example.org,{unit}\n",
                    unit.replace('/', ".")
                ));
            }
        }
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster)]);
        ws.create_wave("W", "worklife-core", "5");
        ws.ok(&["wave", "open", "W"]);
        // Who answers: the first `answered` people of each team, found by the mail's address.
        let answering: Vec<String> = ws
            .invitations()
            .into_iter()
            .filter(|(_, to)| {
                teams.iter().any(|(unit, _, answered)| {
                    (0..*answered).any(|i| {
                        // Addresses are stored in lower case.
                        to.eq_ignore_ascii_case(&format!(
                            "{}{i}@example.org",
                            unit.replace('/', ".")
                        ))
                    })
                })
            })
            .map(|(token, _)| token)
            .collect();
        let answered: u64 = teams.iter().map(|t| t.2).sum();
        assert_eq!(answering.len() as u64, answered, "{backend:?}");
        let pool = ws.pool();
        let mut conn = pool.get().unwrap();
        let cache = InstrumentCache::default();
        let wave = waves::find(&mut conn, "W").unwrap();
        let instrument = cache.get(&mut conn, &wave.instrument).unwrap();
        let answers: BTreeMap<String, Option<i32>> = instrument
            .items
            .iter()
            .map(|item| (item.id.clone(), Some(3)))
            .collect();
        for token in &answering {
            responses::submit_answers(
                &mut conn,
                &cache,
                token,
                &answers,
                worklife_server::clock::now(),
            )
            .unwrap();
        }

        let lines = lines_of(&ws.ok(&["wave", "status", "W"]));
        assert_eq!(lines["Acme/Data/ML"].1, "hidden", "{backend:?}: {lines:?}");
        // Data itself is shown: the hiding happens below it.
        let data: u64 = teams[..4].iter().map(|t| t.2).sum();
        assert_eq!(
            lines["Acme/Data"].1,
            data.to_string(),
            "{backend:?}: {lines:?}"
        );
        assert!(
            lines
                .values()
                .all(|(_, r)| r == "hidden" || r.parse::<u64>().is_ok()),
            "{backend:?}: one word for every hidden count: {lines:?}"
        );
        // Every spread of direct respondents over the teams that fits every shown count.
        let units: Vec<&str> = teams.iter().map(|t| t.0).collect();
        let cells: Vec<&str> = lines.keys().map(String::as_str).collect();
        let within = |cell: &str, unit: &str| unit == cell || unit.starts_with(&format!("{cell}/"));
        let mut seen: BTreeMap<&str, std::collections::BTreeSet<u64>> = BTreeMap::new();
        let mut spread = vec![0u64; units.len()];
        loop {
            let fits = cells
                .iter()
                .all(|&cell| match lines[cell].1.parse::<u64>() {
                    Ok(shown) => {
                        let sum: u64 = units
                            .iter()
                            .zip(&spread)
                            .filter(|(u, _)| within(cell, u))
                            .map(|(_, n)| n)
                            .sum();
                        sum == shown
                    }
                    Err(_) => true,
                });
            if fits {
                for &cell in &cells {
                    let sum = units
                        .iter()
                        .zip(&spread)
                        .filter(|(u, _)| within(cell, u))
                        .map(|(_, n)| n)
                        .sum();
                    seen.entry(cell).or_default().insert(sum);
                }
                seen.entry("Acme/Data (direct)")
                    .or_default()
                    .insert(spread[0]);
            }
            // Next spread (odometer over 0..=invited per team).
            let mut i = 0;
            while i < spread.len() && spread[i] == teams[i].1 {
                spread[i] = 0;
                i += 1;
            }
            if i == spread.len() {
                break;
            }
            spread[i] += 1;
        }
        let truth = |cell: &str| -> u64 {
            teams
                .iter()
                .filter(|t| within(cell, t.0))
                .map(|t| t.2)
                .sum()
        };
        for &cell in &cells {
            if lines[cell].1 == "hidden" && truth(cell) < 5 {
                assert!(
                    seen[cell].len() >= 2,
                    "{backend:?}: {cell} is pinned at {:?}: {lines:?}",
                    seen[cell]
                );
            }
        }
        assert!(
            seen["Acme/Data (direct)"].len() >= 2,
            "{backend:?}: {lines:?}"
        );
    }
}
