//! What the action plan page shows, built from a unit's [`PlanData`]: the reports header,
//! focus areas, the items (each marked with the wave that raised it), the add or edit form
//! with its problems next to their fields, and the suggested actions, each with its own
//! one-click "Add to plan" form.

use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;
use survey_engine::actions::Area;
use survey_engine::format::opt;

use super::access::Reader;
pub use super::form_problems::{placed, Problem};
use super::form_problems::{problem_for, Field};
use super::{enc, pages, AppState, REPORT_CSS_PATH};
use crate::plans::export::{self, reasons, suggested_areas, unit_figures, UnitFigures};
use crate::plans::items::{ActionItem, ItemStatus};
use crate::plans::PlanData;

pub use crate::display::unit_label;

/// A date for people: `5 Dec 2026`.
pub fn readable_date(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

pub struct FocusRow {
    pub area: &'static str,
    pub label: &'static str,
    pub mean: String,
    pub favorable: String,
    pub delta_org: String,
    pub delta_prev: String,
    pub why: String,
}

pub struct ItemRow {
    pub id: String,
    pub title: String,
    pub area: &'static str,
    pub owner: String,
    pub due: String,
    /// `YYYY-MM-DD`, for the `<time>` element.
    pub due_iso: String,
    pub overdue: bool,
    pub status: &'static str,
    pub notes: String,
    /// The wave whose plan the item was added from, if known.
    pub raised_in: Option<String>,
    pub just_saved: bool,
}

pub struct Suggestion {
    pub id: String,
    pub area: &'static str,
    pub title: String,
    pub why: String,
    /// An item of the same title is in the plan already.
    pub in_plan: bool,
}

pub struct SuggestionGroup {
    pub label: &'static str,
    pub actions: Vec<Suggestion>,
}

/// What the add or edit form holds, kept when it comes back with problems.
#[derive(Clone, Default, Deserialize)]
pub struct Draft {
    /// The item being edited; empty when adding one.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due: String,
    #[serde(default)]
    pub notes: String,
}

impl Draft {
    /// The form filled in with an item, to edit it.
    pub fn of(item: &ActionItem) -> Draft {
        Draft {
            id: item.id.clone(),
            title: item.title.clone(),
            area: item.area.id().to_string(),
            owner: item.owner.clone(),
            due: item.due_date.map(|d| d.to_string()).unwrap_or_default(),
            notes: item.notes.clone(),
        }
    }
}

/// The form's fields: what the domain's messages start with, their ids and labels (status
/// problems come from the per-item forms, so they go to the summary only).
const FIELDS: [Field; 6] = [
    ("title", "title", "Action"),
    ("area", "area", "Area"),
    ("owner", "owner", "Owner"),
    ("due", "due", "Due date"),
    ("notes", "notes", "Notes"),
    ("status", "", "Status"),
];

#[derive(Template)]
#[template(path = "plan/action_plan.html", whitespace = "minimize")]
pub struct PlanPage {
    pub unit: String,
    pub unit_label: String,
    pub wave: String,
    /// `?wave=...`, kept on every form and link so a plan opened for an earlier wave stays
    /// on it.
    pub wave_query: String,
    /// What every relative link and form starts with: empty on the plan itself, `../`
    /// when the page answers a failed POST to `action-plan/items` (one level deeper).
    pub base: &'static str,
    pub k: usize,
    pub css: String,
    pub reader: Reader,
    /// Viewers read plans but change nothing: no forms for them.
    pub can_change: bool,
    pub respondents: Option<u64>,
    pub hidden_why: Option<String>,
    pub focus: Vec<FocusRow>,
    pub items: Vec<ItemRow>,
    pub suggestions: Vec<SuggestionGroup>,
    pub areas: Vec<(&'static str, &'static str)>,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub csrf_token: String,
    /// The confirmation after a save, and the saved item's id (for its "Edit it" link: a
    /// suggestion added with one click usually wants an owner and a due date next).
    pub saved: Option<(String, String)>,
    pub problems: Vec<Problem>,
    pub draft: Draft,
}

impl PlanPage {
    /// The problem about `field`, shown under its label.
    pub fn problem_for(&self, field: &str) -> Option<&str> {
        problem_for(&self.problems, field)
    }

    pub fn editing(&self) -> bool {
        !self.draft.id.is_empty()
    }
}

/// How the page is asked for: after a save (`saved=ID`), or to edit an item (`edit=ID`).
#[derive(Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub saved: String,
    #[serde(default)]
    pub edit: String,
}

