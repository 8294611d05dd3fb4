//! Report access on both databases: the role x scope matrix over every report route and
//! export, figures equal to the release, formula injection, the audit log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use survey_engine::disclosure::{CellKey, CellStatus};

use worklife_server::reports::WaveRelease;
use worklife_server::survey::responses::InstrumentCache;
use worklife_server::survey::waves;
use worklife_tests::reports_common::*;
use worklife_tests::{backends, closed_release, html_text, Backend, Workspace};

const PAGES: &[&str] = &[
    "/reports",
    "/reports/waves/W2",
    "/reports/waves/W2?measure=favorable&compare=previous&attribute=tenure",
    "/reports/waves/W2/print",
    "/reports/waves/W2/items",
    "/reports/waves/W2/items?unit=Acme/Eng",
    "/reports/trend?unit=Acme/Eng",
];
const API: &[&str] = &[
    "/api/v1/waves",
    "/api/v1/waves/W2/heatmap",
    "/api/v1/waves/W2/heatmap?attribute=tenure",
    "/api/v1/waves/W2/heatmap.csv",
    "/api/v1/waves/W2/heatmap.csv?attribute=tenure",
    "/api/v1/waves/W2/profiles",
    "/api/v1/waves/W2/profiles?attribute=tenure",
    "/api/v1/waves/W2/items",
];

fn units_of_csv(body: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(body.as_bytes());
    r.records().map(|rec| rec.unwrap()[1].to_string()).collect()
}

#[test]
fn role_and_scope_matrix_over_every_report_route() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        // Anonymous: pages send to the login page, the API answers 401.
        for p in PAGES {
            let r = get(&app.url(p), &As::Anonymous);
            assert_eq!(r.status, 303, "{backend:?} anonymous {p}");
            // ... and come back to the page asked for after signing in.
            assert_eq!(
                r.header("location"),
                Some(format!("/login?next={}", worklife_server::web::enc(p)).as_str()),
                "{backend:?} anonymous {p}"
            );
        }
        for p in API {
            assert_eq!(
                get(&app.url(p), &As::Anonymous).status,
                401,
                "{backend:?} anonymous {p}"
            );
            assert_eq!(
                get(&app.url(p), &As::Bearer("wlt_not-a-token".into())).status,
                401,
                "{backend:?} bad token {p}"
            );
        }
        signed_in_matrix(&format!("{backend:?} password"), &app.address, &|who| {
            session(app, who, &f.passwords[who])
        });
        for who in [ADMIN, VIEWER, MANAGER] {
            for p in API {
                let r = get(&app.url(p), &As::Bearer(f.tokens[who].clone()));
                assert_eq!(r.status, 200, "{backend:?} {who} {p}: {}", r.body);
            }
        }
        // Admin and viewer see the whole organisation; the manager only Acme/Eng's subtree,
        // after the organisation's own rows for comparison, and nothing else outside it is
        // even marked hidden.
        let all = get(
            &app.url("/api/v1/waves/W2/heatmap.csv"),
            &As::Bearer(f.tokens[VIEWER].clone()),
        );
        let all_units = units_of_csv(&all.body);
        assert!(all_units.iter().any(|u| u == "Acme/Sales"));
        assert!(all_units.iter().any(|u| u == "Acme/Tiny"));
        let mgr_token = As::Bearer(f.tokens[MANAGER].clone());
        let mine = get(
            &app.url("/api/v1/waves/W2/heatmap.csv?attribute=tenure"),
            &mgr_token,
        );
        let mine_units = units_of_csv(&mine.body);
        assert!(!mine_units.is_empty());
        let own = mine_units.iter().position(|u| u != "Acme").unwrap();
        assert!(own > 0, "{backend:?}: the organisation's rows come first");
        assert!(
            mine_units[own..]
                .iter()
                .all(|u| u == "Acme/Eng" || u.starts_with("Acme/Eng/")),
            "{backend:?}: {mine_units:?}"
        );
        for p in [
            "/api/v1/waves/W2/heatmap?unit=Acme/Sales",
            "/api/v1/waves/W2/heatmap?unit=Acme",
            "/api/v1/waves/W2/heatmap.csv?unit=Acme/Sales",
            "/api/v1/waves/W2/profiles?unit=Acme/Sales",
            "/api/v1/waves/W2/items?unit=Acme/Sales",
        ] {
            assert_eq!(
                get(&app.url(p), &mgr_token).status,
                403,
                "{backend:?} manager {p}"
            );
        }
        // The Sales manager is out of scope for Acme/Eng.
        let sales = As::Bearer(f.tokens[SALES].clone());
        assert_eq!(
            get(&app.url("/api/v1/waves/W2/heatmap?unit=Acme/Eng"), &sales).status,
            403
        );
        let sales_rows = get(&app.url("/api/v1/waves/W2/heatmap"), &sales).json();
        assert!(sales_rows["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["unit"] == "Acme/Sales"));
        // An open or unknown wave, an unknown attribute: clear 4xx.
        assert_eq!(
            get(&app.url("/api/v1/waves/nope/heatmap"), &mgr_token).status,
            404
        );
        let bad = get(
            &app.url("/api/v1/waves/W2/heatmap?attribute=shoe"),
            &mgr_token,
        );
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("shoe"), "{}", bad.body);
    }
}

/// Admin-only pages: 200 for the admin, 403 for everyone else signed in.
const ADMIN_PAGES: &[&str] = &[
    "/admin/users",
    "/admin/tokens",
    "/admin/waves",
    "/reports/roster",
    "/reports/audit",
    "/reports/settings",
];

/// The role x route matrix for sessions, however they were started (a password here, single
/// sign-on in `sso.rs`): `cookie_of(email)` signs the fixture's user in at `base`. Every
/// report page and API route is open to admin, viewer and manager; admin pages to the admin
/// only; a manager reads their subtree only.
pub fn signed_in_matrix(label: &str, base: &str, cookie_of: &dyn Fn(&str) -> String) {
    let url = |p: &str| format!("{base}{p}");
    for who in [ADMIN, VIEWER, MANAGER] {
        let cookie = As::Cookie(cookie_of(who));
        for p in PAGES.iter().chain(API) {
            let r = get(&url(p), &cookie);
            assert_eq!(r.status, 200, "{label} {who} {p}: {}", r.body);
        }
        for p in ADMIN_PAGES {
            let r = get(&url(p), &cookie);
            let expected = if who == ADMIN { 200 } else { 403 };
            assert_eq!(r.status, expected, "{label} {who} {p}");
        }
    }
    let manager = As::Cookie(cookie_of(MANAGER));
    let page = get(&url("/reports/waves/W2"), &manager);
    assert!(
        !page.body.contains("Acme/Sales") && !page.body.contains("Tiny"),
        "{label}: the manager's heat map shows units outside Acme/Eng"
    );
    for p in [
        "/reports/trend?unit=Acme/Sales",
        "/reports/waves/W2?unit=Acme/Sales",
        "/reports/waves/W2/items?unit=Acme/Sales",
        "/api/v1/waves/W2/heatmap?unit=Acme/Sales",
        "/api/v1/waves/W2/profiles?unit=Acme/Sales",
    ] {
        assert_eq!(get(&url(p), &manager).status, 403, "{label} manager {p}");
    }
}

