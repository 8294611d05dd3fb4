//! A unit's report as a PDF file, `GET /reports/waves/{wave}/report.pdf?unit=PATH`: the
//! printable report's view model ([`UnitReport`]) set in pages by the server, so what the
//! file says is what the page says (no figure the page would not show, D6), under the same
//! scope check and audit as the page.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::error::PageError;
use super::pdf_layout::{Anchor, Cell, Face, Figure, Layout, Mark, Table};
use super::reports_api::read;
use super::reports_pages::TrendChart;
use super::signed_in::PageReader;
use super::unit_report::{CommentsSection, UnitQuery, UnitReport};
use super::AppState;
use crate::db::blocking;
use crate::error::AppResult;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/reports/waves/{wave}/report.pdf",
        web::get().to(report_pdf),
    );
}

async fn report_pdf(
    who: PageReader,
    path: web::Path<String>,
    q: web::Query<UnitQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let wave = path.into_inner();
    let q = q.into_inner().report();
    let st = state.clone();
    let PageReader(who) = who;
    let for_errors = wave.clone();
    let (name, pdf) = blocking(move || {
        let mut conn = st.pool.get()?;
        let r = read(&mut conn, &who.user, &st, &wave, &q, "export report.pdf")?;
        let report = UnitReport::of(&mut conn, &st, &r)?;
        Ok((file_name(&report.wave, &report.unit), pdf_of(&report)?))
    })
    .await
    .map_err(|e| PageError::from(e).see_participation(&for_errors))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(pdf))
}

/// `worklife-<wave>-<unit>.pdf` in characters every file system and the header's quoted
/// string take: ASCII letters, digits, `.`, `_` and `-`; `/` between units becomes `-`, any
/// other character `_`.
pub fn file_name(wave: &str, unit: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
                '/' => '-',
                _ => '_',
            })
            .take(80)
            .collect()
    };
    format!("worklife-{}-{}.pdf", safe(wave), safe(unit))
}

/// The report's pages: the printable page's sections in its order and its words.
pub fn pdf_of(r: &UnitReport) -> AppResult<Vec<u8>> {
    let mut l = Layout::new()?;
    let body = l.size;
    let title = format!("{}: wave {}", r.unit, r.wave);
    l.heading(&title, 16.0);
    l.paragraph(&r.summary(), Face::Regular, body, 0);

    l.heading("Scales", 12.0);
    l.table(&Table {
        widths: vec![0.20, 0.06, 0.10, 0.22, 0.12, 0.30],
        header: ["Scale", "n", "Mean", "95% CI", "Favorable", "Cronbach's α"]
            .map(Cell::bold)
            .into(),
        rows: r
            .scales
            .iter()
            .map(|s| {
                let name = Cell::bold(s.scale.as_str());
                if !s.shown() {
                    return vec![name, Cell::new(r.hidden_row()).spanning(5).shaded()];
                }
                let alpha = match s.warning() {
                    Some(w) => format!("{} ({w})", s.alpha),
                    None => s.alpha.clone(),
                };
                vec![
                    name,
                    Cell::new(s.n.as_str()),
                    Cell::new(s.mean.as_str()),
                    Cell::new(s.ci.as_str()),
                    Cell::new(s.favorable.as_str()),
                    Cell::new(alpha),
                ]
            })
            .collect(),
    });
    if let Some(note) = r.spread_note() {
        l.paragraph(&note, Face::Regular, body, 60);
    }

    if !r.profiles.is_empty() {
        l.heading("Burnout profiles", 12.0);
        l.table(&Table {
            widths: vec![0.4, 0.6],
            header: vec![Cell::bold("Profile"), Cell::bold("Share")],
            rows: r
                .profiles
                .iter()
                .map(|(p, v)| vec![Cell::new(*p), Cell::new(v.as_str())])
                .collect(),
        });
    }

    l.heading("Trend", 12.0);
    let chart = &r.chart;
    if chart.is_empty() {
        l.paragraph(chart.empty_note(), Face::Regular, body, 60);
    } else {
        l.figures(&trend_figures(chart), 3);
        let waves = chart.waves.len().max(1) as f32;
        let mut widths = vec![0.34];
        widths.extend(chart.waves.iter().map(|_| 0.66 / waves));
        let mut header = vec![Cell::bold("Mean per wave")];
        header.extend(chart.waves.iter().map(|(_, w)| Cell::bold(w.as_str())));
        l.table(&Table {
            widths,
            header,
            rows: chart
                .scales
                .iter()
                .map(|s| {
                    let mut row = vec![Cell::new(format!("{} ({})", s.label, s.reading))];
                    row.extend(chart.values(s).into_iter().map(|v| match v {
                        Some(v) => Cell::new(v),
                        None => Cell::new("no figure").shaded(),
                    }));
                    row
                })
                .collect(),
        });
    }

    l.heading("Question by question", 12.0);
    l.paragraph(&r.questions_note(), Face::Regular, body, 60);
    for s in &r.questions {
        l.heading(&s.label, 10.5);
        l.table(&Table {
            widths: vec![0.44, 0.1, 0.34, 0.12],
            header: ["Question", "Answered", "Answers", "Mean"]
                .map(Cell::bold)
                .into(),
            rows: s
                .items
                .iter()
                .map(|i| {
                    let question = Cell::new(if i.reverse {
                        format!("{} (reverse-scored)", i.text)
                    } else {
                        i.text.clone()
                    });
                    let Some(n) = i.answered else {
                        return vec![question, Cell::new(i.hidden.as_str()).spanning(3).shaded()];
                    };
                    // The page's three-way split first (shown, unbanded questions only),
                    // then each answer's share, or the band in words.
                    let sides = i.sides.iter().map(|sd| match sd.neutral {
                        Some(m) => format!(
                            "favourable: {} · neutral: {m}% · unfavourable: {}",
                            sd.favourable, sd.unfavourable
                        ),
                        None => format!(
                            "favourable: {} · unfavourable: {}",
                            sd.favourable, sd.unfavourable
                        ),
                    });
                    let answers: Vec<String> = sides
                        .chain(i.shares.iter().map(|sh| {
                            if i.banded {
                                format!("{} answered “{}”", sh.text, sh.label)
                            } else {
                                format!("{}: {}", sh.label, sh.text)
                            }
                        }))
                        .collect();
                    vec![
                        question,
                        Cell::new(n.to_string()),
                        Cell::new(answers.join("\n")),
                        Cell::new(if i.banded {
                            "not shown"
                        } else {
                            i.mean.as_str()
                        }),
                    ]
                })
                .collect(),
        });
    }

    if let Some(c) = &r.comments {
        comments(&mut l, c);
    }

    l.heading("Action plan", 12.0);
    if r.actions.is_empty() {
        l.paragraph(r.no_actions(), Face::Regular, body, 0);
    } else {
        l.table(&Table {
            widths: vec![0.46, 0.24, 0.15, 0.15],
            header: ["Action", "Owner", "Status", "Due"].map(Cell::bold).into(),
            rows: r
                .actions
                .iter()
                .map(|a| {
                    vec![
                        Cell::new(a.title.as_str()),
                        Cell::new(a.owner.as_str()),
                        Cell::new(a.status),
                        Cell::new(a.due.as_str()),
                    ]
                })
                .collect(),
        });
    }
    l.paragraph(r.disclaimer(), Face::Regular, body, 60);
    l.finish(&format!("Worklife report, {title}"))
        .write(&format!("Worklife report: {title}"))
}

