//! A unit's action plan as CSV and Markdown: focus areas with their figures, the unit's
//! action items and suggested actions. Pure functions of the suppressed release (D6): a unit
//! whose cells are hidden gets no figure at all, only its items and the library.

use std::fmt::Write as _;

use survey_engine::actions::{Area, FocusArea, Library};
use survey_engine::csv_out::CsvWriter;
use survey_engine::disclosure::{CellKey, CellStatus};
use survey_engine::format::opt;
use survey_engine::release::Release;

use crate::plans::items::ActionItem;

/// What the release may say about a unit.
#[derive(Clone, Debug, PartialEq)]
pub enum UnitFigures {
    /// Shown: the most respondents any shown area scale of the unit counts.
    Shown { respondents: u64 },
    /// Nothing may be shown; the sentence says why.
    Hidden { why: String },
}

/// Whether the unit's figures may be shown, decided from its whole-unit cells.
pub fn unit_figures(release: &Release, unit_path: &str) -> UnitFigures {
    let k = release.k;
    let Some(unit) = release.tree.find(unit_path) else {
        return UnitFigures::Hidden {
            why: format!(
                "{unit_path} was not part of wave {}, so this plan shows no scores.",
                release.wave
            ),
        };
    };
    let key = CellKey { unit, cut: None };
    // Only the areas' cells count: a plan is about the areas of worklife.
    let cells: Vec<_> = (0..release.scales.len())
        .filter(|&s| {
            release
                .scales
                .get(s)
                .and_then(|id| Area::from_id(id))
                .is_some()
        })
        .filter_map(|s| release.heat_cell(s, key))
        .collect();
    let respondents = cells
        .iter()
        .filter(|c| c.status == CellStatus::Shown)
        .filter_map(|c| c.stats.map(|s| s.n))
        .max();
    match respondents {
        Some(respondents) => UnitFigures::Shown { respondents },
        // One wording for both reasons: which one applies would tell the reader whether
        // fewer or at least k people answered.
        None => UnitFigures::Hidden {
            why: format!(
                "Scores for {unit_path} are hidden: fewer than {k} people answered, or \
                 showing them would let someone work out the answers of a smaller group. \
                 So this plan shows no scores."
            ),
        },
    }
}

/// The areas whose suggestions the plan lists: the focus areas in their order, or every
/// area when there are none (a hidden unit, or one doing as well as before and as the rest).
pub fn suggested_areas(focus: &[FocusArea]) -> Vec<Area> {
    if focus.is_empty() {
        Area::ALL.to_vec()
    } else {
        focus.iter().map(|f| f.area).collect()
    }
}

pub fn reasons(f: &FocusArea) -> String {
    let mut r = Vec::new();
    let mark = |sig: Option<bool>| {
        if sig == Some(true) {
            " (significant)"
        } else {
            ""
        }
    };
    if f.below_org() {
        r.push(format!("below the organisation{}", mark(f.significant_org)));
    }
    if f.dropped() {
        r.push(format!(
            "lower than in the previous wave{}",
            mark(f.significant_prev)
        ));
    }
    r.join("; ")
}

fn yes_no(b: Option<bool>) -> String {
    b.map(|b| if b { "yes" } else { "no" }.to_string())
        .unwrap_or_default()
}