#[test]
fn every_figure_comes_from_the_release_and_passes_the_auditor() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let pool = app.workspace.pool();
        let mut conn = pool.get().unwrap();
        let wave = waves::find(&mut conn, "W2").unwrap();
        let built = closed_release(&mut conn, "W2");
        let rel = &built.release;
        assert!(rel.audit(&built.sheets).unwrap().is_empty(), "{backend:?}");
        let invited = rel.invited.as_ref().unwrap();
        let (pinned, _) = rel.audit_counts(&built.sheets, invited).unwrap();
        assert!(pinned.is_empty(), "{backend:?}: {pinned:?}");
        let direct =
            worklife_server::reports::wave_release(&mut conn, &InstrumentCache::default(), &wave)
                .unwrap();
        assert_eq!(direct.heat, rel.heat);
        let mut statuses = std::collections::BTreeSet::new();
        for who in [ADMIN, MANAGER] {
            let body = get(
                &app.url("/api/v1/waves/W2/heatmap?attribute=tenure"),
                &As::Bearer(f.tokens[who].clone()),
            )
            .json();
            let rows = body["rows"].as_array().unwrap();
            assert!(!rows.is_empty());
            for row in rows {
                let key = key_of(rel, row);
                let s = rel
                    .scales
                    .iter()
                    .position(|x| x == row["scale"].as_str().unwrap())
                    .unwrap();
                let cell = rel.heat_cell(s, key).unwrap();
                assert_eq!(row["status"], cell.status.as_str(), "{backend:?} {row}");
                statuses.insert(cell.status.as_str());
                match cell.status {
                    CellStatus::Shown => {
                        let st = cell.stats.unwrap();
                        assert_eq!(row["respondents"].as_u64(), Some(st.n));
                        assert!(close(row["mean"].as_f64(), st.mean), "{row}");
                        assert!(
                            close(row["favorable_pct"].as_f64(), st.favorable_pct),
                            "{row}"
                        );
                    }
                    _ => {
                        for field in [
                            "respondents",
                            "mean",
                            "sd",
                            "ci_low",
                            "ci_high",
                            "favorable_pct",
                            "delta_org",
                            "delta_prev",
                        ] {
                            assert!(
                                row[field].is_null(),
                                "{backend:?} hidden cell carries {field}: {row}"
                            );
                        }
                    }
                }
            }
        }
        assert!(
            statuses.contains("shown")
                && statuses.contains("hidden")
                && !statuses.contains("below_min")
                && !statuses.contains("complementary"),
            "{statuses:?}"
        );
    }
}

/// The fixture, and the release of its wave W2 as the server caches it.
fn fixture_with_release(backend: Backend) -> (Fixture, Arc<WaveRelease>) {
    let f = fixture(backend);
    let pool = f.app.workspace.pool();
    let mut conn = pool.get().unwrap();
    let built = closed_release(&mut conn, "W2");
    (f, built)
}

/// The cell a report row (JSON, with `unit` and `cut`) is of.
fn key_of(rel: &survey_engine::release::Release, row: &serde_json::Value) -> CellKey {
    let unit = rel.tree.find(row["unit"].as_str().unwrap()).unwrap();
    let cut = row["cut"].as_str().unwrap();
    rel.row_order()
        .into_iter()
        .find(|k| k.unit == unit && rel.cut_label(*k) == cut)
        .unwrap_or(CellKey { unit, cut: None })
}

/// Two figures as JSON carries them (to within one ulp) and as the release has them.
fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (a, b) => a == b,
    }
}

