//! A unit's report as a PDF file (`/reports/waves/{wave}/report.pdf?unit=PATH`) on both
//! databases: a real PDF whose text (read back with poppler's `pdftotext`) holds the unit, the
//! API's figures, the questions and the unit's action items; a hidden unit's file holds words,
//! no figure; the print page's scope rules and audit apply.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use worklife_tests::reports_common::*;
use worklife_tests::{backends, client, require_all};

/// Whether poppler's `pdftotext` is here; without it the test fails under
/// `WORKLIFE_REQUIRE_ALL=1` (CI installs `poppler-utils`) and is skipped otherwise.
pub fn have_pdftotext() -> bool {
    let found = Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !require_all(),
            "pdftotext (Debian package poppler-utils) is missing and WORKLIFE_REQUIRE_ALL=1"
        );
        eprintln!("skipping: pdftotext (Debian package poppler-utils) is not installed");
    }
    found
}

struct Download {
    status: u16,
    content_type: String,
    disposition: String,
    body: Vec<u8>,
}

fn download(url: &str, token: &str) -> Download {
    let mut r = client()
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    Download {
        status: r.status().as_u16(),
        content_type,
        disposition,
        body: r.body_mut().read_to_vec().unwrap(),
    }
}

/// The PDF's text as `pdftotext -layout` reads it (a table row on one line), with runs of white space made one space (a
/// wrapped question or a column gap reads as one space).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every figure-like piece of `text`: a decimal (`3.25`) or a percentage (`40%`).
fn figures(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '%'))
        .filter(|w| {
            let w = w.trim_matches('.');
            w.ends_with('%') && w.len() > 1
                || w.split_once('.').is_some_and(|(a, b)| {
                    !a.is_empty() && !b.is_empty() && b.chars().all(|c| c.is_ascii_digit())
                })
        })
        .map(|w| w.trim_matches('.').to_string())
        .collect()
}

#[test]
fn a_unit_report_downloads_as_a_pdf_with_the_pages_figures_and_words() {
    if !have_pdftotext() {
        return;
    }
    let inst = survey_engine::instrument::builtin::load("worklife-core")
        .unwrap()
        .unwrap();
    let question = inst
        .items
        .iter()
        .map(|i| i.text.as_str())
        .min_by_key(|t| t.len())
        .unwrap();
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = &f.tokens[ADMIN];
        app.workspace.ok(&[
            "action",
            "add",
            "--unit",
            "Acme/Eng",
            "--area",
            "workload",
            "--title",
            "Move the release review to Tuesdays",
            "--owner",
            "Team lead",
            "--due",
            "2027-01-31",
            "--status",
            "in_progress",
        ]);

        // The printable page links to its PDF and keeps its unit.
        let page = get(
            &app.url("/reports/waves/W2/print?unit=Acme%2FEng"),
            &As::Bearer(admin.clone()),
        );
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert!(
            page.body.contains(
                "href=\"/reports/waves/W2/report.pdf?unit=Acme%2FEng\">Download as PDF</a>"
            ),
            "{backend:?}: {}",
            page.body
        );
        assert!(page.text().contains(question), "{backend:?}");
        assert!(page.body.contains("Move the release review to Tuesdays"));

        let pdf = download(
            &app.url("/reports/waves/W2/report.pdf?unit=Acme%2FEng"),
            admin,
        );
        assert_eq!(pdf.status, 200, "{backend:?}");
        assert_eq!(pdf.content_type, "application/pdf");
        assert_eq!(
            pdf.disposition,
            "attachment; filename=\"worklife-W2-Acme-Eng.pdf\""
        );
        assert!(pdf.body.starts_with(b"%PDF-"), "{backend:?}");
        let text = pdf_text(&pdf.body);
        assert!(text.contains("Acme/Eng: wave W2"), "{backend:?}: {text}");
        assert!(text.contains(question), "{backend:?}: {question} in {text}");
        assert!(
            text.contains("Move the release review to Tuesdays"),
            "{text}"
        );
        assert!(text.contains("Team lead") && text.contains("in progress"));
        assert!(text.contains("2027-01-31"), "{text}");

        // Each shown scale mean of the unit is the API's, with two decimals.
        let api = get(
            &app.url("/api/v1/waves/W2/heatmap?unit=Acme%2FEng"),
            &As::Bearer(admin.clone()),
        )
        .json();
        let means: Vec<(String, String)> = api["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["unit"] == "Acme/Eng" && r["cut"] == "" && r["mean"].is_f64())
            .map(|r| {
                let id = r["scale"].as_str().unwrap();
                let label = inst
                    .scales
                    .iter()
                    .find(|s| s.id == id)
                    .unwrap()
                    .label
                    .clone();
                (label, format!("{:.2}", r["mean"].as_f64().unwrap()))
            })
            .collect();
        assert!(!means.is_empty(), "{backend:?}: {api}");
        for (label, mean) in &means {
            let row = text
                .split(&format!("{label} "))
                .nth(1)
                .unwrap_or_else(|| panic!("{backend:?}: no row {label} in {text}"));
            assert!(
                row.split(' ').nth(1) == Some(mean.as_str()),
                "{backend:?}: {label} should read n then {mean}: {}",
                &row[..row.len().min(80)]
            );
        }

        // The manager's own report, without `unit`: their unit.
        let own = download(&app.url("/reports/waves/W2/report.pdf"), &f.tokens[MANAGER]);
        assert_eq!(own.status, 200, "{backend:?}");
        assert!(own.disposition.contains("worklife-W2-Acme-Eng.pdf"));
        assert!(pdf_text(&own.body).contains("Acme/Eng: wave W2"));

        let log = app.workspace.ok(&["audit", "list"]);
        assert!(
            log.lines().any(|l| l.contains(ADMIN)
                && l.contains("export report.pdf")
                && l.contains("wave=W2 unit=Acme/Eng")),
            "{backend:?}: {log}"
        );
        assert!(
            log.lines()
                .any(|l| l.contains(MANAGER) && l.contains("export report.pdf")),
            "{backend:?}: {log}"
        );
    }
}