pub const CSV_HEADER: &[&str] = &[
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

/// One CSV record; empty fields stay empty.
#[derive(Default)]
struct PlanRecord {
    record: &'static str,
    area: &'static str,
    id: String,
    title: String,
    detail: String,
    owner: String,
    due: String,
    status: &'static str,
    /// `respondents` to `significant_prev`, in header order.
    figures: [String; 8],
}

impl PlanRecord {
    fn cells(self, wave: &str, unit: &str) -> [String; 18] {
        let [a, b, c, d, e, f, g, h] = self.figures;
        [
            self.record.into(),
            wave.into(),
            unit.into(),
            self.area.into(),
            self.id,
            self.title,
            self.detail,
            self.owner,
            self.due,
            self.status.into(),
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h,
        ]
    }
}

/// The plan as one CSV table (RFC 4180, UTF-8): a `unit` record, then `focus`, `item` and
/// `suggestion` records. Figures use the heat-map CSV's decimals.
pub fn action_plan_csv(
    release: &Release,
    unit_path: &str,
    focus: &[FocusArea],
    items: &[ActionItem],
    library: &Library,
) -> anyhow::Result<Vec<u8>> {
    let figures = unit_figures(release, unit_path);
    let shown = matches!(figures, UnitFigures::Shown { .. });
    let mut records = vec![match figures {
        UnitFigures::Shown { respondents } => {
            let mut unit = PlanRecord {
                record: "unit",
                ..PlanRecord::default()
            };
            unit.figures[0] = respondents.to_string();
            unit
        }
        UnitFigures::Hidden { why } => PlanRecord {
            record: "unit",
            detail: why,
            ..PlanRecord::default()
        },
    }];
    records.extend(focus.iter().filter(|_| shown).map(|f| PlanRecord {
        record: "focus",
        area: f.area.id(),
        title: f.area.label().into(),
        detail: reasons(f),
        figures: [
            f.stats.n.to_string(),
            opt(f.stats.mean, 2),
            match f.favorable_band {
                Some(b) => b.as_str().to_string(),
                None => opt(f.stats.favorable_pct, 1),
            },
            opt(f.delta_org, 2),
            yes_no(f.significant_org),
            opt(f.previous_mean, 2),
            opt(f.delta_prev, 2),
            yes_no(f.significant_prev),
        ],
        ..PlanRecord::default()
    }));
    records.extend(items.iter().map(|i| PlanRecord {
        record: "item",
        area: i.area.id(),
        id: i.id.clone(),
        title: i.title.clone(),
        detail: i.notes.clone(),
        owner: i.owner.clone(),
        due: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
        status: i.status.as_str(),
        ..PlanRecord::default()
    }));
    for area in suggested_areas(if shown { focus } else { &[] }) {
        records.extend(library.for_area(area).map(|a| PlanRecord {
            record: "suggestion",
            area: area.id(),
            id: a.id.clone(),
            title: a.title.clone(),
            detail: a.why.clone(),
            ..PlanRecord::default()
        }));
    }
    let mut w = CsvWriter::crlf();
    w.record(CSV_HEADER)?;
    for r in records {
        w.record(r.cells(&release.wave, unit_path))?;
    }
    Ok(w.finish()?)
}

/// A focus area's favorable %, or its band in words where the release gives one (D9).
pub fn favorable(f: &FocusArea) -> String {
    match f.favorable_band {
        Some(b) => b.label().to_string(),
        None => percent(f.stats.favorable_pct),
    }
}

pub fn percent(p: Option<f64>) -> String {
    match opt(p, 1) {
        s if s.is_empty() => s,
        s => format!("{s}%"),
    }
}

/// Text for a Markdown table cell: one line, pipes escaped, no HTML, and links only to
/// http(s) and mailto.
fn md_cell(s: &str) -> String {
    safe_links(
        &s.replace('\\', "\\\\")
            .replace('|', "\\|")
            .replace(['\r', '\n'], " ")
            .replace('<', "&lt;"),
    )
}

/// Breaks every inline link `[text](target)` whose target is not http(s) or mailto (a
/// `javascript:` or `data:` link would run in whatever renders the plan) by escaping its
/// parenthesis, so it shows as the text it is. Autolinks need `<`, which is escaped already.
fn safe_links(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("](") {
        let (before, after) = rest.split_at(at + 2);
        let target = after.trim_start().to_ascii_lowercase();
        let allowed = ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| target.starts_with(scheme));
        if allowed {
            out.push_str(before);
        } else {
            out.push_str(&before[..before.len() - 1]);
            out.push_str("\\(");
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The plan as one page of Markdown a manager can share with the team.
pub fn action_plan_md(
    release: &Release,
    unit_path: &str,
    focus: &[FocusArea],
    items: &[ActionItem],
    library: &Library,
) -> String {
    let figures = unit_figures(release, unit_path);
    let mut md = String::new();
    let _ = writeln!(md, "# Action plan: {}\n", md_cell(unit_path));
    let _ = writeln!(md, "Survey wave: {}", md_cell(&release.wave));
    let shown = match &figures {
        UnitFigures::Shown { respondents } => {
            let _ = writeln!(md, "\nRespondents: {respondents}\n");
            true
        }
        UnitFigures::Hidden { why } => {
            let _ = writeln!(md, "\n{why}\n");
            false
        }
    };
    if shown {
        md.push_str("## Focus areas\n\n");
        if focus.is_empty() {
            md.push_str(
                "No area of worklife is below the organisation or lower than in the previous \
                 wave. Keep what works; the whole library of suggestions follows.\n\n",
            );
        } else {
            md.push_str(
                "| Area | Mean | Favorable | vs organisation | vs previous wave | Why proposed |\n\
                 |---|---:|---:|---:|---:|---|\n",
            );
            for f in focus {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    f.area.label(),
                    opt(f.stats.mean, 2),
                    favorable(f),
                    opt(f.delta_org, 2),
                    opt(f.delta_prev, 2),
                    reasons(f),
                );
            }
            let _ = writeln!(
                md,
                "\nMeans of the area's scale (higher is better) over {} or more respondents; \
                 significant means p < 0.05 in Welch's t-test.\n",
                release.k
            );
        }
    }
    md.push_str("## Action items\n\n");
    if items.is_empty() {
        md.push_str("No action items yet.\n\n");
    } else {
        md.push_str(
            "| Action | Area | Owner | Due | Status | Notes |\n|---|---|---|---|---|---|\n",
        );
        for i in items {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                md_cell(&i.title),
                i.area.label(),
                md_cell(&i.owner),
                i.due_date.map(|d| d.to_string()).unwrap_or_default(),
                i.status.label(),
                md_cell(&i.notes),
            );
        }
        md.push('\n');
    }
    md.push_str("## Suggested actions\n");
    for area in suggested_areas(if shown { focus } else { &[] }) {
        let _ = writeln!(md, "\n### {}\n", area.label());
        for a in library.for_area(area) {
            let _ = writeln!(md, "- **{}**: {}", a.title, a.why);
        }
    }
    md
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use survey_engine::actions::focus_areas;
    use survey_engine::disclosure::Placement;
    use survey_engine::instrument::builtin;
    use survey_engine::org::OrgTree;
    use survey_engine::release::PlacedSheet;

    /// Siblings of 6, 6 and 2 people with k = 5: the small team is under k, one big team is
    /// hidden as well, or the root minus the other two would give the small one away, and so
    /// is the other: the root less it would leave the two people's answers to each question
    /// among those of the first team, within 1.5 points (P2). The pulse's areas are single
    /// questions, so the areas follow their questions (D8).
    fn release() -> Release {
        let instrument = builtin::load("worklife-pulse").unwrap().unwrap();
        let mut tree = OrgTree::new("Acme").unwrap();
        let mut sheets = Vec::new();
        for (team, size, value) in [("A", 6, 2), ("B", 6, 4), ("C", 2, 3)] {
            let unit = tree.insert(&format!("Acme/{team}")).unwrap();
            for i in 0..size {
                let answers = vec![Some(value + i % 2); instrument.items.len()];
                sheets.push(PlacedSheet {
                    placement: Placement {
                        unit,
                        values: vec![],
                    },
                    scores: instrument.score(&answers).unwrap(),
                    answers,
                });
            }
        }
        Release::build(&instrument, tree, vec![], &sheets, 5, "Q1").unwrap()
    }

    #[test]
    fn hidden_units_say_why_and_show_no_figure() {
        let release = release();
        let library = Library::builtin().unwrap();
        let mut hidden = 0;
        for unit in ["Acme/A", "Acme/B", "Acme/C"] {
            let figures = unit_figures(&release, unit);
            let UnitFigures::Hidden { why } = figures else {
                continue;
            };
            hidden += 1;
            // The same words whether the unit is small (C) or hidden to protect it (A or B).
            assert_eq!(
                why,
                format!(
                    "Scores for {unit} are hidden: fewer than 5 people answered, or showing \
                     them would let someone work out the answers of a smaller group. So this \
                     plan shows no scores."
                )
            );
            // Even focus areas handed in by mistake are left out.
            let shown_focus = focus_areas(&release, "Acme/A", None);
            let csv = action_plan_csv(&release, unit, &shown_focus, &[], library).unwrap();
            let text = String::from_utf8(csv).unwrap();
            assert!(!text.contains("\nfocus,"), "{text}");
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_ascii_digit() && c != '1' && c != '5'),
                "{text}"
            );
            let md = action_plan_md(&release, unit, &shown_focus, &[], library);
            assert!(md.contains(&why) && !md.contains("Focus areas"), "{md}");
        }
        assert_eq!(hidden, 3);
        assert_eq!(
            unit_figures(&release, "Acme"),
            UnitFigures::Shown { respondents: 14 }
        );
    }
}