/// The items and profiles APIs and the heat-map export, figure by figure against the release
/// the server caches (which the test above audits): every answer count, %, mean and band is
/// the release's, every hidden cell carries none, for the organisation's reader and for a
/// manager's scope with its comparison rows.
#[test]
fn items_profiles_and_the_export_are_the_releases_own_figures() {
    for backend in backends() {
        let (f, built) = fixture_with_release(backend);
        let app = &f.app;
        let rel = &built.release;
        let (mut shown, mut hidden) = (0, 0);
        for who in [ADMIN, MANAGER] {
            let token = As::Bearer(f.tokens[who].clone());
            let body = get(&app.url("/api/v1/waves/W2/items?attribute=tenure"), &token).json();
            let rows = body["rows"].as_array().unwrap().iter();
            for row in rows.chain(body["comparison"].as_array().unwrap()) {
                let key = key_of(rel, row);
                let item = rel.items.iter().position(|m| m.id == row["item"]).unwrap();
                let cell = rel.item_cell(item, key).unwrap();
                assert_eq!(row["status"], cell.status.as_str(), "{backend:?} {row}");
                let pct = row["pct"].as_array().unwrap();
                let bands = row["pct_band"].as_array().unwrap();
                let Some(counts) = cell.counts else {
                    hidden += 1;
                    assert!(
                        row["respondents"].is_null() && row["mean"].is_null(),
                        "{row}"
                    );
                    assert!(
                        row["sd"].is_null() && pct.is_empty() && bands.is_empty(),
                        "{row}"
                    );
                    continue;
                };
                shown += 1;
                let n: u64 = counts.iter().sum();
                assert_eq!(row["respondents"].as_u64(), Some(n), "{row}");
                match survey_engine::bands::distribution_bands(counts) {
                    Some(expected) => {
                        let expected: Vec<&str> = expected.iter().map(|b| b.as_str()).collect();
                        assert_eq!(bands.len(), expected.len(), "{row}");
                        for (b, e) in bands.iter().zip(expected) {
                            assert_eq!(b.as_str(), Some(e), "{row}");
                        }
                        assert!(pct.iter().all(|p| p.is_null()) && row["mean"].is_null());
                    }
                    None => {
                        assert!(bands.is_empty(), "{row}");
                        let total: f64 = (rel.scale_min..)
                            .zip(counts)
                            .map(|(v, &c)| f64::from(v) * c as f64)
                            .sum();
                        assert!(close(row["mean"].as_f64(), Some(total / n as f64)), "{row}");
                        for (p, &c) in pct.iter().zip(counts) {
                            assert!(
                                close(p.as_f64(), Some(100.0 * c as f64 / n as f64)),
                                "{row}"
                            );
                        }
                    }
                }
            }
            let body = get(
                &app.url("/api/v1/waves/W2/profiles?attribute=tenure"),
                &token,
            )
            .json();
            let rows = body["rows"].as_array().unwrap().iter();
            for row in rows.chain(body["comparison"].as_array().unwrap()) {
                let cell = rel.profile_cell(key_of(rel, row)).unwrap();
                assert_eq!(row["status"], cell.status.as_str(), "{backend:?} {row}");
                let Some((n, per)) = cell.counts else {
                    assert!(
                        row["respondents"].is_null() && row["percent"].is_null(),
                        "{row}"
                    );
                    assert!(row["bands"].is_null(), "{row}");
                    continue;
                };
                assert_eq!(row["respondents"].as_u64(), Some(n), "{row}");
                let pairs = match row["percent"].as_array() {
                    Some(pairs) => pairs,
                    None => row["bands"].as_array().unwrap(),
                };
                assert_eq!(pairs.len(), survey_engine::Profile::ALL.len(), "{row}");
                for (pair, profile) in pairs.iter().zip(survey_engine::Profile::ALL) {
                    assert_eq!(pair[0].as_str(), Some(profile.as_str()), "{row}");
                    let count = per[profile.index()] as f64;
                    if row["percent"].is_array() {
                        let pct = Some(100.0 * count / n as f64);
                        assert!(close(pair[1].as_f64(), pct), "{row}");
                    }
                }
            }
        }
        assert!(shown > 0 && hidden > 0, "{shown} {hidden}");
        // The export: every row's status, respondents and mean (two decimals, or its band).
        let token = As::Bearer(f.tokens[ADMIN].clone());
        let csv = get(
            &app.url("/api/v1/waves/W2/heatmap.csv?attribute=tenure"),
            &token,
        )
        .body;
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header = reader.headers().unwrap().clone();
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        let mut rows = 0;
        for record in reader.records() {
            let record = record.unwrap();
            let json = serde_json::json!({"unit": &record[at("unit")], "cut": &record[at("cut")]});
            let s = rel
                .scales
                .iter()
                .position(|x| x == &record[at("scale")])
                .unwrap();
            let cell = rel.heat_cell(s, key_of(rel, &json)).unwrap();
            assert_eq!(&record[at("status")], cell.status.as_str(), "{record:?}");
            let stats = cell.stats.filter(|_| cell.status == CellStatus::Shown);
            let n = stats.map(|st| st.n.to_string()).unwrap_or_default();
            assert_eq!(&record[at("respondents")], n, "{record:?}");
            let mean = match (cell.mean_band, stats.and_then(|st| st.mean)) {
                (Some(band), _) => band.as_str().to_string(),
                (None, Some(mean)) => format!("{mean:.2}"),
                (None, None) => String::new(),
            };
            assert_eq!(&record[at("mean")], mean, "{record:?}");
            rows += 1;
        }
        assert_eq!(
            rows,
            rel.row_order().len() * rel.scales.len(),
            "{backend:?}"
        );
    }
}

/// The cells of one row of a page's table, as text (tags dropped).
fn row_cells(row: &str) -> Vec<String> {
    row.split("<td")
        .skip(1)
        .map(|td| {
            let inner = &td[td.find('>').unwrap() + 1..];
            html_text(&inner[..inner.find("</td>").unwrap()])
        })
        .collect()
}

/// The printable report of the organisation (its reader) and of a manager's unit says, for
/// every scale, the release's n, mean, interval and favourable % (rounded as everywhere, or
/// in words where banded or withheld) and the release's Cronbach's alpha, and nothing for a
/// hidden scale.
#[test]
fn the_print_report_shows_the_releases_figures() {
    use survey_engine::reliability::ReleasedAlpha;
    for backend in backends() {
        let (f, built) = fixture_with_release(backend);
        let app = &f.app;
        let rel = &built.release;
        let instrument = &built.instrument;
        let f2 = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_default();
        let (mut shown, mut hidden) = (0, 0);
        for (who, unit) in [(ADMIN, "Acme"), (MANAGER, "Acme/Eng")] {
            let cookie = As::Cookie(session(app, who, &f.passwords[who]));
            let page = get(&app.url("/reports/waves/W2/print"), &cookie);
            assert_eq!(page.status, 200, "{backend:?} {who}");
            let unit = rel.tree.find(unit).unwrap();
            for (s, scale) in instrument.scales.iter().enumerate() {
                let cells = row_cells(&print_row(&page.body, &scale.label));
                let cell = rel.heat_cell(s, CellKey { unit, cut: None }).unwrap();
                let Some(st) = cell.stats.filter(|_| cell.status == CellStatus::Shown) else {
                    hidden += 1;
                    assert_eq!(cells.len(), 1, "{backend:?} {who} {cells:?}");
                    assert!(!cells[0].chars().any(|c| c.is_ascii_digit()), "{cells:?}");
                    continue;
                };
                shown += 1;
                let mean = match cell.mean_band {
                    Some(band) => band.label().to_string(),
                    None => f2(st.mean),
                };
                let ci = match (st.ci_low, cell.sd_below) {
                    (Some(_), _) => format!("{}–{}", f2(st.ci_low), f2(st.ci_high)),
                    (None, Some(_)) => "not shown (see the note)".to_string(),
                    (None, None) => String::new(),
                };
                let favorable = match cell.favorable_band {
                    Some(band) => band.label().to_string(),
                    None => st
                        .favorable_pct
                        .map(|p| format!("{p:.0}%"))
                        .unwrap_or_default(),
                };
                let alpha = match rel.unit_alphas(unit)[s] {
                    ReleasedAlpha::Shown(a) => f2(a),
                    ReleasedAlpha::TooFewCompleteSheets => {
                        format!("fewer than {} complete answer sheets", rel.k)
                    }
                    ReleasedAlpha::SpreadWithheld if cell.mean_band.is_some() => String::new(),
                    ReleasedAlpha::SpreadWithheld => "not shown (see the note)".to_string(),
                    ReleasedAlpha::Hidden => String::new(),
                };
                let expected = [st.n.to_string(), mean, ci, favorable, alpha];
                assert_eq!(cells.len(), expected.len(), "{backend:?} {who} {cells:?}");
                // A low alpha is followed by its warning.
                let warning = worklife_server::web::unit_report::ALPHA_WARNING;
                for (got, want) in cells.iter().zip(&expected) {
                    let warned = got.strip_suffix(warning).map(str::trim_end);
                    assert!(
                        *got == *want || warned == Some(want.as_str()),
                        "{backend:?} {who}: {got:?} is not {want:?}"
                    );
                }
            }
        }
        assert!(shown > 0, "{backend:?}: {shown} shown, {hidden} hidden");
    }
}

