//! The heat map page as a reader sees it, on both databases: scale labels as headings,
//! differences that say whether they are better or worse, cut rows that read as labels in
//! their values' order, one table with an n column, sortable by a script of the binary's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use worklife_server::survey::responses::InstrumentCache;
use worklife_server::survey::waves;
use worklife_tests::reports_common::*;
use worklife_tests::unescape;
use worklife_tests::{backends, Workspace};

/// Text with HTML character references undone, numeric ones (`&#60;`) included.
fn decode(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let end = tail.find(';').unwrap_or(0);
        let code = match tail[..end].strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => tail[..end].parse().ok(),
        };
        match code.and_then(char::from_u32) {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    unescape(&out)
}

/// The text of an HTML fragment: tags dropped, references undone, spaces collapsed.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The column headings of the heat map's table(s), as text.
fn headings(body: &str) -> Vec<String> {
    let at = body
        .find("<table class=\"heat\"")
        .expect("a heat map table");
    let head = &body[at..];
    let head =
        &head[head.find("<thead>").unwrap() + "<thead>".len()..head.find("</thead>").unwrap()];
    head.split("<th")
        .skip(1)
        .map(|h| text_of(&format!("<th{}", &h[..h.find("</th>").unwrap_or(h.len())])))
        .collect()
}

/// One cell of the heat map as the page shows it.
#[derive(Debug)]
struct PageCell {
    status: String,
    /// The colour class ("c1" ... "c5", "hidden").
    class: String,
    /// The cell's figure (its first line).
    figure: String,
    /// The small figure's class ("delta", "delta better", ...) and text, if any.
    delta: Option<(String, String)>,
}

/// One row of the heat map: its unit, its label and its cells in column order.
#[derive(Debug)]
struct PageRow {
    unit: String,
    label: String,
    /// A cut of its unit ("tenure=long"), not the whole unit.
    is_cut: bool,
    /// The "Answered (n)" column.
    n: String,
    cells: Vec<PageCell>,
}

/// The value of `name="..."` in a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[at..].split('"').next()
}

/// The heat map's rows in page order, read from the HTML.
fn heat_rows(body: &str) -> Vec<PageRow> {
    let mut rows = Vec::new();
    for table in body.split("<table class=\"heat\"").skip(1) {
        let table = &table[..table.find("</table>").unwrap()];
        for tr in table.split("<tr ").skip(1) {
            let tr = format!("<tr {}", &tr[..tr.find("</tr>").unwrap()]);
            let tr = tr.as_str();
            let Some(unit) = attribute(tr, "data-unit") else {
                continue;
            };
            let th = &tr[tr.find("<th").unwrap()..];
            let label = text_of(&th[..th.find("</th>").unwrap()]);
            let cells = tr
                .split("<td ")
                .skip(1)
                .map(|td| format!("<td {}", &td[..td.find("</td>").unwrap()]))
                .filter(|td| attribute(td, "data-status").is_some())
                .map(|td| {
                    let inner = &td[td.find('>').unwrap() + 1..];
                    let (figure, delta) = match inner.find("<small") {
                        Some(i) => {
                            let small = &inner[i..];
                            let class = attribute(small, "class").unwrap_or_default();
                            (
                                text_of(&inner[..i]),
                                Some((class.to_string(), text_of(small))),
                            )
                        }
                        None => (text_of(inner), None),
                    };
                    PageCell {
                        status: attribute(&td, "data-status").unwrap().to_string(),
                        class: attribute(&td, "class").unwrap_or_default().to_string(),
                        figure,
                        delta,
                    }
                })
                .collect();
            let tag = &tr[..tr.find('>').unwrap()];
            let n = tr.find("<td class=\"n\"").map_or(String::new(), |at| {
                let td = &tr[at..];
                text_of(&td[..td.find("</td>").unwrap()])
            });
            rows.push(PageRow {
                unit: decode(unit),
                is_cut: attribute(tag, "class").is_some_and(|c| c.split(' ').any(|c| c == "cut")),
                label,
                n,
                cells,
            });
        }
    }
    rows
}

/// The value a row is cut by, from its label ("tenure=long" or "Tenure: long"); "" for a
/// whole unit's row.
fn cut_value(row: &PageRow) -> String {
    if !row.is_cut {
        return String::new();
    }
    row.label
        .split_once(": ")
        .or_else(|| row.label.split_once('='))
        .map_or("", |(_, v)| v)
        .to_string()
}

/// The headings are the scales' labels from the instrument, as the printable report has
/// them, not their ids.
#[test]
fn the_heat_map_headings_are_scale_labels() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let cookie = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let page = get(&app.url("/reports/waves/W2"), &cookie);
        assert_eq!(page.status, 200, "{backend:?}");
        let heads = headings(&page.body);
        for label in ["Workload", "Exhaustion", "Cynicism", "Recovery"] {
            assert!(
                heads.iter().any(|h| h.starts_with(label)),
                "{backend:?}: {label} in {heads:?}"
            );
        }
        assert!(
            !heads.iter().any(|h| h == "workload" || h == "exhaustion"),
            "{backend:?}: ids in {heads:?}"
        );
    }
}