/// The page for `reader`, whose forms carry `csrf_token`.
pub fn plan_page(
    state: &AppState,
    (reader, csrf_token): (&Reader, &str),
    plan: &PlanData,
    query: &PageQuery,
    problems: Vec<String>,
    draft: Draft,
) -> PlanPage {
    let (respondents, hidden_why) = match unit_figures(plan.release(), &plan.unit_path) {
        UnitFigures::Shown { respondents } => (Some(respondents), None),
        UnitFigures::Hidden { why } => (None, Some(why)),
    };
    let focus = if hidden_why.is_some() {
        Vec::new()
    } else {
        plan.focus
            .iter()
            .map(|f| FocusRow {
                area: f.area.id(),
                label: f.area.label(),
                mean: opt(f.stats.mean, 2),
                favorable: export::favorable(f),
                delta_org: opt(f.delta_org, 2),
                delta_prev: opt(f.delta_prev, 2),
                why: reasons(f),
            })
            .collect()
    };
    let in_plan = |title: &str| {
        plan.items
            .iter()
            .any(|i| i.title.trim().eq_ignore_ascii_case(title.trim()))
    };
    let suggestions = suggested_areas(if hidden_why.is_some() {
        &[]
    } else {
        &plan.focus
    })
    .into_iter()
    .map(|area| SuggestionGroup {
        label: area.label(),
        actions: plan
            .library
            .for_area(area)
            .map(|a| Suggestion {
                id: a.id.clone(),
                area: area.id(),
                title: a.title.clone(),
                why: a.why.clone(),
                in_plan: in_plan(&a.title),
            })
            .collect(),
    })
    .collect();
    let today = state.clock.now().date();
    let saved = plan.items.iter().find(|i| i.id == query.saved).map(|i| {
        (
            format!("Saved: “{}” ({}).", i.title, i.status.label()),
            i.id.clone(),
        )
    });
    // Editing: the item asked for, unless the form came back with problems of its own.
    let draft = match plan.items.iter().find(|i| i.id == query.edit) {
        Some(item) if draft.id.is_empty() && problems.is_empty() => Draft::of(item),
        _ => draft,
    };
    PlanPage {
        unit: plan.unit_path.clone(),
        unit_label: unit_label(&plan.unit_path),
        wave: plan.wave.name.clone(),
        wave_query: format!("?wave={}", enc(&plan.wave.name)),
        // Problems only come back from a POST below `action-plan/`.
        base: if problems.is_empty() { "" } else { "../" },
        k: plan.release().k,
        css: format!(
            "{}{}",
            pages::base_path(&state.settings.base_url),
            REPORT_CSS_PATH
        ),
        can_change: reader.role != "viewer",
        reader: reader.clone(),
        respondents,
        hidden_why,
        focus,
        items: plan
            .items
            .iter()
            .map(|i| ItemRow {
                id: i.id.clone(),
                title: i.title.clone(),
                area: i.area.label(),
                owner: i.owner.clone(),
                due: i.due_date.map(readable_date).unwrap_or_default(),
                due_iso: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
                overdue: i.is_overdue(today),
                status: i.status.as_str(),
                notes: i.notes.clone(),
                raised_in: plan.raised_in(i).map(str::to_string),
                just_saved: i.id == query.saved,
            })
            .collect(),
        suggestions,
        areas: Area::ALL.iter().map(|a| (a.id(), a.label())).collect(),
        statuses: ItemStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        csrf_token: csrf_token.to_string(),
        saved,
        problems: placed(problems, &FIELDS),
        draft,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_worded_for_people_and_tied_to_their_fields() {
        let placed = placed(
            vec![
                "title: is required".into(),
                "due: \"x\" is not a date (use YYYY-MM-DD)".into(),
                "status: unknown status \"y\"".into(),
                "something else".into(),
            ],
            &FIELDS,
        );
        let seen: Vec<(&str, &str)> = placed
            .iter()
            .map(|p| (p.field, p.message.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("title", "Action: is required"),
                ("due", "Due date: \"x\" is not a date (use YYYY-MM-DD)"),
                ("", "Status: unknown status \"y\""),
                ("", "something else"),
            ]
        );
        assert_eq!(unit_label("Northwind/Sales"), "Northwind › Sales");
        assert_eq!(
            readable_date(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default()),
            "5 Dec 2026"
        );
    }
}