/// The command line's `report heatmap` and `report profiles` say what the API says to the
/// organisation's reader (which the tests above compare with the release): the same heat-map
/// rows and CSV, the same profile rows, and a profiles CSV with their figures.
#[test]
fn the_command_lines_reports_are_the_apis() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = As::Bearer(f.tokens[ADMIN].clone());
        let api = |path: &str| get(&app.url(&format!("/api/v1/waves/W2/{path}")), &admin);
        let cli = |what: &str, format: &str| {
            let args = ["report", what, "--wave", "W2", "--attribute", "tenure"];
            app.workspace
                .ok(&[&args[..], &["--format", format]].concat())
        };
        let rows = |body: serde_json::Value| body["rows"].clone();
        let heat: serde_json::Value = serde_json::from_str(&cli("heatmap", "json")).unwrap();
        assert_eq!(
            heat,
            rows(api("heatmap?attribute=tenure").json()),
            "{backend:?}"
        );
        assert_eq!(
            cli("heatmap", "csv"),
            api("heatmap.csv?attribute=tenure").body,
            "{backend:?}"
        );
        let profiles: serde_json::Value = serde_json::from_str(&cli("profiles", "json")).unwrap();
        let expected = rows(api("profiles?attribute=tenure").json());
        assert_eq!(profiles, expected, "{backend:?}");
        let csv = cli("profiles", "csv");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let expected = expected.as_array().unwrap();
        assert_eq!(records.len(), expected.len(), "{backend:?}");
        for (record, row) in records.iter().zip(expected) {
            assert_eq!(&record[1], row["unit"].as_str().unwrap(), "{record:?}");
            assert_eq!(&record[3], row["status"].as_str().unwrap(), "{record:?}");
            let n = row["respondents"].as_u64().map(|n| n.to_string());
            assert_eq!(&record[4], n.unwrap_or_default(), "{record:?}");
            let figures: Vec<String> = match (row["percent"].as_array(), row["bands"].as_array()) {
                (Some(pairs), _) => pairs
                    .iter()
                    .map(|p| format!("{:.1}", p[1].as_f64().unwrap()))
                    .collect(),
                (None, Some(pairs)) => pairs
                    .iter()
                    .map(|p| p[1].as_str().unwrap().to_string())
                    .collect(),
                (None, None) => vec![String::new(); survey_engine::Profile::ALL.len()],
            };
            let got: Vec<&str> = record.iter().skip(5).collect();
            assert_eq!(got, figures, "{backend:?} {record:?}");
        }
    }
}

#[test]
fn csv_exports_neutralise_formulas_and_keep_negative_numbers() {
    for backend in backends() {
        let f = fixture(backend);
        let r = get(
            &f.app.url("/api/v1/waves/W2/heatmap.csv"),
            &As::Bearer(f.tokens[ADMIN].clone()),
        );
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        let mut reader = csv::Reader::from_reader(r.body.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header.last().map(String::as_str), Some("delta_prev"));
        assert_eq!(header.len(), 14);
        let mut evil = 0;
        let mut negative = 0;
        for rec in reader.records() {
            let rec = rec.unwrap();
            for (i, field) in rec.iter().enumerate() {
                let text_column = i < 5;
                if text_column {
                    assert!(
                        !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                        "{backend:?}: unguarded text cell {field:?}"
                    );
                } else if field.starts_with('-') {
                    field.parse::<f64>().unwrap();
                    negative += 1;
                }
            }
            if rec[1].contains("HYPERLINK") {
                // Mid-path the formula is inert text: the cell starts with the root's name.
                assert_eq!(&rec[1], &format!("Acme/{EVIL_UNIT}"));
                evil += 1;
            }
        }
        assert!(evil > 0, "{backend:?}: the evil unit is in the export");
        assert!(
            negative > 0,
            "{backend:?}: some delta is negative and stays a number"
        );
    }
}

#[test]
fn a_unit_path_that_starts_like_a_formula_is_quoted_in_exports() {
    for backend in backends() {
        let ws = worklife_tests::Workspace::new(backend);
        let mut roster = String::from("email,unit\n");
        for i in 0..6 {
            let unit = if i < 3 { "" } else { "/Team" };
            roster.push_str(&format!(
                "q{i}@example.org,\"{}{unit}\"\n",
                EVIL_UNIT.replace('"', "\"\"")
            ));
        }
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster)]);
        run_wave(&ws, "Q", 1, &[]);
        let out = ws.ok(&["report", "heatmap", "--wave", "Q", "--format", "csv"]);
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let units: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[1].to_string())
            .collect();
        assert!(
            units.contains(&format!("'{EVIL_UNIT}")),
            "{backend:?}: {out}"
        );
        assert!(
            units.contains(&format!("'{EVIL_UNIT}/Team")),
            "{backend:?}: {out}"
        );
        assert!(units.iter().all(|u| u.starts_with('\'')));
    }
}

#[test]
fn every_report_read_is_audited_without_figures() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        get(
            &app.url("/api/v1/waves/W2/heatmap.csv?attribute=tenure"),
            &As::Bearer(f.tokens[MANAGER].clone()),
        );
        get(
            &app.url("/reports/waves/W2"),
            &As::Cookie(session(app, VIEWER, &f.passwords[VIEWER])),
        );
        let log = app.workspace.ok(&["audit", "list"]);
        assert!(
            log.lines().any(|l| l.contains(MANAGER)
                && l.contains("export heatmap.csv")
                && l.contains("wave=W2 unit=Acme/Eng attribute=tenure")),
            "{backend:?}: {log}"
        );
        assert!(
            log.lines().any(|l| l.contains(VIEWER)
                && l.contains("view heatmap")
                && l.contains("wave=W2 unit=*")),
            "{log}"
        );
        // The CLI export is audited too.
        let csv = app
            .workspace
            .ok(&["report", "heatmap", "--wave", "W2", "--format", "csv"]);
        assert!(csv.starts_with("wave,unit,cut,scale,status,respondents,mean,sd,ci_low,ci_high,favorable_pct,delta_org,significant,delta_prev"));
        assert!(app
            .workspace
            .ok(&["audit", "list"])
            .contains("cli\texport heatmap.csv"));
        let json = app.workspace.ok(&[
            "report",
            "profiles",
            "--wave",
            "W2",
            "--attribute",
            "tenure",
            "--format",
            "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(v
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["cut"] == "tenure=long"));
    }
}

/// The schema a `$ref` names, or the schema itself.
fn resolve<'a>(doc: &'a serde_json::Value, schema: &'a serde_json::Value) -> &'a serde_json::Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    }
}