/// Every figure on the page is the API's, rounded, or its band in words; every difference
/// is the API's, rounded, and says in a word and a class
/// whether it is better or worse: a higher mean is worse on exhaustion and cynicism and
/// better elsewhere, a larger favourable share is better everywhere. A difference that
/// rounds to zero reads "0.00" or "0 pts" with neither; the organisation's own rows show
/// no difference from themselves.
#[test]
fn differences_are_better_or_worse_by_the_scales_direction() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let cookie = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let api = get(
            &app.url("/api/v1/waves/W2/heatmap?attribute=tenure"),
            &As::Bearer(f.tokens[ADMIN].clone()),
        )
        .json();
        let pool = app.workspace.pool();
        let mut conn = pool.get().unwrap();
        let wave = waves::find(&mut conn, "W2").unwrap();
        let instrument = InstrumentCache::default()
            .get(&mut conn, &wave.instrument)
            .unwrap();
        let worse_when_higher: BTreeMap<String, bool> = instrument
            .scales
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    s.direction == survey_engine::instrument::Direction::HigherIsWorse,
                )
            })
            .collect();
        assert!(worse_when_higher["exhaustion"] && !worse_when_higher["workload"]);
        let scales: Vec<String> = instrument.scales.iter().map(|s| s.id.clone()).collect();
        // The API's rows by unit, cut value ("" for the whole unit) and scale.
        let by_row: BTreeMap<(String, String, String), &serde_json::Value> = api["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let cut = r["cut"].as_str().unwrap();
                (
                    (
                        r["unit"].as_str().unwrap().to_string(),
                        cut.split_once('=').map_or("", |(_, v)| v).to_string(),
                        r["scale"].as_str().unwrap().to_string(),
                    ),
                    r,
                )
            })
            .collect();
        let mut seen = BTreeMap::new();
        for (query, field, points) in [
            ("?attribute=tenure", "delta_org", false),
            (
                "?measure=favorable&attribute=tenure",
                "delta_org_points",
                true,
            ),
        ] {
            let page = get(&app.url(&format!("/reports/waves/W2{query}")), &cookie);
            assert_eq!(page.status, 200, "{backend:?}");
            assert!(!page.body.contains("-0.00") && !page.body.contains("+0.00"));
            assert!(!page.body.contains("-0 pts") && !page.body.contains("+0 pts"));
            let rows = heat_rows(&page.body);
            assert!(!rows.is_empty());
            assert_eq!(rows.len() * scales.len(), by_row.len(), "{backend:?}");
            for row in &rows {
                for (cell, scale) in row.cells.iter().zip(&scales) {
                    let rec = by_row[&(row.unit.clone(), cut_value(row), scale.clone())];
                    assert_eq!(rec["status"].as_str(), Some(cell.status.as_str()));
                    if cell.status != "shown" {
                        // Hidden cells keep their word and show no difference.
                        assert_eq!(cell.figure, "hidden", "{backend:?} {row:?}");
                    } else {
                        // A shown cell's figure is the API's, rounded, or its band in words.
                        let figure = if points {
                            match rec["favorable_band"].as_str() {
                                Some("all_or_nearly_all") => "all or nearly all".to_string(),
                                Some(_) => "none or nearly none".to_string(),
                                None => format!("{:.0}%", rec["favorable_pct"].as_f64().unwrap()),
                            }
                        } else {
                            match rec["mean_band"].as_str() {
                                Some("all_or_nearly_all_highest") => {
                                    "all or nearly all at the top".to_string()
                                }
                                Some("all_or_nearly_all_lowest") => {
                                    "all or nearly all at the bottom".to_string()
                                }
                                Some(_) => "all or nearly all gave the same answer".to_string(),
                                None => format!("{:.2}", rec["mean"].as_f64().unwrap()),
                            }
                        };
                        assert_eq!(cell.figure, figure, "{backend:?} {row:?} {rec}");
                        // Keyed by the view (favourable or not): both views' figures checked.
                        *seen.entry((points, "figure")).or_insert(0) += 1;
                    }
                    let is_root = row.unit == "Acme";
                    let Some(d) = rec[field].as_f64().filter(|_| !is_root) else {
                        assert!(cell.delta.is_none(), "{backend:?} {row:?}");
                        continue;
                    };
                    let (class, text) = cell.delta.as_ref().unwrap_or_else(|| {
                        panic!("{backend:?}: no difference in {} {scale}", row.label)
                    });
                    let rounded = if points {
                        d.round()
                    } else {
                        (d * 100.0).round() / 100.0
                    };
                    // Zero has no sign on the page.
                    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
                    let healthier = if worse_when_higher[scale] && !points {
                        rounded < 0.0
                    } else {
                        rounded > 0.0
                    };
                    let (expected_class, word) = if rounded == 0.0 {
                        ("delta", "")
                    } else if healthier {
                        ("delta better", "better")
                    } else {
                        ("delta worse", "worse")
                    };
                    assert_eq!(
                        class, expected_class,
                        "{backend:?} {} {scale} {d}",
                        row.label
                    );
                    assert!(text.starts_with(word), "{text}");
                    let figure = if points {
                        let p = rounded;
                        format!("{}{p:.0} pts", if p > 0.0 { "+" } else { "" })
                    } else {
                        let m = rounded;
                        format!("{}{m:.2}", if m > 0.0 { "+" } else { "" })
                    };
                    assert!(
                        text.trim_start_matches(word).trim().starts_with(&figure),
                        "{backend:?}: {text} is not {figure}"
                    );
                    *seen
                        .entry((worse_when_higher[scale] && !points, word))
                        .or_insert(0) += 1;
                }
            }
        }
        // Both meanings on both kinds of scale, so the rule was put to the test.
        for key in [
            (false, "better"),
            (false, "worse"),
            (true, "better"),
            (true, "worse"),
            (false, "figure"),
            (true, "figure"),
        ] {
            assert!(seen.contains_key(&key), "{backend:?}: {key:?} in {seen:?}");
        }
    }
}