#[test]
fn a_hidden_unit_s_pdf_has_words_and_no_figure_and_scope_holds() {
    if !have_pdftotext() {
        return;
    }
    for backend in backends() {
        let f = fixture(backend);
        let app = &f.app;
        let admin = &f.tokens[ADMIN];
        // Tiny has 2 people and k = 3.
        let tiny = download(
            &app.url("/reports/waves/W2/report.pdf?unit=Acme%2FTiny"),
            admin,
        );
        assert_eq!(tiny.status, 200, "{backend:?}");
        let text = pdf_text(&tiny.body);
        assert!(text.contains("Acme/Tiny: wave W2"), "{text}");
        assert!(text.contains("respondents hidden"), "{backend:?}: {text}");
        assert!(
            text.contains("hidden: fewer than 3 people answered, or the figure would let"),
            "{backend:?}: {text}"
        );
        assert!(
            text.contains("Hidden: fewer than 3 people answered this question"),
            "{text}"
        );
        assert!(
            text.contains("No question can be shown for this unit in this wave."),
            "{text}"
        );
        assert!(text.contains("No closed wave shows this unit"), "{text}");
        // (The scales table's column "95% CI" is a heading, not a figure.)
        assert_eq!(
            figures(&text.replace("95% CI", "")),
            Vec::<String>::new(),
            "{backend:?}: {text}"
        );
        // The check finds figures where there are some.
        let eng = download(
            &app.url("/reports/waves/W2/report.pdf?unit=Acme%2FEng"),
            admin,
        );
        assert!(!figures(&pdf_text(&eng.body)).is_empty());

        // A manager of Acme/Eng may not have Acme/Sales.
        let outside = download(
            &app.url("/reports/waves/W2/report.pdf?unit=Acme%2FSales"),
            &f.tokens[MANAGER],
        );
        assert!(
            matches!(outside.status, 403 | 404),
            "{backend:?}: a manager of Acme/Eng downloaded Acme/Sales: {}",
            outside.status
        );
        assert!(!outside.body.starts_with(b"%PDF"));
        // Bad input reads as a 4xx, never a 500.
        for url in [
            "/reports/waves/W9/report.pdf",
            "/reports/waves/W2/report.pdf?unit=Acme%2FNowhere",
            "/reports/waves/W2/report.pdf?unit=%FF",
            "/reports/waves/W2/report.pdf?unit=Acme&unit=Acme",
        ] {
            let r = download(&app.url(url), admin);
            assert!(
                (400..500).contains(&r.status),
                "{backend:?} {url}: {}",
                r.status
            );
        }
        // Anonymous readers are sent to sign in, and back to the file after.
        let path = "/reports/waves/W2/report.pdf?unit=Acme%2FEng";
        let anonymous = get(&app.url(path), &As::Anonymous);
        assert_eq!(anonymous.status, 303, "{backend:?}");
        assert_eq!(
            anonymous.header("location"),
            Some(format!("/login?next={}", worklife_server::web::enc(path)).as_str())
        );
    }
}

#[test]
fn the_figure_check_sees_decimals_and_percentages_only() {
    assert_eq!(
        figures("Acme/Eng: wave 2026-Q3 mean 3.25 and 40%, k = 3. page 1 of 2 v1.0."),
        ["3.25", "40%", "1.0"]
    );
}