/// Every field of `value` is a property of `schema`, every required property is there, and
/// arrays of objects hold valid items: a check that the document describes what is sent.
fn conforms(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) {
    let schema = resolve(doc, schema);
    match value {
        serde_json::Value::Object(fields) => {
            let props = schema["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{at}: an object where the schema says {schema}"));
            for (name, v) in fields {
                let p = props
                    .get(name)
                    .unwrap_or_else(|| panic!("{at}: field {name} is not in the document"));
                conforms(doc, p, v, &format!("{at}.{name}"));
            }
            for r in schema["required"].as_array().into_iter().flatten() {
                assert!(
                    fields.contains_key(r.as_str().unwrap()),
                    "{at}: {r} missing"
                );
            }
        }
        serde_json::Value::Array(items) => {
            if let Some(first) = items.first().filter(|x| x.is_object()) {
                conforms(doc, &schema["items"], first, &format!("{at}[0]"));
            }
        }
        serde_json::Value::String(s) => {
            if let Some(allowed) = schema["enum"].as_array() {
                assert!(
                    allowed.iter().any(|a| a == s),
                    "{at}: {s} not in {allowed:?}"
                );
            }
            if schema["format"] == "date-time" {
                assert!(
                    chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                    "{at}: {s} is not an RFC 3339 date-time"
                );
            }
        }
        _ => {}
    }
}

#[test]
fn openapi_documents_every_api_route_and_what_it_sends() {
    // Every route the web layer registers under /api/v1 or for operations is in the document.
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut registered = Vec::new();
    for entry in std::fs::read_dir(&web).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        // String literals given to `route(` or `resource(`, or named as a `..._PATH` const.
        let parts: Vec<&str> = text.split('"').collect();
        for (i, part) in parts.iter().enumerate().skip(1).step_by(2) {
            let before = parts[i - 1].trim_end();
            let is_route = before.ends_with("route(")
                || before.ends_with("resource(")
                || (before.ends_with("&str =") && before.contains("_PATH"));
            let api = part.starts_with("/api/") || ["/healthz", "/readyz"].contains(part);
            if is_route && api && !part.starts_with("/api/docs") {
                registered.push(part.to_string());
            }
        }
    }
    assert!(registered.len() >= 8, "{registered:?}");
    for backend in backends() {
        let f = fixture(backend);
        let doc = get(&f.app.url("/api/v1/openapi.json"), &As::Anonymous).json();
        let paths = doc["paths"].as_object().unwrap();
        for route in &registered {
            assert!(
                paths.contains_key(route),
                "{route} is served but not documented"
            );
        }
        let viewer = As::Bearer(f.tokens[VIEWER].clone());
        for (path, item) in paths {
            let Some(op) = item.get("get") else {
                continue;
            };
            let url = f.app.url(&path.replace("{wave}", "W2"));
            let r = get(&format!("{url}?attribute=tenure"), &viewer);
            assert_eq!(r.status, 200, "{backend:?} {path}: {}", r.body);
            let content = &op["responses"]["200"]["content"];
            let schema = content.get("application/json").map(|c| &c["schema"]);
            if let Some(schema) = schema.filter(|s| !s.is_null()) {
                conforms(&doc, schema, &r.json(), path);
            }
            // Errors are documented problems too.
            if path.contains("{wave}") {
                let missing = get(&f.app.url(&path.replace("{wave}", "nope")), &viewer);
                assert_eq!(missing.status, 404, "{path}");
                conforms(
                    &doc,
                    &op["responses"]["404"]["content"]["application/json"]["schema"],
                    &missing.json(),
                    path,
                );
            }
        }
        // The answer route documents its body and its answers.
        let submit = &paths["/api/v1/responses"]["post"];
        assert!(submit["requestBody"].is_object());
        assert!(submit["responses"]["201"].is_object());
        assert!(submit["responses"]["410"].is_object());
        // The reference page for people lists every route, from the binary's own assets.
        let page = get(&f.app.url("/api/docs"), &As::Anonymous);
        assert_eq!(page.status, 200);
        for route in &registered {
            assert!(
                page.body.contains(route.as_str()),
                "{route} not on the page"
            );
        }
        assert!(!page.body.contains("<script"));
    }
}

#[test]
fn item_statistics_by_attribute_follow_their_own_suppression() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = As::Bearer(f.tokens[ADMIN].clone());
        let heat = get(
            &app.url("/api/v1/waves/W2/heatmap?attribute=tenure"),
            &admin,
        )
        .json();
        let items = get(&app.url("/api/v1/waves/W2/items?attribute=tenure"), &admin).json();
        let cell = |unit: &str, cut: &str, scale: &str| {
            heat["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["unit"] == unit && r["cut"] == cut && r["scale"] == scale)
                .cloned()
                .unwrap()
        };
        let rows = items["rows"].as_array().unwrap();
        let cuts: Vec<&serde_json::Value> = rows.iter().filter(|r| r["cut"] != "").collect();
        assert!(!cuts.is_empty(), "{backend:?}: cut rows");
        assert!(cuts
            .iter()
            .all(|r| r["cut"].as_str().unwrap().starts_with("tenure=")));
        let mut shown = 0;
        for r in rows {
            let c = cell(
                r["unit"].as_str().unwrap(),
                r["cut"].as_str().unwrap(),
                r["scale"].as_str().unwrap(),
            );
            // Every item is a measure of its own. Here everyone answered every item, so an
            // item's answerers are its scale's respondents: the same count where both are
            // shown. The statuses may differ: an item's shown answers can pin a small group
            // that its scale's mean leaves open, and P2 then hides the item's cell (D7).
            if r["status"] == "shown" {
                shown += 1;
                if c["status"] == "shown" {
                    assert_eq!(r["respondents"], c["respondents"], "{r}");
                }
                // Either percentages with a mean, or bands with neither (D9).
                let banded = !r["pct_band"].as_array().unwrap().is_empty();
                assert_eq!(r["mean"].is_null(), banded, "{r}");
            } else {
                assert!(r["respondents"].is_null() && r["mean"].is_null(), "{r}");
                assert!(r["pct"].as_array().unwrap().is_empty(), "{r}");
            }
        }
        assert!(shown > 0, "{backend:?}");
    }
}

/// PostgreSQL refuses NUL in text, SQLite stores it: on both, a NUL in a path, query or form
/// is the client's mistake (4xx), never a server error.
#[test]
fn nul_characters_in_input_get_a_client_error_not_a_500() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let cookie = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let bearer = As::Bearer(f.tokens[ADMIN].clone());
        let r = login(app, "a\0b@example.org", "x");
        assert!(
            (400..500).contains(&r.status),
            "{backend:?} login: {}",
            r.status
        );
        for (path, who) in [
            ("/api/v1/waves/W%00/heatmap", &bearer),
            ("/api/v1/waves/W2/heatmap?attribute=te%00nure", &bearer),
            ("/api/v1/waves/W2/heatmap?unit=Acme%00", &bearer),
            ("/reports/waves/W%00", &cookie),
            ("/reports/trend?unit=Acme%00", &cookie),
            ("/units/Acme/action-plan?wave=W%00", &cookie),
            ("/units/Acme%00/action-plan", &cookie),
        ] {
            let r = get(&app.url(path), who);
            assert!(
                (400..500).contains(&r.status),
                "{backend:?} {path}: {} {}",
                r.status,
                r.body
            );
        }
    }
}