/// Cut rows read "Tenure: 1-3y" (the attribute as a label, the value as the roster gives
/// it), under each unit in the order of the amounts they name: not "tenure=1-3y", and not
/// sorted as text (1-3y, 10y+, 3-10y, <1y).
#[test]
fn cut_rows_read_as_labels_in_the_values_order() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let tenures = ["1-3y", "10y+", "3-10y", "<1y"];
        let mut csv = String::from("email,unit,tenure\n");
        for n in 0..16 {
            let unit = if n < 8 { "Acme/Eng" } else { "Acme/Ops" };
            csv.push_str(&format!("p{n}@example.org,{unit},{}\n", tenures[n % 4]));
        }
        ws.ok(&["roster", "import", &ws.write("roster.csv", &csv)]);
        run_wave(&ws, "W", 0, &["tenure"]);
        let (app, admin) = serve_as_admin(ws);
        let page = get(&app.url("/reports/waves/W?attribute=tenure"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert!(!page.body.contains("tenure="), "{backend:?}");
        let rows = heat_rows(&page.body);
        let expected = [
            "Tenure: <1y",
            "Tenure: 1-3y",
            "Tenure: 3-10y",
            "Tenure: 10y+",
        ];
        for unit in ["Acme", "Acme/Eng", "Acme/Ops"] {
            let labels: Vec<&str> = rows
                .iter()
                .filter(|r| r.unit == unit && r.is_cut)
                .map(|r| r.label.as_str())
                .collect();
            assert_eq!(labels, expected, "{backend:?} {unit}");
            // Right under their unit's own row.
            let at = rows
                .iter()
                .position(|r| r.unit == unit && !r.is_cut)
                .unwrap();
            assert!(rows[at + 1..=at + 4]
                .iter()
                .all(|r| r.unit == unit && r.is_cut));
        }
        // The switch names the attribute as a label too.
        assert!(
            text_of(&page.body).contains("Cut: No cut Tenure"),
            "{backend:?}"
        );
    }
}

/// Every unit is a row of one table (aligned columns), with an "Answered (n)" column: the
/// largest respondents count the API shows among the row's cells, or "hidden" where none is
/// shown. A narrowed reader's comparison rows are a titled group of the same table.
#[test]
fn one_table_with_a_visible_n_column() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        for who in [ADMIN, MANAGER] {
            let cookie = As::Cookie(session(app, who, &f.passwords[who]));
            let page = get(&app.url("/reports/waves/W2?attribute=tenure"), &cookie);
            assert_eq!(page.status, 200, "{backend:?}");
            assert_eq!(
                page.body.matches("<table class=\"heat\"").count(),
                1,
                "{backend:?} {who}"
            );
            assert_eq!(
                headings(&page.body)[..3],
                ["Unit", "Answered (n)", "Response rate"]
            );
            let api = get(
                &app.url("/api/v1/waves/W2/heatmap?attribute=tenure"),
                &As::Bearer(f.tokens[who].clone()),
            )
            .json();
            let mut expected: BTreeMap<(String, String), Option<u64>> = BTreeMap::new();
            for r in api["comparison"]
                .as_array()
                .unwrap()
                .iter()
                .chain(api["rows"].as_array().unwrap())
            {
                let cut = r["cut"].as_str().unwrap();
                let key = (
                    r["unit"].as_str().unwrap().to_string(),
                    cut.split_once('=').map_or("", |(_, v)| v).to_string(),
                );
                let n = r["respondents"].as_u64().filter(|_| r["status"] == "shown");
                let slot = expected.entry(key).or_insert(None);
                *slot = (*slot).max(n);
            }
            let rows = heat_rows(&page.body);
            assert_eq!(rows.len(), expected.len(), "{backend:?} {who}");
            for row in &rows {
                let n = expected[&(row.unit.clone(), cut_value(row))];
                let text = n.map_or("hidden".to_string(), |n| n.to_string());
                assert_eq!(row.n, text, "{backend:?} {who} {row:?}");
            }
            assert!(rows.iter().any(|r| r.n == "hidden"), "{backend:?} {who}");
            assert!(rows.iter().any(|r| r.n.parse::<u64>().is_ok()));
        }
    }
}

/// Sorting is a script the binary serves, allowed by the content security policy as a
/// script of this origin and nothing else (no inline script); the page names it once.
/// Headings say which way sorts the least healthy first, and each shown cell carries the
/// figure it shows for sorting, a hidden one nothing.
#[test]
fn the_sorting_script_is_the_binarys_own_and_sorts_by_shown_figures() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let script = get(&app.url("/static/heatmap.js"), &As::Anonymous);
        assert_eq!(script.status, 200, "{backend:?}");
        assert_eq!(script.content_type(), "text/javascript; charset=utf-8");
        assert!(script.body.contains("aria-sort"));
        let cookie = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        for query in ["", "?measure=favorable&attribute=tenure"] {
            let page = get(&app.url(&format!("/reports/waves/W2{query}")), &cookie);
            assert_eq!(page.status, 200, "{backend:?}");
            let csp = page.header("content-security-policy").unwrap();
            assert!(csp.contains("script-src 'self'"), "{csp}");
            assert!(!csp.contains("unsafe"), "{csp}");
            assert_eq!(page.body.matches("<script").count(), 1, "{backend:?}");
            assert!(page
                .body
                .contains("<script src=\"/static/heatmap.js\" defer></script>"));
            let sorts: Vec<&str> = page
                .body
                .split("<th scope=\"col\"")
                .skip(1)
                .filter_map(|th| attribute(th, "data-sort"))
                .collect();
            let favorable = !query.is_empty();
            // Unit, n, response rate, then the scales in instrument order: exhaustion and
            // cynicism (7th and 8th) are least healthy when high, except as favourable shares.
            let mut expected = vec!["tree", "desc", "asc"];
            for scale in 0..10 {
                expected.push(if (6..8).contains(&scale) && !favorable {
                    "desc"
                } else {
                    "asc"
                });
            }
            assert_eq!(sorts, expected, "{backend:?} {query}");
            let mut shown = 0;
            let table = &page.body[page.body.find("<table class=\"heat\"").unwrap()..];
            let table = &table[..table.find("</table>").unwrap()];
            for td in table.split("<td ").skip(1) {
                let td = format!("<td {}", &td[..td.find("</td>").unwrap()]);
                let Some(status) = attribute(&td, "data-status") else {
                    continue;
                };
                let v = attribute(&td, "data-v").unwrap();
                let figure = text_of(&td[td.find('>').unwrap() + 1..]);
                if status == "shown" && !figure.contains("nearly") {
                    shown += 1;
                    let figure = figure.split(' ').next().unwrap().trim_end_matches('%');
                    assert_eq!(v, figure, "{backend:?}");
                } else if status != "shown" {
                    assert_eq!(v, "", "{backend:?}: a hidden cell sorts by nothing");
                }
            }
            assert!(shown > 0);
        }
    }
}

