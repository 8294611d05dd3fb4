//! Comments in a unit's report, on both databases: the printable page and its PDF (read back
//! with poppler's `pdftotext`) show what a unit's people wrote where the comment release shows
//! the unit, with each comment's question and the themes; a unit of four gets one plain
//! sentence and none of its texts; a comment of 2,000 characters wraps and pages; a wave
//! without an open question has no comments section.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use worklife_tests::reports_common::*;
use worklife_tests::{backends, client, Backend, TestApp, Workspace};

use crate::comments::{answer, comment_wave, numbered, unit_of};
use crate::unit_pdf::{have_pdftotext, pdf_text};

/// The question every comment answers (`c_change` of worklife-core).
const QUESTION: &str = "What one change would most improve your work?";

/// The last words of the long comment.
const LAST_WORDS: &str = "and that is the very end of my long note";

/// A writer's unique comment; it touches the Workload theme.
fn text_of(email: &str) -> String {
    format!(
        "Less workload for us, writes {}",
        email.trim_end_matches("@example.org")
    )
}

/// The PDF's text with its page footers ("Worklife report, <unit>: wave <wave> page N of M")
/// taken out, so that a comment the page break cut in two reads as one (comments come in an
/// order that says nothing, so where the long one falls changes from run to run).
fn without_page_footers(pdf: &str) -> String {
    let mut out = String::new();
    let mut rest = pdf;
    while let Some(at) = rest.find("Worklife report, ") {
        out.push_str(&rest[..at]);
        let footer = &rest[at..];
        let page = footer
            .find(" page ")
            .expect("a footer ends in its page number");
        // "N of M", then the text goes on after one space.
        rest = footer[page + " page ".len()..]
            .splitn(4, ' ')
            .nth(3)
            .unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// A comment of exactly 2,000 characters in plain lowercase words, ending in [`LAST_WORDS`].
fn long_comment() -> String {
    let tail = format!(" {LAST_WORDS}");
    let filler =
        "our workload grows while the meetings never end and nobody has time to think ".repeat(30);
    let mut head: String = filler.chars().take(2000 - tail.len()).collect();
    // No two spaces where head and tail meet.
    if head.ends_with(' ') {
        head.pop();
        head.push('.');
    }
    let text = format!("{head}{tail}");
    assert_eq!(text.chars().count(), 2000);
    text
}

/// The report's PDF for `unit` as a bearer of `token` downloads it.
fn report_pdf(app: &TestApp, unit: &str, token: &str) -> Vec<u8> {
    let mut r = client()
        .get(&app.url(&format!("/reports/waves/C1/report.pdf?unit={unit}")))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.body_mut().read_to_vec().unwrap()
}

/// Every numbered person answers with their own comment (the first of Acme/Big with the long
/// one), the wave closes; the comments by unit and an admin's token.
fn answered_wave(backend: Backend) -> (TestApp, BTreeMap<&'static str, Vec<String>>, String) {
    let (app, links, _) = comment_wave(backend);
    let mut by_unit: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for email in links.keys().filter(|e| numbered(e)) {
        let unit = unit_of(email);
        let texts = by_unit.entry(unit).or_default();
        let text = if unit == "Acme/Big" && texts.is_empty() {
            long_comment()
        } else {
            text_of(email)
        };
        let r = answer(&app, &links[email], &text);
        assert_eq!(r.status, 200, "{backend:?} {email}: {}", r.body);
        texts.push(text);
    }
    app.workspace.ok(&["wave", "close", "C1"]);
    let token = app
        .workspace
        .ok(&["token", "create", "--user", ADMIN])
        .trim()
        .to_string();
    (app, by_unit, token)
}

#[test]
fn a_unit_report_shows_what_its_people_wrote_only_where_the_comments_page_would() {
    if !have_pdftotext() {
        return;
    }
    let hidden = "No comments are shown for Acme/Small: fewer than 10 people wrote one, or \
                  showing them would let someone pick out what a smaller group wrote.";
    for backend in backends() {
        let (app, by_unit, token) = answered_wave(backend);
        let admin = As::Bearer(token.clone());
        let big = &by_unit["Acme/Big"];
        assert_eq!(big.len(), 12);
        assert_eq!(by_unit["Acme/Small"].len(), 4);

        // Acme/Big: twelve writers, every comment with its question, and the theme they share.
        let page = get(&app.url("/reports/waves/C1/print?unit=Acme/Big"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        let text = page.text();
        assert!(
            text.contains("<h2 id=\"comments-heading\">Comments</h2>"),
            "{backend:?}"
        );
        assert!(
            text.contains("What people wrote (12 comments, in no particular order)"),
            "{backend:?}: {text}"
        );
        assert!(
            text.contains("Themes at least 10 people wrote about: Workload (12)"),
            "{backend:?}: {text}"
        );
        for t in big {
            assert!(
                text.contains(&format!("<blockquote>{t}</blockquote>")),
                "{backend:?}: {t}"
            );
        }
        assert_eq!(text.matches(QUESTION).count(), 12, "{backend:?}");
        assert!(!text.contains("No comments are shown"));

        let pdf = without_page_footers(&pdf_text(&report_pdf(&app, "Acme/Big", &token)));
        assert!(pdf.contains("What people wrote (12 comments, in no particular order)"));
        assert!(pdf.contains("Themes at least 10 people wrote about: Workload (12)"));
        assert_eq!(pdf.matches(QUESTION).count(), 12, "{backend:?}: {pdf}");
        // The short ones whole; the long one wrapped over many lines, its last words there.
        for t in big.iter().filter(|t| t.len() < 100) {
            assert!(pdf.contains(t.as_str()), "{backend:?}: {t} in {pdf}");
        }
        assert!(pdf.contains(LAST_WORDS), "{backend:?}: {pdf}");
        assert!(pdf.contains("our workload grows while the meetings never end"));
        // The section sits between the questions and the action plan, as on the page.
        let at = |s: &str| pdf.find(s).unwrap_or_else(|| panic!("{s}"));
        assert!(at("Question by question") < at("What people wrote"));
        assert!(at(LAST_WORDS) < at("Action plan"));

        // Acme/Small: four writers, a plain sentence and none of their words, in both.
        let page = get(&app.url("/reports/waves/C1/print?unit=Acme/Small"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        let text = page.text();
        assert!(text.contains(hidden), "{backend:?}: {text}");
        let pdf = pdf_text(&report_pdf(&app, "Acme/Small", &token));
        assert!(pdf.contains(hidden), "{backend:?}: {pdf}");
        for shown in [&text, &pdf] {
            assert!(!shown.contains("What people wrote"));
            assert!(!shown.contains("Less workload for us"), "{backend:?}");
            assert!(!shown.contains("Themes at least"));
            assert!(!shown.contains(QUESTION));
        }
    }
}

/// A wave of an instrument without an open question: neither the page nor the PDF has a
/// comments section.
#[test]
fn a_wave_without_an_open_question_has_no_comments_section() {
    use worklife_server::survey::responses::{self, InstrumentCache};
    use worklife_server::survey::waves;
    use worklife_tests::token_of;

    if !have_pdftotext() {
        return;
    }
    for backend in backends() {
        let ws = Workspace::new(backend);
        let mini = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini.toml"),
        )
        .unwrap();
        ws.ok(&["instrument", "import", &ws.write("mini.toml", &mini)]);
        let roster: String = std::iter::once("email,unit\n".to_string())
            .chain((0..12).map(|i| format!("p{i}@example.org,Acme/Team\n")))
            .collect();
        ws.ok(&["roster", "import", &ws.write("roster.csv", &roster)]);
        ws.create_wave("C1", "mini", "3");
        ws.ok(&["wave", "open", "C1"]);
        let pool = ws.pool();
        let mut conn = pool.get().unwrap();
        let cache = InstrumentCache::default();
        let wave = waves::find(&mut conn, "C1").unwrap();
        let instrument = cache.get(&mut conn, &wave.instrument).unwrap();
        assert!(instrument.prompts.is_empty());
        for (i, link) in ws.links().iter().enumerate() {
            let answers: BTreeMap<String, Option<i32>> = instrument
                .items
                .iter()
                .enumerate()
                .map(|(j, item)| (item.id.clone(), Some(1 + ((i + j) % 5) as i32)))
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
        ws.ok(&["wave", "close", "C1"]);
        let (app, admin) = serve_as_admin(ws);
        let page = get(&app.url("/reports/waves/C1/print"), &admin);
        assert_eq!(page.status, 200, "{backend:?}: {}", page.body);
        assert!(page.body.contains("<h2>Action plan</h2>"));
        assert!(!page.body.contains("comments-heading"), "{backend:?}");
        assert!(!page.body.contains("No comments are shown"));
        let As::Bearer(token) = &admin else {
            unreachable!()
        };
        let pdf = pdf_text(&report_pdf(&app, "Acme", token));
        assert!(pdf.contains("Action plan"), "{backend:?}: {pdf}");
        for absent in ["Comments", "What people wrote", "No comments are shown"] {
            assert!(!pdf.contains(absent), "{backend:?}: {absent} in {pdf}");
        }
    }
}