/// A closed wave of the built-in core instrument with k = 3 over `roster` (a CSV of
/// `email,unit`): person `i` (in the order of the answer links) answers item `j` with
/// `answer(i, j)`, or skips it with `None`. Returns the workspace and the instrument.
fn closed_core_wave(
    backend: worklife_tests::Backend,
    roster: &str,
    answer: impl Fn(usize, usize) -> Option<i32>,
) -> (
    worklife_tests::Workspace,
    std::sync::Arc<survey_engine::Instrument>,
) {
    use std::collections::BTreeMap;
    use worklife_server::survey::responses;
    use worklife_tests::token_of;

    let ws = Workspace::new(backend);
    ws.ok(&["roster", "import", &ws.write("roster.csv", roster)]);
    ws.create_wave("W", "worklife-core", "3");
    ws.ok(&["wave", "open", "W"]);
    let pool = ws.pool();
    let mut conn = pool.get().unwrap();
    let cache = InstrumentCache::default();
    let wave = waves::find(&mut conn, "W").unwrap();
    let instrument = cache.get(&mut conn, &wave.instrument).unwrap();
    for (i, link) in ws.links().iter().enumerate() {
        let answers: BTreeMap<String, Option<i32>> = instrument
            .items
            .iter()
            .enumerate()
            .map(|(j, item)| (item.id.clone(), answer(i, j)))
            .collect();
        responses::submit_answers(
            &mut conn,
            &cache,
            &token_of(link),
            &answers,
            worklife_server::clock::now(),
        )
        .unwrap();
    }
    ws.ok(&["wave", "close", "W"]);
    (ws, instrument)
}

/// The print report's row of a scale.
fn print_row(body: &str, label: &str) -> String {
    body.lines()
        .find(|l| l.contains(&format!("<th scope=\"row\">{label}</th>")))
        .unwrap_or_else(|| panic!("no row {label}"))
        .to_string()
}

