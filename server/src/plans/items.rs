//! Action items of manager action plans (issue 6). An item belongs to a unit path, not to a
//! wave, so a plan carries over from quarter to quarter. Items never refer to people or
//! responses (A6): owner is free text the manager writes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use survey_engine::actions::Area;
use survey_engine::org::OrgTree;

use crate::db::schema::{action_items, units, wave_units};
use crate::db::{new_id, DbConn, WaveId};
use crate::error::{AppError, AppResult};
use crate::{db_run, db_write};

pub const MAX_TITLE: usize = 200;
pub const MAX_OWNER: usize = 200;
pub const MAX_NOTES: usize = 4000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemStatus {
    NotStarted,
    InProgress,
    Done,
    Dropped,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 4] = [
        ItemStatus::NotStarted,
        ItemStatus::InProgress,
        ItemStatus::Done,
        ItemStatus::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::NotStarted => "not_started",
            ItemStatus::InProgress => "in_progress",
            ItemStatus::Done => "done",
            ItemStatus::Dropped => "dropped",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::NotStarted => "not started",
            ItemStatus::InProgress => "in progress",
            ItemStatus::Done => "done",
            ItemStatus::Dropped => "dropped",
        }
    }

    /// Whether the item is still to be done (not done, not dropped).
    pub fn is_open(self) -> bool {
        matches!(self, ItemStatus::NotStarted | ItemStatus::InProgress)
    }

    /// Accepts `in_progress`, `in-progress` and `In progress` alike.
    pub fn parse(s: &str) -> Result<ItemStatus, String> {
        let norm = s.trim().to_lowercase().replace([' ', '-'], "_");
        ItemStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "status: unknown status \"{s}\" (one of {})",
                    ItemStatus::ALL.map(ItemStatus::as_str).join(", ")
                )
            })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionItem {
    pub id: String,
    pub unit_path: String,
    pub area: Area,
    pub title: String,
    pub owner: String,
    pub due_date: Option<NaiveDate>,
    pub status: ItemStatus,
    pub notes: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub created_wave_id: Option<WaveId>,
}

impl ActionItem {
    /// Open and due before `today` (the date of the service's [`crate::clock::Clock`]); an
    /// item due today is not late yet.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.is_open() && self.due_date.is_some_and(|d| d < today)
    }
}

/// An action item as stored: area and status as text, checked by [`ActionItemRow::item`].
#[derive(Queryable, Selectable)]
#[diesel(table_name = action_items)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct ActionItemRow {
    id: String,
    unit_path: String,
    area: String,
    title: String,
    owner: String,
    due_date: Option<NaiveDate>,
    status: String,
    notes: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    created_wave_id: Option<WaveId>,
}

impl ActionItemRow {
    /// The item; an area or status the program does not know is an error, not a default.
    fn item(self) -> AppResult<ActionItem> {
        let bad =
            |what: &str| AppError::Unexpected(anyhow::anyhow!("action item {}: {what}", self.id));
        Ok(ActionItem {
            area: Area::from_id(&self.area).ok_or_else(|| bad("unknown area"))?,
            status: ItemStatus::parse(&self.status).map_err(|e| bad(&e))?,
            id: self.id,
            unit_path: self.unit_path,
            title: self.title,
            owner: self.owner,
            due_date: self.due_date,
            notes: self.notes,
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_wave_id: self.created_wave_id,
        })
    }
}

/// A new item as typed by a manager; everything is checked by [`create`].
#[derive(Clone, Debug, Default)]
pub struct NewItem<'a> {
    pub unit_path: &'a str,
    pub area: &'a str,
    pub title: &'a str,
    pub owner: &'a str,
    /// `YYYY-MM-DD`, or empty for none.
    pub due: &'a str,
    pub notes: &'a str,
    /// Empty for `not_started`.
    pub status: &'a str,
    /// The id of the wave whose plan the item was added from.
    pub created_wave_id: Option<&'a WaveId>,
}

