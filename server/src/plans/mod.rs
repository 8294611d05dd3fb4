//! Action plans: the items a manager keeps per unit, what a plan is made of, and its export.

pub mod export;
pub mod items;
mod plan;

pub use plan::{plan_data, PlanData};