/// Cronbach's alpha is computed on complete cases only (S6); the print report shows it only
/// when those complete cases are at least k people, even where the scale itself is shown.
#[test]
fn alpha_on_the_print_report_needs_k_complete_answer_sheets() {
    for backend in backends() {
        let roster: String = std::iter::once("email,unit\n".to_string())
            .chain((0..6).map(|i| format!("p{i}@example.org,Acme/Team\n")))
            .collect();
        let core = survey_engine::instrument::builtin::load("worklife-core")
            .unwrap()
            .unwrap();
        let first_of_scale_0 = core.items.iter().position(|i| i.scale == 0).unwrap();
        let (ws, instrument) = closed_core_wave(backend, &roster, |i, j| {
            // Four of six skip one item of the first scale: their scale score still exists
            // (S3), but only two complete cases remain for its alpha.
            let skip = j == first_of_scale_0 && i < 4;
            let v = 1 + ((i as i32) * 7 + (j as i32) * 3).rem_euclid(5);
            (!skip).then_some(v)
        });
        let (app, admin) = serve_as_admin(ws);
        let page = get(&app.url("/reports/waves/W/print"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        let first = print_row(&page.body, &instrument.scales[0].label);
        assert!(
            first.contains("fewer than 3 complete answer sheets"),
            "{first}"
        );
        let second = print_row(&page.body, &instrument.scales[1].label);
        assert!(!second.contains("fewer than"), "{second}");
        assert!(
            second.contains("<td>0.") || second.contains("<td>-"),
            "{second}"
        );
    }
}

/// P2 and the sd (docs/privacy.md D7): a team of eight who answered almost alike, with a
/// sub-team of two inside it. The team's exact sd would pin the sub-team's average within
/// a few tenths, so the API gives the sd only as a band, with no interval and no test; the
/// CSV writes the band in the sd column; the print report says "not shown" for the interval
/// and for alpha and explains why; the audit kept at close finds no average that a shown sd
/// narrows.
#[test]
fn a_team_that_answered_alike_shows_its_spread_only_as_a_band() {
    for backend in backends() {
        let roster: String = std::iter::once("email,unit\n".to_string())
            .chain((0..6).map(|i| format!("p{i}@example.org,Acme/Team\n")))
            .chain((0..2).map(|i| format!("s{i}@example.org,Acme/Team/Sub\n")))
            .collect();
        // Everybody answers 3, one person a single 4.
        let (ws, instrument) = closed_core_wave(backend, &roster, |i, j| {
            Some(if i == 0 && j == 0 { 4 } else { 3 })
        });
        let audit = ws.ok(&["wave", "audit", "W"]);
        assert!(!audit.contains("by a shown sd"), "{backend:?}: {audit}");
        let (app, admin) = serve_as_admin(ws);
        let rows = get(&app.url("/api/v1/waves/W/heatmap"), &admin).json()["rows"]
            .as_array()
            .unwrap()
            .clone();
        let team = rows
            .iter()
            .find(|r| {
                r["unit"] == "Acme/Team" && r["cut"] == "" && r["scale"] == instrument.scales[0].id
            })
            .unwrap();
        assert_eq!(team["status"], "shown", "{backend:?}: {team}");
        assert_eq!(team["respondents"], 8);
        // 8 respondents, a group of up to 2 inside: the sd must be at least
        // 1 / sqrt(7 * 6 / 16) = 0.617 for the group's average to span 2 points.
        assert_eq!(team["sd_below"].as_f64(), Some(0.62), "{backend:?}: {team}");
        for withheld in ["sd", "ci_low", "ci_high", "significant"] {
            assert!(
                team[withheld].is_null(),
                "{backend:?}: {withheld} in {team}"
            );
        }
        assert!(team["mean"].as_f64().is_some());
        let csv = get(&app.url("/api/v1/waves/W/heatmap.csv"), &admin);
        assert!(
            csv.body
                .lines()
                .any(|l| l.starts_with("W,Acme/Team,,") && l.contains(",<0.62,,,")),
            "{backend:?}: {}",
            csv.body
        );
        let page = get(&app.url("/reports/waves/W/print?unit=Acme%2FTeam"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        let row = print_row(&page.body, &instrument.scales[0].label);
        assert_eq!(row.matches("not shown (see the note)").count(), 2, "{row}");
        assert!(page
            .body
            .contains("Not shown: where the answers in this unit are close together"));
    }
}

/// A manager's view carries the organisation's rows (whole, and per cut) as an explicit
/// comparison: exactly the organisation's rows an admin reads, under the same rules; an
/// unnarrowed view has none, and no other unit outside the manager's subtree appears.
#[test]
fn a_managers_view_compares_with_the_organisation_explicitly() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = As::Bearer(f.tokens[ADMIN].clone());
        let manager = As::Bearer(f.tokens[MANAGER].clone());
        for route in ["heatmap", "profiles", "items"] {
            let url = app.url(&format!("/api/v1/waves/W2/{route}?attribute=tenure"));
            let everything = get(&url, &admin).json();
            assert_eq!(
                everything["comparison"].as_array().unwrap().len(),
                0,
                "{backend:?} {route}: the admin's rows hold the organisation already"
            );
            let org_rows: Vec<&serde_json::Value> = everything["rows"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["unit"] == "Acme")
                .collect();
            assert!(!org_rows.is_empty());
            assert!(
                org_rows.iter().any(|r| r["cut"] != ""),
                "{route}: per-cut rows"
            );
            let mine = get(&url, &manager).json();
            let comparison: Vec<&serde_json::Value> =
                mine["comparison"].as_array().unwrap().iter().collect();
            assert_eq!(comparison, org_rows, "{backend:?} {route}");
            assert!(mine["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["unit"].as_str().unwrap().starts_with("Acme/Eng")));
        }
        // The page shows the organisation first, labelled as the comparison.
        let page = get(
            &app.url("/reports/waves/W2"),
            &As::Cookie(session(app, MANAGER, &f.passwords[MANAGER])),
        );
        assert!(
            page.body
                .contains("Acme: the whole organisation, for comparison"),
            "{backend:?}"
        );
        assert!(!page.body.contains("Acme/Sales"));
    }
}

/// The question-by-question page says, for every item of the reader's unit, what the items
/// API says: the count and mean of a shown item, the band of a unanimous one, and why a
/// hidden one is hidden, in words.
#[test]
fn the_question_page_shows_each_item_as_the_release_does() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let cookie = As::Cookie(session(app, MANAGER, &f.passwords[MANAGER]));
        let page = get(&app.url("/reports/waves/W2/items"), &cookie);
        assert_eq!(page.status, 200, "{backend:?}");
        assert!(page
            .body
            .contains("Question by question: Acme/Eng, wave W2"));
        let api = get(
            &app.url("/api/v1/waves/W2/items"),
            &As::Bearer(f.tokens[MANAGER].clone()),
        )
        .json();
        let rows: Vec<&serde_json::Value> = api["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["unit"] == "Acme/Eng" && r["cut"] == "")
            .collect();
        assert!(!rows.is_empty());
        // Each row of the page's tables in order: the item's figures as the API gives them.
        let body = &page.body;
        let mut at = 0;
        for row in &rows {
            let found = match row["status"].as_str().unwrap() {
                "shown" if row["mean"].is_null() => body[at..].find("all or nearly all"),
                "shown" => {
                    let mean = format!("{:.2}", row["mean"].as_f64().unwrap());
                    let n = format!(">{}<", row["respondents"]);
                    body[at..]
                        .find(&n)
                        .filter(|i| body[at + i..].contains(&mean))
                }
                // One wording for every hidden question, whatever the reason.
                _ => body[at..].find(
                    "Hidden: fewer than 3 people answered this question, or its figures would",
                ),
            };
            let i = found.unwrap_or_else(|| panic!("{backend:?}: {row} not on the page"));
            at += i + 1;
        }
        assert!(!body.contains("Acme/Sales"));
    }
}

/// The favourable view compares shares: its small figures are the API's `delta_org_points`
/// in whole percentage points, never a mean difference and never "-0 pts". (The fixture's
/// waves open on the same day, so neither has a previous wave; the engine's
/// `report_rows::favourable_differences_are_in_percentage_points` covers that comparison.)
#[test]
fn the_favourable_view_shows_differences_in_percentage_points() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let cookie = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let api = get(
            &app.url("/api/v1/waves/W2/heatmap"),
            &As::Bearer(f.tokens[ADMIN].clone()),
        )
        .json();
        let rows = api["rows"].as_array().unwrap();
        let page = get(&app.url("/reports/waves/W2?measure=favorable"), &cookie);
        assert_eq!(page.status, 200, "{backend:?}");
        assert!(
            page.body.contains(
                "small figures: the difference in favourable share from the whole \
                 organisation, in percentage points"
            ),
            "{backend:?}: the legend says what the small figures are"
        );
        assert!(!page.body.contains("-0 pts"), "{backend:?}");
        let expected: Vec<String> = rows
            .iter()
            .filter(|r| r["cut"] == "" && r["unit"] != "Acme")
            .filter_map(|r| r["delta_org_points"].as_f64())
            .map(|d| {
                let d = d.round();
                let d = if d == 0.0 { 0.0 } else { d };
                format!("{}{d:.0} pts", if d > 0.0 { "+" } else { "" })
            })
            .collect();
        assert!(!expected.is_empty(), "{backend:?}: some difference to show");
        for text in &expected {
            assert!(page.body.contains(text.as_str()), "{backend:?}: {text}");
        }
        // The mean view keeps mean differences with two decimals, not points.
        let means = get(&app.url("/reports/waves/W2"), &cookie);
        assert!(!means.body.contains(" pts"), "{backend:?}");
        assert!(means.body.contains("in mean score"), "{backend:?}");
    }
}

/// The printable report is about the unit asked for (within the reader's scope), its trend
/// ends at its own wave, and hidden rows say why in the heat map's words; a unit no wave shows
/// gets a sentence instead of an empty chart.
#[test]
fn the_print_report_follows_its_unit_and_ends_its_trend_at_its_wave() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = As::Bearer(f.tokens[ADMIN].clone());
        let manager = As::Bearer(f.tokens[MANAGER].clone());
        let print = |wave: &str, unit: Option<&str>, who: &As| {
            let query = unit.map_or(String::new(), |u| {
                format!("?unit={}", u.replace('/', "%2F"))
            });
            get(
                &app.url(&format!("/reports/waves/{wave}/print{query}")),
                who,
            )
        };
        let w1 = print("W1", None, &admin);
        assert_eq!(w1.status, 200, "{backend:?}: {}", w1.body);
        assert!(w1.body.contains(">W1</text>"), "{}", w1.body);
        assert!(
            !w1.body.contains(">W2</text>"),
            "{backend:?}: the report of W1 shows the later wave W2 in its trend"
        );
        let w2 = print("W2", None, &admin);
        assert!(w2.body.contains(">W1</text>") && w2.body.contains(">W2</text>"));

        let sales = print("W2", Some("Acme/Sales"), &admin);
        assert_eq!(sales.status, 200, "{}", sales.body);
        assert!(sales.body.contains("Sales: wave W2</h1>"), "{}", sales.body);
        assert!(!sales.body.contains("Acme: wave W2</h1>"));
        let outside = print("W2", Some("Acme/Sales"), &manager);
        assert!(
            matches!(outside.status, 403 | 404),
            "{backend:?}: a manager of Acme/Eng printed Acme/Sales: {}",
            outside.status
        );

        // Tiny has 2 people and k = 3: every scale hidden, in the heat map's words.
        let tiny = print("W2", Some("Acme/Tiny"), &admin);
        assert_eq!(tiny.status, 200, "{}", tiny.body);
        assert!(
            tiny.body
                .contains("hidden: fewer than 3 people answered, or the figure would let"),
            "{}",
            tiny.body
        );
        assert!(!tiny.body.contains("hidden (hidden)"));
        assert!(!tiny.body.contains("<polyline"));
        assert!(tiny.body.contains("No closed wave shows this unit"));
        assert!(!w2.body.contains("No closed wave shows this unit"));
    }
}

