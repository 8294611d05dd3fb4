//! The heat map page as a reader sees it: scale labels as headings, on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use worklife_tests::backends;
use worklife_tests::reports_common::*;
use worklife_tests::unescape;

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
    unescape(&out)
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
    let head = &head[..head.find("</thead>").unwrap()];
    head.split("<th")
        .skip(1)
        .map(|h| text_of(&format!("<th{}", &h[..h.find("</th>").unwrap_or(h.len())])))
        .collect()
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