/// Checks a new item; every problem names its field.
pub fn validate(new: &NewItem<'_>) -> Result<(Area, Option<NaiveDate>, ItemStatus), Vec<String>> {
    let mut problems = Vec::new();
    let title = new.title.trim();
    if title.is_empty() {
        problems.push("title: is required".to_string());
    }
    too_long(&mut problems, "title", title, MAX_TITLE);
    too_long(&mut problems, "owner", new.owner.trim(), MAX_OWNER);
    too_long(&mut problems, "notes", new.notes.trim(), MAX_NOTES);
    // PostgreSQL refuses NUL in text and SQLite would store it: refused alike on both.
    for (field, text) in [("title", title), ("owner", new.owner), ("notes", new.notes)] {
        if text.contains('\0') {
            problems.push(format!("{field}: must not contain a NUL character"));
        }
    }
    let area = Area::from_id(new.area.trim().to_lowercase().as_str());
    if area.is_none() {
        problems.push(format!(
            "area: unknown area \"{}\" (one of {})",
            new.area,
            Area::ALL.map(Area::id).join(", ")
        ));
    }
    let due = parse_due(new.due)
        .map_err(|e| problems.push(e))
        .ok()
        .flatten();
    let status = if new.status.trim().is_empty() {
        Some(ItemStatus::NotStarted)
    } else {
        ItemStatus::parse(new.status)
            .map_err(|e| problems.push(e))
            .ok()
    };
    match (area, status) {
        (Some(area), Some(status)) if problems.is_empty() => Ok((area, due, status)),
        _ => Err(problems),
    }
}

fn too_long(problems: &mut Vec<String>, field: &str, text: &str, max: usize) {
    let n = text.chars().count();
    if n > max {
        problems.push(format!(
            "{field}: is {n} characters long, at most {max} are allowed"
        ));
    }
}

/// `YYYY-MM-DD`, or nothing when empty.
pub fn parse_due(s: &str) -> Result<Option<NaiveDate>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("due: \"{s}\" is not a date (use YYYY-MM-DD)"))
}

/// The canonical form of a unit path that the roster or some wave's snapshot knows.
pub fn known_unit(conn: &mut DbConn, path: &str) -> AppResult<String> {
    let canonical = OrgTree::segments(path)
        .map_err(|e| AppError::validation(format!("unit: {e}")))?
        .join("/");
    let in_roster: i64 = db_run!(conn, |c| units::table
        .filter(units::path.eq(&canonical))
        .count()
        .get_result(c))?;
    let in_waves: i64 = if in_roster > 0 {
        0
    } else {
        db_run!(conn, |c| wave_units::table
            .filter(wave_units::path.eq(&canonical))
            .count()
            .get_result(c))?
    };
    if in_roster + in_waves == 0 {
        return Err(AppError::validation(format!(
            "unit: no unit \"{canonical}\" in the roster or any wave"
        )));
    }
    Ok(canonical)
}