/// WCAG's contrast ratio of two `#rrggbb` or `#rgb` colours.
fn contrast(a: &str, b: &str) -> f64 {
    let luminance = |hex: &str| {
        let hex = hex.trim_start_matches('#');
        let hex: String = if hex.len() == 3 {
            hex.chars().flat_map(|c| [c, c]).collect()
        } else {
            hex.to_string()
        };
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    };
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The value of `property` in the stylesheet's one-line rule for `selector`.
fn css_value<'a>(css: &'a str, selector: &str, property: &str) -> Option<&'a str> {
    let rule = css
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{selector} {{")))?;
    let at = rule.find(&format!("{property}:"))? + property.len() + 1;
    rule[at..].split([';', '}']).next().map(str::trim)
}

/// Every text on a heat map colour, and every better/worse chip, reads at 4.5:1 or more
/// (WCAG AA): white on the least healthy orange was 3.46:1 once.
#[test]
fn heat_map_text_has_at_least_aa_contrast_on_every_colour() {
    let backend = backends()[0];
    let f = fixture(backend);
    let css = get(&f.app.url("/static/reports.css"), &As::Anonymous).body;
    let body_text = css_value(&css, "body", "color").unwrap();
    for class in [".c1", ".c2", ".c3", ".c4", ".c5"] {
        let background = css_value(&css, class, "background").unwrap();
        let text = css_value(&css, class, "color").unwrap_or(body_text);
        let ratio = contrast(background, text);
        assert!(
            ratio >= 4.5,
            "{class}: {text} on {background} is {ratio:.2}:1"
        );
    }
    for chip in ["small.delta.better", "small.delta.worse"] {
        let text = css_value(&css, chip, "color").unwrap();
        let ratio = contrast("#fff", text);
        assert!(ratio >= 4.5, "{chip}: {text} on white is {ratio:.2}:1");
    }
    assert!(contrast("#e66101", "#fff") < 4.5, "the check can fail");
}

/// Every colour of the legend is named and says which figures get it, and every shown cell
/// has the colour its figure and its scale's direction give under those thresholds (means
/// as shown, on the 1-5 scale: 2.40, 2.80, 3.20, 3.60, the other way round on exhaustion
/// and cynicism; favourable shares: 35%, 45%, 55%, 65%).
#[test]
fn the_legend_gives_every_colour_with_its_thresholds() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let cookie = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        for (query, favorable) in [
            ("?attribute=tenure", false),
            ("?measure=favorable&attribute=tenure", true),
        ] {
            let page = get(&app.url(&format!("/reports/waves/W2{query}")), &cookie);
            let legend = &page.body[page.body.find("<ul class=\"legend\"").unwrap()..];
            let legend = &legend[..legend.find("</ul>").unwrap()];
            let swatches: Vec<String> = legend
                .split("<li>")
                .skip(1)
                .filter(|li| li.contains("swatch"))
                .map(|li| text_of(&format!("<li>{li}")).replace(" :", ":"))
                .collect();
            let expected: [&str; 6] = if favorable {
                [
                    "least healthy: under 35% favourable",
                    "less healthy: 35%–44% favourable",
                    "middle: 45%–54% favourable",
                    "healthier: 55%–64% favourable",
                    "healthiest: 65% favourable or more",
                    "hidden: fewer than 3 people answered",
                ]
            } else {
                [
                    "least healthy: mean below 2.40; on Exhaustion and Cynicism 3.60 or more",
                    "less healthy: mean 2.40–2.79; on Exhaustion and Cynicism 3.20–3.59",
                    "middle: mean 2.80–3.19",
                    "healthier: mean 3.20–3.59; on Exhaustion and Cynicism 2.40–2.79",
                    "healthiest: mean 3.60 or more; on Exhaustion and Cynicism below 2.40",
                    "hidden: fewer than 3 people answered",
                ]
            };
            assert_eq!(swatches.len(), expected.len(), "{backend:?}: {swatches:?}");
            for (got, want) in swatches.iter().zip(expected) {
                assert!(
                    got.starts_with(want),
                    "{backend:?}: {got:?} is not {want:?}"
                );
            }
            // Each shown figure's colour, from the thresholds above.
            let heads = headings(&page.body);
            let mut checked = 0;
            for row in heat_rows(&page.body) {
                for (cell, heading) in row.cells.iter().zip(&heads[3..]) {
                    let class = cell.class.as_str();
                    if cell.status != "shown" {
                        assert_eq!(class, "hidden");
                        continue;
                    }
                    if cell.figure.contains("nearly") {
                        assert!(class == "c1" || class == "c5", "{cell:?}");
                        continue;
                    }
                    let steps_reached = if favorable {
                        let p: i64 = cell.figure.trim_end_matches('%').parse().unwrap();
                        [35, 45, 55, 65].iter().filter(|&&t| p >= t).count()
                    } else {
                        let m: f64 = cell.figure.parse().unwrap();
                        let h = (m * 100.0).round() as i64;
                        let up = [240, 280, 320, 360].iter().filter(|&&t| h >= t).count();
                        let worse =
                            heading.starts_with("Exhaustion") || heading.starts_with("Cynicism");
                        if worse {
                            4 - up
                        } else {
                            up
                        }
                    };
                    assert_eq!(
                        class,
                        format!("c{}", steps_reached + 1),
                        "{backend:?} {} {heading}: {}",
                        row.label,
                        cell.figure
                    );
                    checked += 1;
                }
            }
            assert!(checked > 10, "{backend:?}: {checked}");
        }
    }
}