/// The comments section as the page has it: what people wrote with each comment's question
/// (each wrapped, a long one across pages), or only why nothing is shown.
fn comments(l: &mut Layout, c: &CommentsSection) {
    let body = l.size;
    l.heading("Comments", 12.0);
    if !c.shown {
        l.paragraph(&c.lead, Face::Regular, body, 60);
        return;
    }
    l.paragraph(&c.lead, Face::Regular, body, 0);
    if let Some(t) = &c.themes {
        l.paragraph(t, Face::Regular, body, 60);
    }
    for m in &c.comments {
        l.quote(&m.question, &m.text);
    }
}

/// The trend page's small charts, one per scale, from the same geometry as the page's SVG:
/// the answer scale's range with a gridline per point, each wave's mean written at its
/// point, the line broken where a wave shows no figure, and why under the chart.
fn trend_figures(chart: &TrendChart) -> Vec<Figure> {
    let grid = chart.ticks.iter().flat_map(|(y, label)| {
        [
            Mark::Line {
                points: vec![
                    (chart.left as f32, *y as f32),
                    (chart.right() as f32, *y as f32),
                ],
                width: 0.3,
                gray: 190,
            },
            Mark::Label {
                x: chart.left as f32 - 6.0,
                y: *y as f32 + 4.0,
                size: 6.0,
                anchor: Anchor::End,
                text: label.clone(),
            },
        ]
    });
    let waves = chart.waves.iter().map(|(x, name)| Mark::Label {
        x: *x as f32,
        y: chart.height as f32 - 6.0,
        size: 6.0,
        anchor: Anchor::Middle,
        text: name.clone(),
    });
    let axes: Vec<Mark> = grid.chain(waves).collect();
    chart
        .scales
        .iter()
        .map(|s| {
            let mut marks: Vec<Mark> = axes.clone();
            // Runs of waves that show a figure, each drawn as one line.
            let mut run: Vec<(f32, f32)> = Vec::new();
            let mut runs = Vec::new();
            for (x, _) in &chart.waves {
                match s.points.iter().find(|p| p.x == *x) {
                    Some(p) => run.push((p.x as f32, p.y as f32)),
                    None => runs.push(std::mem::take(&mut run)),
                }
            }
            runs.push(run);
            marks.extend(
                runs.into_iter()
                    .filter(|r| r.len() > 1)
                    .map(|points| Mark::Line {
                        points,
                        width: 1.2,
                        gray: 30,
                    }),
            );
            for p in &s.points {
                marks.push(Mark::Dot {
                    x: p.x as f32,
                    y: p.y as f32,
                    r: 1.8,
                });
                marks.push(Mark::Label {
                    x: p.x as f32,
                    y: p.y as f32 - 8.0,
                    size: 6.5,
                    anchor: Anchor::Middle,
                    text: p.value.clone(),
                });
            }
            Figure {
                caption: format!("{} ({})", s.label, s.reading),
                width: chart.width as f32,
                height: chart.height as f32,
                marks,
                notes: s.gaps.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(
            super::file_name("2026-Q3", "Acme/Eng"),
            "worklife-2026-Q3-Acme-Eng.pdf"
        );
        assert_eq!(
            super::file_name("W 1", "Acme/=HYPERLINK(\"evil\")/Zürich;\r\n"),
            "worklife-W_1-Acme-_HYPERLINK__evil__-Z_rich___.pdf"
        );
        assert_eq!(
            super::super::unit_report::pdf_href("W 1", Some("Acme/Eng")),
            "/reports/waves/W%201/report.pdf?unit=Acme%2FEng"
        );
        assert_eq!(
            super::super::unit_report::pdf_href("W1", None),
            "/reports/waves/W1/report.pdf"
        );
    }
}