pub fn create(conn: &mut DbConn, new: &NewItem<'_>, now: NaiveDateTime) -> AppResult<ActionItem> {
    let mut problems = Vec::new();
    let unit = known_unit(conn, new.unit_path).map_err(|e| match e {
        AppError::Validation(p) => problems.extend(p),
        other => problems.push(other.to_string()),
    });
    let checked = validate(new).map_err(|p| problems.extend(p));
    let (Ok(unit), Ok((area, due, status))) = (unit, checked) else {
        return Err(AppError::Validation(problems));
    };
    let id = new_id();
    db_write!(conn, |c| diesel::insert_into(action_items::table)
        .values((
            action_items::id.eq(&id),
            action_items::unit_path.eq(&unit),
            action_items::area.eq(area.id()),
            action_items::title.eq(new.title.trim()),
            action_items::owner.eq(new.owner.trim()),
            action_items::due_date.eq(due),
            action_items::status.eq(status.as_str()),
            action_items::notes.eq(new.notes.trim()),
            action_items::created_at.eq(now),
            action_items::updated_at.eq(now),
            action_items::created_wave_id.eq(new.created_wave_id),
        ))
        .execute(c))?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<ActionItem> {
    let row: Option<ActionItemRow> = db_run!(conn, |c| action_items::table
        .find(id.trim())
        .select(ActionItemRow::as_select())
        .first(c)
        .optional())?;
    row.ok_or_else(|| AppError::NotFound(format!("no action item \"{id}\"")))?
        .item()
}

/// Sets an item's status (and replaces its notes when given). With `unit_path`, the item
/// must belong to that unit: a manager's form cannot reach another unit's items.
pub fn set_status(
    conn: &mut DbConn,
    id: &str,
    unit_path: Option<&str>,
    status: &str,
    notes: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<ActionItem> {
    let mut problems = Vec::new();
    let status = ItemStatus::parse(status);
    if let Err(e) = &status {
        problems.push(e.clone());
    }
    if let Some(n) = notes {
        too_long(&mut problems, "notes", n.trim(), MAX_NOTES);
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let status = status.map_err(AppError::validation)?;
    let item = find(conn, id)?;
    if unit_path.is_some_and(|u| u != item.unit_path) {
        return Err(AppError::NotFound(format!("no action item \"{id}\"")));
    }
    let notes = notes.map_or(item.notes.clone(), |n| n.trim().to_string());
    db_write!(conn, |c| diesel::update(action_items::table.find(&item.id))
        .set((
            action_items::status.eq(status.as_str()),
            action_items::notes.eq(&notes),
            action_items::updated_at.eq(now),
        ))
        .execute(c))?;
    find(conn, &item.id)
}

/// Replaces an item's title, area, owner, due date and notes (checked as in [`create`]);
/// its status and the wave that raised it stay. The item must belong to `unit_path`, so a
/// manager's form cannot reach another unit's items.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    unit_path: &str,
    edit: &NewItem<'_>,
    now: NaiveDateTime,
) -> AppResult<ActionItem> {
    let (area, due, _) = validate(&NewItem {
        status: "",
        ..edit.clone()
    })
    .map_err(AppError::Validation)?;
    let item = find(conn, id)?;
    if item.unit_path != unit_path {
        return Err(AppError::NotFound(format!("no action item \"{id}\"")));
    }
    db_write!(conn, |c| diesel::update(action_items::table.find(&item.id))
        .set((
            action_items::title.eq(edit.title.trim()),
            action_items::area.eq(area.id()),
            action_items::owner.eq(edit.owner.trim()),
            action_items::due_date.eq(due),
            action_items::notes.eq(edit.notes.trim()),
            action_items::updated_at.eq(now),
        ))
        .execute(c))?;
    find(conn, &item.id)
}

/// Every unit's items, by unit and then oldest first: the HR overview's input.
pub fn all(conn: &mut DbConn) -> AppResult<Vec<ActionItem>> {
    let rows: Vec<ActionItemRow> = db_run!(conn, |c| action_items::table
        .order((
            action_items::unit_path,
            action_items::created_at,
            action_items::id,
        ))
        .select(ActionItemRow::as_select())
        .load(c))?;
    rows.into_iter().map(ActionItemRow::item).collect()
}

/// The items of one unit (exactly that unit, not its subtree), oldest first.
pub fn list(conn: &mut DbConn, unit_path: &str) -> AppResult<Vec<ActionItem>> {
    let canonical = OrgTree::segments(unit_path)
        .map_err(|e| AppError::validation(format!("unit: {e}")))?
        .join("/");
    let rows: Vec<ActionItemRow> = db_run!(conn, |c| action_items::table
        .filter(action_items::unit_path.eq(&canonical))
        .order((action_items::created_at, action_items::id))
        .select(ActionItemRow::as_select())
        .load(c))?;
    rows.into_iter().map(ActionItemRow::item).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn item<'a>(title: &'a str, area: &'a str, due: &'a str, status: &'a str) -> NewItem<'a> {
        NewItem {
            unit_path: "Acme",
            area,
            title,
            due,
            status,
            ..NewItem::default()
        }
    }

    #[test]
    fn every_problem_names_its_field() {
        let long = "x".repeat(201);
        let err = validate(&item(&long, "burnout", "2026-13-01", "finished")).unwrap_err();
        assert_eq!(
            err,
            [
                "title: is 201 characters long, at most 200 are allowed",
                "area: unknown area \"burnout\" (one of workload, control, reward, community, fairness, values)",
                "due: \"2026-13-01\" is not a date (use YYYY-MM-DD)",
                "status: unknown status \"finished\" (one of not_started, in_progress, done, dropped)",
            ]
        );
        assert_eq!(
            validate(&item("  ", "workload", "", "")).unwrap_err(),
            ["title: is required"]
        );
        let ok = validate(&item(
            &"y".repeat(200),
            "Fairness",
            "2026-12-01",
            "In progress",
        ));
        assert_eq!(
            ok.unwrap(),
            (
                Area::Fairness,
                NaiveDate::from_ymd_opt(2026, 12, 1),
                ItemStatus::InProgress
            )
        );
    }
}