/// Every `href` in the part of `body` from `start` to the next `end`, references undone.
fn hrefs_between(body: &str, start: &str, end: &str) -> Vec<String> {
    let Some(at) = body.find(start) else {
        return Vec::new();
    };
    let part = &body[at..];
    let part = &part[..part.find(end).unwrap_or(part.len())];
    part.split(" href=\"")
        .skip(1)
        .map(|h| decode(h.split('"').next().unwrap_or_default()))
        .collect()
}

/// The link of the switch, breadcrumb step or link labelled `label`.
fn link_labelled(body: &str, label: &str) -> String {
    body.split("<a href=\"")
        .skip(1)
        .find(|a| {
            let text = &a[a.find('>').unwrap() + 1..a.find("</a>").unwrap()];
            text_of(text) == label
        })
        .map(|a| decode(a.split('"').next().unwrap()))
        .unwrap_or_else(|| panic!("no link \"{label}\""))
}

/// The units of the page's whole-unit rows, in page order.
fn unit_rows(body: &str) -> Vec<String> {
    heat_rows(body)
        .into_iter()
        .filter(|r| !r.is_cut)
        .map(|r| r.unit)
        .collect()
}

/// Below the unit in view the heat map shows two levels; deeper units are folded into
/// their ancestor's row ("2 units below"), whose name opens that unit's own heat map with
/// the same view, a breadcrumb back up, and the organisation for comparison. "All" shows
/// every level. A manager's breadcrumb and unit picker start at their own unit.
#[test]
fn deep_levels_fold_and_a_unit_name_opens_its_own_heat_map() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let mut csv = String::from("email,unit,tenure\n");
        let units = ["Acme/A", "Acme/A/B", "Acme/A/B/C", "Acme/A/B/C/D", "Acme/E"];
        for (i, unit) in units.iter().enumerate() {
            for p in 0..4 {
                let tenure = if p % 2 == 0 { "short" } else { "long" };
                csv.push_str(&format!("p{i}{p}@example.org,{unit},{tenure}\n"));
            }
        }
        ws.ok(&["roster", "import", &ws.write("roster.csv", &csv)]);
        run_wave(&ws, "W", 0, &["tenure"]);
        let manager = password_of(&ws.ok(&[
            "user", "add", "--email", MANAGER, "--role", "manager", "--unit", "Acme/A/B",
        ]));
        let (app, admin) = serve_as_admin(ws);

        let page = get(&app.url("/reports/waves/W?measure=favorable"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert_eq!(
            unit_rows(&page.body),
            ["Acme", "Acme/A", "Acme/A/B", "Acme/E"],
            "{backend:?}"
        );
        let b = heat_rows(&page.body)
            .into_iter()
            .find(|r| r.unit == "Acme/A/B")
            .unwrap();
        assert_eq!(b.label, "B 2 units below", "{backend:?}");
        // No breadcrumb at the top of the reader's scope.
        assert!(!page.body.contains("class=\"crumbs\""), "{backend:?}");
        let drill = link_labelled(&page.body, "B");
        assert_eq!(
            drill, "/reports/waves/W?measure=favorable&unit=Acme%2FA%2FB",
            "{backend:?}"
        );

        let sub = get(&app.url(&drill), &admin);
        assert_eq!(sub.status, 200, "{backend:?}: {}", sub.body);
        assert!(text_of(&sub.body).contains("Heat map: Acme/A/B, wave W"));
        // The organisation first, for comparison, then B and all of its subtree (two
        // levels below B).
        assert_eq!(
            unit_rows(&sub.body),
            ["Acme", "Acme/A/B", "Acme/A/B/C", "Acme/A/B/C/D"],
            "{backend:?}"
        );
        assert!(sub.body.contains("the whole organisation, for comparison"));
        assert_eq!(
            hrefs_between(&sub.body, "<nav class=\"crumbs\"", "</nav>"),
            [
                "/reports/waves/W?measure=favorable",
                "/reports/waves/W?measure=favorable&unit=Acme%2FA"
            ],
            "{backend:?}"
        );
        assert!(
            sub.body.contains("<span aria-current=\"page\">B</span>"),
            "{backend:?}"
        );

        // Every level on request, and the switch back.
        let all = get(&app.url("/reports/waves/W?levels=all"), &admin);
        assert_eq!(
            unit_rows(&all.body),
            [
                "Acme",
                "Acme/A",
                "Acme/A/B",
                "Acme/A/B/C",
                "Acme/A/B/C/D",
                "Acme/E"
            ],
            "{backend:?}"
        );
        assert_eq!(
            link_labelled(&all.body, "2 levels below Acme"),
            "/reports/waves/W"
        );

        // A manager of B starts at B: no breadcrumb above it, and the picker offers B's
        // subtree only.
        let cookie = As::Cookie(session(&app, MANAGER, &manager));
        let mine = get(&app.url("/reports/waves/W"), &cookie);
        assert_eq!(mine.status, 200, "{backend:?}: {}", mine.body);
        assert!(!mine.body.contains("class=\"crumbs\""), "{backend:?}");
        let options: Vec<String> = mine
            .body
            .split("<option value=\"")
            .skip(1)
            .map(|o| decode(o.split('"').next().unwrap()))
            .collect();
        assert_eq!(
            options,
            ["Acme/A/B", "Acme/A/B/C", "Acme/A/B/C/D"],
            "{backend:?}"
        );
        // The picker's answer for a unit outside the scope, and for one that does not exist.
        let outside = get(&app.url("/reports/waves/W?unit=Acme%2FE"), &cookie);
        assert_eq!(outside.status, 403, "{backend:?}");
        assert!(outside.body.contains("outside what you may read"));
        let unknown = get(&app.url("/reports/waves/W?unit=Acme%2FNope"), &admin);
        assert_eq!(unknown.status, 404, "{backend:?}");
        assert!(decode(&unknown.body).contains("has no unit \"Acme/Nope\""));
        assert!(unknown.body.contains("Back to the reports"));
    }
}

