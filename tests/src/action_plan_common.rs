//! Shared by the `action_plan*` tests: an organisation of three teams, waves answered through
//! the real form code, and the release's heat map from `worklife score` on the same answers
//! (an independent way to the release's figures).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};

use crate::{Backend, Workspace};
use worklife_server::survey::responses::{self, InstrumentCache};

pub const PULSE_ITEMS: [&str; 13] = [
    "p_wl1", "p_ct1", "p_rw1", "p_cm1", "p_fr1", "p_vl1", "p_ex1", "p_ex2", "p_cy1", "p_cy2",
    "p_ef1", "p_ef2", "p_rc1",
];

pub const PLAN_HEADER: [&str; 18] = [
    "record",
    "wave",
    "unit",
    "area",
    "id",
    "title",
    "detail",
    "owner",
    "due",
    "status",
    "respondents",
    "mean",
    "favorable_pct",
    "delta_org",
    "significant_org",
    "previous_mean",
    "delta_prev",
    "significant_prev",
];

/// Big: six people; Dept: six people and its sub-team Small of two (under k = 5).
pub fn roster() -> String {
    let mut csv = String::from("email,unit\n");
    for i in 0..6 {
        csv.push_str(&format!("b{i}@acme.test,Acme/Big\n"));
        csv.push_str(&format!("d{i}@acme.test,Acme/Dept\n"));
    }
    csv.push_str("s0@acme.test,Acme/Dept/Small\ns1@acme.test,Acme/Dept/Small\n");
    csv
}

pub fn org(backend: Backend) -> Workspace {
    let ws = Workspace::new(backend);
    ws.ok(&["roster", "import", &ws.write("roster.csv", &roster())]);
    ws
}

/// Answers in item order. Big is low on workload and reward; in wave 2 its control falls
/// from 4 to 2.5. Workload over the organisation is 42 / 14 = 3.00. Neither Big nor Dept
/// gave one answer all but once to workload, control or reward: the pulse's areas are
/// single questions, whose mean would then be a band, and Acme less Big would tell Dept's
/// answers (D9). Dept's control and reward answers lie far apart, so that Acme less Big
/// leaves the two people of Small any mean from 1 to 5 (P2).
pub fn answers(email: &str, wave: u32) -> [i32; 13] {
    let i: usize = email[1..2].parse().unwrap();
    match &email[..1] {
        "b" => {
            let control = if wave == 1 {
                [4, 5, 4, 4, 3, 4][i]
            } else {
                [2, 3][i % 2]
            };
            let wl = [1, 2, 2, 3, 2, 1][i];
            let rw = [2, 2, 3, 2, 1, 2][i];
            [wl, control, rw, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3]
        }
        "d" => {
            let (wl, ct, rw) = (
                [4, 5, 4, 5, 4, 4][i],
                [1, 5, 3, 1, 5, 3][i],
                [1, 5, 4, 1, 5, 4][i],
            );
            [wl, ct, rw, 3, 3, 3, 2, 2, 2, 2, 4, 4, 4]
        }
        _ => [[2, 3][i], 3, 4, 4, 4, 4, 1, 5, 1, 5, 2, 2, 5],
    }
}

pub fn plan_args<'a>(wave: &'a str, unit: &'a str, format: &'a str) -> Vec<&'a str> {
    vec![
        "report",
        "action-plan",
        "--wave",
        wave,
        "--unit",
        unit,
        "--format",
        format,
    ]
}

/// Creates and opens a wave of the pulse survey with k = 5; returns its new tokens.
pub fn open(ws: &Workspace, name: &str) -> Vec<String> {
    let before: Vec<String> = std::fs::read_dir(ws.outbox())
        .map(|d| d.count())
        .ok()
        .map(|_| ws.invitations().into_keys().collect())
        .unwrap_or_default();
    let opens = if name == "Q1" {
        "2026-01-01"
    } else {
        "2026-02-01"
    };
    ws.ok(&[
        "wave",
        "create",
        name,
        "--instrument",
        "worklife-pulse",
        "--opens",
        opens,
        "--closes",
        "2099-12-31",
        "--min-group-size",
        "5",
    ]);
    ws.ok(&["wave", "open", name]);
    ws.invitations()
        .into_keys()
        .filter(|t| !before.contains(t))
        .collect()
}

