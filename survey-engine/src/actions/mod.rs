//! Manager action planning: the six areas of worklife, a library of suggested actions per
//! area, and focus areas proposed from a unit's cells of the suppressed release (D2, D6).

mod focus;
mod library;

pub use focus::{focus_areas, FocusArea, PLAN_FOCUS_AREAS};
pub use library::{Library, SuggestedAction};

use std::fmt;

/// An area of worklife (Leiter & Maslach). Burnout and outcome scales are not areas: actions
/// target the conditions of work, and the areas are matched to scales by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    Workload,
    Control,
    Reward,
    Community,
    Fairness,
    Values,
}

impl Area {
    /// Every area, in the model's order.
    pub const ALL: [Area; 6] = [
        Area::Workload,
        Area::Control,
        Area::Reward,
        Area::Community,
        Area::Fairness,
        Area::Values,
    ];

    /// The id, which is also the id of the area's scale in the instruments.
    pub fn id(self) -> &'static str {
        match self {
            Area::Workload => "workload",
            Area::Control => "control",
            Area::Reward => "reward",
            Area::Community => "community",
            Area::Fairness => "fairness",
            Area::Values => "values",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Area::Workload => "Workload",
            Area::Control => "Control",
            Area::Reward => "Reward",
            Area::Community => "Community",
            Area::Fairness => "Fairness",
            Area::Values => "Values",
        }
    }

    /// The area measured by a scale id; `None` for burnout and outcome scales.
    pub fn from_id(id: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|a| a.id() == id)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