/// The switches, the unit picker and the links to the questions, the printable report,
/// the trend and the CSV keep the page's filters, and each answers with what it says; the
/// picker takes a unit's own name, or suggests paths. A comparison with a previous wave
/// that does not exist says so.
#[test]
fn every_link_on_the_heat_map_keeps_its_filters() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let cookie = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let query = "measure=favorable&compare=previous&attribute=tenure&unit=Acme%2FEng";
        let page = get(&app.url(&format!("/reports/waves/W2?{query}")), &cookie);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        let base = "/reports/waves/W2";
        for (label, expected) in [
            (
                "Mean",
                format!("{base}?compare=previous&attribute=tenure&unit=Acme%2FEng"),
            ),
            (
                "Δ to the organisation",
                format!("{base}?measure=favorable&attribute=tenure&unit=Acme%2FEng"),
            ),
            (
                "No cut",
                format!("{base}?measure=favorable&compare=previous&unit=Acme%2FEng"),
            ),
            ("Question by question", format!("{base}/items?{query}")),
            ("Printable report", format!("{base}/print?unit=Acme%2FEng")),
            ("Trend over waves", "/reports/trend?unit=Acme%2FEng".into()),
            (
                "CSV",
                "/api/v1/waves/W2/heatmap.csv?attribute=tenure&unit=Acme%2FEng".into(),
            ),
        ] {
            assert_eq!(link_labelled(&page.body, label), expected, "{backend:?}");
        }
        // The picker sends the other filters along with the unit chosen.
        let picker = &page.body[page.body.find("<form method=\"get\"").unwrap()..];
        let picker = &picker[..picker.find("</form>").unwrap()];
        for (name, value) in [
            ("measure", "favorable"),
            ("compare", "previous"),
            ("attribute", "tenure"),
        ] {
            assert!(
                picker.contains(&format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{value}\">"
                )),
                "{backend:?}: {picker}"
            );
        }
        assert!(picker.contains("value=\"Acme/Eng\""), "{backend:?}");
        // The printable report is Eng's, and the CSV holds Eng's rows with their cuts and
        // the organisation's for comparison, nothing else.
        let print = get(&app.url(&format!("{base}/print?unit=Acme%2FEng")), &cookie);
        assert_eq!(print.status, 200);
        assert!(text_of(&print.body).contains("Acme/Eng"), "{backend:?}");
        let csv = get(
            &app.url("/api/v1/waves/W2/heatmap.csv?attribute=tenure&unit=Acme%2FEng"),
            &As::Bearer(f.tokens[ADMIN].clone()),
        );
        assert_eq!(csv.status, 200, "{backend:?}");
        let units: std::collections::BTreeSet<&str> = csv
            .body
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1))
            .collect();
        assert_eq!(
            units.into_iter().collect::<Vec<_>>(),
            ["Acme", "Acme/Eng", "Acme/Eng/Platform"],
            "{backend:?}"
        );
        assert!(csv.body.contains("tenure=long"), "{backend:?}");
        // The picker takes a unit's own name where one unit has it, and suggests paths for
        // part of a name.
        let by_name = get(&app.url("/reports/waves/W2?unit=platform"), &cookie);
        assert_eq!(by_name.status, 200, "{backend:?}: {}", by_name.body);
        assert!(text_of(&by_name.body).contains("Heat map: Acme/Eng/Platform, wave W2"));
        let part = get(&app.url("/reports/waves/W2?unit=plat"), &cookie);
        assert_eq!(part.status, 404, "{backend:?}");
        assert!(
            decode(&part.body).contains("has no unit \"plat\"; did you mean Acme/Eng/Platform?"),
            "{backend:?}: {}",
            part.body
        );
        // The first wave has nothing before it: a sentence says so instead of blank cells.
        let first = get(&app.url("/reports/waves/W1"), &cookie);
        assert!(
            !first.body.contains("No earlier closed wave"),
            "{backend:?}"
        );
        let first = get(&app.url("/reports/waves/W1?compare=previous"), &cookie);
        assert_eq!(first.status, 200, "{backend:?}");
        assert!(
            text_of(&first.body).contains(
                "No earlier closed wave of this survey to compare wave W1 with, so the figures \
                 show no differences."
            ),
            "{backend:?}"
        );
        assert!(
            heat_rows(&first.body)
                .iter()
                .all(|r| r.cells.iter().all(|c| c.delta.is_none())),
            "{backend:?}"
        );
    }
}

