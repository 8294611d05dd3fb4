//! Action plans: the items a manager keeps per unit, what a plan is made of, its export, and
//! HR's overview across units.

pub mod export;
pub mod items;
pub mod overview;
mod plan;

pub use plan::{plan_data, PlanData};