/// Opens a wave, lets everyone answer, closes it; returns the release's heat map computed
/// by `worklife score` from the same answers.
pub fn run_wave(ws: &Workspace, name: &str, wave: u32) -> Heat {
    let tokens = open(ws, name);
    assert_eq!(tokens.len(), 14);
    let who = ws.invitations();
    let units: HashMap<String, String> = roster()
        .lines()
        .skip(1)
        .map(|l| {
            let (e, u) = l.split_once(',').unwrap();
            (e.to_string(), u.to_string())
        })
        .collect();
    let pool = ws.pool();
    let mut conn = pool.get().unwrap();
    let cache = InstrumentCache::default();
    let mut file = format!("unit,{}\n", PULSE_ITEMS.join(","));
    for token in &tokens {
        let email = &who[token];
        let values = answers(email, wave);
        let sheet: BTreeMap<String, Option<i32>> = PULSE_ITEMS
            .iter()
            .zip(values)
            .map(|(i, v)| (i.to_string(), Some(v)))
            .collect();
        responses::submit(
            &mut conn,
            &cache,
            &Default::default(),
            token,
            &responses::Submitted {
                answers: sheet,
                comments: Default::default(),
            },
            worklife_server::clock::now(),
        )
        .unwrap();
        let row: Vec<String> = values.iter().map(i32::to_string).collect();
        file.push_str(&format!("{},{}\n", units[email], row.join(",")));
    }
    drop(conn);
    ws.ok(&["wave", "close", name]);
    let path = ws.write(&format!("{name}.csv"), &file);
    let heat = ws.ok(&[
        "score",
        "--instrument",
        "worklife-pulse",
        "--responses",
        &path,
        "--output",
        "heatmap",
        "--min-group-size",
        "5",
        "--wave",
        name,
    ]);
    let mut rows = csv::Reader::from_reader(heat.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(String::from).collect();
    Heat {
        rows: rows
            .records()
            .map(|r| {
                header
                    .iter()
                    .cloned()
                    .zip(r.unwrap().iter().map(String::from))
                    .collect()
            })
            .collect(),
    }
}

/// The heat-map CSV of a release, by unit and scale (whole units only).
pub struct Heat {
    pub rows: Vec<HashMap<String, String>>,
}

impl Heat {
    pub fn row(&self, unit: &str, scale: &str) -> &HashMap<String, String> {
        self.rows
            .iter()
            .find(|r| r["unit"] == unit && r["scale"] == scale && r["cut"].is_empty())
            .unwrap_or_else(|| panic!("no heat-map row {unit} {scale}"))
    }

    pub fn status(&self, unit: &str, scale: &str) -> &str {
        &self.row(unit, scale)["status"]
    }

    pub fn max_respondents(&self, unit: &str) -> String {
        self.rows
            .iter()
            .filter(|r| r["unit"] == unit && r["status"] == "shown")
            .map(|r| r["respondents"].parse::<u64>().unwrap())
            .max()
            .unwrap()
            .to_string()
    }

    /// Every figure of the release, as printed.
    pub fn figures(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .rows
            .iter()
            .flat_map(|r| {
                [
                    "respondents",
                    "mean",
                    "sd",
                    "ci_low",
                    "ci_high",
                    "favorable_pct",
                    "delta_org",
                ]
                .map(|c| r[c].trim_start_matches('-').to_string())
            })
            .filter(|v| !v.is_empty())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// Numbers written in a text (runs of digits and dots), ignoring those glued to letters
/// (`Q1`) and UUIDs.
pub fn numbers_in(text: &str) -> Vec<String> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || ",|\"'()*:;".contains(c))
        .filter(|w| uuid::Uuid::parse_str(w).is_err())
        .collect();
    let mut out = Vec::new();
    for w in words {
        for part in w.split(['-', '/']) {
            let part = part.trim_end_matches('.');
            if !part.is_empty()
                && part.chars().any(|c| c.is_ascii_digit())
                && part
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '%')
            {
                out.push(part.trim_end_matches('%').to_string());
            }
        }
    }
    out
}