/// A shown figure opens the questions of its scale for its unit and cut: the page names
/// the cut, has the scale's heading as the link's target, and shows each question as the
/// items API shows that cell, split into favourable, neutral and unfavourable shares. A value without its attribute, or one the wave does not
/// have, gets an error page.
#[test]
fn a_figure_opens_the_questions_of_its_unit_and_cut() {
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let cookie = As::Cookie(session(app, ADMIN, &f.passwords[ADMIN]));
        let page = get(&app.url("/reports/waves/W2?attribute=tenure"), &cookie);
        assert_eq!(page.status, 200, "{backend:?}");
        let links: Vec<String> = page
            .body
            .split(" href=\"")
            .skip(1)
            .map(|h| decode(h.split('"').next().unwrap()))
            .filter(|h| h.contains("/items?"))
            .collect();
        let cut = links
            .iter()
            .find(|h| h.contains("unit=Acme%2FEng&") && h.contains("value=long"))
            .unwrap_or_else(|| panic!("{backend:?}: no cut cell of Eng links its questions"));
        let (url, anchor) = cut.split_once('#').unwrap();
        assert_eq!(
            url, "/reports/waves/W2/items?unit=Acme%2FEng&attribute=tenure&value=long",
            "{backend:?}"
        );
        assert!(anchor.starts_with("scale-"), "{anchor}");
        let items = get(&app.url(url), &cookie);
        assert_eq!(items.status, 200, "{backend:?}: {}", items.body);
        assert!(
            text_of(&items.body).contains("Question by question: Acme/Eng, Tenure: long, wave W2"),
            "{backend:?}"
        );
        assert!(
            items.body.contains(&format!("id=\"{anchor}\"")),
            "{backend:?}"
        );
        // The way back is the heat map with the cut.
        assert_eq!(
            link_labelled(&items.body, "← Back to the heat map"),
            "/reports/waves/W2?attribute=tenure&unit=Acme%2FEng"
        );
        // Each question's answered count is the items API's for that cell.
        let api = get(
            &app.url("/api/v1/waves/W2/items?attribute=tenure&unit=Acme%2FEng"),
            &As::Bearer(f.tokens[ADMIN].clone()),
        )
        .json();
        let mut counts: Vec<String> = api["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["unit"] == "Acme/Eng" && r["cut"] == "tenure=long")
            .map(|r| {
                r["respondents"]
                    .as_u64()
                    .map_or_else(|| "hidden".into(), |n| n.to_string())
            })
            .collect();
        assert!(!counts.is_empty(), "{backend:?}");
        let mut shown: Vec<String> = items
            .body
            .split("<tr>")
            .skip(1)
            .filter(|tr| tr.contains("class=\"question\""))
            .map(|tr| match tr.find("<td class=\"num\">") {
                Some(at) => text_of(&tr[at..at + tr[at..].find("</td>").unwrap()]),
                None => "hidden".into(),
            })
            .collect();
        // The page groups questions by scale; the API lists them by item.
        counts.sort();
        shown.sort();
        assert_eq!(shown, counts, "{backend:?}");
        // Where no question of the cell is shown, the page says so once, before the tables.
        let none = "No question can be shown for Acme/Eng, Tenure: long in this wave.";
        assert_eq!(
            text_of(&items.body).contains(none),
            counts.iter().all(|c| c == "hidden"),
            "{backend:?}: {counts:?}"
        );
        // Each shown question is split in three; its favourable share is the API's shares
        // on the side its wording and scale make healthy (agreeing, except on questions worded
        // the other way round and on scales where higher is worse). Read at the organisation,
        // which shows every question: below it, P2 hides most questions of this small
        // organisation with report attributes (docs/privacy.md D7).
        let whole = get(&app.url("/reports/waves/W2/items?unit=Acme"), &cookie);
        let api = get(
            &app.url("/api/v1/waves/W2/items"),
            &As::Bearer(f.tokens[ADMIN].clone()),
        )
        .json();
        let pool = app.workspace.pool();
        let mut conn = pool.get().unwrap();
        let wave = waves::find(&mut conn, "W2").unwrap();
        let inst = InstrumentCache::default()
            .get(&mut conn, &wave.instrument)
            .unwrap();
        assert!(
            !text_of(&whole.body).contains("No question can be shown"),
            "{backend:?}"
        );
        let page_rows: Vec<String> = whole.body.split("<tr>").map(text_of).collect();
        let mut checked = [0, 0];
        for r in api["rows"].as_array().unwrap() {
            if r["unit"] != "Acme" || r["cut"] != "" || r["status"] != "shown" {
                continue;
            }
            let item = inst.items.iter().find(|i| i.id == r["item"]).unwrap();
            let tr = page_rows
                .iter()
                .find(|tr| tr.starts_with(&item.text))
                .unwrap_or_else(|| panic!("{backend:?}: no row for {}", item.text));
            if !r["pct_band"].as_array().unwrap().is_empty() {
                assert!(!tr.contains("% favourable"), "{backend:?}: {tr}");
                continue;
            }
            let pct: Vec<f64> = r["pct"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_f64().unwrap())
                .collect();
            let higher_is_better = inst.scales[item.scale].direction
                == survey_engine::instrument::Direction::HigherIsBetter;
            let high_is_favourable = higher_is_better != item.reverse;
            let (favourable, unfavourable) = if high_is_favourable {
                (pct[3] + pct[4], pct[0] + pct[1])
            } else {
                (pct[0] + pct[1], pct[3] + pct[4])
            };
            // A side holding all answerers but at most one, or at most one, is said as a
            // band (the heat map's rule for a favourable share), and then the neutral share,
            // which would give it away, is left out.
            let n = r["respondents"].as_u64().unwrap();
            let count = |share: f64| (share * n as f64 / 100.0).round() as u64;
            let banded = |share: f64| count(share) + 1 >= n || count(share) <= 1;
            let expected = if banded(favourable) || banded(unfavourable) {
                let words = |share: f64| {
                    if count(share) + 1 >= n {
                        "all or nearly all".to_string()
                    } else if count(share) <= 1 {
                        "none or nearly none".to_string()
                    } else {
                        format!("{}%", share.round() as i64)
                    }
                };
                format!(
                    "favourable: {} · unfavourable: {}",
                    words(favourable),
                    words(unfavourable)
                )
            } else {
                format!(
                    "favourable: {}% · neutral: {}% · unfavourable: {}%",
                    favourable.round() as i64,
                    pct[2].round() as i64,
                    unfavourable.round() as i64
                )
            };
            assert!(tr.contains(&expected), "{backend:?}: {expected} in {tr}");
            checked[usize::from(high_is_favourable)] += 1;
        }
        assert!(checked[0] > 0 && checked[1] > 0, "{backend:?}: {checked:?}");
        // Errors name the field.
        let no_attribute = get(&app.url("/reports/waves/W2/items?value=long"), &cookie);
        assert_eq!(no_attribute.status, 400, "{backend:?}");
        assert!(decode(&no_attribute.body).contains("a value needs the attribute"));
        let no_value = get(
            &app.url("/reports/waves/W2/items?attribute=tenure&value=nope"),
            &cookie,
        );
        assert_eq!(no_value.status, 404, "{backend:?}");
        assert!(decode(&no_value.body).contains("has no value \"nope\""));
    }
}