/// The trend draws each scale on a small chart of its own, with the answer scale's range as
/// its y axis (a gridline per point) and each wave's mean written at its point, equal to the
/// API's; a wave without a figure for the unit breaks the line and is said in words.
#[test]
fn the_trend_gives_each_scale_its_own_chart_with_values_and_says_where_a_wave_is_missing() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let mut csv = String::from("email,unit\n");
        for p in 0..6 {
            csv.push_str(&format!("p{p}@example.org,Acme/Eng\n"));
        }
        ws.ok(&["roster", "import", &ws.write("before.csv", &csv)]);
        run_wave_from(&ws, "W1", "2020-01-01", 0, &[]);
        // A team that joined after the first wave.
        for p in 0..4 {
            csv.push_str(&format!("n{p}@example.org,Acme/New\n"));
        }
        ws.ok(&["roster", "import", &ws.write("after.csv", &csv)]);
        run_wave_from(&ws, "W2", "2020-04-01", 1, &[]);
        let (app, admin) = serve_as_admin(ws);
        let means = |wave: &str, unit: &str| -> Vec<String> {
            get(&app.url(&format!("/api/v1/waves/{wave}/heatmap")), &admin).json()["rows"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["unit"] == unit && r["cut"] == "")
                .map(|r| format!("{:.2}", r["mean"].as_f64().unwrap()))
                .collect()
        };

        let new = get(&app.url("/reports/trend?unit=Acme%2FNew"), &admin);
        assert_eq!(new.status, 200, "{backend:?}: {}", new.body);
        // The way back is the unit's heat map in the trend's last wave.
        assert!(
            new.body.contains(
                "<a href=\"/reports/waves/W2?unit=Acme%2FNew\">← Back to the heat map of \
                 Acme/New, wave W2</a>"
            ),
            "{backend:?}"
        );
        let charts: Vec<&str> = new.body.split("<figure class=\"trend\">").skip(1).collect();
        let w2 = means("W2", "Acme/New");
        assert_eq!(charts.len(), w2.len(), "{backend:?}: a chart per scale");
        for (chart, mean) in charts.iter().zip(&w2) {
            for tick in 1..=5 {
                assert!(chart.contains(&format!("class=\"tick\">{tick}</text>")));
            }
            // One point, with its value, and the first wave said in words.
            assert_eq!(chart.matches("<circle").count(), 1, "{backend:?}");
            assert!(
                chart.contains(&format!("class=\"value\">{mean}</text>")),
                "{backend:?}: {mean} in {chart}"
            );
            assert!(
                chart.contains("W1: the unit was not in this wave"),
                "{chart}"
            );
            assert!(chart.contains("W1 no figure, W2 "), "{chart}");
        }

        let eng = get(&app.url("/reports/trend?unit=Acme%2FEng"), &admin);
        assert_eq!(eng.status, 200, "{backend:?}");
        let charts: Vec<&str> = eng.body.split("<figure class=\"trend\">").skip(1).collect();
        for ((chart, m1), m2) in charts
            .iter()
            .zip(means("W1", "Acme/Eng"))
            .zip(means("W2", "Acme/Eng"))
        {
            assert_eq!(chart.matches("<circle").count(), 2, "{backend:?}");
            assert_eq!(chart.matches("<polyline").count(), 1, "{backend:?}");
            let first = chart.find(&format!("class=\"value\">{m1}</text>")).unwrap();
            let second = chart
                .rfind(&format!("class=\"value\">{m2}</text>"))
                .unwrap();
            assert!(first <= second, "{backend:?}: W1's value before W2's");
            assert!(!chart.contains("class=\"note gap\""), "{chart}");
        }
    }
}

/// A reader sent to sign in from a page (a link in an email, a bookmark) comes back to that
/// page after signing in, through a failed attempt too; a `next` that leads off the site, or
/// back to the sign-in, goes to the reports instead.
#[test]
fn signing_in_from_a_page_comes_back_to_it() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let page = "/reports/waves/W2?attribute=tenure&unit=Acme%2FEng";
        let sent = get(&app.url(page), &As::Anonymous);
        assert_eq!(sent.status, 303, "{backend:?}");
        let login_page = sent.header("location").unwrap().to_string();
        let sign_in = |next: &str, password: &str| {
            let form = get(
                &app.url(&format!("/login?next={}", worklife_server::web::enc(next))),
                &As::Anonymous,
            );
            let (cookie, _) = form.cookie("wl_login").unwrap();
            let csrf = csrf_of(&form.body);
            (
                form.body.clone(),
                post_form(
                    &app.url("/login"),
                    Some(&format!("wl_login={cookie}")),
                    &format!(
                        "email={}&password={}&csrf={}&next={}",
                        form_value(ADMIN),
                        form_value(password),
                        form_value(&csrf),
                        form_value(next)
                    ),
                ),
            )
        };
        assert_eq!(
            login_page,
            format!("/login?next={}", worklife_server::web::enc(page))
        );
        let (form, back) = sign_in(page, &f.passwords[ADMIN]);
        assert!(
            form.contains("<input type=\"hidden\" name=\"next\""),
            "{form}"
        );
        assert_eq!(back.status, 303, "{backend:?}: {}", back.body);
        assert_eq!(back.header("location"), Some(page), "{backend:?}");
        // A wrong password keeps where to come back to.
        let (_, wrong) = sign_in(page, "not the password");
        assert_eq!(wrong.status, 401, "{backend:?}");
        assert!(wrong.body.contains("name=\"next\""), "{backend:?}");
        // Never off the site, nor back to the sign-in.
        for off in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example",
            "/login",
        ] {
            let (_, signed) = sign_in(off, &f.passwords[ADMIN]);
            assert_eq!(signed.status, 303, "{backend:?} {off}");
            assert_eq!(
                signed.header("location"),
                Some("/reports"),
                "{backend:?} {off}"
            );
        }
    }
}
