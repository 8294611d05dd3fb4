//! The library of suggested actions, kept as data in `actions/library.toml` and checked when
//! it is loaded.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Deserialize;

use super::Area;
use crate::error::{EngineError, Problem};

const BUILTIN: &str = include_str!("../../actions/library.toml");

/// The fewest actions an area must have.
pub const MIN_PER_AREA: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuggestedAction {
    pub id: String,
    pub area: Area,
    pub title: String,
    /// One line on why it helps.
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Library {
    actions: Vec<SuggestedAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLibrary {
    actions: Vec<RawAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    id: String,
    area: String,
    title: String,
    why: String,
}

impl Library {
    /// The library shipped with Worklife (parsed once).
    pub fn builtin() -> Result<&'static Library, EngineError> {
        static PARSED: OnceLock<Result<Library, String>> = OnceLock::new();
        PARSED
            .get_or_init(|| Library::parse(BUILTIN).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| EngineError::InvalidInput(format!("the built-in action library: {e}")))
    }

    /// Parses and checks a library: known areas, no empty text, unique ids, and at least
    /// [`MIN_PER_AREA`] actions for every area. Every problem is reported with its place.
    pub fn parse(source: &str) -> Result<Library, EngineError> {
        let raw: RawLibrary = toml::from_str(source).map_err(|e| {
            EngineError::InvalidInstrument(vec![Problem::new("library", e.to_string())])
        })?;
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        let mut actions = Vec::with_capacity(raw.actions.len());
        for (i, a) in raw.actions.into_iter().enumerate() {
            let place = format!("actions[{i}] ({})", a.id);
            for (field, text) in [("id", &a.id), ("title", &a.title), ("why", &a.why)] {
                if text.trim().is_empty() {
                    problems.push(Problem::new(&place, format!("{field} is empty")));
                }
            }
            if !seen.insert(a.id.clone()) {
                problems.push(Problem::new(&place, "id is used twice"));
            }
            match Area::from_id(&a.area) {
                Some(area) => actions.push(SuggestedAction {
                    id: a.id,
                    area,
                    title: a.title.trim().to_string(),
                    why: a.why.trim().to_string(),
                }),
                None => problems.push(Problem::new(&place, format!("unknown area \"{}\"", a.area))),
            }
        }
        for area in Area::ALL {
            let n = actions.iter().filter(|a| a.area == area).count();
            if n < MIN_PER_AREA {
                problems.push(Problem::new(
                    format!("area {area}"),
                    format!("has {n} action(s), needs at least {MIN_PER_AREA}"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(Library { actions })
        } else {
            // The instrument error lists problems with places, which is what a library needs.
            Err(EngineError::InvalidInstrument(problems))
        }
    }

    pub fn all(&self) -> &[SuggestedAction] {
        &self.actions
    }

    /// The actions of one area, in library order.
    pub fn for_area(&self, area: Area) -> impl Iterator<Item = &SuggestedAction> {
        self.actions.iter().filter(move |a| a.area == area)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_builtin_library_is_valid() {
        let lib = Library::builtin().unwrap();
        for area in Area::ALL {
            let n = lib.for_area(area).count();
            assert!(n >= MIN_PER_AREA, "{area} has {n}");
        }
        let ids: HashSet<&str> = lib.all().iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids.len(), lib.all().len());
        assert!(lib
            .all()
            .iter()
            .all(|a| !a.title.is_empty() && !a.why.is_empty() && !a.why.contains('\n')));
    }

    #[test]
    fn problems_are_reported_with_their_place() {
        let src = r#"
[[actions]]
id = "a"
area = "workload"
title = ""
why = "x"

[[actions]]
id = "a"
area = "burnout"
title = "t"
why = "y"
"#;
        let err = Library::parse(src).unwrap_err().to_string();
        assert!(err.contains("actions[0] (a): title is empty"), "{err}");
        assert!(err.contains("actions[1] (a): id is used twice"), "{err}");
        assert!(
            err.contains("actions[1] (a): unknown area \"burnout\""),
            "{err}"
        );
        assert!(
            err.contains("area workload: has 1 action(s), needs at least 4"),
            "{err}"
        );
        assert!(err.contains("area values: has 0 action(s)"), "{err}");
    }
}