/// A cell where fewer people answered its scale than its row's "Answered (n)" (they skipped
/// its questions) says its own count; the others do not repeat the row's.
#[test]
fn a_cell_with_fewer_answers_than_its_row_says_its_own_n() {
    for backend in backends() {
        let ws = Workspace::new(backend);
        let mut csv = String::from("email,unit\n");
        for n in 0..16 {
            let unit = if n < 8 { "Acme/Eng" } else { "Acme/Ops" };
            csv.push_str(&format!("p{n:02}@example.org,{unit}\n"));
        }
        ws.ok(&["roster", "import", &ws.write("roster.csv", &csv)]);
        open_and_answer(&ws, "W", "2020-01-01", 0, &[], 0);
        let pool = ws.pool();
        let mut conn = pool.get().unwrap();
        let cache = InstrumentCache::default();
        let wave = waves::find(&mut conn, "W").unwrap();
        let instrument = cache.get(&mut conn, &wave.instrument).unwrap();
        let workload = instrument
            .scales
            .iter()
            .position(|s| s.id == "workload")
            .unwrap();
        let invitations = ws.invitations();
        for (i, (token, to)) in invitations.iter().enumerate() {
            // Three people of Ops skip every workload question.
            let skips = to >= &"p08".to_string() && to < &"p11".to_string();
            let answers: BTreeMap<String, Option<i32>> = instrument
                .items
                .iter()
                .enumerate()
                .map(|(j, item)| {
                    let v = 1 + ((i * 7 + j * 3) % 5) as i32;
                    let skipped = skips && item.scale == workload;
                    (item.id.clone(), (!skipped).then_some(v))
                })
                .collect();
            worklife_server::survey::responses::submit_answers(
                &mut conn,
                &cache,
                token,
                &answers,
                worklife_server::clock::now(),
            )
            .unwrap();
        }
        ws.ok(&["wave", "close", "W"]);
        let (app, admin) = serve_as_admin(ws);
        let page = get(&app.url("/reports/waves/W"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        let ops = page
            .body
            .split("<tr data-unit=\"Acme/Ops\"")
            .nth(1)
            .map(|tr| &tr[..tr.find("</tr>").unwrap()])
            .unwrap();
        let row = heat_rows(&page.body)
            .into_iter()
            .find(|r| r.unit == "Acme/Ops" && !r.is_cut)
            .unwrap();
        assert_eq!(row.n, "8", "{backend:?}");
        // Only the workload cell (the first scale) says its own n.
        assert_eq!(
            ops.matches("<small class=\"own-n\">").count(),
            1,
            "{backend:?}: {ops}"
        );
        let first_cell = &ops[ops.find("<td class=\"c").unwrap()..];
        let first_cell = &first_cell[..first_cell.find("</td>").unwrap()];
        assert!(
            first_cell.contains("<small class=\"own-n\">n=5</small>"),
            "{backend:?}: {first_cell}"
        );
        // Eng answered everything: no cell repeats its row's n.
        let eng = page
            .body
            .split("<tr data-unit=\"Acme/Eng\"")
            .nth(1)
            .map(|tr| &tr[..tr.find("</tr>").unwrap()])
            .unwrap();
        assert!(!eng.contains("own-n"), "{backend:?}");
    }
}

/// On a scale of one question (the pulse's areas) the score is the answer, so a team that
/// gave one answer all but once shows no mean (D9): the cell says so in words, coloured as
/// the middle of the scale, and the API gives the band's id and no mean or sd. Big's six
/// people all answered community, fairness and values with 4; their answers to workload lie
/// apart, and its mean is shown.
#[test]
fn a_one_question_scale_answered_alike_reads_as_words() {
    use worklife_tests::action_plan_common as plans;
    for backend in backends() {
        let ws = plans::org(backend);
        plans::run_wave(&ws, "Q1", 1);
        let added = ws.ok(&["user", "add", "--email", ADMIN, "--role", "admin"]);
        let token = ws
            .ok(&["token", "create", "--user", ADMIN])
            .trim()
            .to_string();
        let app = worklife_tests::spawn_app(ws);
        let cookie = As::Cookie(session(&app, ADMIN, &password_of(&added)));
        let page = get(&app.url("/reports/waves/Q1"), &cookie);
        assert_eq!(page.status, 200, "{backend:?}");
        let heads = headings(&page.body);
        let rows = heat_rows(&page.body);
        let big = rows.iter().find(|r| r.unit == "Acme/Big").unwrap();
        let column = |label: &str| {
            let at = heads.iter().position(|h| h.starts_with(label)).unwrap();
            // The headings start with the unit's and the n column's.
            &big.cells[at - (heads.len() - big.cells.len())]
        };
        for label in ["Community", "Fairness", "Values"] {
            let cell = column(label);
            assert_eq!(cell.status, "shown", "{backend:?} {label}");
            assert_eq!(
                cell.figure, "all or nearly all gave the same answer",
                "{backend:?} {label}"
            );
            assert!(
                cell.class.split(' ').any(|c| c == "c3"),
                "{backend:?} {cell:?}"
            );
            assert!(cell.delta.is_none(), "{backend:?} {cell:?}");
        }
        assert_eq!(column("Workload").figure, "1.83", "{backend:?}");
        let api = get(&app.url("/api/v1/waves/Q1/heatmap"), &As::Bearer(token)).json();
        let row = api["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["unit"] == "Acme/Big" && r["scale"] == "community")
            .unwrap();
        assert_eq!(
            row["mean_band"], "all_or_nearly_all_one_answer",
            "{backend:?}"
        );
        assert!(
            row["mean"].is_null() && row["sd"].is_null(),
            "{backend:?} {row}"
        );
        assert_eq!(row["respondents"], 6, "{backend:?}");
    }
}
